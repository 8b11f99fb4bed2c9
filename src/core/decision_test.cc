#include "core/decision.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace strata {
namespace {

TEST(DecisionTest, RoundTripsThroughJsonWithNanAsNull) {
  Decision d;
  d.trace_id = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  d.asset = "acme/plant-1/line-1/pump-02";
  d.window_start_ns = 1;
  d.window_end_ns = 2;
  d.decided_ns = 3;
  d.first_seq = 10;
  d.last_seq = 20;
  d.model_name = "bearing-fault";
  d.model_version = "3";
  d.model_sha256 = std::string(64, 'a');
  d.score = 0.875;
  d.threshold = 0.5;
  d.label = "fault";
  d.features = {{"a", 1.5}, {"b", std::nan("")}};
  d.top = {{"a", 1.5, 2.25}};
  d.bias = -1.0;
  const std::string json = DecisionToJson(d);
  EXPECT_NE(json.find("null"), std::string::npos);
  auto back = DecisionFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->trace_id, d.trace_id);
  EXPECT_EQ(back->asset, d.asset);
  EXPECT_EQ(back->last_seq, 20u);
  EXPECT_EQ(back->model_sha256, d.model_sha256);
  EXPECT_DOUBLE_EQ(back->score, 0.875);
  ASSERT_EQ(back->features.size(), 2u);
  EXPECT_TRUE(std::isnan(back->features[1].second));
  ASSERT_EQ(back->top.size(), 1u);
  EXPECT_DOUBLE_EQ(back->top[0].contribution, 2.25);
  EXPECT_FALSE(DecisionFromJson("{\"asset\": 1}").ok());
  EXPECT_FALSE(DecisionFromJson("not json").ok());
}

TEST(DecisionTest, AlertEventRoundTrips) {
  AlertEvent a;
  a.kind = "open";
  a.alert_id = "x";
  a.asset = "p";
  a.model_name = "m";
  a.model_version = "1";
  a.ts_ns = 5;
  a.opened_ns = 5;
  a.score = 0.9;
  a.trace_id = "t";
  a.reasons = {{"f", 1, 0.5}};
  auto back = AlertEventFromJson(AlertEventToJson(a));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kind, "open");
  EXPECT_EQ(back->reasons[0].feature, "f");
}

TEST(DecisionTest, TraceparentsAreW3CFormatAndDistinct) {
  std::mt19937_64 rng(1);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewTraceparent(rng);
    ASSERT_TRUE(IsValidTraceparent(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(IsValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(IsValidTraceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  EXPECT_FALSE(IsValidTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(IsValidTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"));
}

}  // namespace
}  // namespace strata
