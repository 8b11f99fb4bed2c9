#include "connectors/sparkplug/sparkplug_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "connectors/sparkplug/sparkplug_test_util.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using namespace testing_sparkplug;

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Bytes made by Eclipse Tahu's JavaScript encoder (npm sparkplug-payload 1.0.3) for
//   {timestamp: 1732350000123, seq: 0, metrics: [
//     {name: 'bdSeq', type: 'UInt64', value: 3},
//     {name: 'Pump/Temp', alias: 1, type: 'Double', value: 21.5, timestamp: 1732350000100},
//     {name: 'Pump/Run', alias: 2, type: 'Boolean', value: true}]}
constexpr std::string_view kTahuBirth =
    "08fbf7ecc0b532120b0a05626453657120085803121f0a0950756d702f54656d70100118e4f7ecc0b532200a69"
    "000000000080354012100a0850756d702f52756e1002200b70011800";

TEST(SparkplugCodec, DecodesWhatTahuEncodes) {
  SparkplugDecoder d;
  SparkplugPayload p;
  ASSERT_TRUE(d.Decode(FromHex(kTahuBirth), &p).ok());
  EXPECT_EQ(p.ts_ms, 1732350000123);
  EXPECT_EQ(p.seq, 0u);
  ASSERT_EQ(p.metrics.size(), 3u);
  EXPECT_EQ(p.metrics[0].name, "bdSeq");
  EXPECT_EQ(p.metrics[0].type, 8u);
  EXPECT_EQ(*SparkplugNumber(p.metrics[0], p.metrics[0].type), 3.0);
  EXPECT_EQ(p.metrics[1].name, "Pump/Temp");
  EXPECT_EQ(p.metrics[1].alias, 1u);
  EXPECT_EQ(p.metrics[1].ts_ms, 1732350000100);
  EXPECT_EQ(*SparkplugNumber(p.metrics[1], p.metrics[1].type), 21.5);
  EXPECT_EQ(p.metrics[2].alias, 2u);
  EXPECT_EQ(*SparkplugNumber(p.metrics[2], p.metrics[2].type), 1.0);
  EXPECT_FALSE(p.metrics[2].ts_ms.has_value());
}

TEST(SparkplugCodec, SignedIntegersAreTwosComplementOfTheirWidth) {
  PbPayload pb;
  AddMetric(pb, "i8", SparkplugType::kInt8)->set_int_value(0xff);          // -1
  AddMetric(pb, "i16", SparkplugType::kInt16)->set_int_value(0xff38);      // -200
  AddMetric(pb, "i32", SparkplugType::kInt32)->set_int_value(0xfffffffe);  // -2
  AddMetric(pb, "u32", SparkplugType::kUInt32)->set_int_value(0xfffffffe);
  AddMetric(pb, "i64", SparkplugType::kInt64)->set_long_value(~uint64_t{0});  // -1
  AddMetric(pb, "u64", SparkplugType::kUInt64)->set_long_value(uint64_t{1} << 40);
  AddMetric(pb, "f", SparkplugType::kFloat)->set_float_value(1.25f);
  AddMetric(pb, "b", SparkplugType::kBoolean)->set_boolean_value(false);
  SparkplugDecoder d;
  SparkplugPayload p;
  ASSERT_TRUE(d.Decode(Bytes(pb), &p).ok());
  const double want[] = {-1, -200, -2, 4294967294.0, -1, 1099511627776.0, 1.25, 0};
  ASSERT_EQ(p.metrics.size(), std::size(want));
  for (size_t i = 0; i < p.metrics.size(); ++i) {
    auto v = SparkplugNumber(p.metrics[i], p.metrics[i].type);
    ASSERT_TRUE(v.ok()) << p.metrics[i].name << ": " << v.status().ToString();
    EXPECT_EQ(*v, want[i]) << p.metrics[i].name;
  }
}

TEST(SparkplugCodec, NonNumericTypesAndMismatchedFieldsAreErrorsThatSayWhy) {
  PbPayload pb;
  AddMetric(pb, "s", SparkplugType::kString)->set_string_value("ACME");
  AddMetric(pb, "d", SparkplugType::kDouble)->set_int_value(3);
  AddMetric(pb, "n", SparkplugType::kUnknown)->set_double_value(3);
  AddMetric(pb, "e", SparkplugType::kInt32);
  AddMetric(pb, "x", static_cast<SparkplugType>(57))->set_int_value(1);
  SparkplugDecoder d;
  SparkplugPayload p;
  ASSERT_TRUE(d.Decode(Bytes(pb), &p).ok());
  auto msg = [&](size_t i) {
    auto v = SparkplugNumber(p.metrics[i], p.metrics[i].type);
    EXPECT_FALSE(v.ok());
    return std::string(v.status().message());
  };
  EXPECT_THAT(msg(0), HasSubstr("String metrics are not numeric"));
  EXPECT_THAT(msg(1), HasSubstr("the metric is Double but carries int_value"));
  EXPECT_THAT(msg(2), HasSubstr("no data type"));
  EXPECT_THAT(msg(3), HasSubstr("is Int32 but carries no value"));
  EXPECT_THAT(msg(4), HasSubstr("type 57 metrics are not numeric"));
}

TEST(SparkplugCodec, NullFlagIsKept) {
  PbPayload pb;
  AddMetric(pb, "t", SparkplugType::kDouble)->set_is_null(true);
  SparkplugDecoder d;
  SparkplugPayload p;
  ASSERT_TRUE(d.Decode(Bytes(pb), &p).ok());
  ASSERT_EQ(p.metrics.size(), 1u);
  EXPECT_TRUE(p.metrics[0].is_null);
  EXPECT_EQ(p.metrics[0].field, SparkplugValueField::kNone);
}

TEST(SparkplugCodec, GarbageAndImpossibleTimestampsAreErrors) {
  SparkplugDecoder d;
  SparkplugPayload p;
  const Status garbage = d.Decode(std::string("\xff\xff\xff\xff\x0f", 5), &p);
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.message(), HasSubstr("not a Sparkplug B payload (5 bytes"));

  PbPayload pb;
  pb.set_timestamp(~uint64_t{0});
  const Status ts = d.Decode(Bytes(pb), &p);
  EXPECT_THAT(ts.message(), HasSubstr("payload timestamp 18446744073709551615 is not a time"));
  PbPayload pb2;
  AddMetric(pb2, "t", SparkplugType::kDouble)->set_timestamp(uint64_t{1} << 62);
  EXPECT_THAT(d.Decode(Bytes(pb2), &p).message(), HasSubstr("timestamp of metric 0"));
  // An empty payload is a valid (empty) Sparkplug payload.
  EXPECT_TRUE(d.Decode("", &p).ok());
  EXPECT_TRUE(p.metrics.empty());
}

TEST(SparkplugCodec, RebirthRequestIsTheNodeControlMetric) {
  SparkplugDecoder d;
  SparkplugPayload p;
  ASSERT_TRUE(d.Decode(EncodeRebirthRequest(1732350000000), &p).ok());
  EXPECT_EQ(p.ts_ms, 1732350000000);
  ASSERT_EQ(p.metrics.size(), 1u);
  EXPECT_EQ(p.metrics[0].name, "Node Control/Rebirth");
  EXPECT_EQ(p.metrics[0].type, static_cast<uint32_t>(SparkplugType::kBoolean));
  EXPECT_EQ(p.metrics[0].field, SparkplugValueField::kBoolean);
  EXPECT_EQ(p.metrics[0].bits, 1u);
}

}  // namespace
}  // namespace strata
