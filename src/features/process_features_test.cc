#include "features/process_features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace strata::features {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kEpoch2026 = 1'780'000'000 * kSec;  // realistic timestamps

std::vector<ScalarSample> Samples(std::vector<std::pair<double, double>> t_s_and_values) {
  std::vector<ScalarSample> out;
  uint64_t seq = 0;
  for (auto [t, v] : t_s_and_values) {
    out.push_back(ScalarSample{kEpoch2026 + static_cast<int64_t>(t * 1e9), v, ++seq});
  }
  return out;
}

TEST(ProcessFeaturesTest, ClosedFormStatistics) {
  const auto x = Samples({{0, 1}, {1, 2}, {2, 3}, {3, 4}});
  EXPECT_DOUBLE_EQ(Mean(x), 2.5);
  EXPECT_DOUBLE_EQ(StdDev(x), std::sqrt(1.25));  // population: divides by n
  EXPECT_DOUBLE_EQ(Min(x), 1);
  EXPECT_DOUBLE_EQ(Max(x), 4);
  EXPECT_DOUBLE_EQ(Last(x), 4);
}

TEST(ProcessFeaturesTest, SlopeOfARampIsPerSecond) {
  // 0.25 units per second, sampled every 500 ms, at epoch-scale timestamps.
  std::vector<std::pair<double, double>> ramp;
  for (int i = 0; i < 120; ++i) ramp.emplace_back(i * 0.5, 20 + 0.25 * i * 0.5);
  EXPECT_NEAR(Slope(Samples(ramp)), 0.25, 1e-9);
  // Residuals (+1, -1, -1, +1) about the line 10 + 2t are orthogonal to 1 and to t: the
  // least-squares slope is still exactly 2.
  const auto x = Samples({{0, 10 + 1}, {1, 12 - 1}, {2, 14 - 1}, {3, 16 + 1}});
  EXPECT_NEAR(Slope(x), 2.0, 1e-9);
}

TEST(ProcessFeaturesTest, NoDataIsNaN) {
  const std::vector<ScalarSample> none;
  EXPECT_TRUE(std::isnan(Mean(none)));
  EXPECT_TRUE(std::isnan(StdDev(none)));
  EXPECT_TRUE(std::isnan(Min(none)));
  EXPECT_TRUE(std::isnan(Max(none)));
  EXPECT_TRUE(std::isnan(Last(none)));
  EXPECT_TRUE(std::isnan(Slope(none)));
  EXPECT_TRUE(std::isnan(Slope(Samples({{1, 5}}))));
  EXPECT_TRUE(std::isnan(Slope(Samples({{1, 5}, {1, 6}}))));  // one timestamp
  EXPECT_EQ(StdDev(Samples({{1, 5}})), 0.0);
}

}  // namespace
}  // namespace strata::features
