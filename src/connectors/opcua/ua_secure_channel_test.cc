// SecureChannel over a scripted transport: chunking to the server's limits, reassembly of
// multi-chunk responses, and the errors that close the channel (oversized responses, frames
// over the negotiated buffer, sequence gaps).
#include "connectors/opcua/ua_secure_channel.h"

#include <gtest/gtest.h>

#include <deque>

#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_status_codes.h"

namespace strata::opcua {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Hands out scripted bytes; records what is sent.
class FakeTransport final : public UaTransport {
 public:
  Status Connect(const std::string&, int, SteadyTime) override { return Status::Ok(); }
  Status Send(std::string_view data, SteadyTime) override {
    sent.append(data);
    return Status::Ok();
  }
  Status Receive(std::string* out, size_t max_bytes, SteadyTime) override {
    if (inbox.empty()) return UnavailableError("timed out waiting for answer");
    const size_t n = std::min(max_bytes, inbox.size());
    out->append(inbox, 0, n);
    inbox.erase(0, n);
    return Status::Ok();
  }
  void Close() override { closed = true; }
  void Interrupt() override {}
  void ClearInterrupt() override {}

  std::string inbox;
  std::string sent;
  bool closed = false;
};

constexpr uint32_t kChannel = 5;

class SecureChannelTest : public ::testing::Test {
 protected:
  // Scripts the server's Acknowledge and OpenSecureChannel response, then opens.
  void Open(uint32_t server_receive_buffer = 65536, ChannelOptions options = {}) {
    AcknowledgeMessage ack;
    ack.receive_buffer_size = server_receive_buffer;
    ack.send_buffer_size = 65536;
    EncodeAcknowledge(ack, &transport_.inbox);
    OpenSecureChannelResponse opened;
    opened.security_token = {kChannel, 1, DateTime::FromUnixNanos(0), 600000};
    std::string body;
    EncodeMessage(opened, &body);
    SecureChunk chunk;
    chunk.type = MessageType::kOpenSecureChannel;
    chunk.secure_channel_id = kChannel;
    chunk.sequence = {next_sequence_++, 1};
    chunk.body = Bytes(body);
    ASSERT_TRUE(EncodeSecureChunk(chunk, &transport_.inbox).ok());
    channel_ = std::make_unique<SecureChannel>(&transport_, MakeNoneSecurity(), options);
    const Status s = channel_->Open("h", 1, "opc.tcp://h:1", Deadline());
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(channel_->channel_id(), kChannel);
    transport_.sent.clear();
  }

  // Scripts `body` as the response to `request_id` in chunks of at most `chunk_body` bytes.
  void Respond(std::string_view body, uint32_t request_id, size_t chunk_body) {
    for (size_t at = 0; at < body.size(); at += chunk_body) {
      SecureChunk chunk;
      chunk.secure_channel_id = kChannel;
      chunk.token_id = 1;
      chunk.chunk_type =
          at + chunk_body >= body.size() ? ChunkType::kFinal : ChunkType::kIntermediate;
      chunk.sequence = {next_sequence_++, request_id};
      chunk.body = Bytes(body.substr(at, chunk_body));
      ASSERT_TRUE(EncodeSecureChunk(chunk, &transport_.inbox).ok());
    }
  }

  static SteadyTime Deadline() {
    return std::chrono::steady_clock::now() + std::chrono::seconds(5);
  }

  static std::string ReadResponseBody(size_t values) {
    ReadResponse r;
    for (size_t i = 0; i < values; ++i) {
      DataValue v;
      v.value = MakeVariant(static_cast<double>(i));
      r.results.push_back(v);
    }
    std::string body;
    EncodeMessage(r, &body);
    return body;
  }

  FakeTransport transport_;
  std::unique_ptr<SecureChannel> channel_;
  uint32_t next_sequence_ = 1;
};

TEST_F(SecureChannelTest, ReassemblesAResponseFromItsChunks) {
  Open();
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send("request", &id, Deadline()).ok());
  const std::string body = ReadResponseBody(5000);  // ~45 KB
  Respond(body, id, 8000);
  SecureChannel::Response response;
  const Status s = channel_->Receive(&response, Deadline());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(response.request_id, id);
  ASSERT_EQ(response.body, body);
  ReadResponse decoded;
  ASSERT_TRUE(DecodeMessage(response.body, &decoded).ok());
  EXPECT_EQ(decoded.results.size(), 5000u);
}

TEST_F(SecureChannelTest, ARequestIsChunkedToTheServersReceiveBuffer) {
  Open(/*server_receive_buffer=*/8192);
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send(std::string(20000, 'x'), &id, Deadline()).ok());
  std::string_view sent = transport_.sent;
  std::string reassembled;
  std::vector<ChunkType> types;
  while (!sent.empty()) {
    auto frame = SplitFrame(Bytes(sent), 8192);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ASSERT_EQ(frame->kind, Frame::Kind::kComplete);
    SecureChunk chunk;
    ASSERT_TRUE(DecodeSecureChunk(Bytes(sent.substr(0, frame->bytes)), &chunk).ok());
    EXPECT_LE(frame->bytes, 8192u);
    EXPECT_EQ(chunk.sequence.request_id, id);
    types.push_back(chunk.chunk_type);
    reassembled.append(reinterpret_cast<const char*>(chunk.body.data()), chunk.body.size());
    sent.remove_prefix(frame->bytes);
  }
  EXPECT_EQ(types, (std::vector<ChunkType>{ChunkType::kIntermediate, ChunkType::kIntermediate,
                                           ChunkType::kFinal}));
  EXPECT_EQ(reassembled, std::string(20000, 'x'));
}

TEST_F(SecureChannelTest, AResponseOverMaxMessageSizeClosesTheChannelWithAClearError) {
  ChannelOptions options;
  options.max_message_size = 20000;
  Open(65536, options);
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send("request", &id, Deadline()).ok());
  Respond(ReadResponseBody(5000), id, 8000);
  SecureChannel::Response response;
  const Status s = channel_->Receive(&response, Deadline());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("exceeds max_message_size (20000 bytes"), std::string::npos)
      << s.message();
  EXPECT_FALSE(channel_->is_open());
  EXPECT_TRUE(transport_.closed);
}

TEST_F(SecureChannelTest, AFrameLargerThanTheNegotiatedBufferIsRejectedBeforeItIsRead) {
  Open();
  transport_.inbox = std::string("MSGF\xff\xff\xff\x7f", 8);  // announces 2 GiB
  SecureChannel::Response response;
  const Status s = channel_->Receive(&response, Deadline());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_FALSE(channel_->is_open());
}

TEST_F(SecureChannelTest, ASequenceGapClosesTheChannel) {
  Open();
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send("request", &id, Deadline()).ok());
  ++next_sequence_;  // one chunk "lost"
  Respond(ReadResponseBody(1), id, 8000);
  SecureChannel::Response response;
  const Status s = channel_->Receive(&response, Deadline());
  EXPECT_NE(s.message().find("BadSequenceNumberInvalid"), std::string::npos) << s.ToString();
  EXPECT_FALSE(channel_->is_open());
}

TEST_F(SecureChannelTest, ATimeoutKeepsTheChannelAndWhatArrived) {
  Open();
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send("request", &id, Deadline()).ok());
  std::string chunks;
  Respond(ReadResponseBody(3), id, 8000);
  chunks.swap(transport_.inbox);
  transport_.inbox = chunks.substr(0, 10);  // part of the chunk, then silence
  SecureChannel::Response response;
  EXPECT_TRUE(IsTimeout(channel_->Receive(&response, Deadline())));
  EXPECT_TRUE(channel_->is_open());
  transport_.inbox = chunks.substr(10);
  ASSERT_TRUE(channel_->Receive(&response, Deadline()).ok());
  EXPECT_EQ(response.request_id, id);
}

TEST_F(SecureChannelTest, AnAbortedResponseIsAnErrorForThatRequestOnly) {
  Open();
  uint32_t id = 0;
  ASSERT_TRUE(channel_->Send("request", &id, Deadline()).ok());
  std::string error;
  Encoder e(&error);
  e.WriteUInt32(kBadResponseTooLarge);
  e.WriteString("too big");
  SecureChunk chunk;
  chunk.secure_channel_id = kChannel;
  chunk.token_id = 1;
  chunk.chunk_type = ChunkType::kAbort;
  chunk.sequence = {next_sequence_++, id};
  chunk.body = Bytes(error);
  ASSERT_TRUE(EncodeSecureChunk(chunk, &transport_.inbox).ok());
  SecureChannel::Response response;
  const Status s = channel_->Receive(&response, Deadline());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("BadResponseTooLarge"), std::string::npos) << s.message();
  EXPECT_TRUE(channel_->is_open());
}

}  // namespace
}  // namespace strata::opcua
