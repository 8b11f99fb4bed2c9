#include "features/feature_extractor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sim/machine.h"

namespace strata::features {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kStart = 1'780'000'020 * kSec;  // on a minute boundary

std::string Example(const std::string& name) {
  return std::string(STRATA_DEFAULT_SOURCE_DIR) + "/examples/" + name;
}

class FeatureExtractorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = AssetModel::LoadFile(Example("assets.yaml"));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = *model;
    auto spec = LoadFeatureSpecFile(Example("features-bearing.yaml"));
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    spec_ = *spec;
  }

  // One minute of a simulated pump (process readings every second, a 4096-sample vibration
  // block every 5 s) as committed observations, fed to a window assembler; the completed
  // windows of that minute.
  std::vector<CompletedWindow> SimulatedMinute(const FeatureExtractor& x, sim::FaultKind kind,
                                               bool with_fault) {
    const Asset* asset = model_->FindAsset("acme/plant-1/line-1/pump-02");
    sim::MachineSpec spec;
    spec.name = "pump-02";
    if (with_fault) spec.faults.push_back(sim::FaultSpec{kind, 0, 0});
    sim::MachineSim machine(spec, 3, kStart - 600 * kSec);
    for (int64_t t = kStart - 600 * kSec; t < kStart; t += 10 * kSec) machine.Step(t);
    auto w = WindowAssembler::Create(model_, *asset->type, spec_.window, x.input_signals(),
                                     {.allowed_lateness_ns = 2 * kSec});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    std::vector<CompletedWindow> out;
    uint64_t seq = 100;
    auto scalar = [&](const char* signal, int64_t t, double v) {
      Observation o;
      o.signal = asset->FindSignal(signal);
      o.ts_ns = t;
      o.value = v;
      o.seq = ++seq;
      return o;
    };
    for (int64_t t = kStart; t < kStart + 60 * kSec; t += kSec) {
      const sim::ProcessSample s = machine.Step(t);
      std::vector<Observation> batch = {
          scalar("bearing_de.temp", t, s.bearing_temp_c),
          scalar("ambient.temp", t, s.ambient_temp_c), scalar("winding.temp", t, s.winding_temp_c),
          scalar("motor.current", t, s.current_a), scalar("speed", t, s.speed_rpm)};
      temps_.push_back(s.bearing_temp_c);
      ambients_.push_back(s.ambient_temp_c);
      if ((t - kStart) % (5 * kSec) == 0) {
        Observation o;
        o.signal = asset->FindSignal("bearing_de.accel");
        o.ts_ns = t;
        o.block = std::make_shared<WaveformBlock>(machine.Vibration(t, 10240, 4096));
        o.seq = ++seq;
        batch.push_back(o);
      }
      (*w)->Add(batch, &out);
    }
    (*w)->Flush(kStart + 60 * kSec, &out);
    return out;
  }

  std::shared_ptr<const AssetModel> model_;
  FeatureSpec spec_;
  std::vector<double> temps_, ambients_;
};

size_t IndexOf(const FeatureSpec& spec, const std::string& name) {
  for (size_t i = 0; i < spec.features.size(); ++i) {
    if (spec.features[i].name == name) return i;
  }
  ADD_FAILURE() << "no feature " << name;
  return 0;
}

TEST_F(FeatureExtractorTest, TheExampleSpecChecksAgainstTheExampleAssetModel) {
  EXPECT_TRUE(CheckFeatureSpec(spec_, *model_).ok()) << CheckFeatureSpec(spec_, *model_).ToString();
  EXPECT_EQ(spec_.asset_type, "centrifugal_pump");
  EXPECT_EQ(spec_.window.length_ns, 60 * kSec);
  auto x = FeatureExtractor::Create(spec_, *model_->FindType("centrifugal_pump"));
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_THAT((*x)->input_signals(),
              ::testing::ElementsAre("bearing_de.temp", "ambient.temp", "winding.temp",
                                     "motor.current", "speed", "bearing_de.accel"));
  // The motors have a different bearing but the same signals: the spec is for pumps only.
  auto motor = FeatureExtractor::Create(spec_, *model_->FindType("induction_motor"));
  EXPECT_FALSE(motor.ok());
}

TEST_F(FeatureExtractorTest, ComputesTheExampleSpecOnASimulatedPump) {
  auto x = FeatureExtractor::Create(spec_, *model_->FindType("centrifugal_pump"));
  ASSERT_TRUE(x.ok()) << x.status().ToString();
  std::vector<float> healthy(spec_.features.size()), faulty(spec_.features.size());
  {
    auto windows = SimulatedMinute(**x, sim::FaultKind::kBearingOuterRace, false);
    ASSERT_EQ(windows.size(), 1u);
    EXPECT_EQ(windows[0].start_ns, kStart);
    EXPECT_EQ(windows[0].Find("bearing_de.accel")->samples, 12u * 4096);
    ASSERT_TRUE((*x)->Compute(windows[0], healthy).ok());
  }
  double temp = 0, ambient = 0;
  for (size_t i = 0; i < temps_.size(); ++i) {
    temp += temps_[i];
    ambient += ambients_[i];
  }
  EXPECT_NEAR(healthy[IndexOf(spec_, "bearing_over_ambient")],
              (temp - ambient) / static_cast<double>(temps_.size()), 1e-4);
  EXPECT_NEAR(healthy[IndexOf(spec_, "speed_mean")], 2950, 100);
  temps_.clear();
  ambients_.clear();
  {
    auto windows = SimulatedMinute(**x, sim::FaultKind::kBearingOuterRace, true);
    ASSERT_EQ(windows.size(), 1u);
    ASSERT_TRUE((*x)->Compute(windows[0], faulty).ok());
  }
  for (size_t i = 0; i < spec_.features.size(); ++i) {
    EXPECT_TRUE(std::isfinite(healthy[i])) << spec_.features[i].name;
    EXPECT_TRUE(std::isfinite(faulty[i])) << spec_.features[i].name;
  }
  const size_t bpfo = IndexOf(spec_, "env_bpfo");
  const size_t bpfi = IndexOf(spec_, "env_bpfi");
  EXPECT_GT(faulty[bpfo], 5 * healthy[bpfo]);
  EXPECT_GT(faulty[bpfo], 3 * faulty[bpfi]);
  EXPECT_GT(faulty[IndexOf(spec_, "vib_kurtosis")], healthy[IndexOf(spec_, "vib_kurtosis")]);
  // Band energies tile 0 .. fs/2 and add up to the mean square.
  double bands = 0;
  for (const char* b : {"vib_band_0_500", "vib_band_500_2k", "vib_band_2k_4k", "vib_band_4k_5k"}) {
    bands += faulty[IndexOf(spec_, b)];
  }
  const double rms = faulty[IndexOf(spec_, "vib_rms")];
  EXPECT_NEAR(bands, rms * rms, 1e-4 * rms * rms);
}

TEST_F(FeatureExtractorTest, MissingDataIsNaNAndBadCallsAreErrors) {
  auto x = FeatureExtractor::Create(spec_, *model_->FindType("centrifugal_pump"));
  ASSERT_TRUE(x.ok());
  CompletedWindow w;
  w.asset = model_->FindAsset("acme/plant-1/line-1/pump-01");
  for (const auto& name : (*x)->input_signals()) {
    WindowSignal s;
    s.name = name;
    w.signals.push_back(s);
  }
  w.signals[0].scalars.push_back(ScalarSample{kStart, 40.0, 1});  // one bearing temperature
  std::vector<float> out(spec_.features.size());
  ASSERT_TRUE((*x)->Compute(w, out).ok());
  EXPECT_EQ(out[IndexOf(spec_, "bearing_temp_mean")], 40.0f);
  EXPECT_TRUE(std::isnan(out[IndexOf(spec_, "bearing_temp_slope")]));
  EXPECT_TRUE(std::isnan(out[IndexOf(spec_, "bearing_over_ambient")]));
  EXPECT_TRUE(std::isnan(out[IndexOf(spec_, "vib_rms")]));
  EXPECT_TRUE(std::isnan(out[IndexOf(spec_, "env_bpfo")]));

  std::vector<float> short_out(3);
  EXPECT_EQ((*x)->Compute(w, short_out).code(), StatusCode::kInvalidArgument);
  w.signals.pop_back();
  Status s = (*x)->Compute(w, out);
  EXPECT_THAT(s.message(), ::testing::HasSubstr("carries no signal 'bearing_de.accel'"));
}

}  // namespace
}  // namespace strata::features
