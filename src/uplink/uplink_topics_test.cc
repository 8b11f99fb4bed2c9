#include "uplink/uplink_topics.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

TEST(UplinkTopicsTest, TopicsFollowTheNamespace) {
  EXPECT_EQ(UplinkTopic("acme", "edge-1", "obs"), "strata/v1/acme/edge/edge-1/up/obs");
  EXPECT_EQ(AckTopic("acme", "edge-1"), "strata/v1/acme/edge/edge-1/ack");
  EXPECT_EQ(DesiredTopic("acme", "edge-1"), "strata/v1/acme/edge/edge-1/desired");
  EXPECT_EQ(ReportedTopic("acme", "edge-1"), "strata/v1/acme/edge/edge-1/reported");
  EXPECT_EQ(UplinkSubscription(""), "strata/v1/+/edge/+/up/+");
  EXPECT_EQ(UplinkSubscription("hubs"), "$share/hubs/strata/v1/+/edge/+/up/+");
}

TEST(UplinkTopicsTest, ParsesWhatItBuildsAndNothingElse) {
  std::optional<EdgeTopic> up = ParseEdgeTopic(UplinkTopic("acme", "edge-1", "dec"));
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->tenant, "acme");
  EXPECT_EQ(up->edge_id, "edge-1");
  EXPECT_EQ(up->kind, "up");
  EXPECT_EQ(up->stream, "dec");
  std::optional<EdgeTopic> reported = ParseEdgeTopic(ReportedTopic("t", "e"));
  ASSERT_TRUE(reported.has_value());
  EXPECT_EQ(reported->kind, "reported");

  for (const char* bad : {"strata/v1/acme/edge/edge-1/up", "strata/v1/acme/edge/edge-1/up/",
                          "strata/v1/acme/edge/edge-1/up/obs/x", "strata/v1/acme/edges/e/ack",
                          "strata/v2/acme/edge/e/ack", "strata/v1/ac me/edge/e/ack",
                          "strata/v1/acme/edge/e/other", "strata/v1/acme/edge//ack", ""}) {
    EXPECT_FALSE(ParseEdgeTopic(bad).has_value()) << bad;
  }
}

TEST(UplinkTopicsTest, IdsMustBeOneTopicLevel) {
  EXPECT_TRUE(ValidateTopicId("edge_1.a-B", "edge id").ok());
  for (const char* bad : {"", "a/b", "a+", "#", "with space"}) {
    Status s = ValidateTopicId(bad, "edge id");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("edge id"), std::string::npos);
  }
  EXPECT_FALSE(ValidateTopicId(std::string(65, 'a'), "tenant").ok());
}

TEST(UplinkTopicsTest, AckRoundTripsAndRejectsGarbage) {
  StatusOr<UplinkAck> ack = DecodeAck(EncodeAck({"obs", 1234567890123ULL}));
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  EXPECT_EQ(ack->stream, "obs");
  EXPECT_EQ(ack->through, 1234567890123ULL);
  for (const char* bad :
       {"", "[]", "{\"stream\":\"obs\"}", "{\"stream\":1,\"through\":2}",
        "{\"stream\":\"obs\",\"through\":-1}", "{\"stream\":\"obs\",\"through\":\"5\"}"}) {
    EXPECT_FALSE(DecodeAck(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace strata
