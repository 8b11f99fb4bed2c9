#include "features/vibration_features.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/machine.h"

namespace strata::features {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kFs = 10240;

std::vector<float> Sine(double amplitude, double freq_hz, size_t n, double fs = kFs) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] =
        static_cast<float>(amplitude * std::sin(2 * kPi * freq_hz * static_cast<double>(i) / fs));
  }
  return x;
}

TEST(VibrationFeaturesTest, SineClosedForms) {
  // 40 Hz at 10240 Hz: 256 samples per period, so the samples hit the crests exactly.
  const double a = 2.0;
  const WaveformStats st = ComputeWaveformStats(Sine(a, 40, 10240));
  EXPECT_NEAR(st.rms, a / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(st.peak, a, 1e-6);
  EXPECT_NEAR(st.peak_to_peak, 2 * a, 1e-6);
  EXPECT_NEAR(st.crest_factor, std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(st.kurtosis, 1.5, 1e-6);  // Pearson
  EXPECT_NEAR(st.skewness, 0.0, 1e-6);
  EXPECT_EQ(st.n, 10240u);
}

TEST(VibrationFeaturesTest, GaussianNoiseHasKurtosisThree) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.5f, 2.0f);
  std::vector<float> x(200000);
  for (auto& v : x) v = normal(rng);
  const WaveformStats st = ComputeWaveformStats(x);
  EXPECT_NEAR(st.kurtosis, 3.0, 0.05);
  EXPECT_NEAR(st.skewness, 0.0, 0.02);
  EXPECT_NEAR(st.rms, std::sqrt(0.25 + 4.0), 0.02);
}

TEST(VibrationFeaturesTest, ConstantOrEmptyIsNaNWhereItDividesByZero) {
  const std::vector<float> flat(100, 0.0f);
  const WaveformStats st = ComputeWaveformStats(flat);
  EXPECT_EQ(st.rms, 0.0);
  EXPECT_TRUE(std::isnan(st.crest_factor));
  EXPECT_TRUE(std::isnan(st.kurtosis));
  EXPECT_TRUE(std::isnan(ComputeWaveformStats(std::span<const float>()).rms));
  SpectrumWorkspace ws;
  EXPECT_TRUE(std::isnan(ws.BandEnergy({}, kFs, 0, 100)));
}

TEST(VibrationFeaturesTest, BandEnergyOfAToneLiesInItsBandAndBandsAddUpToMeanSquare) {
  SpectrumWorkspace ws;
  const double a = 3.0;
  std::vector<float> x = Sine(a, 1000, 4096);  // 1000 Hz = bin 400 at 2.5 Hz per bin
  const std::vector<float> tone2 = Sine(0.5, 3500, 4096);
  for (size_t i = 0; i < x.size(); ++i) x[i] += tone2[i] + 0.25f;  // and a DC offset
  EXPECT_NEAR(ws.BandEnergy(x, kFs, 900, 1100), a * a / 2, 1e-4);
  EXPECT_NEAR(ws.BandEnergy(x, kFs, 3000, 4000), 0.125, 1e-5);
  EXPECT_NEAR(ws.BandEnergy(x, kFs, 0, 1), 0.0625, 1e-5);  // DC
  EXPECT_NEAR(ws.BandEnergy(x, kFs, 1200, 3000), 0.0, 1e-6);
  const WaveformStats st = ComputeWaveformStats(x);
  double sum = 0;
  for (double lo = 0; lo < kFs / 2 + 1; lo += 500) sum += ws.BandEnergy(x, kFs, lo, lo + 500);
  EXPECT_NEAR(sum, st.rms * st.rms, 1e-5 * st.rms * st.rms);
  // Any length (not a power of two), odd included.
  const std::vector<float> odd = Sine(1.0, 1000, 3001);
  EXPECT_NEAR(ws.BandEnergy(odd, kFs, 0, kFs), 0.5, 1e-3);
}

TEST(VibrationFeaturesTest, EnvelopeOfAnAmplitudeModulatedCarrier) {
  // x = (1 + m cos(2 pi fm t)) sin(2 pi fc t): its envelope is 1 + m cos(2 pi fm t), whose
  // spectrum has amplitude m at fm.
  const size_t n = 4096;
  const double m = 0.4, fm = 100, fc = 3000;
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kFs;
    x[i] = static_cast<float>((1 + m * std::cos(2 * kPi * fm * t)) * std::sin(2 * kPi * fc * t));
  }
  SpectrumWorkspace ws;
  EXPECT_NEAR(ws.EnvelopeAmplitude(x, kFs, fm, 0.02), m, 1e-3);
  EXPECT_NEAR(ws.EnvelopeAmplitude(x, kFs, fm * 1.01, 0.02), m, 1e-3);  // within tolerance
  EXPECT_NEAR(ws.EnvelopeAmplitude(x, kFs, 150, 0.02), 0.0, 1e-3);
  EXPECT_NEAR(ws.EnvelopeAmplitude(x, kFs, fm, 0.02, 2000, 4000), m, 1e-3);  // band-passed
  EXPECT_TRUE(std::isnan(ws.EnvelopeAmplitude(x, kFs, 6000, 0.02)));         // above Nyquist
  EXPECT_TRUE(std::isnan(ws.EnvelopeAmplitude(x, kFs, 0, 0.02)));
}

TEST(VibrationFeaturesTest, PartsAreAveragedBySampleCount) {
  auto block = std::make_shared<WaveformBlock>();
  block->sample_rate_hz = kFs;
  block->samples = Sine(1.0, 1000, 4096);
  const std::vector<float> loud = Sine(2.0, 1000, 2048);
  block->samples.insert(block->samples.end(), loud.begin(), loud.end());
  const std::vector<WaveformPart> parts = {{0, kFs, block, 0, 4096, 1},
                                           {0, kFs, block, 4096, 2048, 2}};
  SpectrumWorkspace ws;
  EXPECT_NEAR(BandEnergy(ws, parts, 900, 1100), (4096 * 0.5 + 2048 * 2.0) / 6144, 1e-4);
  EXPECT_TRUE(std::isnan(BandEnergy(ws, {}, 0, 100)));
}

// ---- Against numpy/scipy ----------------------------------------------------------------

// The reference: the same definitions in numpy/scipy, float64 throughout. Reads samples (one
// per line) and parameters; prints one value per line.
constexpr const char* kReference = R"PY(
import sys
import numpy as np
import scipy.stats
import scipy.signal

path, fs = sys.argv[1], float(sys.argv[2])
x = np.loadtxt(path, dtype=np.float64)
n = len(x)
out = []
rms = np.sqrt(np.mean(x * x))
peak = np.max(np.abs(x))
out += [rms, peak, np.max(x) - np.min(x), peak / rms,
        scipy.stats.kurtosis(x, fisher=False), scipy.stats.skew(x)]

spec = np.fft.rfft(x)
freqs = np.arange(len(spec)) * fs / n
w = np.full(len(spec), 2.0)
w[0] = 1.0
if n % 2 == 0:
    w[-1] = 1.0
power = w * np.abs(spec) ** 2 / n ** 2
args = sys.argv[3:]
bands = int(args.pop(0))
for _ in range(bands):
    lo, hi = float(args.pop(0)), float(args.pop(0))
    out.append(np.sum(power[(freqs >= lo) & (freqs < hi)]))

envs = int(args.pop(0))
for _ in range(envs):
    f, tol, lo, hi = (float(args.pop(0)) for _ in range(4))
    y = x
    if hi > 0:
        masked = np.where((freqs >= lo) & (freqs < hi), spec, 0)
        y = np.fft.irfft(masked, n)
    env = np.abs(scipy.signal.hilbert(y))
    env = env - env.mean()
    amp = 2 * np.abs(np.fft.fft(env)) / n
    k = np.arange(1, (n + 1) // 2)
    fk = k * fs / n
    sel = np.abs(fk - f) <= max(tol * f, 2 * fs / n)
    out.append(np.max(amp[k[sel]]))
print("\n".join(repr(float(v)) for v in out))
)PY";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "strata-features-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<double> RunReference(const std::vector<float>& x, double fs,
                                 const std::vector<std::pair<double, double>>& bands,
                                 const std::vector<std::array<double, 4>>& envelopes) {
  TempDir dir;
  {
    std::ofstream script(dir.File("reference.py"));
    script << kReference;
    std::ofstream data(dir.File("x.txt"));
    for (float v : x) data << fmt::format("{}\n", static_cast<double>(v));  // exact
  }
  std::string cmd = fmt::format("/usr/bin/python3 {} {} {} {}", dir.File("reference.py"),
                                dir.File("x.txt"), fs, bands.size());
  for (auto [lo, hi] : bands) cmd += fmt::format(" {} {}", lo, hi);
  cmd += fmt::format(" {}", envelopes.size());
  for (const auto& e : envelopes) cmd += fmt::format(" {} {} {} {}", e[0], e[1], e[2], e[3]);
  cmd += " > " + dir.File("out.txt") + " 2> " + dir.File("err.txt");
  const int rc = std::system(cmd.c_str());
  std::ifstream err(dir.File("err.txt"));
  std::stringstream err_text;
  err_text << err.rdbuf();
  EXPECT_EQ(rc, 0) << cmd << "\n" << err_text.str();
  std::vector<double> out;
  std::ifstream in(dir.File("out.txt"));
  for (double v; in >> v;) out.push_back(v);
  return out;
}

// A noisy outer-race fault on the demo pump's bearing (examples/plant.yaml), from the
// simulator, plus extra broadband noise.
struct FaultSignal {
  std::vector<float> x;
  double shaft_hz = 0;
  DefectOrders orders;
};

FaultSignal MakeFaultSignal(sim::FaultKind kind, size_t n) {
  sim::MachineSpec spec;
  spec.name = "pump-01";
  spec.bearing = BearingGeometry{9, 7.94, 39.04, 0};
  spec.faults.push_back(sim::FaultSpec{kind, 0, 0});
  const int64_t start = 1'780'000'000'000'000'000;
  sim::MachineSim machine(spec, 11, start);
  sim::ProcessSample s;
  for (int64_t t = start; t <= start + 60'000'000'000; t += 1'000'000'000) s = machine.Step(t);
  WaveformBlock block = machine.Vibration(start + 60'000'000'000, kFs, n);
  std::mt19937 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  for (auto& v : block.samples) v += noise(rng);
  return FaultSignal{block.samples, s.speed_rpm / 60.0, ComputeDefectOrders(spec.bearing)};
}

TEST(VibrationFeaturesTest, MatchesNumpyScipyOnASimulatedBearingFault) {
  const FaultSignal sig = MakeFaultSignal(sim::FaultKind::kBearingOuterRace, 4096);
  const double bpfo = sig.orders.bpfo * sig.shaft_hz;
  const double bpfi = sig.orders.bpfi * sig.shaft_hz;
  const std::vector<std::pair<double, double>> bands = {
      {0, 500}, {500, 2000}, {2000, 4000}, {4000, 5121}, {2950, 3050}};
  const std::vector<std::array<double, 4>> envs = {{bpfo, 0.02, 0, 0},
                                                   {bpfi, 0.02, 0, 0},
                                                   {bpfo, 0.02, 2000, 4000},
                                                   {bpfi, 0.05, 2000, 4000},
                                                   {sig.orders.ftf * sig.shaft_hz, 0.02, 0, 0},
                                                   {sig.orders.bsf * sig.shaft_hz, 0.02, 0, 0}};
  const std::vector<double> ref = RunReference(sig.x, kFs, bands, envs);
  ASSERT_EQ(ref.size(), 6 + bands.size() + envs.size());

  // Statistics: float samples, double sums on both sides.
  const WaveformStats st = ComputeWaveformStats(sig.x);
  const double stats[] = {st.rms,          st.peak,     st.peak_to_peak,
                          st.crest_factor, st.kurtosis, st.skewness};
  const char* names[] = {"rms", "peak", "peak_to_peak", "crest", "kurtosis", "skewness"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_NEAR(stats[i], ref[i], 1e-9 * std::max(1.0, std::abs(ref[i]))) << names[i];
  }
  // FFT features: KissFFT works in float, the reference in double. Band energies within
  // 1e-5 of the total mean square; envelope amplitudes within 1e-3 relative + 1e-5 absolute.
  SpectrumWorkspace ws;
  const double total = st.rms * st.rms;
  for (size_t b = 0; b < bands.size(); ++b) {
    EXPECT_NEAR(ws.BandEnergy(sig.x, kFs, bands[b].first, bands[b].second), ref[6 + b],
                1e-5 * total)
        << "band " << bands[b].first << ".." << bands[b].second;
  }
  for (size_t e = 0; e < envs.size(); ++e) {
    const double want = ref[6 + bands.size() + e];
    EXPECT_NEAR(ws.EnvelopeAmplitude(sig.x, kFs, envs[e][0], envs[e][1], envs[e][2], envs[e][3]),
                want, 1e-3 * want + 1e-5)
        << "envelope " << e << " at " << envs[e][0] << " Hz";
  }
  // And the physics: an outer-race fault shows at BPFO in the envelope, not at BPFI.
  const double env_bpfo = ref[6 + bands.size() + 2];
  const double env_bpfi = ref[6 + bands.size() + 3];
  EXPECT_GT(env_bpfo, 3 * env_bpfi);
  EXPECT_GT(st.kurtosis, 3.0);
}

TEST(VibrationFeaturesTest, InnerRaceFaultShowsAtBpfi) {
  const FaultSignal inner = MakeFaultSignal(sim::FaultKind::kBearingInnerRace, 4096);
  SpectrumWorkspace ws;
  const double at_bpfi =
      ws.EnvelopeAmplitude(inner.x, kFs, inner.orders.bpfi * inner.shaft_hz, 0.02, 2000, 4000);
  const double at_bpfo =
      ws.EnvelopeAmplitude(inner.x, kFs, inner.orders.bpfo * inner.shaft_hz, 0.02, 2000, 4000);
  EXPECT_GT(at_bpfi, 2 * at_bpfo);
}

}  // namespace
}  // namespace strata::features
