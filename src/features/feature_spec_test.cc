#include "features/feature_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace strata::features {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

StatusOr<FeatureSpec> ParseSpec(const std::string& yaml) {
  auto doc = ConfigDocument::Parse(yaml, "spec.yaml");
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<FeatureSpec>([](ConfigNode& root) { return ReadFeatureSpec(root); });
}

std::string SpecError(const std::string& yaml) {
  auto spec = ParseSpec(yaml);
  EXPECT_FALSE(spec.ok()) << "parsed:\n" << yaml;
  return spec.ok() ? "" : spec.status().message();
}

std::shared_ptr<const AssetModel> ExampleModel() {
  auto model =
      AssetModel::LoadFile(std::string(STRATA_DEFAULT_SOURCE_DIR) + "/examples/assets.yaml");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

const std::string kSpec =
    "asset_type: centrifugal_pump\n"
    "window: {length: 60s, step: 10s}\n"
    "list:\n"
    "  - {name: bearing_temp_mean, signal: bearing_de.temp, function: mean}\n"
    "  - {name: over_ambient, signal: bearing_de.temp, function: delta, other: ambient.temp}\n"
    "  - {name: current_slope, signal: motor.current, function: slope}\n"
    "  - {name: vib_rms, signal: bearing_de.accel, function: rms}\n"
    "  - {name: band, signal: bearing_de.accel, function: band_energy, low_hz: 2000, "
    "high_hz: 4000.5}\n"
    "  - {name: bpfo_env, signal: bearing_de.accel, function: envelope_amplitude, defect: bpfo, "
    "bearing: bearing_de}\n"
    "  - {name: bpfi_env, signal: bearing_de.accel, function: envelope_amplitude, defect: bpfi, "
    "bearing: bearing_de, tolerance: 0.05, low_hz: 1000, high_hz: 5000}\n";

TEST(FeatureSpecTest, ReadsWindowAndFeaturesInOrder) {
  auto spec = ParseSpec(kSpec);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->asset_type, "centrifugal_pump");
  EXPECT_EQ(spec->window.kind, WindowSpec::Kind::kTime);
  EXPECT_EQ(spec->window.length_ns, 60'000'000'000);
  EXPECT_EQ(spec->window.step_ns, 10'000'000'000);
  ASSERT_EQ(spec->features.size(), 7u);
  EXPECT_EQ(spec->features[1].function, FeatureFunction::kDelta);
  EXPECT_EQ(spec->features[1].other, "ambient.temp");
  EXPECT_EQ(spec->features[4].low_hz, 2000);
  EXPECT_EQ(spec->features[4].high_hz, 4000.5);
  EXPECT_EQ(spec->features[5].defect, BearingDefect::kBpfo);
  EXPECT_EQ(spec->features[5].tolerance, 0.02);
  EXPECT_EQ(spec->features[6].defect, BearingDefect::kBpfi);
  EXPECT_EQ(spec->features[6].tolerance, 0.05);
  EXPECT_EQ(spec->features[6].high_hz, 5000);

  auto model = ExampleModel();
  ASSERT_NE(model, nullptr);
  EXPECT_TRUE(CheckFeatureSpec(*spec, *model).ok()) << CheckFeatureSpec(*spec, *model).ToString();
  EXPECT_THAT(
      spec->InputSignals(*model->FindType("centrifugal_pump")),
      ElementsAre("bearing_de.temp", "ambient.temp", "motor.current", "bearing_de.accel", "speed"));
}

TEST(FeatureSpecTest, TumblingIsTheDefaultStep) {
  auto spec = ParseSpec(
      "asset_type: t\nwindow: {length: 5m}\nlist: [{name: a, signal: s, function: last}]\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->window.step_ns, spec->window.length_ns);
}

TEST(FeatureSpecTest, CountWindows) {
  auto spec = ParseSpec(
      "asset_type: t\nwindow: {samples: 4096, signal: accel}\n"
      "list: [{name: a, signal: accel, function: kurtosis}]\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->window.kind, WindowSpec::Kind::kCount);
  EXPECT_EQ(spec->window.samples, 4096);
  EXPECT_EQ(spec->window.step_samples, 4096);
  EXPECT_EQ(spec->window.count_signal, "accel");
}

TEST(FeatureSpecTest, RoundTripsThroughYaml) {
  for (const std::string& yaml :
       {kSpec,
        std::string("asset_type: t\nwindow: {samples: 100, step: 25, signal: x}\n"
                    "list: [{name: a, signal: x, function: std}]\n"),
        std::string("asset_type: t\nwindow: {length: 1500ms, step: 250ms}\n"
                    "list: [{name: a, signal: x, function: band_energy, low_hz: 0.1, "
                    "high_hz: 1e5}]\n")}) {
    auto spec = ParseSpec(yaml);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    const std::string text = WriteFeatureSpecYaml(*spec);
    auto again = ParseSpec(text);
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
    EXPECT_EQ(*again, *spec) << text;
    EXPECT_EQ(WriteFeatureSpecYaml(*again), text);
  }
}

TEST(FeatureSpecTest, SyntaxErrorsNameFileLineAndKey) {
  const std::string head = "asset_type: t\nwindow: {length: 60s}\nlist:\n";
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: meen}\n"),
              AllOf(StartsWith("spec.yaml:4:"), HasSubstr("list[0].function: 'meen' is not one of"),
                    HasSubstr("(did you mean 'mean'?)")));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s}\n"),
              HasSubstr("list[0]: missing required key 'function'"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: mean, low_hz: 3}\n"),
              HasSubstr("list[0].low_hz: low_hz applies to band_energy and envelope_amplitude "
                        "only, not to function mean"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: band_energy, low_hz: 5, "
                               "high_hz: 5}\n"),
              HasSubstr("list[0].high_hz: feature 'a': the band needs 0 <= low_hz < high_hz"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: envelope_amplitude, "
                               "bearing: b}\n"),
              HasSubstr("list[0]: missing required key 'defect'"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: envelope_amplitude, "
                               "bearing: b, defect: bfpo}\n"),
              HasSubstr("(did you mean 'bpfo'?)"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: mean}\n"
                               "  - {name: a, signal: s, function: max}\n"),
              HasSubstr("list[1].name: feature 'a' is declared twice"));
  EXPECT_THAT(SpecError(head + "  - {name: a, signal: s, function: mean, sgnal: x}\n"),
              HasSubstr("list[0].sgnal: unknown key (did you mean 'signal'?)"));
  EXPECT_THAT(SpecError("asset_type: t\nwindow: {length: 60s, step: 2m}\n"
                        "list: [{name: a, signal: s, function: mean}]\n"),
              HasSubstr("window.step: step must be > 0 and <= length"));
  EXPECT_THAT(SpecError("asset_type: t\nwindow: {length: 60s, samples: 3}\n"
                        "list: [{name: a, signal: s, function: mean}]\n"),
              HasSubstr("window: a window has either `length`"));
  EXPECT_THAT(SpecError("asset_type: t\nwindow: {length: 60s}\nlist: []\n"),
              HasSubstr("list: a feature spec needs at least one feature"));
}

TEST(FeatureSpecTest, CheckAgainstTheAssetTypeNamesFeatureKeyAndFix) {
  auto model = ExampleModel();
  ASSERT_NE(model, nullptr);
  auto check = [&](const std::string& feature) {
    auto spec = ParseSpec("asset_type: centrifugal_pump\nwindow: {length: 60s}\nlist:\n  - " +
                          feature + "\n");
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    if (!spec.ok()) return std::string();
    Status s = CheckFeatureSpec(*spec, *model);
    EXPECT_FALSE(s.ok()) << feature;
    return s.message();
  };
  EXPECT_EQ(check("{name: f, signal: bearing_de.tmp, function: mean}"),
            "feature spec for 'centrifugal_pump': list[0] 'f': signal: asset type "
            "'centrifugal_pump' has no signal 'bearing_de.tmp' (did you mean "
            "'bearing_de.temp'?); name one of its signals (examples/assets.yaml)");
  EXPECT_EQ(check("{name: f, signal: bearing_de.accel, function: mean}"),
            "feature spec for 'centrifugal_pump': list[0] 'f': signal: signal "
            "'bearing_de.accel' is a waveform, but function mean needs a scalar signal");
  EXPECT_EQ(check("{name: f, signal: bearing_de.temp, function: kurtosis}"),
            "feature spec for 'centrifugal_pump': list[0] 'f': signal: signal "
            "'bearing_de.temp' is scalar, but function kurtosis needs a waveform signal");
  EXPECT_THAT(check("{name: f, signal: bearing_de.temp, function: delta, other: ambient}"),
              HasSubstr("list[0] 'f': other: asset type 'centrifugal_pump' has no signal "
                        "'ambient'"));
  EXPECT_THAT(check("{name: f, signal: bearing_de.accel, function: envelope_amplitude, "
                    "bearing: bearing_nde, defect: bpfo}"),
              HasSubstr("list[0] 'f': bearing: asset type 'centrifugal_pump' declares no "
                        "bearing 'bearing_nde' (declared: bearing_de); declare it under "
                        "asset_types.centrifugal_pump.bearings"));

  auto spec = ParseSpec(
      "asset_type: centrifugal_pmp\nwindow: {length: 60s}\n"
      "list: [{name: a, signal: speed, function: mean}]\n");
  ASSERT_TRUE(spec.ok());
  EXPECT_THAT(CheckFeatureSpec(*spec, *model).message(),
              HasSubstr("no type 'centrifugal_pmp' (did you mean 'centrifugal_pump'?)"));
}

}  // namespace
}  // namespace strata::features
