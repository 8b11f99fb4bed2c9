#include "edge/alert_tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace strata {
namespace {

constexpr int64_t kSec = 1'000'000'000;

ml::AlertPolicy Policy(double open, double clear, int64_t min_s, int64_t cooldown_s) {
  ml::AlertPolicy p;
  p.open_at = open;
  p.clear_below = clear;
  p.min_duration_ns = min_s * kSec;
  p.cooldown_ns = cooldown_s * kSec;
  return p;
}

// Feeds one score every 10 s and returns what happened at each.
std::vector<std::optional<AlertTransition>> Feed(AlertTracker& t, const std::vector<double>& scores,
                                                 int64_t t0 = 0) {
  std::vector<std::optional<AlertTransition>> out;
  for (size_t i = 0; i < scores.size(); ++i) {
    out.push_back(t.Observe(t0 + static_cast<int64_t>(i) * 10 * kSec, scores[i]));
  }
  return out;
}

constexpr auto kOpen = AlertTransition::kOpen;
constexpr auto kClear = AlertTransition::kClear;
const std::optional<AlertTransition> kNone;

TEST(AlertTrackerTest, OpensAtThresholdAndClearsBelowTheLowerOne) {
  AlertTracker t(Policy(0.7, 0.5, 0, 0));
  EXPECT_EQ(Feed(t, {0.2, 0.69, 0.7, 0.9, 0.6, 0.55, 0.49, 0.6}),
            (std::vector<std::optional<AlertTransition>>{kNone, kNone, kOpen, kNone, kNone, kNone,
                                                         kClear, kNone}));
  EXPECT_FALSE(t.open());
}

TEST(AlertTrackerTest, HysteresisKeepsAFlappingScoreFromFlappingTheAlert) {
  AlertTracker t(Policy(0.7, 0.5, 0, 0));
  int transitions = 0;
  for (int i = 0; i < 100; ++i) {
    transitions += t.Observe(i * kSec, i % 2 ? 0.72 : 0.66).has_value();
  }
  EXPECT_EQ(transitions, 1);  // opened once, never cleared
  EXPECT_TRUE(t.open());
}

TEST(AlertTrackerTest, MinimumDurationNeedsASustainedScore) {
  AlertTracker t(Policy(0.7, 0.5, 30, 0));
  // 0 s, 10 s, 20 s above, then a dip: not 30 s yet; then 40..70 s above: opens at 70 s.
  EXPECT_EQ(Feed(t, {0.8, 0.8, 0.8, 0.6, 0.8, 0.8, 0.8, 0.8}),
            (std::vector<std::optional<AlertTransition>>{kNone, kNone, kNone, kNone, kNone, kNone,
                                                         kNone, kOpen}));
  EXPECT_EQ(t.opened_ns(), 70 * kSec);
}

TEST(AlertTrackerTest, CooldownHoldsOffANewAlertAfterAClear) {
  AlertTracker t(Policy(0.7, 0.5, 0, 60));
  // open at 0 s, clear at 10 s, above again from 20 s: held off until 70 s.
  EXPECT_EQ(Feed(t, {0.9, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}),
            (std::vector<std::optional<AlertTransition>>{kOpen, kClear, kNone, kNone, kNone, kNone,
                                                         kNone, kOpen}));
}

TEST(AlertTrackerTest, NanScoresAndOlderDecisionsChangeNothing) {
  AlertTracker t(Policy(0.7, 0.5, 0, 0));
  EXPECT_EQ(t.Observe(100 * kSec, std::numeric_limits<double>::quiet_NaN()), kNone);
  EXPECT_EQ(t.Observe(110 * kSec, 0.9), kOpen);
  EXPECT_EQ(t.Observe(50 * kSec, 0.1), kNone);  // older than the last one
  EXPECT_TRUE(t.open());
  EXPECT_EQ(t.Observe(120 * kSec, std::nan("")), kNone);
  EXPECT_TRUE(t.open());
}

}  // namespace
}  // namespace strata
