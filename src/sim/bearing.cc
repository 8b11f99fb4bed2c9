// PLACEHOLDER — being written.
#include "sim/bearing.h"
namespace strata::sim {
DefectOrders ComputeDefectOrders(const BearingGeometry&) { return {}; }
}  // namespace strata::sim
