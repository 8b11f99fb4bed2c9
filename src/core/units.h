// UCUM units: parse a unit code, tell whether two units measure the same quantity, and build
// the linear conversion between them.
//
// Covers the subset industrial data needs: the seven SI base dimensions, decimal prefixes,
// products ('.'), quotients ('/'), integer exponents ("m2", "s-2"), annotations ("{rev}/min"),
// and special units with an offset (Cel, [degF]). Case-sensitive, as UCUM is ("Pa" vs "PA").
// Families covered at least: length, velocity, acceleration (incl. [g]), temperature, current,
// voltage, power, energy, pressure, frequency, time, mass, volume and flow, ratios (%, 1).
//
// Thread-safe: all functions are pure.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// A parsed unit: value_in_coherent_SI = (value * factor) + offset, with SI dimension
// exponents in the order m, kg, s, A, K, mol, cd.
struct Unit {
  double factor = 1.0;
  double offset = 0.0;  // non-zero only for offset scales (Cel, [degF]); never in products
  std::array<int, 7> dims{};
  std::string code;  // as given

  bool SameDimension(const Unit& other) const { return dims == other.dims; }
};

// Parses a UCUM code. Errors name the code and the offending position/atom, e.g.
// "unit 'm/ss': unknown atom 'ss' at position 2".
StatusOr<Unit> ParseUnit(std::string_view code);

// y = x * scale + offset, converting a value in one unit to another.
struct UnitConversion {
  double scale = 1.0;
  double offset = 0.0;
  double Apply(double x) const { return x * scale + offset; }
  bool IsIdentity() const { return scale == 1.0 && offset == 0.0; }
};

// The conversion from `from` to `to`. InvalidArgument when the dimensions differ, e.g.
// "cannot convert 'A' (current) to 'Cel' (temperature)", or when a unit does not parse.
StatusOr<UnitConversion> ConvertUnits(std::string_view from, std::string_view to);
StatusOr<UnitConversion> ConvertUnits(const Unit& from, const Unit& to);

// A short human name of a unit's dimension for error messages: "length", "velocity",
// "acceleration", "temperature", "current", "power", "energy", "pressure", ... or the
// dimension vector written out (e.g. "m.kg.s-3") when it has no common name.
std::string DimensionName(const Unit& unit);

}  // namespace strata
