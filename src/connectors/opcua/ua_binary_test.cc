#include "connectors/opcua/ua_binary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "connectors/opcua/ua_test_util.h"

namespace strata::opcua {
namespace {

using testing::Bytes;
using testing::DecodeAll;
using testing::EncodeToString;
using testing::ErrorOffset;
using testing::ExpectEveryTruncationFails;
using ::testing::HasSubstr;
using testing::Hex;

template <class T>
void ExpectRoundTrip(const T& value) {
  const std::string bytes = EncodeToString(value);
  auto back = DecodeAll<T>(bytes);
  ASSERT_TRUE(back.ok()) << Hex(bytes) << ": " << back.status().ToString();
  EXPECT_TRUE(*back == value) << Hex(bytes);
}

template <class T>
void ExpectBytes(const T& value, std::string_view hex) {
  EXPECT_EQ(Hex(EncodeToString(value)), Hex(Bytes(hex)));
  auto back = DecodeAll<T>(Bytes(hex));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == value);
}

TEST(UaBinaryTest, IntegersAreLittleEndian) {
  ExpectBytes<int16_t>(-2, "FE FF");
  ExpectBytes<uint16_t>(0x1234, "34 12");
  ExpectBytes<int32_t>(-1'000'000, "C0 BD F0 FF");
  ExpectBytes<uint32_t>(0xDEADBEEF, "EF BE AD DE");
  ExpectBytes<int64_t>(INT64_MIN, "00 00 00 00 00 00 00 80");
  ExpectBytes<uint64_t>(0x0102030405060708, "08 07 06 05 04 03 02 01");
  ExpectBytes<int8_t>(-128, "80");
  ExpectBytes<uint8_t>(255, "FF");
}

TEST(UaBinaryTest, FloatsAreIeee754LittleEndian) {
  ExpectBytes<float>(1.0f, "00 00 80 3F");
  ExpectBytes<double>(21.5, "00 00 00 00 00 80 35 40");
  ExpectRoundTrip(-std::numeric_limits<double>::infinity());
  ExpectRoundTrip(std::numeric_limits<float>::denorm_min());
  // NaN is not == itself: compare the bits.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto back = DecodeAll<double>(EncodeToString(nan));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::isnan(*back));
}

TEST(UaBinaryTest, BooleanEncodesOneAndDecodesAnyNonZeroAsTrue) {
  ExpectBytes(true, "01");
  ExpectBytes(false, "00");
  auto v = DecodeAll<bool>(Bytes("7F"));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(*v);
}

TEST(UaBinaryTest, StringsAreLengthPrefixedAndEmptyIsNull) {
  ExpectBytes(std::string("Hot水"), "06 00 00 00 48 6F 74 E6 B0 B4");
  EXPECT_EQ(Hex(EncodeToString(std::string())), "FF FF FF FF");
  auto null = DecodeAll<std::string>(Bytes("FF FF FF FF"));
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(*null, "");
  auto empty = DecodeAll<std::string>(Bytes("00 00 00 00"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
  ExpectBytes(ByteString{std::string("\x00\xFF", 2)}, "02 00 00 00 00 FF");
  ExpectBytes(XmlElement{"<a/>"}, "04 00 00 00 3C 61 2F 3E");
}

TEST(UaBinaryTest, StringLengthBeyondTheInputIsAnErrorAtItsOffset) {
  // Claims 100 bytes, has 3.
  auto v = DecodeAll<std::string>(Bytes("64 00 00 00 41 42 43"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("at byte 0 reading String"));
  EXPECT_THAT(v.status().message(), HasSubstr("length 100 exceeds the 3 bytes left"));
}

TEST(UaBinaryTest, NegativeLengthsOtherThanMinusOneAreRejected) {
  auto v = DecodeAll<std::string>(Bytes("FE FF FF FF"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("length -2 is negative"));
  auto a = DecodeAll<std::vector<uint32_t>>(Bytes("00 00 00 80"));
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.status().message(), HasSubstr("count -2147483648 is negative"));
}

TEST(UaBinaryTest, StringLimitIsConfigurable) {
  DecodeLimits limits;
  limits.max_string_length = 2;
  auto v = DecodeAll<std::string>(Bytes("03 00 00 00 41 42 43"), limits);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(v.status().message(), HasSubstr("exceeds max_string_length 2"));
  EXPECT_TRUE(DecodeAll<std::string>(Bytes("02 00 00 00 41 42"), limits).ok());
}

TEST(UaBinaryTest, ArraysAreCountedAndNullArraysAreEmpty) {
  ExpectBytes(std::vector<int32_t>{1, -1}, "02 00 00 00 01 00 00 00 FF FF FF FF");
  ExpectBytes(std::vector<std::string>{"a", ""}, "02 00 00 00 01 00 00 00 61 FF FF FF FF");
  ExpectBytes(std::vector<bool>{true, false, true}, "03 00 00 00 01 00 01");
  EXPECT_EQ(Hex(EncodeToString(std::vector<double>{})), "00 00 00 00");
  auto null = DecodeAll<std::vector<double>>(Bytes("FF FF FF FF"));
  ASSERT_TRUE(null.ok());
  EXPECT_TRUE(null->empty());
}

TEST(UaBinaryTest, ArrayCountIsBoundedByTheBytesLeftAndByTheLimits) {
  // 1000 UInt32 cannot fit in 4 bytes: rejected before anything is allocated.
  auto v = DecodeAll<std::vector<uint32_t>>(Bytes("E8 03 00 00 01 00 00 00"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("count 1000 needs at least 4000 bytes, 4 left"));

  DecodeLimits limits;
  limits.max_array_length = 1;
  auto w = DecodeAll<std::vector<uint8_t>>(Bytes("02 00 00 00 01 02"), limits);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(w.status().message(), HasSubstr("exceeds max_array_length 1"));

  limits = DecodeLimits();
  limits.max_decoded_bytes = 7;  // two doubles need 16
  auto x = DecodeAll<std::vector<double>>(EncodeToString(std::vector<double>{1, 2}), limits);
  ASSERT_FALSE(x.ok());
  EXPECT_EQ(x.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(x.status().message(), HasSubstr("max_decoded_bytes 7"));
}

TEST(UaBinaryTest, ArrayElementErrorsNameTheIndex) {
  // Second string claims 9 bytes.
  auto v = DecodeAll<std::vector<std::string>>(Bytes("02 00 00 00 01 00 00 00 61 09 00 00 00"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("[1]: at byte 9 reading String"));
}

TEST(UaBinaryTest, DateTimeAndGuidMatchPart6) {
  ExpectBytes(DateTime::FromUnixNanos(0), "00 80 3E D5 DE B1 9D 01");
  // Part 6 §5.2.2.7: {72962B91-FA75-4AE6-8D28-B404DC7DAF63}.
  ExpectBytes(*Guid::Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63"),
              "91 2B 96 72 75 FA E6 4A 8D 28 B4 04 DC 7D AF 63");
  ExpectBytes(StatusCodeValue{0x80340000}, "00 00 34 80");
}

TEST(UaBinaryTest, NodeIdUsesTheSmallestOfTheSixForms) {
  ExpectBytes(NodeId::Numeric(0, 72), "00 48");                    // two-byte
  ExpectBytes(NodeId::Numeric(5, 1025), "01 05 01 04");            // four-byte
  ExpectBytes(NodeId::Numeric(0, 256), "01 00 00 01");             // four-byte, ns 0
  ExpectBytes(NodeId::Numeric(256, 1), "02 00 01 01 00 00 00");    // numeric: ns > 255
  ExpectBytes(NodeId::Numeric(1, 70000), "02 01 00 70 11 01 00");  // numeric: id > 65535
  ExpectBytes(NodeId::String(1, "Hot水"), "03 01 00 06 00 00 00 48 6F 74 E6 B0 B4");
  ExpectBytes(NodeId::FromGuid(4, *Guid::Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63")),
              "04 04 00 91 2B 96 72 75 FA E6 4A 8D 28 B4 04 DC 7D AF 63");
  ExpectBytes(NodeId::Opaque(2, "\xDE\xAD"), "05 02 00 02 00 00 00 DE AD");
}

TEST(UaBinaryTest, NodeIdDecodesEveryFormToTheSameValue) {
  for (const char* hex : {"00 2A", "01 00 2A 00", "02 00 00 2A 00 00 00"}) {
    auto v = DecodeAll<NodeId>(Bytes(hex));
    ASSERT_TRUE(v.ok()) << hex;
    EXPECT_EQ(*v, NodeId::Numeric(0, 42)) << hex;
  }
}

TEST(UaBinaryTest, NodeIdRejectsUnknownFormsAndExpandedFlags) {
  auto v = DecodeAll<NodeId>(Bytes("06 00 00"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("at byte 0 reading NodeId: encoding byte form 0x06"));
  auto w = DecodeAll<NodeId>(Bytes("80 2A"));
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("ExpandedNodeId flags"));
}

TEST(UaBinaryTest, ExpandedNodeIdCarriesNamespaceUriAndServerIndex) {
  ExpandedNodeId plain;
  plain.node_id = NodeId::Numeric(0, 5);
  ExpectBytes(plain, "00 05");
  ExpandedNodeId full;
  full.node_id = NodeId::Numeric(0, 5);
  full.namespace_uri = "urn:x";
  full.server_index = 3;
  ExpectBytes(full, "C0 05 05 00 00 00 75 72 6E 3A 78 03 00 00 00");
  ExpandedNodeId uri_only;
  uri_only.node_id = NodeId::String(0, "a");
  uri_only.namespace_uri = "u";
  ExpectBytes(uri_only, "83 00 00 01 00 00 00 61 01 00 00 00 75");
}

TEST(UaBinaryTest, QualifiedNameAndLocalizedText) {
  ExpectBytes(QualifiedName{2, "Speed"}, "02 00 05 00 00 00 53 70 65 65 64");
  ExpectBytes(LocalizedText{"en", "Hi"}, "03 02 00 00 00 65 6E 02 00 00 00 48 69");
  ExpectBytes(LocalizedText{"", "Hi"}, "02 02 00 00 00 48 69");
  ExpectBytes(LocalizedText{"de", ""}, "01 02 00 00 00 64 65");
  ExpectBytes(LocalizedText{}, "00");
  auto v = DecodeAll<LocalizedText>(Bytes("04"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("encoding mask 0x04"));
}

TEST(UaBinaryTest, ExtensionObjectKeepsTheBodyAsBytes) {
  ExtensionObject eo;
  eo.type_id = NodeId::Numeric(0, 321);
  eo.encoding = BodyEncoding::kByteString;
  eo.body = Bytes("FF FF FF FF");
  ExpectBytes(eo, "01 00 41 01 01 04 00 00 00 FF FF FF FF");
  ExpectBytes(ExtensionObject{}, "00 00 00");
  ExtensionObject xml;
  xml.type_id = NodeId::Numeric(1, 7);
  xml.encoding = BodyEncoding::kXmlElement;
  xml.body = "<x/>";
  ExpectRoundTrip(xml);
  auto bad = DecodeAll<ExtensionObject>(Bytes("00 00 03"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("at byte 2 reading ExtensionObject Encoding"));
  auto long_body = DecodeAll<ExtensionObject>(Bytes("00 00 01 05 00 00 00 01"));
  ASSERT_FALSE(long_body.ok());
  EXPECT_THAT(long_body.status().message(), HasSubstr("length 5 exceeds the 1 bytes left"));
}

TEST(UaBinaryTest, EveryTruncationOfACompositeValueFails) {
  ExpandedNodeId id;
  id.node_id = NodeId::String(3, "Line1.Pump7");
  id.namespace_uri = "urn:plant";
  id.server_index = 2;
  ExpectEveryTruncationFails(
      EncodeToString(id), [](std::string_view b) { return DecodeAll<ExpandedNodeId>(b).status(); });
  const std::vector<LocalizedText> texts = {{"en", "a"}, {"", "b"}};
  ExpectEveryTruncationFails(EncodeToString(texts), [](std::string_view b) {
    return DecodeAll<std::vector<LocalizedText>>(b).status();
  });
}

TEST(UaBinaryTest, DecodingIntoAnExistingValueOverwritesEveryField) {
  // A reused NodeId must not keep the string of a previous decode.
  NodeId id = NodeId::String(3, "old");
  const std::string d_bytes = Bytes("00 2A");
  Decoder d(d_bytes);
  ASSERT_TRUE(Decode(d, &id).ok());
  EXPECT_EQ(id, NodeId::Numeric(0, 42));
  LocalizedText text{"en", "old"};
  const std::string e_bytes = Bytes("02 01 00 00 00 78");
  Decoder e(e_bytes);
  ASSERT_TRUE(Decode(e, &text).ok());
  EXPECT_EQ(text, (LocalizedText{"", "x"}));
}

TEST(UaBinaryTest, OffsetsIncludeTheBaseOffset) {
  const std::string d_bytes = Bytes("01 02");
  Decoder d(d_bytes, DecodeLimits(), 100);
  uint32_t v = 0;
  const Status s = d.ReadUInt32(&v);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ErrorOffset(s), 100);
  EXPECT_THAT(s.message(), HasSubstr("reading UInt32: need 4 bytes, 2 left"));
}

TEST(UaBinaryTest, PushLimitConfinesReadsAndPopLimitSkipsTheRest) {
  const std::string d_bytes = Bytes("01 02 03 04 05");
  Decoder d(d_bytes);
  size_t saved = 0;
  ASSERT_TRUE(d.PushLimit(3, "window", &saved).ok());
  uint16_t first = 0;
  ASSERT_TRUE(d.ReadUInt16(&first).ok());
  uint16_t across = 0;
  EXPECT_FALSE(d.ReadUInt16(&across).ok());  // only one byte left in the window
  d.PopLimit(saved);
  uint8_t last = 0;
  ASSERT_TRUE(d.ReadByte(&last).ok());
  EXPECT_EQ(last, 0x04);
  EXPECT_EQ(d.remaining(), 1u);
  EXPECT_FALSE(d.PushLimit(2, "window", &saved).ok());
}

TEST(UaBinaryTest, ExpectEndReportsTrailingBytes) {
  const std::string d_bytes = Bytes("01 02 03");
  Decoder d(d_bytes);
  uint8_t b = 0;
  ASSERT_TRUE(d.ReadByte(&b).ok());
  const Status s = d.ExpectEnd("message");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("at byte 1 reading message: 2 bytes left after the end"));
}

TEST(UaBinaryTest, EncoderPatchesSizesInPlace) {
  std::string out = "xx";
  Encoder e(&out);
  e.WriteUInt32(0);
  e.WriteByte(9);
  e.PatchUInt32(2, 0x01020304);
  EXPECT_EQ(Hex(out), "78 78 04 03 02 01 09");
  EXPECT_EQ(e.size(), 7u);
}

}  // namespace
}  // namespace strata::opcua
