// PLACEHOLDER — being written (UCUM units). Replaced wholesale by the real implementation.
#include "core/units.h"

namespace strata {
StatusOr<Unit> ParseUnit(std::string_view code) {
  Unit u;
  u.code = std::string(code);
  return u;
}
StatusOr<UnitConversion> ConvertUnits(const Unit&, const Unit&) { return UnitConversion{}; }
StatusOr<UnitConversion> ConvertUnits(std::string_view, std::string_view) {
  return UnitConversion{};
}
std::string DimensionName(const Unit&) { return "unknown"; }
}  // namespace strata
