#include "connectors/opcua/ua_tcp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_test_util.h"

namespace strata::opcua {
namespace {

using testing::AsSpan;
using testing::Bytes;
using testing::ExpectEveryTruncationFails;
using ::testing::HasSubstr;
using testing::Hex;

TEST(UaTcpTest, HelloHasTheLayoutOfPart6) {
  HelloMessage hello;
  hello.receive_buffer_size = 65536;
  hello.send_buffer_size = 65536;
  hello.max_message_size = 16777216;
  hello.max_chunk_count = 0;
  hello.endpoint_url = "opc.tcp://h:4840";
  std::string out;
  ASSERT_TRUE(EncodeHello(hello, &out).ok());
  EXPECT_EQ(Hex(out), Hex(Bytes("48 45 4C 46"   // "HELF"
                                " 30 00 00 00"  // size 48
                                " 00 00 00 00"  // protocol version
                                " 00 00 01 00"  // receive buffer 65536
                                " 00 00 01 00"  // send buffer
                                " 00 00 00 01"  // max message 16 MiB
                                " 00 00 00 00"  // max chunks
                                " 10 00 00 00 6F 70 63 2E 74 63 70 3A 2F 2F 68 3A 34 38 34 30")));
  HelloMessage back;
  ASSERT_TRUE(DecodeHello(AsSpan(out), &back).ok());
  EXPECT_EQ(back, hello);
}

TEST(UaTcpTest, AcknowledgeAndErrorRoundTrip) {
  AcknowledgeMessage ack{0, 8192, 65535, 1 << 20, 64};
  std::string out;
  EncodeAcknowledge(ack, &out);
  EXPECT_EQ(out.size(), 28u);
  EXPECT_EQ(out.substr(0, 4), "ACKF");
  AcknowledgeMessage back;
  ASSERT_TRUE(DecodeAcknowledge(AsSpan(out), &back).ok());
  EXPECT_EQ(back, ack);

  ErrorMessage error{kBadTcpEndpointUrlInvalid, "unknown endpoint"};
  out.clear();
  ASSERT_TRUE(EncodeError(error, &out).ok());
  ErrorMessage err_back;
  ASSERT_TRUE(DecodeError(AsSpan(out), &err_back).ok());
  EXPECT_EQ(err_back, error);
}

TEST(UaTcpTest, UrlsOfFourKilobytesAreRejected) {
  HelloMessage hello;
  hello.endpoint_url = std::string(4096, 'u');
  std::string out;
  const Status s = EncodeHello(hello, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("fewer than 4096"));
  EXPECT_TRUE(out.empty());
  hello.endpoint_url.pop_back();
  EXPECT_TRUE(EncodeHello(hello, &out).ok());
}

TEST(UaTcpTest, DecodersCheckTypeSizeAndTrailingBytes) {
  std::string ack;
  EncodeAcknowledge(AcknowledgeMessage{0, 8192, 8192, 0, 0}, &ack);
  HelloMessage hello;
  Status s = DecodeHello(AsSpan(ack), &hello);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("expected an HEL message, got ACK"));

  std::string longer = ack + "x";
  AcknowledgeMessage back;
  s = DecodeAcknowledge(AsSpan(longer), &back);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("header says 28 bytes, the message has 29"));

  // Size patched to match, but one byte more than an ACK body.
  Encoder(&longer).PatchUInt32(4, 29);
  s = DecodeAcknowledge(AsSpan(longer), &back);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("at byte 28 reading end of message: 1 bytes left"));
}

TEST(UaTcpTest, MessageHeaderRejectsUnknownTypesAndChunkTypes) {
  MessageHeader h;
  Status s = DecodeMessageHeader(AsSpan(Bytes("47 45 54 20 2F 20 48 54")), &h);  // "GET / HT"
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("message type 'GET' is not"));
  EXPECT_THAT(s.message(), HasSubstr("BadTcpMessageTypeInvalid"));
  s = DecodeMessageHeader(AsSpan(std::string("HELC\x20\x00\x00\x00", 8)), &h);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("chunk type 'C' is not valid for HEL"));
  s = DecodeMessageHeader(AsSpan(std::string("MSGX\x20\x00\x00\x00", 8)), &h);
  ASSERT_FALSE(s.ok());
  ASSERT_TRUE(DecodeMessageHeader(AsSpan(std::string("MSGC\x20\x00\x00\x00", 8)), &h).ok());
  EXPECT_EQ(h.type, MessageType::kMessage);
  EXPECT_EQ(h.chunk_type, ChunkType::kIntermediate);
  EXPECT_EQ(h.size, 32u);
  ASSERT_TRUE(DecodeMessageHeader(AsSpan(std::string("MSGA\x20\x00\x00\x00", 8)), &h).ok());
  EXPECT_EQ(h.chunk_type, ChunkType::kAbort);
}

TEST(UaTcpTest, SplitFrameAsksForTheHeaderThenForTheBody) {
  std::string ack;
  EncodeAcknowledge(AcknowledgeMessage{0, 8192, 8192, 0, 0}, &ack);
  const std::string two = ack + ack.substr(0, 10);

  auto f = SplitFrame(AsSpan(std::string_view(ack).substr(0, 3)), 65536);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kNeedMore);
  EXPECT_EQ(f->bytes, 5u);

  f = SplitFrame(AsSpan(std::string_view(ack).substr(0, 10)), 65536);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kNeedMore);
  EXPECT_EQ(f->bytes, 18u);
  EXPECT_EQ(f->header.type, MessageType::kAcknowledge);

  f = SplitFrame(AsSpan(two), 65536);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kComplete);
  EXPECT_EQ(f->bytes, 28u);
  // The caller consumes the frame; the rest is the start of the next one.
  f = SplitFrame(AsSpan(std::string_view(two).substr(28)), 65536);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kNeedMore);
  EXPECT_EQ(f->bytes, 18u);
}

TEST(UaTcpTest, SplitFrameRejectsSizesBelowTheHeaderOrAboveTheMaximum) {
  auto f = SplitFrame(AsSpan(std::string("MSGF\x07\x00\x00\x00", 8)), 65536);
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.status().message(), HasSubstr("MSG size 7 is below the smallest possible 24"));
  f = SplitFrame(AsSpan(std::string("ACKF\x1B\x00\x00\x00", 8)), 65536);  // 27 < 28
  ASSERT_FALSE(f.ok());
  f = SplitFrame(AsSpan(std::string("MSGF\x01\x00\x01\x00", 8)), 65536);  // 65537
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(f.status().message(), HasSubstr("65537 exceeds the negotiated maximum 65536"));
  EXPECT_THAT(f.status().message(), HasSubstr("BadTcpMessageTooLarge"));
  f = SplitFrame(AsSpan(std::string("MSGF\x00\x00\x01\x00", 8)), 65536);  // exactly the max
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, Frame::Kind::kNeedMore);
}

TEST(UaTcpTest, OpenSecureChannelChunkWithPolicyNone) {
  const std::string body = Bytes("01 00 BE 01") + " payload";
  SecureChunk chunk;
  chunk.type = MessageType::kOpenSecureChannel;
  chunk.secure_channel_id = 0;
  chunk.sequence = {51, 1};
  chunk.body = AsSpan(body);
  std::string out;
  ASSERT_TRUE(EncodeSecureChunk(chunk, &out).ok());
  const size_t overhead = AsymmetricChunkOverhead(chunk.asymmetric);
  EXPECT_EQ(overhead, 8 + 4 + (4 + 47) + 4 + 4 + 8u);
  ASSERT_EQ(out.size(), overhead + body.size());
  EXPECT_EQ(Hex(out.substr(0, 16)),
            Hex(std::string("OPNF") + Bytes("5B 00 00 00 00 00 00 00 2F 00 00 00")));
  // Null certificates (-1), then the sequence header.
  EXPECT_EQ(Hex(out.substr(63, 16)), Hex(Bytes("FF FF FF FF FF FF FF FF 33 00 00 00 01 00 00 00")));

  auto frame = SplitFrame(AsSpan(out), 65536);
  ASSERT_TRUE(frame.ok());
  ASSERT_EQ(frame->kind, Frame::Kind::kComplete);
  SecureChunk back;
  ASSERT_TRUE(DecodeSecureChunk(AsSpan(out), &back).ok());
  EXPECT_EQ(back.type, MessageType::kOpenSecureChannel);
  EXPECT_EQ(back.asymmetric, chunk.asymmetric);
  EXPECT_EQ(back.sequence, chunk.sequence);
  EXPECT_EQ(back.body_offset, overhead);
  EXPECT_EQ(std::string(back.body.begin(), back.body.end()), body);
}

TEST(UaTcpTest, MessageChunkCarriesTheTokenId) {
  const std::string body = "abc";
  SecureChunk chunk;
  chunk.type = MessageType::kMessage;
  chunk.chunk_type = ChunkType::kIntermediate;
  chunk.secure_channel_id = 7;
  chunk.token_id = 3;
  chunk.sequence = {52, 2};
  chunk.body = AsSpan(body);
  std::string out;
  ASSERT_TRUE(EncodeSecureChunk(chunk, &out).ok());
  EXPECT_EQ(Hex(out),
            Hex(std::string("MSGC") +
                Bytes("1B 00 00 00 07 00 00 00 03 00 00 00 34 00 00 00 02 00 00 00") + body));
  SecureChunk back;
  ASSERT_TRUE(DecodeSecureChunk(AsSpan(out), &back).ok());
  EXPECT_EQ(back.secure_channel_id, 7u);
  EXPECT_EQ(back.token_id, 3u);
  EXPECT_EQ(back.chunk_type, ChunkType::kIntermediate);
  EXPECT_EQ(back.body_offset, kSymmetricChunkOverhead);
  EXPECT_EQ(back.body.size(), 3u);
}

TEST(UaTcpTest, SecureChunksOtherThanPolicyNoneAreRefused) {
  SecureChunk chunk;
  chunk.type = MessageType::kOpenSecureChannel;
  chunk.asymmetric.security_policy_uri =
      "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";
  std::string out;
  Status s = EncodeSecureChunk(chunk, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);

  // The same chunk built by hand: the decoder refuses it too.
  const std::string uri = chunk.asymmetric.security_policy_uri;
  std::string raw = "OPNF" + std::string(4, '\0') + std::string(4, '\0');
  Encoder e(&raw);
  e.WriteString(uri);
  e.WriteInt32(-1);
  e.WriteInt32(-1);
  e.WriteUInt32(1);
  e.WriteUInt32(1);
  e.PatchUInt32(4, static_cast<uint32_t>(raw.size()));
  SecureChunk back;
  s = DecodeSecureChunk(AsSpan(raw), &back);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("Basic256Sha256"));
}

TEST(UaTcpTest, EncodeSecureChunkRejectsWrongTypes) {
  SecureChunk chunk;
  chunk.type = MessageType::kHello;
  std::string out;
  EXPECT_FALSE(EncodeSecureChunk(chunk, &out).ok());
  chunk.type = MessageType::kCloseSecureChannel;
  chunk.chunk_type = ChunkType::kIntermediate;
  EXPECT_FALSE(EncodeSecureChunk(chunk, &out).ok());
  chunk.chunk_type = ChunkType::kFinal;
  EXPECT_TRUE(EncodeSecureChunk(chunk, &out).ok());
  EXPECT_EQ(out.substr(0, 4), "CLOF");
}

TEST(UaTcpTest, EveryTruncationOfAChunkOrMessageFails) {
  const std::string body = "xyz";
  SecureChunk chunk;
  chunk.type = MessageType::kOpenSecureChannel;
  chunk.body = AsSpan(body);
  std::string opn;
  ASSERT_TRUE(EncodeSecureChunk(chunk, &opn).ok());
  // A prefix of a chunk is not a chunk: the size check catches it. Decoding the bytes after
  // the header with the header's size patched to match catches every truncated field.
  for (size_t len = kMessageHeaderSize; len < AsymmetricChunkOverhead(chunk.asymmetric); ++len) {
    std::string prefix = opn.substr(0, len);
    Encoder(&prefix).PatchUInt32(4, static_cast<uint32_t>(len));
    SecureChunk back;
    const Status s = DecodeSecureChunk(AsSpan(prefix), &back);
    ASSERT_FALSE(s.ok()) << len;
    EXPECT_GE(testing::ErrorOffset(s), 8) << s.ToString();
    EXPECT_LE(testing::ErrorOffset(s), static_cast<long>(len)) << s.ToString();
  }
  std::string hello;
  ASSERT_TRUE(EncodeHello(HelloMessage{0, 8192, 8192, 0, 0, "opc.tcp://x"}, &hello).ok());
  for (size_t len = 0; len < hello.size(); ++len) {
    HelloMessage back;
    EXPECT_FALSE(DecodeHello(AsSpan(std::string_view(hello).substr(0, len)), &back).ok()) << len;
  }
}

}  // namespace
}  // namespace strata::opcua
