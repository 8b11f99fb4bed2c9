// Rolling-element bearing kinematics: the defect frequencies that vibration analysis looks
// for, from bearing geometry. Asset types declare their bearings (AssetType::bearings); the
// simulator and the vibration features both compute defect frequencies here.
// Pure functions, thread-safe.
#pragma once

#include <string>

#include "core/config_node.h"

namespace strata {

struct BearingGeometry {
  int rolling_elements = 9;          // n
  double ball_diameter_mm = 7.94;    // d
  double pitch_diameter_mm = 39.04;  // D
  double contact_angle_deg = 0.0;    // phi

  bool operator==(const BearingGeometry&) const = default;
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

// Reads the geometry keys of a bearing mapping, each optional with the defaults above:
//   {rolling_elements: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04,
//    contact_angle_deg: 0}
// and checks rolling_elements >= 3, pitch_diameter_mm > ball_diameter_mm > 0 and
// 0 <= contact_angle_deg < 90. Throws ConfigError naming file:line:key. Used by the asset
// model (asset_types.<type>.bearings) and the simulator's plant config (machines[].bearing),
// so both spell a bearing the same way.
BearingGeometry ReadBearingGeometry(ConfigNode& node);

}  // namespace strata
