#include "core/bearing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace strata {
namespace {

// A 6205 deep-groove ball bearing: 9 balls of 7.94 mm on a 39.04 mm pitch circle, radial
// contact. Published defect orders: BPFO 3.585, BPFI 5.415, FTF 0.398, BSF 2.357.
TEST(ComputeDefectOrdersTest, Bearing6205MatchesPublishedOrders) {
  const BearingGeometry g{9, 7.94, 39.04, 0.0};
  const DefectOrders o = ComputeDefectOrders(g);
  // Independently: d/D = 0.203381...
  const double r = 7.94 / 39.04;
  EXPECT_NEAR(o.bpfo, 4.5 * (1 - r), 1e-12);
  EXPECT_NEAR(o.bpfi, 4.5 * (1 + r), 1e-12);
  EXPECT_NEAR(o.ftf, 0.5 * (1 - r), 1e-12);
  EXPECT_NEAR(o.bsf, 39.04 / (2 * 7.94) * (1 - r * r), 1e-12);
  EXPECT_NEAR(o.bpfo, 3.585, 1e-3);
  EXPECT_NEAR(o.bpfi, 5.415, 1e-3);
  EXPECT_NEAR(o.ftf, 0.398, 1e-3);
  EXPECT_NEAR(o.bsf, 2.357, 1e-3);
  // The ball pass frequencies add up to n, and BPFO = n * FTF.
  EXPECT_NEAR(o.bpfo + o.bpfi, 9.0, 1e-12);
  EXPECT_NEAR(o.bpfo, 9 * o.ftf, 1e-12);
}

// An angular-contact bearing: the contact angle shortens the effective ball diameter by
// cos(phi), which moves BPFO up and BPFI down.
TEST(ComputeDefectOrdersTest, ContactAngleShrinksEffectiveBallDiameter) {
  const BearingGeometry g{12, 10.0, 50.0, 40.0};
  const DefectOrders o = ComputeDefectOrders(g);
  const double r = 10.0 / 50.0 * std::cos(40.0 * std::numbers::pi / 180.0);  // 0.153209
  EXPECT_NEAR(o.bpfo, 6 * (1 - r), 1e-12);
  EXPECT_NEAR(o.bpfi, 6 * (1 + r), 1e-12);
  EXPECT_NEAR(o.ftf, 0.5 * (1 - r), 1e-12);
  EXPECT_NEAR(o.bsf, 2.5 * (1 - r * r), 1e-12);
  EXPECT_NEAR(o.bpfo, 5.0807, 1e-4);
  EXPECT_NEAR(o.bpfi, 6.9193, 1e-4);

  const DefectOrders radial = ComputeDefectOrders(BearingGeometry{12, 10.0, 50.0, 0.0});
  EXPECT_GT(o.bpfo, radial.bpfo);
  EXPECT_LT(o.bpfi, radial.bpfi);
}

}  // namespace
}  // namespace strata
