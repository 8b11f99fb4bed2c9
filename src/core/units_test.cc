#include "core/units.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <string_view>

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr double kRelTolerance = 1e-12;

// Parses `code`, failing the test (and returning a default Unit) when it does not parse.
Unit Parse(std::string_view code) {
  StatusOr<Unit> unit = ParseUnit(code);
  EXPECT_TRUE(unit.ok()) << unit.status().ToString();
  return unit.ok() ? *unit : Unit{};
}

// The message of the error ParseUnit returns for `code`; fails the test when it parses.
std::string ParseError(std::string_view code) {
  StatusOr<Unit> unit = ParseUnit(code);
  EXPECT_FALSE(unit.ok()) << "'" << code << "' parsed, factor " << unit->factor;
  if (unit.ok()) return "";
  EXPECT_EQ(unit.status().code(), StatusCode::kInvalidArgument);
  return unit.status().message();
}

void ExpectRelNear(double actual, double expected) {
  EXPECT_NEAR(actual, expected, std::abs(expected) * kRelTolerance + 1e-300);
}

// Expects converting `from` to `to` to be a pure scale by `scale`.
void ExpectScale(std::string_view from, std::string_view to, double scale) {
  SCOPED_TRACE(std::string(from) + " -> " + std::string(to));
  StatusOr<UnitConversion> conversion = ConvertUnits(from, to);
  ASSERT_TRUE(conversion.ok()) << conversion.status().ToString();
  ExpectRelNear(conversion->scale, scale);
  EXPECT_EQ(conversion->offset, 0.0);
}

// `x` in `from`, converted to `to`.
double Convert(double x, std::string_view from, std::string_view to) {
  StatusOr<UnitConversion> conversion = ConvertUnits(from, to);
  EXPECT_TRUE(conversion.ok()) << conversion.status().ToString();
  return conversion.ok() ? conversion->Apply(x) : std::nan("");
}

constexpr std::array<int, 7> kLength = {1, 0, 0, 0, 0, 0, 0};
constexpr std::array<int, 7> kMass = {0, 1, 0, 0, 0, 0, 0};
constexpr std::array<int, 7> kTime = {0, 0, 1, 0, 0, 0, 0};
constexpr std::array<int, 7> kTemperature = {0, 0, 0, 0, 1, 0, 0};
constexpr std::array<int, 7> kNone = {};

TEST(ParseUnitTest, BaseAtomsHaveOneDimensionEach) {
  const std::pair<std::string_view, int> base[] = {{"m", 0}, {"kg", 1},  {"s", 2}, {"A", 3},
                                                   {"K", 4}, {"mol", 5}, {"cd", 6}};
  for (const auto& [code, index] : base) {
    SCOPED_TRACE(code);
    const Unit unit = Parse(code);
    std::array<int, 7> expected{};
    expected[index] = 1;
    EXPECT_EQ(unit.dims, expected);
    EXPECT_EQ(unit.factor, 1.0);
    EXPECT_EQ(unit.offset, 0.0);
  }
}

TEST(ParseUnitTest, GramIsAThousandthOfTheSiKilogram) {
  const Unit gram = Parse("g");
  EXPECT_EQ(gram.dims, kMass);
  ExpectRelNear(gram.factor, 1e-3);
}

TEST(ParseUnitTest, KeepsTheCodeAsGiven) {
  EXPECT_EQ(Parse("kW.h").code, "kW.h");
  EXPECT_EQ(Parse("{rev}/min").code, "{rev}/min");
}

TEST(ConvertUnitsTest, Length) {
  ExpectScale("m", "mm", 1000);
  ExpectScale("km", "m", 1000);
  ExpectScale("[in_i]", "mm", 25.4);
  ExpectScale("[ft_i]", "m", 0.3048);
  ExpectScale("[ft_i]", "[in_i]", 12);
  ExpectScale("[yd_i]", "[ft_i]", 3);
  ExpectScale("[mi_i]", "km", 1.609344);
  ExpectScale("um", "m", 1e-6);
  ExpectRelNear(Convert(2, "[in_i]", "cm"), 5.08);
}

TEST(ConvertUnitsTest, Velocity) {
  ExpectScale("m/s", "mm/s", 1000);
  ExpectScale("km/h", "m/s", 1 / 3.6);
  ExpectScale("[in_i]/s", "mm/s", 25.4);
  ExpectScale("[mi_i]/h", "m/s", 0.44704);
  ExpectScale("m.s-1", "m/s", 1);
}

TEST(ConvertUnitsTest, AccelerationIncludingStandardGravity) {
  ExpectScale("[g]", "m/s2", 9.80665);
  ExpectScale("m/s2", "[g]", 1 / 9.80665);
  ExpectScale("m/s2", "mm/s2", 1000);
  ExpectScale("m.s-2", "m/s2", 1);
  ExpectScale("m[g]", "m/s2", 9.80665e-3);  // [g] is metric in UCUM: milli-g
  ExpectRelNear(Convert(2, "[g]", "m/s2"), 19.6133);
}

TEST(ConvertUnitsTest, TemperatureReferencePoints) {
  ExpectRelNear(Convert(212, "[degF]", "Cel"), 100);
  ExpectRelNear(Convert(100, "Cel", "[degF]"), 212);
  EXPECT_NEAR(Convert(32, "[degF]", "Cel"), 0, 1e-12);
  ExpectRelNear(Convert(-40, "[degF]", "Cel"), -40);
  ExpectRelNear(Convert(-40, "Cel", "[degF]"), -40);
  ExpectRelNear(Convert(98.6, "[degF]", "Cel"), 37);
  ExpectRelNear(Convert(0, "Cel", "K"), 273.15);
  EXPECT_NEAR(Convert(273.15, "K", "Cel"), 0, 1e-12);
  ExpectRelNear(Convert(32, "[degF]", "K"), 273.15);
  EXPECT_NEAR(Convert(0, "K", "[degF]"), -459.67, 1e-12);
  ExpectRelNear(Convert(300, "K", "K"), 300);
}

TEST(ConvertUnitsTest, FahrenheitToCelsiusIsScaleAndOffset) {
  StatusOr<UnitConversion> conversion = ConvertUnits("[degF]", "Cel");
  ASSERT_TRUE(conversion.ok()) << conversion.status().ToString();
  ExpectRelNear(conversion->scale, 5.0 / 9.0);
  ExpectRelNear(conversion->offset, -32.0 * 5.0 / 9.0);
}

TEST(ConvertUnitsTest, TemperatureRoundTrips) {
  for (const double celsius : {-273.15, -40.0, 0.0, 21.5, 100.0, 1500.0}) {
    SCOPED_TRACE(celsius);
    EXPECT_NEAR(Convert(Convert(celsius, "Cel", "[degF]"), "[degF]", "Cel"), celsius, 1e-9);
    EXPECT_NEAR(Convert(Convert(celsius, "Cel", "K"), "K", "Cel"), celsius, 1e-9);
    EXPECT_NEAR(Convert(Convert(celsius, "Cel", "K"), "K", "[degF]"),
                Convert(celsius, "Cel", "[degF]"), 1e-9);
  }
}

TEST(ParseUnitTest, OffsetUnitsCarryTheirOffset) {
  const Unit celsius = Parse("Cel");
  EXPECT_EQ(celsius.dims, kTemperature);
  EXPECT_EQ(celsius.factor, 1.0);
  EXPECT_EQ(celsius.offset, 273.15);
  const Unit fahrenheit = Parse("[degF]");
  ExpectRelNear(fahrenheit.factor, 5.0 / 9.0);
  ExpectRelNear(fahrenheit.offset, 459.67 * 5.0 / 9.0);
  EXPECT_EQ(Parse("Cel{ambient}").offset, 273.15);  // annotations do not combine
}

TEST(ConvertUnitsTest, CurrentAndVoltage) {
  ExpectScale("mA", "A", 1e-3);
  ExpectScale("uA", "mA", 1e-3);
  ExpectScale("kA", "A", 1e3);
  ExpectScale("mV", "V", 1e-3);
  ExpectScale("kV", "V", 1e3);
  ExpectScale("W/A", "V", 1);
  ExpectScale("V/A", "Ohm", 1);
  ExpectScale("kOhm", "Ohm", 1e3);
  ExpectScale("Ohm-1", "S", 1);
  ExpectScale("uS/cm", "S/m", 1e-4);
  ExpectScale("A.s", "C", 1);
}

TEST(ConvertUnitsTest, PowerIncludingHorsepower) {
  ExpectScale("kW", "W", 1e3);
  ExpectScale("MW", "kW", 1e3);
  ExpectScale("J/s", "W", 1);
  ExpectScale("[HP]", "W", 745.6998715822702);
  ExpectScale("[HP]", "kW", 0.7456998715822702);
  ExpectScale("[ft_i].[lbf_av]/s", "[HP]", 1.0 / 550);
}

TEST(ConvertUnitsTest, EnergyIncludingKilowattHoursBtuAndCalories) {
  ExpectScale("kW.h", "J", 3.6e6);
  ExpectScale("kW.h", "MJ", 3.6);
  ExpectScale("W.s", "J", 1);
  ExpectScale("N.m", "J", 1);
  ExpectScale("cal", "J", 4.184);
  ExpectScale("kcal", "kJ", 4.184);
  ExpectScale("[Btu_IT]", "J", 1055.05585262);
  ExpectScale("[Btu_th]", "J", 1054.35);
  ExpectScale("[Btu]", "[Btu_th]", 1);  // UCUM: [Btu] is the thermochemical Btu
  ExpectScale("[Btu_IT]", "kW.h", 1055.05585262 / 3.6e6);
  ExpectRelNear(Convert(1, "kW.h", "[Btu_IT]"), 3412.141633127942);
}

TEST(ConvertUnitsTest, Pressure) {
  ExpectScale("bar", "kPa", 100);
  ExpectScale("bar", "Pa", 1e5);
  ExpectScale("mbar", "hPa", 1);
  ExpectScale("MPa", "bar", 10);
  ExpectScale("N/m2", "Pa", 1);
  ExpectScale("kg/m/s2", "Pa", 1);
  ExpectScale("[psi]", "Pa", 6894.757293168361);
  ExpectScale("[psi]", "bar", 0.06894757293168361);
  ExpectScale("[lbf_av]/[in_i]2", "[psi]", 1);
  ExpectScale("mm[Hg]", "Pa", 133.322);
  ExpectScale("m[Hg]", "kPa", 133.322);
  ExpectScale("cm[H2O]", "Pa", 98.0665);
  ExpectScale("atm", "kPa", 101.325);
  ExpectScale("atm", "mm[Hg]", 101325 / 133.322);
}

TEST(ConvertUnitsTest, ForceAndMass) {
  ExpectScale("[lbf_av]", "N", 4.4482216152605);
  ExpectScale("kN", "N", 1e3);
  ExpectScale("kg.m/s2", "N", 1);
  ExpectScale("[lb_av]", "kg", 0.45359237);
  ExpectScale("t", "kg", 1e3);
  ExpectScale("mg", "kg", 1e-6);
  ExpectScale("kt", "t", 1e3);
}

TEST(ConvertUnitsTest, TimeAndFrequency) {
  ExpectScale("min", "s", 60);
  ExpectScale("h", "min", 60);
  ExpectScale("d", "h", 24);
  ExpectScale("ms", "s", 1e-3);
  ExpectScale("us", "ms", 1e-3);
  ExpectScale("Ms", "s", 1e6);
  ExpectScale("kHz", "Hz", 1e3);
  ExpectScale("/min", "Hz", 1.0 / 60);
  ExpectScale("{rev}/min", "Hz", 1.0 / 60);
  ExpectScale("s-1", "Hz", 1);
}

TEST(ConvertUnitsTest, VolumeAndFlow) {
  ExpectScale("L", "m3", 1e-3);
  ExpectScale("l", "L", 1);
  ExpectScale("dm3", "L", 1);
  ExpectScale("mL", "cm3", 1);
  ExpectScale("[gal_us]", "L", 3.785411784);
  ExpectScale("m3/h", "L/min", 1000.0 / 60);
  ExpectScale("[gal_us]/min", "L/min", 3.785411784);
  ExpectScale("kg/h", "kg/s", 1.0 / 3600);
  ExpectScale("t/h", "kg/s", 1000.0 / 3600);
}

TEST(ConvertUnitsTest, AnglesAndRatiosAreDimensionless) {
  ExpectScale("deg", "rad", std::numbers::pi / 180);
  ExpectScale("mrad", "rad", 1e-3);
  ExpectScale("%", "1", 0.01);
  ExpectScale("%", "[ppm]", 1e4);
  ExpectScale("[ppm]", "[ppb]", 1e3);
  EXPECT_EQ(Parse("rad").dims, kNone);
  EXPECT_EQ(Parse("%").dims, kNone);
}

TEST(ParseUnitTest, EveryDecimalPrefix) {
  const std::pair<std::string_view, double> prefixed[] = {
      {"Ym", 1e24},  {"Zm", 1e21},  {"Em", 1e18},  {"Pm", 1e15},  {"Tm", 1e12},
      {"Gm", 1e9},   {"Mm", 1e6},   {"km", 1e3},   {"hm", 1e2},   {"dam", 1e1},
      {"dm", 1e-1},  {"cm", 1e-2},  {"mm", 1e-3},  {"um", 1e-6},  {"nm", 1e-9},
      {"pm", 1e-12}, {"fm", 1e-15}, {"am", 1e-18}, {"zm", 1e-21}, {"ym", 1e-24},
  };
  for (const auto& [code, factor] : prefixed) {
    SCOPED_TRACE(code);
    const Unit unit = Parse(code);
    EXPECT_EQ(unit.dims, kLength);
    ExpectRelNear(unit.factor, factor);
  }
}

TEST(ParseUnitTest, WholeAtomWinsOverPrefixSplit) {
  const Unit candela = Parse("cd");  // not centi-day
  EXPECT_EQ(candela.dims, (std::array<int, 7>{0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(candela.factor, 1.0);
  EXPECT_EQ(Parse("min").factor, 60.0);  // not milli-inch
  EXPECT_EQ(Parse("min").dims, kTime);
  EXPECT_EQ(Parse("h").factor, 3600.0);  // hour, while "hPa" is hecto-pascal
  ExpectScale("hPa", "Pa", 100);
  EXPECT_EQ(Parse("Pa").factor, 1.0);  // not peta-something
  EXPECT_EQ(Parse("mol").dims, (std::array<int, 7>{0, 0, 0, 0, 0, 1, 0}));
  ExpectScale("mmol", "mol", 1e-3);
  EXPECT_EQ(Parse("m[Hg]").dims, Parse("Pa").dims);  // not milli-[Hg]
}

TEST(ParseUnitTest, PrefixAmbiguitiesResolveAsUcumDoes) {
  EXPECT_EQ(Parse("mm").dims, kLength);
  ExpectRelNear(Parse("mm").factor, 1e-3);
  EXPECT_EQ(Parse("ms").dims, kTime);
  ExpectRelNear(Parse("ms").factor, 1e-3);
  EXPECT_EQ(Parse("Ms").dims, kTime);
  ExpectRelNear(Parse("Ms").factor, 1e6);
  ExpectRelNear(Parse("dam").factor, 10);
  EXPECT_EQ(Parse("kg").factor, 1.0);
  EXPECT_EQ(Parse("mg").dims, kMass);
  ExpectScale("kW.h", "W.h", 1e3);
  // Case-sensitive: "PA" is peta-ampere and "MS" mega-siemens, not pascal or millisecond.
  EXPECT_EQ(Parse("PA").dims, (std::array<int, 7>{0, 0, 0, 1, 0, 0, 0}));
  ExpectRelNear(Parse("PA").factor, 1e15);
  EXPECT_EQ(Parse("MS").dims, Parse("S").dims);
}

TEST(ParseUnitTest, ExponentsApplyToThePrefixedAtom) {
  const Unit area = Parse("m2");
  EXPECT_EQ(area.dims, (std::array<int, 7>{2, 0, 0, 0, 0, 0, 0}));
  ExpectRelNear(Parse("cm2").factor, 1e-4);
  ExpectRelNear(Parse("mm3").factor, 1e-9);
  ExpectRelNear(Parse("[in_i]2").factor, 6.4516e-4);
  EXPECT_EQ(Parse("s-2").dims, (std::array<int, 7>{0, 0, -2, 0, 0, 0, 0}));
  EXPECT_EQ(Parse("m-1").dims, (std::array<int, 7>{-1, 0, 0, 0, 0, 0, 0}));
  ExpectRelNear(Parse("km-1").factor, 1e-3);
  EXPECT_EQ(Parse("s+2").dims, Parse("s2").dims);
}

TEST(ParseUnitTest, QuotientsAreLeftAssociative) {
  ExpectScale("kg/m/s2", "kg/(m.s2)", 1);
  EXPECT_EQ(Parse("kg/m/s2").dims, Parse("kg.m-1.s-2").dims);
  // UCUM reads "J/kg.K" as (J/kg).K, not J/(kg.K): write the parentheses.
  EXPECT_EQ(Parse("J/kg.K").dims, (std::array<int, 7>{2, 0, -2, 0, 1, 0, 0}));
  EXPECT_EQ(Parse("J/(kg.K)").dims, (std::array<int, 7>{2, 0, -2, 0, -1, 0, 0}));
}

TEST(ParseUnitTest, LeadingSlashIsAReciprocal) {
  const Unit per_minute = Parse("/min");
  EXPECT_EQ(per_minute.dims, (std::array<int, 7>{0, 0, -1, 0, 0, 0, 0}));
  ExpectRelNear(per_minute.factor, 1.0 / 60);
  ExpectScale("/(m.s)", "m-1.s-1", 1);
  ExpectScale("/h", "/s", 1.0 / 3600);
}

TEST(ParseUnitTest, Parentheses) {
  ExpectScale("(m/s)", "m/s", 1);
  ExpectScale("((m))", "m", 1);
  ExpectScale("kg/(m.s2)", "Pa", 1);
  ExpectScale("(kW.h)/(m3)", "J/m3", 3.6e6);
}

TEST(ParseUnitTest, PowersOfTenAndIntegerFactors) {
  ExpectRelNear(Parse("10*3").factor, 1e3);
  EXPECT_EQ(Parse("10*3").dims, kNone);
  ExpectScale("10*3.m", "km", 1);
  ExpectScale("10*-3.m", "mm", 1);
  ExpectScale("10^3.m", "km", 1);
  ExpectScale("1000.m", "km", 1);
  ExpectScale("m/1000", "mm", 1);
  ExpectScale("10*3{cells}/L", "/mL", 1);
  EXPECT_EQ(Parse("1").factor, 1.0);
  EXPECT_EQ(Parse("1").dims, kNone);
  EXPECT_EQ(Parse("12").factor, 12.0);  // a factor, not "1" squared
}

TEST(ParseUnitTest, AnnotationsAreDimensionlessOnes) {
  const Unit rev = Parse("{rev}");
  EXPECT_EQ(rev.dims, kNone);
  EXPECT_EQ(rev.factor, 1.0);
  ExpectScale("kg{wet}", "kg", 1);
  ExpectScale("m2{land}", "m2", 1);
  ExpectScale("{parts}/h", "/h", 1);
  ExpectScale("{rev}/min", "/min", 1);
  ExpectScale("{}", "1", 1);
  ExpectScale("{a.b/c(d)[e]}", "1", 1);  // anything printable inside but braces
}

TEST(ParseUnitTest, RejectsCombinedOffsetUnits) {
  for (const std::string_view code : {"Cel/s", "Cel2", "Cel-1", "Cel.m", "/Cel", "1/Cel", "K/Cel",
                                      "Cel.Cel", "1000.Cel", "{x}/Cel", "(Cel)/h"}) {
    SCOPED_TRACE(code);
    const std::string message = ParseError(code);
    EXPECT_THAT(message, HasSubstr("offset unit 'Cel'"));
    EXPECT_THAT(message, HasSubstr("cannot be combined; use K for temperature differences "
                                   "and rates"));
  }
  EXPECT_EQ(ParseError("[degF]/h"),
            "unit '[degF]/h': offset unit '[degF]' at position 0 cannot be combined; use K for "
            "temperature differences and rates");
  EXPECT_THAT(ParseError("m.Cel"), HasSubstr("offset unit 'Cel' at position 2"));
  // Alone, in parentheses or annotated, an offset unit stays a plain temperature scale.
  EXPECT_EQ(Parse("(Cel)").offset, 273.15);
  EXPECT_EQ(Parse("Cel/{x}").offset, 273.15);
}

TEST(ParseUnitTest, RejectsPrefixesOnNonMetricAndOffsetAtoms) {
  EXPECT_EQ(ParseError("mCel"), "unit 'mCel': atom 'Cel' takes no prefix ('m' at position 0)");
  EXPECT_THAT(ParseError("k[degF]"), HasSubstr("atom '[degF]' takes no prefix"));
  EXPECT_THAT(ParseError("k[in_i]"), HasSubstr("atom '[in_i]' takes no prefix"));
  EXPECT_THAT(ParseError("kmin"), HasSubstr("atom 'min' takes no prefix ('k' at position 0)"));
  EXPECT_THAT(ParseError("m/kh"), HasSubstr("atom 'h' takes no prefix ('k' at position 2)"));
  EXPECT_THAT(ParseError("k%"), HasSubstr("atom '%' takes no prefix"));
  EXPECT_THAT(ParseError("katm"), HasSubstr("atom 'atm' takes no prefix"));
}

TEST(ParseUnitTest, UnknownAtomErrorNamesTheAtomAndPosition) {
  EXPECT_THAT(ParseError("m/ss"), HasSubstr("unit 'm/ss': unknown atom 'ss' at position 2"));
  EXPECT_THAT(ParseError("pa"), HasSubstr("unknown atom 'pa' at position 0"));  // case matters
  EXPECT_THAT(ParseError("kg.xyz2"), HasSubstr("unknown atom 'xyz' at position 3"));
  EXPECT_THAT(ParseError("m-"), HasSubstr("unknown atom 'm-' at position 0"));
  EXPECT_THAT(ParseError("[foo]"), HasSubstr("unknown atom '[foo]'"));
}

TEST(ParseUnitTest, UnknownAtomErrorSuggestsTheUcumCode) {
  EXPECT_THAT(ParseError("degC"), HasSubstr("did you mean 'Cel'?"));
  EXPECT_THAT(ParseError("kWh"), HasSubstr("unknown atom 'kWh' at position 0; did you mean "
                                           "'kW.h'?"));
  EXPECT_THAT(ParseError("rpm"), HasSubstr("did you mean '{rev}/min'?"));
  EXPECT_THAT(ParseError("psi"), HasSubstr("did you mean '[psi]'?"));
  EXPECT_THAT(ParseError("m3/hr"), HasSubstr("unknown atom 'hr' at position 3; did you mean "
                                             "'h'?"));
}

TEST(ParseUnitTest, RejectsMalformedSyntax) {
  EXPECT_THAT(ParseError(""), HasSubstr("the code is empty"));
  EXPECT_THAT(ParseError("m s"), HasSubstr("whitespace at position 1"));
  EXPECT_THAT(ParseError(" m"), HasSubstr("whitespace at position 0"));
  EXPECT_THAT(ParseError("m\t"), HasSubstr("whitespace at position 1"));
  EXPECT_THAT(ParseError("\xc2\xb0"
                         "C"),
              HasSubstr("unit '\\xc2\\xb0C': byte 0xc2 at position 0 is not printable ASCII"));
  EXPECT_THAT(ParseError(std::string_view("m\0s", 3)), HasSubstr("byte 0x00 at position 1"));
  EXPECT_THAT(ParseError("m."), HasSubstr("expected a unit at position 2 (end of the code)"));
  EXPECT_THAT(ParseError("m..s"), HasSubstr("expected a unit at position 2, found '.'"));
  EXPECT_THAT(ParseError("m//s"), HasSubstr("expected a unit at position 2, found '/'"));
  EXPECT_THAT(ParseError(".m"), HasSubstr("expected a unit at position 0, found '.'"));
  EXPECT_THAT(ParseError("/"), HasSubstr("expected a unit at position 1 (end of the code)"));
  EXPECT_THAT(ParseError("[in_i"), HasSubstr("unclosed '[' at position 0"));
  EXPECT_THAT(ParseError("{rev"), HasSubstr("unclosed '{' at position 0"));
  EXPECT_THAT(ParseError("{a{b}}"), HasSubstr("'{' at position 2 inside the annotation"));
  EXPECT_THAT(ParseError("m{a}{b}"), HasSubstr("unexpected '{' at position 4"));
  EXPECT_THAT(ParseError("2{x}"), HasSubstr("annotation after the number '2'"));
  EXPECT_THAT(ParseError("-2"), HasSubstr("exponent at position 0 follows no unit"));
}

TEST(ParseUnitTest, RejectsMalformedParentheses) {
  EXPECT_THAT(ParseError("(m/s)2"), HasSubstr("exponent after ')' at position 5"));
  EXPECT_THAT(ParseError("(m"), HasSubstr("unclosed '(' at position 0"));
  EXPECT_THAT(ParseError("m)"), HasSubstr("unmatched ')' at position 1"));
  EXPECT_THAT(ParseError("()"), HasSubstr("expected a unit at position 1, found ')'"));
  EXPECT_THAT(ParseError("m(s)"), HasSubstr("unexpected '(' at position 1"));
  EXPECT_THAT(ParseError("(m{a}{b})"), HasSubstr("unexpected '{' at position 5"));
  EXPECT_THAT(ParseError("(m/s){x}"), HasSubstr("unexpected '{' at position 5"));
}

TEST(ParseUnitTest, BoundsHostileInput) {
  EXPECT_THAT(ParseError(std::string(257, 'm')),
              HasSubstr("the code is 257 characters long; the limit is 256"));
  EXPECT_THAT(ParseError(std::string(120, '(') + "m" + std::string(120, ')')),
              HasSubstr("parentheses nested deeper than 8"));
  EXPECT_THAT(ParseError(std::string(9, '(') + "m" + std::string(9, ')')),
              HasSubstr("parentheses nested deeper than 8 at position 8"));
  ExpectScale(std::string(8, '(') + "m" + std::string(8, ')'), "m", 1);
  EXPECT_THAT(ParseError("m100"), HasSubstr("exponent at position 1 is beyond +/-99"));
  EXPECT_THAT(ParseError("m99999999999999999999"), HasSubstr("beyond +/-99"));
  EXPECT_THAT(ParseError("Ym99"), HasSubstr("the magnitude of 'Ym99' at position 0 overflows"));
  EXPECT_THAT(ParseError("ym-99"), HasSubstr("overflows a double"));
  EXPECT_THAT(ParseError("10*99.10*99.10*99.10*99"),
              HasSubstr("the magnitude overflows a double at position 18"));
  EXPECT_THAT(ParseError("0"), HasSubstr("factor '0' at position 0 is zero"));
  EXPECT_THAT(ParseError("m/000"), HasSubstr("factor '000' at position 2 is zero"));
  ExpectRelNear(Parse(std::string(200, '9')).factor, 1e200);
}

TEST(ParseUnitTest, ErrorMessagesStayReadableForLongCodes) {
  const std::string message = ParseError(std::string(300, 'x'));
  EXPECT_THAT(message, HasSubstr("unit '" + std::string(64, 'x') + "...'"));
  EXPECT_LT(message.size(), 200u);
}

TEST(ConvertUnitsTest, DimensionMismatchNamesBothUnitsAndQuantities) {
  StatusOr<UnitConversion> conversion = ConvertUnits("A", "Cel");
  ASSERT_FALSE(conversion.ok());
  EXPECT_EQ(conversion.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conversion.status().message(), "cannot convert 'A' (current) to 'Cel' (temperature)");
  EXPECT_EQ(ConvertUnits("m/s", "m/s2").status().message(),
            "cannot convert 'm/s' (velocity) to 'm/s2' (acceleration)");
  EXPECT_EQ(ConvertUnits("W/m2", "Pa").status().message(),
            "cannot convert 'W/m2' (kg.s-3) to 'Pa' (pressure)");
}

TEST(ConvertUnitsTest, PropagatesParseErrorsNamingTheCode) {
  StatusOr<UnitConversion> conversion = ConvertUnits("m", "m/ss");
  ASSERT_FALSE(conversion.ok());
  EXPECT_EQ(conversion.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(conversion.status().message(), HasSubstr("unit 'm/ss': unknown atom 'ss'"));
  EXPECT_THAT(ConvertUnits("", "m").status().message(), HasSubstr("the code is empty"));
}

TEST(ConvertUnitsTest, SameUnitIsIdentity) {
  for (const std::string_view code : {"m", "Cel", "[degF]", "kW.h", "{rev}/min", "[psi]"}) {
    SCOPED_TRACE(code);
    StatusOr<UnitConversion> conversion = ConvertUnits(code, code);
    ASSERT_TRUE(conversion.ok()) << conversion.status().ToString();
    EXPECT_TRUE(conversion->IsIdentity());
  }
}

TEST(ConvertUnitsTest, RejectsUnitsWithUnusableFactors) {
  Unit zero = Parse("m");
  zero.code = "broken";
  zero.factor = 0.0;
  StatusOr<UnitConversion> conversion = ConvertUnits(Parse("m"), zero);
  ASSERT_FALSE(conversion.ok());
  EXPECT_THAT(conversion.status().message(), HasSubstr("cannot convert 'm' to 'broken'"));
  EXPECT_FALSE(ConvertUnits(zero, Parse("m")).ok());
  // Each factor is finite, their ratio is not.
  EXPECT_FALSE(ConvertUnits("10*90.10*90.10*90.10*30", "10*-90.10*-90.10*-90.10*-30").ok());
}

TEST(ConvertUnitsTest, UnitOverloadMatchesStringOverload) {
  StatusOr<UnitConversion> by_unit = ConvertUnits(Parse("[psi]"), Parse("kPa"));
  ASSERT_TRUE(by_unit.ok()) << by_unit.status().ToString();
  ExpectRelNear(by_unit->scale, 6.894757293168361);
  ExpectRelNear(by_unit->Apply(14.5), 14.5 * 6.894757293168361);
}

TEST(UnitTest, SameDimension) {
  EXPECT_TRUE(Parse("N.m").SameDimension(Parse("J")));
  EXPECT_TRUE(Parse("Cel").SameDimension(Parse("K")));
  EXPECT_FALSE(Parse("m").SameDimension(Parse("m2")));
}

TEST(DimensionNameTest, CommonQuantities) {
  const std::pair<std::string_view, std::string_view> named[] = {
      {"1", "dimensionless"},
      {"{rev}", "dimensionless"},
      {"%", "dimensionless"},
      {"m", "length"},
      {"[in_i]", "length"},
      {"m2", "area"},
      {"L", "volume"},
      {"m3", "volume"},
      {"min", "time"},
      {"Hz", "frequency"},
      {"{rev}/min", "frequency"},
      {"kg", "mass"},
      {"[lb_av]", "mass"},
      {"m/s", "velocity"},
      {"[g]", "acceleration"},
      {"N", "force"},
      {"[psi]", "pressure"},
      {"bar", "pressure"},
      {"kW.h", "energy"},
      {"[HP]", "power"},
      {"mA", "current"},
      {"V", "voltage"},
      {"C", "charge"},
      {"Ohm", "resistance"},
      {"uS", "conductance"},
      {"K", "temperature"},
      {"Cel", "temperature"},
      {"[degF]", "temperature"},
      {"mol", "amount of substance"},
      {"cd", "luminous intensity"},
      {"m3/s", "volume flow"},
      {"L/min", "volume flow"},
      {"kg/s", "mass flow"},
      {"t/h", "mass flow"},
      {"kg/m3", "density"},
  };
  for (const auto& [code, name] : named) {
    SCOPED_TRACE(code);
    EXPECT_EQ(DimensionName(Parse(code)), name);
  }
}

TEST(DimensionNameTest, WritesOtherDimensionsOut) {
  EXPECT_EQ(DimensionName(Parse("kg.m/s3")), "m.kg.s-3");
  EXPECT_EQ(DimensionName(Parse("m-1")), "m-1");
  EXPECT_EQ(DimensionName(Parse("W/m2")), "kg.s-3");
  EXPECT_EQ(DimensionName(Parse("J/(kg.K)")), "m2.s-2.K-1");
  EXPECT_EQ(DimensionName(Parse("mol/L")), "m-3.mol");
  EXPECT_EQ(DimensionName(Parse("cd/m2")), "m-2.cd");
}

}  // namespace
}  // namespace strata
