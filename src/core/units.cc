#include "core/units.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <optional>

namespace strata {
namespace {

using Dims = std::array<int, 7>;

// Bounds that keep a hostile code cheap to reject: the parser recurses once per '(' level.
constexpr size_t kMaxCodeLength = 256;
constexpr int kMaxNesting = 8;
constexpr int kMaxExponent = 99;

// Dimension exponents in the order of Unit::dims: m, kg, s, A, K, mol, cd.
constexpr Dims D(int m = 0, int kg = 0, int s = 0, int a = 0, int k = 0, int mol = 0, int cd = 0) {
  return {m, kg, s, a, k, mol, cd};
}

constexpr const char* kDimSymbols[7] = {"m", "kg", "s", "A", "K", "mol", "cd"};

// Exact definitions (UCUM ucum-essence.xml; international yard and pound of 1959).
constexpr double kInch = 0.0254;                           // m
constexpr double kFoot = 12 * kInch;                       // m
constexpr double kPound = 0.45359237;                      // kg
constexpr double kStandardGravity = 9.80665;               // m/s2
constexpr double kPoundForce = kPound * kStandardGravity;  // N
constexpr double kFahrenheitScale = 5.0 / 9.0;             // K per degF

struct Atom {
  std::string_view code;
  double factor;  // SI value of one unit
  Dims dims;
  bool metric;  // takes decimal prefixes (UCUM's isMetric), except Cel: see below
  double offset = 0.0;
};

// Atoms are matched case-sensitively and before any prefix split, so "cd" is candela (not
// centi-day), "min" is minute, "Pa" is pascal and "h" is hour while "hPa" is hecto-pascal.
constexpr Atom kAtoms[] = {
    // SI base units; the gram is UCUM's base of mass, the kilogram SI's.
    {"m", 1.0, D(1), true},
    {"g", 1e-3, D(0, 1), true},
    {"s", 1.0, D(0, 0, 1), true},
    {"A", 1.0, D(0, 0, 0, 1), true},
    {"K", 1.0, D(0, 0, 0, 0, 1), true},
    {"mol", 1.0, D(0, 0, 0, 0, 0, 1), true},
    {"cd", 1.0, D(0, 0, 0, 0, 0, 0, 1), true},
    // Derived SI units.
    {"N", 1.0, D(1, 1, -2), true},
    {"Pa", 1.0, D(-1, 1, -2), true},
    {"J", 1.0, D(2, 1, -2), true},
    {"W", 1.0, D(2, 1, -3), true},
    {"V", 1.0, D(2, 1, -3, -1), true},
    {"C", 1.0, D(0, 0, 1, 1), true},
    {"Ohm", 1.0, D(2, 1, -3, -2), true},
    {"S", 1.0, D(-2, -1, 3, 2), true},
    {"Hz", 1.0, D(0, 0, -1), true},
    // Angles are dimensionless here (UCUM gives rad its own dimension).
    {"rad", 1.0, D(), true},
    {"deg", std::numbers::pi / 180.0, D(), false},
    // Accepted non-SI units.
    {"L", 1e-3, D(3), true},
    {"l", 1e-3, D(3), true},
    {"t", 1e3, D(0, 1), true},
    {"bar", 1e5, D(-1, 1, -2), true},
    {"min", 60.0, D(0, 0, 1), false},
    {"h", 3600.0, D(0, 0, 1), false},
    {"d", 86400.0, D(0, 0, 1), false},
    {"cal", 4.184, D(2, 1, -2), true},  // thermochemical calorie
    {"atm", 101325.0, D(-1, 1, -2), false},
    {"m[Hg]", 133322.0, D(-1, 1, -2), true},  // so "mm[Hg]" is 133.322 Pa
    {"m[H2O]", 9806.65, D(-1, 1, -2), true},  // so "mm[H2O]" is 9.80665 Pa
    {"[g]", kStandardGravity, D(1, 0, -2), true},
    // Ratios and powers of ten ("10*3" is 10 to the power 3).
    {"%", 1e-2, D(), false},
    {"[ppm]", 1e-6, D(), false},
    {"[ppb]", 1e-9, D(), false},
    {"10*", 10.0, D(), false},
    {"10^", 10.0, D(), false},
    // Customary (international) units.
    {"[in_i]", kInch, D(1), false},
    {"[ft_i]", kFoot, D(1), false},
    {"[yd_i]", 3 * kFoot, D(1), false},
    {"[mi_i]", 5280 * kFoot, D(1), false},
    {"[gal_us]", 231 * kInch* kInch* kInch, D(3), false},
    {"[lb_av]", kPound, D(0, 1), false},
    {"[lbf_av]", kPoundForce, D(1, 1, -2), false},
    {"[psi]", kPoundForce / (kInch * kInch), D(-1, 1, -2), false},
    {"[HP]", 550 * kFoot* kPoundForce, D(2, 1, -3), false},  // mechanical horsepower
    // UCUM defines [Btu] as the thermochemical Btu; the international table Btu, which US
    // utility and HVAC data usually mean, is [Btu_IT].
    {"[Btu]", 1054.35, D(2, 1, -2), false},
    {"[Btu_th]", 1054.35, D(2, 1, -2), false},
    {"[Btu_IT]", 1055.05585262, D(2, 1, -2), false},
    // Offset scales: value_K = value * factor + offset. UCUM marks Cel as metric, but a
    // prefixed Celsius ("mCel") has no sensible offset, so no prefix is accepted.
    {"Cel", 1.0, D(0, 0, 0, 0, 1), false, 273.15},
    {"[degF]", kFahrenheitScale, D(0, 0, 0, 0, 1), false, 459.67 * kFahrenheitScale},
};

struct Prefix {
  std::string_view code;
  double factor;
};

// "da" first: the longest prefix is tried first.
constexpr Prefix kPrefixes[] = {
    {"da", 1e1}, {"Y", 1e24},  {"Z", 1e21},  {"E", 1e18},  {"P", 1e15},  {"T", 1e12},  {"G", 1e9},
    {"M", 1e6},  {"k", 1e3},   {"h", 1e2},   {"d", 1e-1},  {"c", 1e-2},  {"m", 1e-3},  {"u", 1e-6},
    {"n", 1e-9}, {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24},
};

// Common non-UCUM spellings and what to write instead, offered with "unknown atom" errors.
struct Hint {
  std::string_view written;
  std::string_view ucum;
};
constexpr Hint kHints[] = {
    {"degC", "Cel"},      {"degF", "[degF]"},  {"F", "[degF]"},     {"psi", "[psi]"},
    {"in", "[in_i]"},     {"ft", "[ft_i]"},    {"yd", "[yd_i]"},    {"mi", "[mi_i]"},
    {"lb", "[lb_av]"},    {"lbs", "[lb_av]"},  {"lbf", "[lbf_av]"}, {"hp", "[HP]"},
    {"HP", "[HP]"},       {"Btu", "[Btu_IT]"}, {"BTU", "[Btu_IT]"}, {"rpm", "{rev}/min"},
    {"RPM", "{rev}/min"}, {"kWh", "kW.h"},     {"Wh", "W.h"},       {"MWh", "MW.h"},
    {"sec", "s"},         {"hr", "h"},         {"gal", "[gal_us]"}, {"ohm", "Ohm"},
    {"ppm", "[ppm]"},     {"ppb", "[ppb]"},    {"mmHg", "mm[Hg]"},  {"mmH2O", "mm[H2O]"},
    {"kph", "km/h"},      {"mph", "[mi_i]/h"}, {"G", "[g]"},        {"gpm", "[gal_us]/min"},
};

struct NamedDimension {
  Dims dims;
  std::string_view name;
};

// Several quantities share a dimension: N.m is both energy and torque, and is named "energy".
constexpr NamedDimension kNamedDimensions[] = {
    {D(), "dimensionless"},
    {D(1), "length"},
    {D(2), "area"},
    {D(3), "volume"},
    {D(0, 0, 1), "time"},
    {D(0, 0, -1), "frequency"},
    {D(0, 1), "mass"},
    {D(1, 0, -1), "velocity"},
    {D(1, 0, -2), "acceleration"},
    {D(1, 1, -2), "force"},
    {D(-1, 1, -2), "pressure"},
    {D(2, 1, -2), "energy"},
    {D(2, 1, -3), "power"},
    {D(0, 0, 0, 1), "current"},
    {D(2, 1, -3, -1), "voltage"},
    {D(0, 0, 1, 1), "charge"},
    {D(2, 1, -3, -2), "resistance"},
    {D(-2, -1, 3, 2), "conductance"},
    {D(0, 0, 0, 0, 1), "temperature"},
    {D(0, 0, 0, 0, 0, 1), "amount of substance"},
    {D(0, 0, 0, 0, 0, 0, 1), "luminous intensity"},
    {D(3, 0, -1), "volume flow"},
    {D(0, 1, -1), "mass flow"},
    {D(-3, 1), "density"},
};

const Atom* FindAtom(std::string_view code) {
  for (const Atom& atom : kAtoms) {
    if (atom.code == code) return &atom;
  }
  return nullptr;
}

std::optional<std::string_view> FindHint(std::string_view written) {
  for (const Hint& hint : kHints) {
    if (hint.written == written) return hint.ucum;
  }
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The code as it goes into an error message: bytes outside printable ASCII escaped, and
// overlong codes cut, so that a message stays one readable line whatever the input.
std::string Printable(std::string_view code) {
  constexpr size_t kShown = 64;
  std::string out;
  for (size_t i = 0; i < code.size() && i < kShown; ++i) {
    const auto byte = static_cast<unsigned char>(code[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out += code[i];
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  if (code.size() > kShown) out += "...";
  return out;
}

// A partial result: the SI factor and dimension of a product of components.
struct Term {
  double factor = 1.0;
  Dims dims{};
};

// Recursive-descent parser over UCUM's grammar, restricted to what industrial data uses:
//   main      := '/'? term
//   term      := component (('.' | '/') component)*      left-associative: a/b/c = a/(b.c)
//   component := '(' main ')' | annotation | factor | simple exponent? annotation?
//   simple    := atom | prefix metric-atom
//   exponent  := ('+' | '-')? digits
// A Parser is used once, by one thread.
class Parser {
 public:
  explicit Parser(std::string_view code) : code_(code) {}

  StatusOr<Unit> Parse() {
    if (code_.empty()) {
      return InvalidArgumentError(
          "unit '': the code is empty; write a UCUM code such as 'm/s', 'kPa' or '1'");
    }
    if (code_.size() > kMaxCodeLength) {
      return Error(fmt::format("the code is {} characters long; the limit is {}", code_.size(),
                               kMaxCodeLength));
    }
    for (size_t i = 0; i < code_.size(); ++i) {
      const auto byte = static_cast<unsigned char>(code_[i]);
      if (IsWhitespace(code_[i])) {
        return Error(fmt::format(
            "whitespace at position {}; UCUM codes contain no spaces (write 'kW.h', not 'kW h')",
            i));
      }
      if (byte < 0x21 || byte > 0x7e) {
        return Error(fmt::format(
            "byte 0x{:02x} at position {} is not printable ASCII; write the UCUM code, e.g. "
            "'Cel' for a degree Celsius",
            byte, i));
      }
    }
    Term term;
    STRATA_RETURN_IF_ERROR(ParseMain(0, &term));
    if (pos_ < code_.size()) {
      if (code_[pos_] == ')') {
        return Error(fmt::format("unmatched ')' at position {}", pos_));
      }
      return Error(fmt::format("unexpected '{}' at position {}; join units with '.' or '/'",
                               code_[pos_], pos_));
    }
    Unit unit;
    unit.code = std::string(code_);
    unit.factor = term.factor;
    unit.dims = term.dims;
    if (offset_atom_ != nullptr) {
      // UCUM would accept "Cel/s" as a rate, but with an offset the conversion of a product
      // is no longer value * factor + offset, so an offset unit must stand alone (annotations
      // aside). The dimension check also catches a divided one, as in "/Cel" or "1/Cel".
      if (unit_components_ != 1 || term.dims != offset_atom_->dims) {
        return OffsetCombinedError();
      }
      unit.offset = offset_atom_->offset;
    }
    return unit;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgumentError(fmt::format("unit '{}': {}", Printable(code_), what));
  }

  Status OffsetCombinedError() const {
    return Error(fmt::format(
        "offset unit '{}' at position {} cannot be combined; use K for temperature differences "
        "and rates",
        offset_atom_->code, offset_pos_));
  }

  bool At(char c) const { return pos_ < code_.size() && code_[pos_] == c; }

  // Folds `part` (the component at `position`) into `acc`, multiplying or dividing.
  Status Combine(const Term& part, bool divide, size_t position, Term* acc) const {
    acc->factor = divide ? acc->factor / part.factor : acc->factor * part.factor;
    for (size_t i = 0; i < acc->dims.size(); ++i) {
      acc->dims[i] += divide ? -part.dims[i] : part.dims[i];
    }
    if (!std::isfinite(acc->factor) || acc->factor == 0.0) {
      return Error(fmt::format("the magnitude overflows a double at position {}", position));
    }
    return Status::Ok();
  }

  Status ParseMain(int depth, Term* out) {
    if (depth > kMaxNesting) {
      return Error(fmt::format("parentheses nested deeper than {} at position {}", kMaxNesting,
                               pos_ == 0 ? 0 : pos_ - 1));
    }
    Term acc;
    bool divide = false;
    if (At('/')) {  // "/min" is the reciprocal of a minute
      divide = true;
      ++pos_;
    }
    while (true) {
      const size_t position = pos_;
      Term part;
      STRATA_RETURN_IF_ERROR(ParseComponent(depth, &part));
      STRATA_RETURN_IF_ERROR(Combine(part, divide, position, &acc));
      if (At('.')) {
        divide = false;
      } else if (At('/')) {
        divide = true;
      } else {
        break;
      }
      ++pos_;
    }
    *out = acc;
    return Status::Ok();
  }

  Status ParseComponent(int depth, Term* out) {
    if (pos_ >= code_.size()) {
      return Error(fmt::format("expected a unit at position {} (end of the code)", pos_));
    }
    const char c = code_[pos_];
    if (c == '(') {
      const size_t open = pos_++;
      STRATA_RETURN_IF_ERROR(ParseMain(depth + 1, out));
      if (pos_ >= code_.size()) {
        return Error(fmt::format("unclosed '(' at position {}", open));
      }
      if (code_[pos_] != ')') {
        return Error(fmt::format("unexpected '{}' at position {}; join units with '.' or '/'",
                                 code_[pos_], pos_));
      }
      ++pos_;
      if (pos_ < code_.size() &&
          (IsDigit(code_[pos_]) || code_[pos_] == '-' || code_[pos_] == '+')) {
        return Error(fmt::format(
            "exponent after ')' at position {}; UCUM puts exponents on atoms only, so write "
            "'m2/s2', not '(m/s)2'",
            pos_));
      }
      return Status::Ok();
    }
    if (c == '{') {
      *out = Term{};
      return ParseAnnotation();
    }
    if (c == '.' || c == '/' || c == ')') {
      return Error(fmt::format("expected a unit at position {}, found '{}'", pos_, c));
    }
    return ParseSimpleUnit(out);
  }

  // "{rev}": a label with value 1. Any printable ASCII but braces may appear inside.
  Status ParseAnnotation() {
    const size_t open = pos_++;
    while (pos_ < code_.size() && code_[pos_] != '}') {
      if (code_[pos_] == '{') {
        return Error(
            fmt::format("'{{' at position {} inside the annotation opened at {}", pos_, open));
      }
      ++pos_;
    }
    if (pos_ >= code_.size()) {
      return Error(fmt::format("unclosed '{{' at position {}", open));
    }
    ++pos_;
    return Status::Ok();
  }

  // A factor ("1000"), or an atom with optional prefix, exponent and annotation ("km2{land}").
  Status ParseSimpleUnit(Term* out) {
    const size_t start = pos_;
    while (pos_ < code_.size()) {
      const char c = code_[pos_];
      if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{') break;
      if (c == '[') {  // "[in_i]", "m[Hg]": a '.' or '/' inside brackets is part of the atom
        const size_t close = code_.find(']', pos_);
        if (close == std::string_view::npos) {
          return Error(fmt::format("unclosed '[' at position {}", pos_));
        }
        pos_ = close + 1;
        continue;
      }
      ++pos_;
    }
    const std::string_view token = code_.substr(start, pos_ - start);

    size_t digits = token.size();
    while (digits > 0 && IsDigit(token[digits - 1])) --digits;
    if (digits == 0) {  // a bare integer factor
      double value = 0.0;
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) {
        return Error(fmt::format("factor '{}' at position {} is out of range", token, start));
      }
      if (value == 0.0) {
        return Error(fmt::format("factor '{}' at position {} is zero", token, start));
      }
      if (At('{')) {
        return Error(fmt::format(
            "annotation after the number '{}' at position {}; annotate a unit, e.g. '{{rev}}'",
            token, start));
      }
      ++unit_components_;
      *out = Term{value, D()};
      return Status::Ok();
    }

    size_t name_end = digits;
    int exponent = 1;
    const bool has_exponent = digits < token.size();
    if (has_exponent) {
      int sign = 1;
      if (token[digits - 1] == '-' || token[digits - 1] == '+') {
        sign = token[digits - 1] == '-' ? -1 : 1;
        --name_end;
      }
      int magnitude = 0;
      for (size_t i = digits; i < token.size(); ++i) {
        magnitude = magnitude * 10 + (token[i] - '0');
        if (magnitude > kMaxExponent) {
          return Error(fmt::format("exponent at position {} is beyond +/-{}", start + name_end,
                                   kMaxExponent));
        }
      }
      exponent = sign * magnitude;
    }
    const std::string_view name = token.substr(0, name_end);
    if (name.empty()) {
      return Error(fmt::format("exponent at position {} follows no unit", start));
    }

    STRATA_ASSIGN_OR_RETURN(const Atom* atom, ResolveAtom(name, start, out));
    if (atom->offset != 0.0) {
      if (offset_atom_ == nullptr) {
        offset_atom_ = atom;
        offset_pos_ = start;
      }
      if (has_exponent) return OffsetCombinedError();
    }
    ++unit_components_;

    const double factor = std::pow(out->factor, exponent);
    if (!std::isfinite(factor) || factor == 0.0) {
      return Error(
          fmt::format("the magnitude of '{}' at position {} overflows a double", token, start));
    }
    out->factor = factor;
    for (int& dim : out->dims) dim *= exponent;

    if (At('{')) return ParseAnnotation();
    return Status::Ok();
  }

  // Resolves `name` (at `position`) as an atom, else as a prefix and a metric atom. Sets
  // `out` to the unit before any exponent.
  StatusOr<const Atom*> ResolveAtom(std::string_view name, size_t position, Term* out) const {
    if (const Atom* atom = FindAtom(name)) {
      *out = Term{atom->factor, atom->dims};
      return atom;
    }
    for (const Prefix& prefix : kPrefixes) {
      if (!name.starts_with(prefix.code)) continue;
      const Atom* atom = FindAtom(name.substr(prefix.code.size()));
      if (atom == nullptr) continue;
      if (!atom->metric) {
        return Error(fmt::format("atom '{}' takes no prefix ('{}' at position {})", atom->code,
                                 prefix.code, position));
      }
      *out = Term{prefix.factor * atom->factor, atom->dims};
      return atom;
    }
    if (const std::optional<std::string_view> hint = FindHint(name)) {
      return Error(fmt::format("unknown atom '{}' at position {}; did you mean '{}'?", name,
                               position, *hint));
    }
    return Error(fmt::format(
        "unknown atom '{}' at position {}; write a case-sensitive UCUM code, e.g. 'kPa', "
        "'m/s2', '[in_i]'",
        name, position));
  }

  std::string_view code_;
  size_t pos_ = 0;
  int unit_components_ = 0;  // atoms and factors seen; annotations do not count
  const Atom* offset_atom_ = nullptr;
  size_t offset_pos_ = 0;
};

}  // namespace

StatusOr<Unit> ParseUnit(std::string_view code) { return Parser(code).Parse(); }

StatusOr<UnitConversion> ConvertUnits(const Unit& from, const Unit& to) {
  if (!from.SameDimension(to)) {
    return InvalidArgumentError(fmt::format("cannot convert '{}' ({}) to '{}' ({})",
                                            Printable(from.code), DimensionName(from),
                                            Printable(to.code), DimensionName(to)));
  }
  // x*f1 + o1 = y*f2 + o2 (both sides in SI)  =>  y = x*(f1/f2) + (o1 - o2)/f2.
  UnitConversion conversion;
  conversion.scale = from.factor / to.factor;
  conversion.offset = (from.offset - to.offset) / to.factor;
  if (!std::isfinite(conversion.scale) || conversion.scale == 0.0 ||
      !std::isfinite(conversion.offset)) {
    return InvalidArgumentError(
        fmt::format("cannot convert '{}' to '{}': the scale {} is not a usable number",
                    Printable(from.code), Printable(to.code), conversion.scale));
  }
  return conversion;
}

StatusOr<UnitConversion> ConvertUnits(std::string_view from, std::string_view to) {
  STRATA_ASSIGN_OR_RETURN(const Unit from_unit, ParseUnit(from));
  STRATA_ASSIGN_OR_RETURN(const Unit to_unit, ParseUnit(to));
  return ConvertUnits(from_unit, to_unit);
}

std::string DimensionName(const Unit& unit) {
  for (const NamedDimension& named : kNamedDimensions) {
    if (named.dims == unit.dims) return std::string(named.name);
  }
  std::string out;
  for (size_t i = 0; i < unit.dims.size(); ++i) {
    if (unit.dims[i] == 0) continue;
    if (!out.empty()) out += '.';
    out += kDimSymbols[i];
    if (unit.dims[i] != 1) out += std::to_string(unit.dims[i]);
  }
  return out;
}

}  // namespace strata
