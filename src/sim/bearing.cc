#include "sim/bearing.h"

#include <cmath>
#include <numbers>

namespace strata::sim {

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

}  // namespace strata::sim
