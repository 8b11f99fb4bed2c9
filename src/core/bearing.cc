#include "core/bearing.h"

#include <cmath>
#include <numbers>

namespace strata {

DefectOrders ComputeDefectOrders(const BearingGeometry& g) {
  const double phi = g.contact_angle_deg * std::numbers::pi / 180.0;
  // r = d/D cos(phi): how far the ball's contact points sit from the pitch circle.
  const double r = g.ball_diameter_mm / g.pitch_diameter_mm * std::cos(phi);
  const double n = g.rolling_elements;
  DefectOrders o;
  o.ftf = 0.5 * (1.0 - r);
  o.bsf = g.pitch_diameter_mm / (2.0 * g.ball_diameter_mm) * (1.0 - r * r);
  o.bpfo = 0.5 * n * (1.0 - r);
  o.bpfi = 0.5 * n * (1.0 + r);
  return o;
}

BearingGeometry ReadBearingGeometry(ConfigNode& node) {
  BearingGeometry g;
  const int64_t n = node.Int("rolling_elements", g.rolling_elements);
  if (n < 3 || n > 1000) {
    node.Get("rolling_elements").Fail("rolling_elements must be 3..1000");
  }
  g.rolling_elements = static_cast<int>(n);
  g.ball_diameter_mm = node.Double("ball_diameter_mm", g.ball_diameter_mm);
  g.pitch_diameter_mm = node.Double("pitch_diameter_mm", g.pitch_diameter_mm);
  g.contact_angle_deg = node.Double("contact_angle_deg", g.contact_angle_deg);
  if (!(g.ball_diameter_mm > 0) || !(g.pitch_diameter_mm > g.ball_diameter_mm)) {
    node.Fail("a bearing needs pitch_diameter_mm > ball_diameter_mm > 0 (millimetres)");
  }
  if (!(g.contact_angle_deg >= 0 && g.contact_angle_deg < 90)) {
    node.Get("contact_angle_deg").Fail("contact_angle_deg must be in [0, 90) degrees");
  }
  return g;
}

}  // namespace strata
