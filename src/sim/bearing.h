// Rolling-element bearing kinematics: the defect frequencies that vibration analysis looks
// for, from bearing geometry. Pure functions, thread-safe.
#pragma once

namespace strata::sim {

struct BearingGeometry {
  int rolling_elements = 9;         // n
  double ball_diameter_mm = 7.94;   // d
  double pitch_diameter_mm = 39.04; // D
  double contact_angle_deg = 0.0;   // phi
};

// Defect frequencies as multiples of the shaft rotation frequency (orders):
//   FTF  = 1/2 (1 - d/D cos phi)                 cage (fundamental train)
//   BSF  = D/(2d) (1 - (d/D cos phi)^2)          ball spin
//   BPFO = n/2 (1 - d/D cos phi)                 ball pass, outer race
//   BPFI = n/2 (1 + d/D cos phi)                 ball pass, inner race
struct DefectOrders {
  double ftf = 0;
  double bsf = 0;
  double bpfo = 0;
  double bpfi = 0;
};

DefectOrders ComputeDefectOrders(const BearingGeometry& g);

}  // namespace strata::sim
