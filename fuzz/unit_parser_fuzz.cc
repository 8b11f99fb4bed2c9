// libFuzzer target for the UCUM parser (core/units.h): unit codes arrive from configuration
// and device payloads, so ParseUnit must reject any byte string cleanly.
//
// Input: one unit code, or two separated by the first '\n' ("[degF]\nCel"); a newline is
// never part of a valid code. Besides "no crash, no UB, no hang", it checks the contract:
// parsed factors are finite and positive, a unit converts to itself as the identity, and a
// conversion succeeds exactly when the dimensions match.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/units.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckUnit(const strata::Unit& unit) {
  Check(std::isfinite(unit.factor) && unit.factor > 0.0);
  Check(std::isfinite(unit.offset));
  Check(!strata::DimensionName(unit).empty());
  const strata::StatusOr<strata::UnitConversion> self = strata::ConvertUnits(unit, unit);
  Check(self.ok() && self->IsIdentity());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view first = input.substr(0, newline);
  const strata::StatusOr<strata::Unit> from = strata::ParseUnit(first);
  if (from.ok()) CheckUnit(*from);
  if (newline == std::string_view::npos) return 0;

  const std::string_view second = input.substr(newline + 1);
  const strata::StatusOr<strata::Unit> to = strata::ParseUnit(second);
  if (to.ok()) CheckUnit(*to);
  if (!from.ok() || !to.ok()) return 0;

  const strata::StatusOr<strata::UnitConversion> conversion = strata::ConvertUnits(*from, *to);
  if (!from->SameDimension(*to)) {
    Check(!conversion.ok());
    return 0;
  }
  if (conversion.ok()) {
    Check(std::isfinite(conversion->scale) && conversion->scale != 0.0);
    Check(std::isfinite(conversion->offset));
  }
  const strata::StatusOr<strata::UnitConversion> by_code = strata::ConvertUnits(first, second);
  Check(by_code.ok() == conversion.ok());
  return 0;
}
