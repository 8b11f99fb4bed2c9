#include "connectors/opcua/ua_types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "connectors/opcua/ua_status_codes.h"

namespace strata::opcua {
namespace {

using ::testing::HasSubstr;

// 2024-11-23T08:20:00Z
constexpr int64_t kNanos = 1'732'350'000'000'000'000;

TEST(DateTimeTest, UnixEpochIsTheDocumentedTickCount) {
  EXPECT_EQ(DateTime::FromUnixNanos(0).ticks, 116'444'736'000'000'000);
  EXPECT_EQ(DateTime{116'444'736'000'000'000}.ToUnixNanos(), 0);
}

TEST(DateTimeTest, RoundTripsAtHundredNanosecondResolution) {
  const DateTime t = DateTime::FromUnixNanos(kNanos + 1234);
  EXPECT_EQ(t.ticks, DateTime::kUnixEpochTicks + kNanos / 100 + 12);
  EXPECT_EQ(t.ToUnixNanos(), kNanos + 1200);  // truncated to 100 ns
}

TEST(DateTimeTest, TimesBeforeTheEpochTruncateTowardsThePast) {
  EXPECT_EQ(DateTime::FromUnixNanos(-1).ticks, DateTime::kUnixEpochTicks - 1);
  EXPECT_EQ(DateTime::FromUnixNanos(-100).ticks, DateTime::kUnixEpochTicks - 1);
  EXPECT_EQ(DateTime::FromUnixNanos(-101).ticks, DateTime::kUnixEpochTicks - 2);
  EXPECT_EQ(DateTime{DateTime::kUnixEpochTicks - 1}.ToUnixNanos(), -100);
}

TEST(DateTimeTest, ZeroAndMaxAreTheClampsOfPart6) {
  // Decoding: 0 (and anything before 1677, the earliest int64 ns) is the platform minimum;
  // INT64_MAX (and anything after 2262) the platform maximum.
  EXPECT_EQ(DateTime{0}.ToUnixNanos(), DateTime::kMinUnixNanos);
  EXPECT_EQ(DateTime{-5}.ToUnixNanos(), DateTime::kMinUnixNanos);
  EXPECT_EQ(DateTime{1}.ToUnixNanos(), DateTime::kMinUnixNanos);  // 1601 is before 1677
  EXPECT_EQ(DateTime{INT64_MAX}.ToUnixNanos(), DateTime::kMaxUnixNanos);
  EXPECT_EQ(DateTime{INT64_MAX - 1}.ToUnixNanos(), DateTime::kMaxUnixNanos);  // year 30828
  // Encoding: the platform minimum and maximum map back to 0 and INT64_MAX.
  EXPECT_EQ(DateTime::FromUnixNanos(DateTime::kMinUnixNanos).ticks, 0);
  EXPECT_EQ(DateTime::FromUnixNanos(DateTime::kMaxUnixNanos).ticks, INT64_MAX);
  EXPECT_TRUE(DateTime::FromUnixNanos(DateTime::kMinUnixNanos).is_null());
}

TEST(DateTimeTest, LastRepresentableNanosecondsStayInRange) {
  // One tick inside the platform range on both sides converts without overflow.
  const int64_t low_ticks = DateTime::kUnixEpochTicks + INT64_MIN / 100;
  EXPECT_EQ(DateTime{low_ticks}.ToUnixNanos(), (INT64_MIN / 100) * 100);
  EXPECT_EQ(DateTime{low_ticks - 1}.ToUnixNanos(), DateTime::kMinUnixNanos);
  const int64_t high_ticks = DateTime::kUnixEpochTicks + INT64_MAX / 100;
  EXPECT_EQ(DateTime{high_ticks}.ToUnixNanos(), (INT64_MAX / 100) * 100);
  EXPECT_EQ(DateTime{high_ticks + 1}.ToUnixNanos(), DateTime::kMaxUnixNanos);
}

TEST(GuidTest, FormatsAndParses) {
  auto g = Guid::Parse("72962b91-fa75-4ae6-8d28-b404dc7daf63");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->data1, 0x72962B91u);
  EXPECT_EQ(g->data2, 0xFA75);
  EXPECT_EQ(g->data3, 0x4AE6);
  EXPECT_EQ(g->data4[0], 0x8D);
  EXPECT_EQ(g->data4[7], 0x63);
  EXPECT_EQ(g->ToString(), "72962B91-FA75-4AE6-8D28-B404DC7DAF63");
  EXPECT_FALSE(Guid::Parse("72962b91-fa75-4ae6-8d28-b404dc7daf6").has_value());
  EXPECT_FALSE(Guid::Parse("72962b91-fa75-4ae6-8d28_b404dc7daf63").has_value());
  EXPECT_FALSE(Guid::Parse("72962b91-fa75-4ae6-8d28-b404dc7daf6g").has_value());
}

TEST(NodeIdTest, ToStringUsesThePart6TextForm) {
  EXPECT_EQ(NodeId::Numeric(0, 85).ToString(), "i=85");
  EXPECT_EQ(NodeId::Numeric(3, 85).ToString(), "ns=3;i=85");
  EXPECT_EQ(NodeId::String(2, "Line1.Pump7").ToString(), "ns=2;s=Line1.Pump7");
  EXPECT_EQ(NodeId::Opaque(1, "\x01\x02\x03").ToString(), "ns=1;b=AQID");
  EXPECT_EQ(NodeId::Opaque(1, "ab").ToString(), "ns=1;b=YWI=");
  EXPECT_EQ(NodeId::FromGuid(1, *Guid::Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63")).ToString(),
            "ns=1;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63");
}

TEST(NodeIdTest, ParseInvertsToString) {
  const NodeId ids[] = {
      NodeId::Numeric(0, 85),
      NodeId::Numeric(65535, 4294967295u),
      NodeId::String(2, "a;b=c s"),
      NodeId::Opaque(1, std::string("\x00\xFF\x10", 3)),
      NodeId::Opaque(7, "abcd"),
      NodeId::FromGuid(0, *Guid::Parse("00000000-0000-0000-0000-000000000001")),
  };
  for (const NodeId& id : ids) {
    auto parsed = ParseNodeId(id.ToString());
    ASSERT_TRUE(parsed.ok()) << id.ToString() << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, id) << id.ToString();
  }
}

TEST(NodeIdTest, ParseRejectsMalformedTextAndSaysWhy) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case cases[] = {
      {"", "identifier must start"},
      {"x=1", "identifier must start"},
      {"ns=2", "missing ';'"},
      {"ns=70000;i=1", "0..65535"},
      {"ns=;i=1", "0..65535"},
      {"i=12a", "numeric identifier"},
      {"i=4294967296", "numeric identifier"},
      {"ns=1;s=", "string identifier is empty"},
      {"g=1234", "guid identifier"},
      {"b=@@@@", "base64"},
      {"b=QQ=", "base64"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseNodeId(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.problem)) << c.text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(std::string("'") + c.text + "'"));
  }
}

TEST(NodeIdTest, NullIsNamespaceZeroNumericZero) {
  EXPECT_TRUE(NodeId().is_null());
  EXPECT_FALSE(NodeId::Numeric(1, 0).is_null());
  EXPECT_FALSE(NodeId::String(0, "").is_null());
}

TEST(BuiltinTypeTest, NamesFollowTable1) {
  EXPECT_EQ(BuiltinTypeName(BuiltinType::kNull), "Null");
  EXPECT_EQ(BuiltinTypeName(BuiltinType::kInt32), "Int32");
  EXPECT_EQ(BuiltinTypeName(BuiltinType::kExpandedNodeId), "ExpandedNodeId");
  EXPECT_EQ(BuiltinTypeName(BuiltinType::kDiagnosticInfo), "DiagnosticInfo");
  EXPECT_EQ(BuiltinTypeName(static_cast<BuiltinType>(26)), "Unknown");
}

TEST(StatusCodesTest, NamesIgnoreInfoBitsAndUnknownCodesShowHex) {
  EXPECT_EQ(UaStatusCodeName(kBadNodeIdUnknown), "BadNodeIdUnknown");
  EXPECT_EQ(UaStatusCodeName(kBadNodeIdUnknown | 0x0400), "BadNodeIdUnknown");
  EXPECT_EQ(UaStatusCodeName(kGood), "Good");
  EXPECT_EQ(UaStatusCodeName(0x80AB0000), "");
  EXPECT_EQ(DescribeUaStatus(kBadSessionIdInvalid), "BadSessionIdInvalid (0x80250000)");
  EXPECT_EQ(DescribeUaStatus(0x80AB0000), "0x80AB0000");
}

TEST(StatusCodesTest, SeverityComesFromTheTopTwoBits) {
  EXPECT_TRUE(IsGood(kGood));
  EXPECT_TRUE(IsGood(kGoodClamped));
  EXPECT_TRUE(IsUncertain(kUncertainLastUsableValue));
  EXPECT_FALSE(IsBad(kUncertainLastUsableValue));
  EXPECT_TRUE(IsBad(kBadTimeout));
  EXPECT_TRUE(IsBad(0xC0000000));
  EXPECT_FALSE(IsGood(kBadTimeout));
}

}  // namespace
}  // namespace strata::opcua
