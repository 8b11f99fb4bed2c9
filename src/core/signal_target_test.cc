#include "core/signal_target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kModel[] =
    "model:\n"                                                       // 1
    "  asset_types:\n"                                               // 2
    "    pump:\n"                                                    // 3
    "      signals:\n"                                               // 4
    "        temp: {unit: Cel}\n"                                    // 5
    "        vibration: {unit: m/s2, kind: waveform, period: 1m}\n"  // 6
    "  assets:\n"                                                    // 7
    "    - {path: plant/pump-1, type: pump}\n";                      // 8

// Checks `entry` (YAML on line 9 of the document, under "entry:") against kModel, with the
// asset taken from the entry or else `default_asset`. Returns "" or the error message.
std::string Check(const std::string& entry, const std::string& default_asset = "") {
  auto doc = ConfigDocument::Parse(std::string(kModel) + "entry: " + entry + "\n", "map.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return "parse error";
  StatusOr<int> read = (*doc)->Read<int>([&](ConfigNode& root) {
    ConfigNode model_node = root.Get("model");
    auto model = AssetModel::Read(model_node);
    ConfigNode e = root.Get("entry");
    CheckSignalTarget(*model, e, e.String("asset", default_asset), e.String("signal"),
                      e.String("unit", ""), "test registers");
    return 0;
  });
  return read.ok() ? "" : read.status().message();
}

TEST(CheckSignalTargetTest, AcceptsAScalarSignalAndAConvertibleUnit) {
  EXPECT_EQ(Check("{asset: plant/pump-1, signal: temp}"), "");
  EXPECT_EQ(Check("{asset: plant/pump-1, signal: temp, unit: \"[degF]\"}"), "");
  EXPECT_EQ(Check("{signal: temp, unit: K}", "plant/pump-1"), "");
}

TEST(CheckSignalTargetTest, UnknownAssetNamesTheKeyAndTheClosestAsset) {
  const std::string error = Check("{asset: plant/pump-2, signal: temp}");
  EXPECT_THAT(error, StartsWith("map.yaml:9:"));
  EXPECT_THAT(error, HasSubstr("asset 'plant/pump-2' is not in the asset model; did you mean "
                               "'plant/pump-1'?"));
  // Inherited from the connector: the error points at the entry.
  EXPECT_THAT(Check("{signal: temp}", "plant/pump-9"), StartsWith("map.yaml:9:"));
}

TEST(CheckSignalTargetTest, UnknownSignalNamesTheTypeAndTheClosestSignal) {
  EXPECT_THAT(Check("{asset: plant/pump-1, signal: tmp}"),
              HasSubstr("asset 'plant/pump-1' (type 'pump') has no signal 'tmp'; did you mean "
                        "'temp'?"));
}

TEST(CheckSignalTargetTest, WaveformSignalIsRefusedNamingTheSources) {
  EXPECT_THAT(Check("{asset: plant/pump-1, signal: vibration}"),
              HasSubstr("signal 'vibration' of 'plant/pump-1' is a waveform; test registers feed "
                        "scalar signals"));
}

TEST(CheckSignalTargetTest, UnitThatDoesNotConvertIsRefused) {
  EXPECT_THAT(Check("{asset: plant/pump-1, signal: temp, unit: bar}"),
              HasSubstr("unit 'bar' cannot convert to 'Cel', the unit of 'plant/pump-1' temp"));
}

}  // namespace
}  // namespace strata
