#include "core/asset_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using ModelPtr = std::shared_ptr<const AssetModel>;

StatusOr<ModelPtr> ParseModel(const std::string& yaml) {
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::Parse(yaml, "plant.yaml");
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<ModelPtr>([](ConfigNode& root) { return AssetModel::Read(root); });
}

ModelPtr Model(const std::string& yaml) {
  StatusOr<ModelPtr> model = ParseModel(yaml);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

std::string ModelError(const std::string& yaml) {
  StatusOr<ModelPtr> model = ParseModel(yaml);
  EXPECT_FALSE(model.ok()) << "loaded:\n" << yaml;
  if (model.ok()) return "";
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  return model.status().message();
}

const std::string kPlant =
    "asset_types:\n"                                                               // 1
    "  pump:\n"                                                                    // 2
    "    description: Centrifugal pump\n"                                          // 3
    "    signals:\n"                                                               // 4
    "      bearing_de.temp:\n"                                                     // 5
    "        unit: Cel\n"                                                          // 6
    "        range: [-40, 150]\n"                                                  // 7
    "        period: 10s\n"                                                        // 8
    "        tag: temperature\n"                                                   // 9
    "        description: Drive-end bearing\n"                                     // 10
    "      motor.current: {unit: A, range: [0, 100.5], period: 1s}\n"              // 11
    "      vibration: {unit: m/s2, kind: waveform, period: 1m, tag: vibration}\n"  // 12
    "  tank:\n"                                                                    // 13
    "    signals:\n"                                                               // 14
    "      level: {unit: m}\n"                                                     // 15
    "assets:\n"                                                                    // 16
    "  - path: \"acme/plant-1/line-1/pump-{01..03}\"\n"                            // 17
    "    type: pump\n"                                                             // 18
    "  - path: acme/plant-1/tank-1\n"                                              // 19
    "    type: tank\n"                                                             // 20
    "  - path: acme/plant-1/line-2/pump-10\n"                                      // 21
    "    type: pump\n";                                                            // 22

// A model with one type `t` whose one signal `s` is written as `signal_body` (the lines under
// "s:", indented by 8) and one asset of it.
std::string OneSignal(const std::string& signal_body) {
  return "asset_types:\n"  // 1
         "  t:\n"          // 2
         "    signals:\n"  // 3
         "      s:\n" +    // 4
         signal_body +     // 5...
         "assets:\n"
         "  - {path: a/b, type: t}\n";
}

// A model with types `pump` and `tank` and the asset entries `assets` (indented by 2).
std::string WithAssets(const std::string& assets) {
  return "asset_types:\n"                         // 1
         "  pump: {signals: {p: {unit: bar}}}\n"  // 2
         "  tank: {signals: {}}\n"                // 3
         "assets:\n" +                            // 4
         assets;                                  // 5...
}

// ---------------------------------------------------------------- loading

TEST(AssetModelTest, ReadsTypesWithTheirSignals) {
  ModelPtr model = Model(kPlant);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->types().size(), 2u);
  const AssetType& pump = *model->types()[0];
  EXPECT_EQ(pump.name, "pump");
  EXPECT_EQ(pump.description, "Centrifugal pump");
  ASSERT_EQ(pump.signals.size(), 3u);

  const SignalSpec& temp = pump.signals[0];
  EXPECT_EQ(temp.name, "bearing_de.temp");
  EXPECT_EQ(temp.unit, "Cel");
  EXPECT_EQ(temp.parsed_unit.code, "Cel");
  EXPECT_EQ(temp.parsed_unit.offset, 273.15);
  EXPECT_EQ(temp.kind, SignalKind::kScalar);
  EXPECT_EQ(temp.min, -40);
  EXPECT_EQ(temp.max, 150);
  EXPECT_EQ(temp.period_ns, 10'000'000'000);
  EXPECT_EQ(temp.tag, "temperature");
  EXPECT_EQ(temp.description, "Drive-end bearing");

  const SignalSpec& current = pump.signals[1];
  EXPECT_EQ(current.name, "motor.current");
  EXPECT_EQ(current.max, 100.5);
  EXPECT_EQ(current.period_ns, 1'000'000'000);
  EXPECT_EQ(current.tag, "");

  const SignalSpec& vibration = pump.signals[2];
  EXPECT_EQ(vibration.kind, SignalKind::kWaveform);
  EXPECT_EQ(vibration.period_ns, 60'000'000'000);

  const SignalSpec& level = model->types()[1]->signals[0];
  EXPECT_EQ(level.name, "level");
  EXPECT_EQ(level.min, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(level.max, std::numeric_limits<double>::infinity());
  EXPECT_EQ(level.period_ns, 0);
  EXPECT_EQ(level.kind, SignalKind::kScalar);

  EXPECT_EQ(pump.signal_index.at("bearing_de.temp"), 0u);
  EXPECT_EQ(pump.signal_index.at("motor.current"), 1u);
  EXPECT_EQ(pump.signal_index.at("vibration"), 2u);
}

TEST(AssetModelTest, ExpandsRangesIntoAssetsInOrder) {
  ModelPtr model = Model(kPlant);
  ASSERT_NE(model, nullptr);
  std::vector<std::string> paths;
  for (const auto& asset : model->assets()) paths.push_back(asset->path);
  EXPECT_THAT(paths, ElementsAre("acme/plant-1/line-1/pump-01", "acme/plant-1/line-1/pump-02",
                                 "acme/plant-1/line-1/pump-03", "acme/plant-1/tank-1",
                                 "acme/plant-1/line-2/pump-10"));
  EXPECT_EQ(model->assets()[0]->type, model->types()[0].get());
  EXPECT_EQ(model->assets()[3]->type, model->types()[1].get());
}

TEST(AssetModelTest, SignalIdsAreDenseAndConsistent) {
  ModelPtr model = Model(kPlant);
  ASSERT_NE(model, nullptr);
  // 4 pumps x 3 signals + 1 tank x 1 signal.
  ASSERT_EQ(model->signal_count(), 13u);
  SignalId expected_first = 0;
  for (const auto& asset : model->assets()) {
    SCOPED_TRACE(asset->path);
    EXPECT_EQ(asset->first_signal, expected_first);
    for (size_t i = 0; i < asset->type->signals.size(); ++i) {
      const SignalId id = asset->first_signal + static_cast<SignalId>(i);
      const SignalInfo& info = model->signal(id);
      EXPECT_EQ(info.asset, asset.get());
      EXPECT_EQ(info.spec, &asset->type->signals[i]);
      EXPECT_EQ(asset->FindSignal(asset->type->signals[i].name), id);
      EXPECT_EQ(model->Find(asset->path, asset->type->signals[i].name), id);
    }
    expected_first += static_cast<SignalId>(asset->type->signals.size());
  }
  EXPECT_EQ(expected_first, model->signal_count());
}

TEST(AssetModelTest, FindByPathAndSignal) {
  ModelPtr model = Model(kPlant);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->Find("acme/plant-1/line-1/pump-01", "bearing_de.temp"), 0u);
  EXPECT_EQ(model->Find("acme/plant-1/line-1/pump-02", "vibration"), 5u);
  EXPECT_EQ(model->Find("acme/plant-1/tank-1", "level"), 9u);
  EXPECT_EQ(model->Find("acme/plant-1/line-2/pump-10", "motor.current"), 11u);

  EXPECT_EQ(model->Find("acme/plant-1/line-1/pump-04", "vibration"), kInvalidSignal);
  EXPECT_EQ(model->Find("acme/plant-1/tank-1", "vibration"), kInvalidSignal);
  EXPECT_EQ(model->Find("acme/plant-1/line-1/pump-01", "bearing_de"), kInvalidSignal);
  EXPECT_EQ(model->Find("", ""), kInvalidSignal);

  const Asset* tank = model->FindAsset("acme/plant-1/tank-1");
  ASSERT_NE(tank, nullptr);
  EXPECT_EQ(tank->path, "acme/plant-1/tank-1");
  EXPECT_EQ(tank->FindSignal("nope"), kInvalidSignal);
  EXPECT_EQ(model->FindAsset("acme/plant-1/tank-"), nullptr);
  EXPECT_EQ(model->FindAsset("acme/plant-1/line-1/pump-{01..03}"), nullptr);
}

TEST(AssetModelTest, EmptyModelIsValid) {
  ModelPtr model = Model("asset_types: {}\nassets: []\n");
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->signal_count(), 0u);
  EXPECT_TRUE(model->assets().empty());
}

TEST(AssetModelTest, TypeWithoutSignalsGivesAssetsNoIds) {
  ModelPtr model =
      Model(WithAssets("  - {path: a/tank, type: tank}\n"
                       "  - {path: a/pump, type: pump}\n"));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->signal_count(), 1u);
  EXPECT_EQ(model->FindAsset("a/tank")->first_signal, 0u);
  EXPECT_EQ(model->Find("a/pump", "p"), 0u);
}

TEST(AssetModelTest, ReadsFromASubMapping) {
  StatusOr<std::shared_ptr<ConfigDocument>> doc = ConfigDocument::Parse(
      "model:\n"
      "  asset_types: {t: {signals: {s: {unit: Pa}}}}\n"
      "  assets: [{path: x/y, type: t}]\n",
      "edge.yaml");
  ASSERT_TRUE(doc.ok());
  StatusOr<ModelPtr> model = (*doc)->Read<ModelPtr>([](ConfigNode& root) {
    ConfigNode sub = root.Get("model");
    return AssetModel::Read(sub);
  });
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->Find("x/y", "s"), 0u);
}

// A directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-model-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AssetModelTest, LoadFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string file = dir.path() + "/assets.yaml";
  std::ofstream(file) << kPlant;
  StatusOr<ModelPtr> model = AssetModel::LoadFile(file);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->signal_count(), 13u);

  std::ofstream(file) << OneSignal("        unit: degC\n");
  StatusOr<ModelPtr> bad = AssetModel::LoadFile(file);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), StartsWith(file + ":5:15: asset_types.t.signals.s.unit:"));

  StatusOr<ModelPtr> missing = AssetModel::LoadFile(dir.path() + "/none.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// ---------------------------------------------------------------- bearings

// A type `m` with a speed signal, a temperature, a waveform and the bearing lines `bearings`
// (indented by 4, starting at line 7).
std::string WithBearings(const std::string& bearings) {
  return "asset_types:\n"                                 // 1
         "  m:\n"                                         // 2
         "    signals:\n"                                 // 3
         "      speed: {unit: \"{rev}/min\"}\n"           // 4
         "      temp: {unit: Cel}\n"                      // 5
         "      accel: {unit: m/s2, kind: waveform}\n" +  // 6
         bearings +                                       // 7...
         "assets:\n"
         "  - {path: a/b, type: m}\n";
}

TEST(AssetModelTest, ReadsBearingsWithGeometryAndSpeed) {
  ModelPtr model = Model(WithBearings(
      "    bearings:\n"
      "      bearing_de: {rolling_elements: 8, ball_diameter_mm: 6.35, pitch_diameter_mm: 31.5,"
      " speed: speed}\n"
      "      bearing_nde: {speed: speed, contact_angle_deg: 15}\n"));
  ASSERT_NE(model, nullptr);
  const AssetType* type = model->FindType("m");
  ASSERT_NE(type, nullptr);
  ASSERT_EQ(type->bearings.size(), 2u);
  const BearingSpec* de = type->FindBearing("bearing_de");
  ASSERT_NE(de, nullptr);
  EXPECT_EQ(de->geometry, (BearingGeometry{8, 6.35, 31.5, 0.0}));
  EXPECT_EQ(de->speed_signal, "speed");
  EXPECT_NEAR(de->speed_to_hz, 1.0 / 60.0, 1e-15);  // {rev}/min -> Hz
  const BearingSpec* nde = type->FindBearing("bearing_nde");
  ASSERT_NE(nde, nullptr);
  EXPECT_EQ(nde->geometry, (BearingGeometry{9, 7.94, 39.04, 15.0}));  // defaults
  EXPECT_EQ(type->FindBearing("bearing_x"), nullptr);
  EXPECT_EQ(model->FindType("nope"), nullptr);
}

TEST(AssetModelTest, BearingSpeedMustBeAScalarRotationalSpeedOfTheType) {
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      bearing_de: {speed: sped}\n")),
              StartsWith("plant.yaml:8:27: asset_types.m.bearings.bearing_de.speed: bearing "
                         "'bearing_de': speed names signal 'sped', which asset type 'm' does "
                         "not declare (did you mean 'speed'?)"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      bearing_de: {rolling_elements: 9}\n")),
              StartsWith("plant.yaml:8:19: asset_types.m.bearings.bearing_de: missing required "
                         "key 'speed'"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      bearing_de: {speed: temp}\n")),
              HasSubstr("not a rotational speed"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      bearing_de: {speed: accel}\n")),
              HasSubstr("is a waveform"));
}

TEST(AssetModelTest, BearingGeometryIsChecked) {
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      b: {speed: speed, ball_diameter_mm: 40}\n")),
              StartsWith("plant.yaml:8:10: asset_types.m.bearings.b: a bearing needs "
                         "pitch_diameter_mm > ball_diameter_mm > 0"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      b: {speed: speed, rolling_elements: 2}\n")),
              HasSubstr("asset_types.m.bearings.b.rolling_elements: rolling_elements must be"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      b: {speed: speed, contact_angle_deg: 90}\n")),
              HasSubstr("contact_angle_deg must be in [0, 90)"));
  EXPECT_THAT(ModelError(WithBearings("    bearings:\n"
                                      "      b: {speed: speed, ball_diameter: 7}\n")),
              HasSubstr("asset_types.m.bearings.b.ball_diameter: unknown key (did you mean "
                        "'ball_diameter_mm'?)"));
}

// ---------------------------------------------------------------- signal errors

TEST(AssetModelTest, BadUnitNamesThePlaceAndTheUnit) {
  const std::string message = ModelError(OneSignal("        unit: degC\n"));
  EXPECT_THAT(message, StartsWith("plant.yaml:5:15: asset_types.t.signals.s.unit: "));
  EXPECT_THAT(message, HasSubstr("degC"));
}

TEST(AssetModelTest, MissingUnit) {
  EXPECT_EQ(ModelError(OneSignal("        tag: x\n")),
            "plant.yaml:5:9: asset_types.t.signals.s: missing required key 'unit'");
}

TEST(AssetModelTest, UnknownSignalKeyIsATypo) {
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        tags: x\n")),
            "plant.yaml:6:9: asset_types.t.signals.s.tags: unknown key (did you mean 'tag'?)");
}

TEST(AssetModelTest, RangeValidation) {
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        range: [150, -40]\n")),
            "plant.yaml:6:16: asset_types.t.signals.s.range: range must have min <= max");
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        range: [1, 2, 3]\n")),
            "plant.yaml:6:16: asset_types.t.signals.s.range: range is written [min, max]");
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        range: 5\n")),
            "plant.yaml:6:16: asset_types.t.signals.s.range: expected a list");
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        range: [low, 5]\n")),
            "plant.yaml:6:17: asset_types.t.signals.s.range[0]: 'low' is not a number");

  ModelPtr equal =
      Model(OneSignal("        unit: m\n"
                      "        range: [5, 5]\n"));
  ASSERT_NE(equal, nullptr);
  EXPECT_EQ(equal->types()[0]->signals[0].min, 5);
  EXPECT_EQ(equal->types()[0]->signals[0].max, 5);

  ModelPtr open =
      Model(OneSignal("        unit: m\n"
                      "        range: [0, .inf]\n"));
  ASSERT_NE(open, nullptr);
  EXPECT_EQ(open->types()[0]->signals[0].max, std::numeric_limits<double>::infinity());
}

TEST(AssetModelTest, KindIsAChoice) {
  EXPECT_EQ(ModelError(OneSignal("        unit: m\n"
                                 "        kind: waveforms\n")),
            "plant.yaml:6:15: asset_types.t.signals.s.kind: 'waveforms' is not one of: scalar, "
            "waveform (did you mean 'waveform'?)");
}

TEST(AssetModelTest, PeriodIsADuration) {
  ModelPtr model =
      Model(OneSignal("        unit: m\n"
                      "        period: 1h30m\n"));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->types()[0]->signals[0].period_ns, 5'400'000'000'000);
  EXPECT_THAT(ModelError(OneSignal("        unit: m\n"
                                   "        period: 10 seconds\n")),
              StartsWith("plant.yaml:6:17: asset_types.t.signals.s.period: '10 seconds' is not a "
                         "duration"));
  EXPECT_THAT(ModelError(OneSignal("        unit: m\n"
                                   "        period: -1s\n")),
              StartsWith("plant.yaml:6:17: asset_types.t.signals.s.period:"));
}

TEST(AssetModelTest, InvalidSignalNames) {
  for (const char* name : {"\"bad name\"", "a/b", "\"x#\"", "\"p+\"", "\"{s}\"", "\"\""}) {
    SCOPED_TRACE(name);
    const std::string yaml = std::string(
                                 "asset_types:\n"
                                 "  t:\n"
                                 "    signals:\n"
                                 "      ") +
                             name +
                             ": {unit: m}\n"
                             "assets: []\n";
    EXPECT_THAT(ModelError(yaml), HasSubstr("must be non-empty and must not contain spaces"));
  }
}

TEST(AssetModelTest, MissingSections) {
  EXPECT_EQ(ModelError("assets: []\n"), "plant.yaml:1:1: missing required key 'asset_types'");
  EXPECT_EQ(ModelError("asset_types: {}\n"), "plant.yaml:1:1: missing required key 'assets'");
  EXPECT_EQ(ModelError("asset_types: {t: {description: x}}\nassets: []\n"),
            "plant.yaml:1:18: asset_types.t: missing required key 'signals'");
}

TEST(AssetModelTest, DuplicateTypeOrSignalIsRejected) {
  EXPECT_THAT(ModelError("asset_types:\n"
                         "  t: {signals: {}}\n"
                         "  t: {signals: {}}\n"
                         "assets: []\n"),
              StartsWith("plant.yaml:3:3: asset_types.t: duplicate key"));
  EXPECT_THAT(ModelError("asset_types:\n"
                         "  t: {signals: {s: {unit: m}, s: {unit: A}}}\n"
                         "assets: []\n"),
              StartsWith("plant.yaml:2:31: asset_types.t.signals.s: duplicate key"));
}

// ---------------------------------------------------------------- asset errors

TEST(AssetModelTest, UnknownTypeSuggestsTheClosest) {
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/b, type: pmup}\n")),
            "plant.yaml:5:23: assets[0].type: unknown asset type 'pmup' (did you mean 'pump'?)");
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/b, type: compressor}\n")),
            "plant.yaml:5:23: assets[0].type: unknown asset type 'compressor' (declared: pump, "
            "tank)");
}

TEST(AssetModelTest, DuplicateAssetPathsAreRejected) {
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/b, type: pump}\n"
                                  "  - {path: a/b, type: tank}\n")),
            "plant.yaml:6:12: assets[1].path: asset 'a/b' is declared twice");
  // Also when a range produces a path given elsewhere.
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/p-02, type: pump}\n"
                                  "  - {path: \"a/p-{01..03}\", type: pump}\n")),
            "plant.yaml:6:12: assets[1].path: asset 'a/p-02' is declared twice");
}

TEST(AssetModelTest, InvalidAssetPaths) {
  for (const char* path :
       {"\"\"", "/a/b", "a/b/", "\"a b\"", "\"a/+/b\"", "\"a/#\"", "a//b", "\"a/{x}\""}) {
    SCOPED_TRACE(path);
    const std::string message =
        ModelError(WithAssets(std::string("  - {path: ") + path + ", type: pump}\n"));
    EXPECT_THAT(message, StartsWith("plant.yaml:5:12: assets[0].path: "));
  }
  EXPECT_THAT(ModelError(WithAssets("  - {path: a//b, type: pump}\n")),
              HasSubstr("must look like site/area/line/asset"));
}

TEST(AssetModelTest, BadRangeInAPathNamesThePlace) {
  EXPECT_THAT(ModelError(WithAssets("  - {path: \"a/p-{3..1}\", type: pump}\n")),
              StartsWith("plant.yaml:5:12: assets[0].path: 'a/p-{3..1}': a range is written"));
}

TEST(AssetModelTest, AssetMissingTypeOrPath) {
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/b}\n")),
            "plant.yaml:5:5: assets[0]: missing required key 'type'");
  EXPECT_EQ(ModelError(WithAssets("  - {type: pump}\n")),
            "plant.yaml:5:5: assets[0]: missing required key 'path'");
  EXPECT_EQ(ModelError(WithAssets("  - {path: a/b, type: pump, typ: tank}\n")),
            "plant.yaml:5:29: assets[0].typ: unknown key (did you mean 'type'?)");
}

// ---------------------------------------------------------------- ExpandRange

std::vector<std::string> Expand(std::string_view pattern) {
  StatusOr<std::vector<std::string>> names = ExpandRange(pattern);
  EXPECT_TRUE(names.ok()) << pattern << ": " << names.status().ToString();
  return names.ok() ? *names : std::vector<std::string>{};
}

TEST(ExpandRangeTest, WithoutARangeReturnsThePattern) {
  EXPECT_THAT(Expand("acme/pump"), ElementsAre("acme/pump"));
  EXPECT_THAT(Expand(""), ElementsAre(""));
}

TEST(ExpandRangeTest, ZeroPadsToTheWidthWritten) {
  const std::vector<std::string> names = Expand("pump-{01..12}");
  ASSERT_EQ(names.size(), 12u);
  EXPECT_EQ(names.front(), "pump-01");
  EXPECT_EQ(names[8], "pump-09");
  EXPECT_EQ(names.back(), "pump-12");
  EXPECT_THAT(Expand("pump-{1..3}"), ElementsAre("pump-1", "pump-2", "pump-3"));
  EXPECT_THAT(Expand("p{8..11}x"), ElementsAre("p8x", "p9x", "p10x", "p11x"));
  EXPECT_THAT(Expand("m-{098..101}"), ElementsAre("m-098", "m-099", "m-100", "m-101"));
  EXPECT_THAT(Expand("{5..5}"), ElementsAre("5"));
  EXPECT_THAT(Expand("{0..2}/line"), ElementsAre("0/line", "1/line", "2/line"));
}

TEST(ExpandRangeTest, LargestAllowedRange) {
  EXPECT_EQ(Expand("s{0..99999}").size(), 100000u);
  StatusOr<std::vector<std::string>> too_many = ExpandRange("s{0..100000}");
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(), HasSubstr("more than 100000"));
}

TEST(ExpandRangeTest, BadRangesAreErrorsNamingThePattern) {
  for (const char* pattern : {"pump-{01..}", "pump-{..3}", "pump-{3..1}", "pump-{a..b}",
                              "pump-{1-3}", "pump-{1..3", "pump-{}", "pump-{-1..3}", "pump-{1...3}",
                              "pump-{1..2}-{1..2}", "pump-{ 1..3}", "pump-{1..99999999999}"}) {
    SCOPED_TRACE(pattern);
    StatusOr<std::vector<std::string>> names = ExpandRange(pattern);
    ASSERT_FALSE(names.ok());
    EXPECT_EQ(names.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(names.status().message(), HasSubstr(std::string("'") + pattern + "'"));
  }
  EXPECT_THAT(ExpandRange("pump-{1..2}-{1..2}").status().message(),
              HasSubstr("only one {first..last} range"));
}

}  // namespace
}  // namespace strata
