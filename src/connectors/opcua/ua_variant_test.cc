#include "connectors/opcua/ua_variant.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/opcua/ua_test_util.h"

namespace strata::opcua {
namespace {

using testing::Bytes;
using testing::DecodeAll;
using testing::EncodeToString;
using testing::ExpectEveryTruncationFails;
using ::testing::HasSubstr;
using testing::Hex;

template <class T>
void ExpectBytes(const T& value, std::string_view hex) {
  EXPECT_EQ(Hex(EncodeToString(value)), Hex(Bytes(hex)));
  auto back = DecodeAll<T>(Bytes(hex));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == value);
}

DiagnosticInfo SampleDiagnostic() {
  DiagnosticInfo d;
  d.symbolic_id = 1;
  d.namespace_uri = 2;
  d.locale = 3;
  d.localized_text = 4;
  d.additional_info = "detail";
  d.inner_status_code = 0x80340000;
  DiagnosticInfo inner;
  inner.symbolic_id = 5;
  d.inner_diagnostic_info = Box<DiagnosticInfo>(inner);
  return d;
}

ExtensionObject SampleExtensionObject() {
  ExtensionObject eo;
  eo.type_id = NodeId::Numeric(2, 5001);
  eo.encoding = BodyEncoding::kByteString;
  eo.body = "\x01\x02";
  return eo;
}

// One scalar of every built-in type 1..25, in type order.
std::vector<Variant> ScalarOfEveryType() {
  DataValue inner_value;
  inner_value.value = MakeVariant(int16_t{-3});
  inner_value.status = 0x40000000;
  return {
      MakeVariant(true),
      MakeVariant(int8_t{-5}),
      MakeVariant(uint8_t{200}),
      MakeVariant(int16_t{-30000}),
      MakeVariant(uint16_t{60000}),
      MakeVariant(int32_t{-2'000'000'000}),
      MakeVariant(uint32_t{4'000'000'000u}),
      MakeVariant(int64_t{-9'000'000'000'000}),
      MakeVariant(uint64_t{18'000'000'000'000'000'000u}),
      MakeVariant(1.25f),
      MakeVariant(-2.5e300),
      MakeVariant(std::string("Grüße")),
      MakeVariant(DateTime::FromUnixNanos(1'732'350'000'000'000'000)),
      MakeVariant(*Guid::Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63")),
      MakeVariant(ByteString{std::string("\x00\x01", 2)}),
      MakeVariant(XmlElement{"<a/>"}),
      MakeVariant(NodeId::String(2, "x")),
      MakeVariant(ExpandedNodeId{NodeId::Numeric(1, 9), "urn:y", 4}),
      MakeVariant(StatusCodeValue{0x80AB0000}),
      MakeVariant(QualifiedName{3, "q"}),
      MakeVariant(LocalizedText{"en", "t"}),
      MakeVariant(SampleExtensionObject()),
      MakeVariant(Box<DataValue>(inner_value)),
      MakeVariant(Box<Variant>(MakeVariant(7.0))),
      MakeVariant(Box<DiagnosticInfo>(SampleDiagnostic())),
  };
}

TEST(VariantTest, EveryScalarTypeRoundTripsAndReportsItsType) {
  const std::vector<Variant> scalars = ScalarOfEveryType();
  ASSERT_EQ(scalars.size(), 25u);
  for (size_t i = 0; i < scalars.size(); ++i) {
    const Variant& v = scalars[i];
    EXPECT_EQ(static_cast<size_t>(v.type()), i + 1);
    EXPECT_FALSE(v.is_array());
    const std::string bytes = EncodeToString(v);
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]), i + 1) << "mask of type " << i + 1;
    auto back = DecodeAll<Variant>(bytes);
    ASSERT_TRUE(back.ok()) << BuiltinTypeName(v.type()) << ": " << back.status().ToString();
    EXPECT_TRUE(*back == v) << BuiltinTypeName(v.type()) << " " << Hex(bytes);
  }
}

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

TEST(VariantTest, EveryArrayTypeRoundTrips) {
  const std::vector<Variant> scalars = ScalarOfEveryType();
  // Build a two-element array of each type from its scalar sample.
  std::vector<Variant> arrays;
  for (const Variant& s : scalars) {
    Variant a;
    std::visit(
        [&a](const auto& x) {
          using T = std::remove_cvref_t<decltype(x)>;
          if constexpr (IsVector<T>::value || std::is_same_v<T, std::monostate>) {
            // Only scalars are sampled.
          } else if constexpr (requires { *x; }) {  // Box<U>: arrays hold U
            using U = std::remove_cvref_t<decltype(*x)>;
            a.value.template emplace<std::vector<U>>(std::vector<U>{*x, *x});
          } else {
            a.value.template emplace<std::vector<T>>(std::vector<T>{x, x});
          }
        },
        s.value);
    arrays.push_back(std::move(a));
  }
  for (size_t i = 0; i < arrays.size(); ++i) {
    const Variant& v = arrays[i];
    EXPECT_TRUE(v.is_array());
    EXPECT_EQ(static_cast<size_t>(v.type()), i + 1);
    EXPECT_EQ(v.array_length(), 2u);
    const std::string bytes = EncodeToString(v);
    EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x80 | (i + 1));
    auto back = DecodeAll<Variant>(bytes);
    ASSERT_TRUE(back.ok()) << BuiltinTypeName(v.type()) << ": " << back.status().ToString();
    EXPECT_TRUE(*back == v) << BuiltinTypeName(v.type());
  }
}

TEST(VariantTest, HandComputedEncodings) {
  ExpectBytes(Variant(), "00");
  ExpectBytes(MakeVariant(int32_t{5}), "06 05 00 00 00");
  ExpectBytes(MakeVariant(21.5), "0B 00 00 00 00 00 80 35 40");
  // Int32 array [1, 2, 3]: mask 0x80 | 6, count, elements.
  ExpectBytes(MakeVariant(std::vector<int32_t>{1, 2, 3}),
              "86 03 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00");
  // A 2x3 Int16 matrix: mask 0xC0 | 4, count 6, elements, then the dimensions array.
  ExpectBytes(MakeVariant(std::vector<int16_t>{1, 2, 3, 4, 5, 6}, {2, 3}),
              "C4 06 00 00 00 01 00 02 00 03 00 04 00 05 00 06 00"
              " 02 00 00 00 02 00 00 00 03 00 00 00");
  ExpectBytes(MakeVariant(std::vector<std::string>{"a", "bc"}),
              "8C 02 00 00 00 01 00 00 00 61 02 00 00 00 62 63");
  // An array of Variants (type 24) holding an Int32 and a null.
  ExpectBytes(MakeVariant(std::vector<Variant>{MakeVariant(int32_t{1}), Variant()}),
              "98 02 00 00 00 06 01 00 00 00 00");
}

TEST(VariantTest, ReservedTypeIdsDecodeAsByteString) {
  auto v = DecodeAll<Variant>(Bytes("1A 02 00 00 00 AB CD"));  // type 26
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->type(), BuiltinType::kByteString);
  EXPECT_EQ(std::get<ByteString>(v->value).value, "\xAB\xCD");
  auto a = DecodeAll<Variant>(Bytes("9F 01 00 00 00 01 00 00 00 EE"));  // array of type 31
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->type(), BuiltinType::kByteString);
  EXPECT_EQ(a->array_length(), 1u);
}

TEST(VariantTest, RejectsInconsistentMasksAndDimensions) {
  struct Case {
    const char* hex;
    const char* problem;
  };
  const Case cases[] = {
      {"80", "array of type 0"},
      {"46 01 00 00 00", "array dimensions but no array"},
      // 3 elements, dimensions 2x2.
      {"C3 03 00 00 00 01 02 03 02 00 00 00 02 00 00 00 02 00 00 00",
       "2 dimensions give 4 elements, the array has 3"},
      // Dimensions with a zero: the array must be empty.
      {"C3 01 00 00 00 01 02 00 00 00 00 00 00 00 01 00 00 00", "give 0 elements"},
      // Dimensions present but empty.
      {"C3 00 00 00 00 00 00 00 00", "0 dimensions"},
  };
  for (const Case& c : cases) {
    auto v = DecodeAll<Variant>(Bytes(c.hex));
    ASSERT_FALSE(v.ok()) << c.hex;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(v.status().message(), HasSubstr(c.problem)) << c.hex;
    EXPECT_THAT(v.status().message(), HasSubstr("at byte ")) << c.hex;
  }
}

// A Variant that is an array holding one Variant, `depth` times, around a null.
std::string NestedVariants(int depth) {
  std::string bytes;
  for (int i = 0; i < depth - 1; ++i) bytes += Bytes("98 01 00 00 00");
  bytes += Bytes("00");
  return bytes;
}

TEST(VariantTest, NestingIsLimitedByMaxDepth) {
  EXPECT_TRUE(DecodeAll<Variant>(NestedVariants(100)).ok());
  auto deep = DecodeAll<Variant>(NestedVariants(101));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(deep.status().message(), HasSubstr("nested deeper than max_depth 100"));
  // The error names the offset of the innermost Variant: 100 levels of 5 bytes.
  EXPECT_THAT(deep.status().message(), HasSubstr("at byte 500 reading Variant"));

  DecodeLimits shallow;
  shallow.max_depth = 3;
  EXPECT_TRUE(DecodeAll<Variant>(NestedVariants(3), shallow).ok());
  EXPECT_FALSE(DecodeAll<Variant>(NestedVariants(4), shallow).ok());
  // A million levels fail quickly instead of overflowing the stack.
  EXPECT_FALSE(DecodeAll<Variant>(NestedVariants(1'000'000)).ok());
}

TEST(VariantTest, DataValueAndDiagnosticInfoCountTowardsTheDepth) {
  // Variant(DataValue(Variant(DataValue(...)))) nests two levels per pair.
  std::string bytes;
  for (int i = 0; i < 60; ++i) bytes += Bytes("17 01");  // Variant of DataValue with a value
  bytes += Bytes("00");
  auto v = DecodeAll<Variant>(bytes);
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("max_depth"));

  std::string diag;
  for (int i = 0; i < 200; ++i) diag += Bytes("40");  // only an inner DiagnosticInfo
  diag += Bytes("00");
  auto d = DecodeAll<DiagnosticInfo>(diag);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.status().message(), HasSubstr("max_depth"));
  Decoder skip(diag);
  EXPECT_FALSE(SkipDiagnosticInfo(skip).ok());
}

TEST(VariantTest, ToDoubleConvertsNumbersOnly) {
  EXPECT_EQ(MakeVariant(int16_t{-7}).ToDouble(), -7.0);
  EXPECT_EQ(MakeVariant(uint64_t{1} << 40).ToDouble(), 1099511627776.0);
  EXPECT_EQ(MakeVariant(1.5f).ToDouble(), 1.5);
  EXPECT_EQ(MakeVariant(true).ToDouble(), 1.0);
  EXPECT_FALSE(MakeVariant(std::string("1.5")).ToDouble().has_value());
  EXPECT_FALSE(MakeVariant(std::vector<double>{1.0}).ToDouble().has_value());
  EXPECT_FALSE(Variant().ToDouble().has_value());
}

TEST(DataValueTest, HandComputedEncodingWithMask) {
  // Value Double 1.5, status UncertainLastUsableValue, source timestamp 1 tick.
  DataValue v;
  v.value = MakeVariant(1.5);
  v.status = 0x40900000;
  v.source_timestamp = DateTime{1};
  ExpectBytes(v,
              "07"                           // mask: value | status | source timestamp
              " 0B 00 00 00 00 00 00 F8 3F"  // Variant Double 1.5
              " 00 00 90 40"                 // status
              " 01 00 00 00 00 00 00 00");   // source timestamp
  // Timestamps and picoseconds only: the wire order is source ts, source ps, server ts,
  // server ps although the mask bits are 0x04, 0x10, 0x08, 0x20.
  DataValue t;
  t.source_timestamp = DateTime{2};
  t.source_picoseconds = 3;
  t.server_timestamp = DateTime{4};
  t.server_picoseconds = 5;
  ExpectBytes(t, "3C 02 00 00 00 00 00 00 00 03 00 04 00 00 00 00 00 00 00 05 00");
  ExpectBytes(DataValue(), "00");
}

TEST(DataValueTest, PicosecondsAboveTheRangeAreClamped) {
  auto v = DecodeAll<DataValue>(Bytes("14 01 00 00 00 00 00 00 00 10 27"));  // 10000
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->source_picoseconds, 9999);
}

TEST(DataValueTest, RejectsReservedMaskBitsAndNamesTheField) {
  auto v = DecodeAll<DataValue>(Bytes("40"));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("reserved bits"));
  auto w = DecodeAll<DataValue>(Bytes("01 0B 00 00"));
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("Value: at byte 2 reading Double"));
}

TEST(DataValueTest, DecodingIntoAReusedValueClearsAbsentFields) {
  DataValue v;
  v.value = MakeVariant(std::string("old"));
  v.status = 0x80000000;
  v.server_timestamp = DateTime{9};
  const std::string d_bytes = Bytes("04 01 00 00 00 00 00 00 00");
  Decoder d(d_bytes);
  ASSERT_TRUE(Decode(d, &v).ok());
  EXPECT_TRUE(v.value.is_null());
  EXPECT_EQ(v.status, 0u);
  EXPECT_EQ(v.source_timestamp.ticks, 1);
  EXPECT_TRUE(v.server_timestamp.is_null());
}

TEST(DiagnosticInfoTest, FieldOrderPutsLocaleBeforeLocalizedText) {
  DiagnosticInfo d;
  d.locale = 1;
  d.localized_text = 2;
  ExpectBytes(d, "0C 01 00 00 00 02 00 00 00");
  ExpectBytes(DiagnosticInfo(), "00");
  const DiagnosticInfo full = SampleDiagnostic();
  const std::string bytes = EncodeToString(full);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x7F);
  auto back = DecodeAll<DiagnosticInfo>(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, full);
}

TEST(DiagnosticInfoTest, SkipConsumesExactlyWhatDecodeReads) {
  const std::string bytes = EncodeToString(SampleDiagnostic()) + "\x2A";
  Decoder d(bytes);
  ASSERT_TRUE(SkipDiagnosticInfo(d).ok());
  EXPECT_EQ(d.remaining(), 1u);
  auto bad = DecodeAll<DiagnosticInfo>(Bytes("80"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("reserved bit 0x80"));
}

TEST(VariantTest, EveryTruncationFailsWithAnOffset) {
  DataValue dv = testing::SampleDataValue(3.5, 0x40000000);
  dv.source_picoseconds = 7;
  dv.server_picoseconds = 8;
  ExpectEveryTruncationFails(EncodeToString(dv),
                             [](std::string_view b) { return DecodeAll<DataValue>(b).status(); });
  for (const Variant& v : ScalarOfEveryType()) {
    ExpectEveryTruncationFails(EncodeToString(v),
                               [](std::string_view b) { return DecodeAll<Variant>(b).status(); });
  }
  ExpectEveryTruncationFails(EncodeToString(MakeVariant(std::vector<int16_t>{1, 2, 3, 4}, {2, 2})),
                             [](std::string_view b) { return DecodeAll<Variant>(b).status(); });
  ExpectEveryTruncationFails(EncodeToString(SampleDiagnostic()), [](std::string_view b) {
    Decoder d(b);
    return SkipDiagnosticInfo(d);
  });
}

}  // namespace
}  // namespace strata::opcua
