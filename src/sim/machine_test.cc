#include "sim/machine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numbers>
#include <vector>

namespace strata::sim {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kStart = int64_t{1'704'067'200} * kSecond;  // 2024-01-01T00:00:00Z
constexpr double kPi = std::numbers::pi;

// Captures long enough to resolve 1x sidebands: 0.8 s, 1.25 Hz resolution.
constexpr double kFs = 20480;
constexpr size_t kN = 16384;

MachineSpec PumpSpec() {
  MachineSpec spec;
  spec.name = "pump-01";
  spec.kind = MachineKind::kPump;
  return spec;
}

MachineSpec WithFault(MachineSpec spec, FaultKind kind, int64_t onset_ns, int64_t growth_ns) {
  spec.faults.push_back(FaultSpec{kind, onset_ns, growth_ns});
  return spec;
}

// ---- Signal analysis, written independently of the simulator -------------------------------

// RBJ biquad band-pass (0 dB at f0), applied forwards.
std::vector<double> BandPass(const std::vector<float>& x, double fs, double f0, double q) {
  const double w0 = 2 * kPi * f0 / fs;
  const double alpha = std::sin(w0) / (2 * q);
  const double a0 = 1 + alpha;
  const double b0 = alpha / a0, b2 = -alpha / a0;
  const double a1 = -2 * std::cos(w0) / a0, a2 = (1 - alpha) / a0;
  std::vector<double> y(x.size());
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double yi = b0 * x[i] + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = yi;
    y[i] = yi;
  }
  return y;
}

// Squared envelope with its mean removed: band-pass around the resonance, then square.
std::vector<double> SquaredEnvelope(const std::vector<float>& x, double fs, double f0) {
  std::vector<double> e = BandPass(x, fs, f0, 3.0);
  for (double& v : e) v *= v;
  double mean = 0;
  for (double v : e) mean += v;
  mean /= static_cast<double>(e.size());
  for (double& v : e) v -= mean;
  return e;
}

// Amplitude of the Hann-windowed DFT of `x` at an arbitrary frequency `f` (Hz).
double DftAmplitude(const std::vector<double>& x, double fs, double f) {
  std::complex<double> acc = 0;
  const double n = static_cast<double>(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double w = 0.5 - 0.5 * std::cos(2 * kPi * static_cast<double>(i) / n);
    const double phase = -2 * kPi * f * static_cast<double>(i) / fs;
    acc += w * x[i] * std::complex<double>(std::cos(phase), std::sin(phase));
  }
  return std::abs(acc) * 2 / (n / 2);  // Hann coherent gain 1/2: a sine reads its amplitude
}

std::vector<double> ToDouble(const std::vector<float>& x) { return {x.begin(), x.end()}; }

// Frequencies between 20 and 900 Hz away (> 6 Hz) from every line a healthy or faulty
// machine could put in the envelope: shaft harmonics, BPFO/BPFI harmonics and BPFI's 1x and
// 2x sidebands.
std::vector<double> NonDefectFrequencies(double fr, const DefectOrders& o) {
  std::vector<double> lines;
  for (int m = 1; m <= 25; ++m) {
    lines.push_back(m * fr);
    lines.push_back(m * o.bpfo * fr);
    for (int s = -2; s <= 2; ++s) lines.push_back((m * o.bpfi + s) * fr);
  }
  std::vector<double> out;
  for (double f = 20; f < 900; f += 3.7) {
    bool clear = true;
    for (double line : lines) clear = clear && std::abs(f - line) > 6;
    if (clear) out.push_back(f);
  }
  return out;
}

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

double Rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s / static_cast<double>(x.size()));
}

struct Envelope {
  std::vector<double> env;
  double fr = 0;
  double noise_median = 0;
  // Envelope amplitude at `order` x shaft speed, relative to the median non-defect line.
  double Ratio(double order) const { return DftAmplitude(env, kFs, order * fr) / noise_median; }
};

// Runs `spec` for a minute and takes the envelope of a capture.
Envelope CaptureEnvelope(const MachineSpec& spec) {
  MachineSim sim(spec, 42, kStart);
  ProcessSample s;
  for (int64_t t = kStart; t <= kStart + kMinute; t += kSecond) s = sim.Step(t);
  const WaveformBlock block = sim.Vibration(kStart + kMinute, kFs, kN);
  EXPECT_EQ(block.samples.size(), kN);
  EXPECT_EQ(block.sample_rate_hz, kFs);
  Envelope e;
  e.env = SquaredEnvelope(block.samples, kFs, spec.resonance_hz);
  e.fr = s.speed_rpm / 60;  // the running speed, with its slip
  std::vector<double> others;
  for (double f : NonDefectFrequencies(e.fr, sim.defect_orders())) {
    others.push_back(DftAmplitude(e.env, kFs, f));
  }
  EXPECT_GT(others.size(), 50u);
  e.noise_median = Median(others);
  return e;
}

// ---- Faults and names -------------------------------------------------------------------

TEST(FaultKindTest, NamesRoundTrip) {
  for (FaultKind kind : {FaultKind::kBearingOuterRace, FaultKind::kBearingInnerRace,
                         FaultKind::kImbalance, FaultKind::kCoolingLoss}) {
    FaultKind parsed = FaultKind::kBearingOuterRace;
    ASSERT_TRUE(ParseFaultKind(FaultKindName(kind), &parsed)) << FaultKindName(kind);
    EXPECT_EQ(parsed, kind);
  }
  EXPECT_STREQ(FaultKindName(FaultKind::kBearingOuterRace), "bearing_outer_race");
  EXPECT_STREQ(FaultKindName(FaultKind::kCoolingLoss), "cooling_loss");
  FaultKind unused = FaultKind::kImbalance;
  EXPECT_FALSE(ParseFaultKind("misalignment", &unused));
  EXPECT_FALSE(ParseFaultKind("", &unused));
  EXPECT_EQ(unused, FaultKind::kImbalance);
}

TEST(MachineSimTest, SeverityGrowsQuadraticallyFromOnset) {
  const int64_t onset = kStart + kHour;
  const int64_t growth = 2 * kHour;
  const MachineSpec spec = WithFault(PumpSpec(), FaultKind::kImbalance, onset, growth);
  MachineSim sim(spec, 1, kStart);
  const FaultSpec& f = spec.faults[0];
  EXPECT_EQ(sim.FaultSeverity(f, onset - 1), 0.0);
  EXPECT_EQ(sim.Severity(kStart), 0.0);
  EXPECT_EQ(sim.FaultSeverity(f, onset), 0.0);
  EXPECT_NEAR(sim.FaultSeverity(f, onset + growth / 2), 0.25, 1e-12);
  EXPECT_EQ(sim.FaultSeverity(f, onset + growth), 1.0);
  EXPECT_EQ(sim.Severity(onset + 10 * growth), 1.0);
  double previous = 0;
  for (int64_t t = onset - kHour; t <= onset + growth + kHour; t += kMinute) {
    const double s = sim.Severity(t);
    EXPECT_GE(s, previous);
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 1.0);
    previous = s;
  }
}

TEST(MachineSimTest, ZeroGrowthIsFullSeverityAtOnsetAndSeverityIsTheStrongestFault) {
  MachineSpec spec = WithFault(PumpSpec(), FaultKind::kBearingOuterRace, kStart + 3 * kHour, 0);
  spec = WithFault(spec, FaultKind::kCoolingLoss, kStart, 4 * kHour);
  MachineSim sim(spec, 1, kStart);
  EXPECT_EQ(sim.FaultSeverity(spec.faults[0], kStart + 3 * kHour - 1), 0.0);
  EXPECT_EQ(sim.FaultSeverity(spec.faults[0], kStart + 3 * kHour), 1.0);
  EXPECT_NEAR(sim.Severity(kStart + 2 * kHour), 0.25, 1e-12);  // cooling loss half-way
  EXPECT_EQ(sim.Severity(kStart + 3 * kHour), 1.0);            // the bearing
}

// ---- Determinism -------------------------------------------------------------------------

bool SameSample(const ProcessSample& a, const ProcessSample& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(MachineSimTest, SameSeedGivesBitIdenticalOutputsAndOtherSeedsDiffer) {
  const MachineSpec spec = WithFault(PumpSpec(), FaultKind::kBearingInnerRace, kStart, kHour);
  MachineSim a(spec, 7, kStart);
  MachineSim b(spec, 7, kStart);
  MachineSim c(spec, 8, kStart);
  int different_samples = 0;
  int different_blocks = 0;
  int64_t t = kStart;
  for (int i = 0; i < 200; ++i) {
    t += (i % 3 + 1) * kSecond;  // uneven steps
    const ProcessSample sa = a.Step(t);
    const ProcessSample sb = b.Step(t);
    const ProcessSample sc = c.Step(t);
    EXPECT_TRUE(SameSample(sa, sb)) << "step " << i;
    different_samples += SameSample(sa, sc) ? 0 : 1;
    if (i % 20 == 0) {
      const WaveformBlock va = a.Vibration(t, kFs, 4096);
      const WaveformBlock vb = b.Vibration(t, kFs, 4096);
      const WaveformBlock vc = c.Vibration(t, kFs, 4096);
      ASSERT_EQ(va.samples.size(), 4096u);
      EXPECT_EQ(va.samples, vb.samples) << "block at step " << i;
      different_blocks += va.samples == vc.samples ? 0 : 1;
    }
  }
  EXPECT_EQ(different_samples, 200);
  EXPECT_EQ(different_blocks, 10);
}

// ---- Vibration waveform -------------------------------------------------------------------

TEST(MachineSimTest, OuterRaceFaultShowsBpfoInTheEnvelopeSpectrum) {
  const Envelope healthy = CaptureEnvelope(PumpSpec());
  const Envelope faulty =
      CaptureEnvelope(WithFault(PumpSpec(), FaultKind::kBearingOuterRace, kStart, 0));
  const DefectOrders o = ComputeDefectOrders(PumpSpec().bearing);
  EXPECT_GT(faulty.Ratio(o.bpfo), 5.0);
  EXPECT_GT(faulty.Ratio(2 * o.bpfo), 5.0);
  EXPECT_GT(faulty.Ratio(3 * o.bpfo), 5.0);
  EXPECT_LT(faulty.Ratio(o.bpfi), 5.0);  // an outer race fault is not an inner race fault
  EXPECT_LT(healthy.Ratio(o.bpfo), 3.0);
  EXPECT_LT(healthy.Ratio(2 * o.bpfo), 3.0);
}

TEST(MachineSimTest, InnerRaceFaultShowsBpfiWithShaftSidebandsInTheEnvelopeSpectrum) {
  const Envelope healthy = CaptureEnvelope(PumpSpec());
  const Envelope faulty =
      CaptureEnvelope(WithFault(PumpSpec(), FaultKind::kBearingInnerRace, kStart, 0));
  const DefectOrders o = ComputeDefectOrders(PumpSpec().bearing);
  EXPECT_GT(faulty.Ratio(o.bpfi), 5.0);
  EXPECT_GT(faulty.Ratio(o.bpfi - 1), 3.0);  // load-zone modulation at 1x
  EXPECT_GT(faulty.Ratio(o.bpfi + 1), 3.0);
  EXPECT_GT(faulty.Ratio(1), 5.0);  // the modulation itself
  EXPECT_LT(faulty.Ratio(o.bpfo), 5.0);
  EXPECT_LT(healthy.Ratio(o.bpfi), 3.0);
}

TEST(MachineSimTest, ImbalanceGrowsTheOneTimesComponent) {
  auto one_x = [](const MachineSpec& spec) {
    MachineSim sim(spec, 3, kStart);
    const ProcessSample s = sim.Step(kStart + kSecond);
    const WaveformBlock block = sim.Vibration(kStart + kSecond, kFs, kN);
    const std::vector<double> x = ToDouble(block.samples);
    const double fr = s.speed_rpm / 60;
    return std::pair(DftAmplitude(x, kFs, fr), DftAmplitude(x, kFs, 2 * fr));
  };
  const auto [healthy_1x, healthy_2x] = one_x(PumpSpec());
  const auto [faulty_1x, faulty_2x] =
      one_x(WithFault(PumpSpec(), FaultKind::kImbalance, kStart, 0));
  EXPECT_GT(healthy_1x, 0.2);  // a healthy machine still has some residual imbalance
  EXPECT_LT(healthy_1x, 1.0);
  EXPECT_GT(faulty_1x, 5 * healthy_1x);
  EXPECT_NEAR(faulty_2x, healthy_2x, 0.2 * healthy_2x);  // imbalance is a 1x fault
}

TEST(MachineSimTest, ConsecutiveBlocksContinueOneAnother) {
  MachineSim sim(WithFault(PumpSpec(), FaultKind::kBearingOuterRace, kStart, 0), 5, kStart);
  const int64_t t = kStart + kSecond;
  sim.Step(t);
  constexpr size_t kHalf = 4096;
  const int64_t half_ns = static_cast<int64_t>(kHalf / kFs * 1e9);  // exactly 0.2 s
  const WaveformBlock whole = sim.Vibration(t, kFs, 2 * kHalf);
  const WaveformBlock first = sim.Vibration(t, kFs, kHalf);
  const WaveformBlock second = sim.Vibration(t + half_ns, kFs, kHalf);
  std::vector<float> joined = first.samples;
  joined.insert(joined.end(), second.samples.begin(), second.samples.end());
  std::vector<float> diff(joined.size());
  for (size_t i = 0; i < diff.size(); ++i) diff[i] = joined[i] - whole.samples[i];
  // Only the independent sensor noise differs: sqrt(2) x its RMS.
  EXPECT_GT(Rms(whole.samples), 1.0);
  EXPECT_LT(Rms(diff), 0.1);
}

// ---- Process signals -----------------------------------------------------------------------

struct Averages {
  double bearing_c = 0, winding_c = 0, vib_mm_s = 0, power_kw = 0, current_a = 0;
};

// Runs `spec` for 3 h in 10 s steps (several thermal time constants) and averages the last hour.
Averages RunAndAverage(const MachineSpec& spec) {
  MachineSim sim(spec, 11, kStart);
  Averages avg;
  int n = 0;
  for (int64_t t = kStart + 10 * kSecond; t <= kStart + 3 * kHour; t += 10 * kSecond) {
    const ProcessSample s = sim.Step(t);
    if (t <= kStart + 2 * kHour) continue;
    avg.bearing_c += s.bearing_temp_c;
    avg.winding_c += s.winding_temp_c;
    avg.vib_mm_s += s.vibration_rms_mm_s;
    avg.power_kw += s.power_kw;
    avg.current_a += s.current_a;
    ++n;
  }
  avg.bearing_c /= n;
  avg.winding_c /= n;
  avg.vib_mm_s /= n;
  avg.power_kw /= n;
  avg.current_a /= n;
  return avg;
}

TEST(MachineSimTest, HealthyPumpReadsPlausibly) {
  const Averages h = RunAndAverage(PumpSpec());
  EXPECT_GT(h.vib_mm_s, 1.0);
  EXPECT_LT(h.vib_mm_s, 2.0);
  EXPECT_NEAR(h.power_kw, 15 * 0.8, 0.6);
  EXPECT_NEAR(h.current_a, 28 * (0.35 + 0.65 * 0.8), 1.0);
  EXPECT_GT(h.bearing_c, 22 - 3 + 15);
  EXPECT_LT(h.bearing_c, 22 + 3 + 25);
  EXPECT_GT(h.winding_c, h.bearing_c);
}

TEST(MachineSimTest, FaultsAtFullSeverityHeatAndShakeTheMachine) {
  const int64_t onset = kStart + kSecond;  // after start, so the model must warm up itself
  const Averages healthy = RunAndAverage(PumpSpec());
  const Averages outer =
      RunAndAverage(WithFault(PumpSpec(), FaultKind::kBearingOuterRace, onset, 0));
  const Averages inner =
      RunAndAverage(WithFault(PumpSpec(), FaultKind::kBearingInnerRace, onset, 0));
  const Averages imbalance = RunAndAverage(WithFault(PumpSpec(), FaultKind::kImbalance, onset, 0));
  const Averages cooling = RunAndAverage(WithFault(PumpSpec(), FaultKind::kCoolingLoss, onset, 0));

  EXPECT_GT(outer.bearing_c, healthy.bearing_c + 8);
  EXPECT_GT(inner.bearing_c, healthy.bearing_c + 8);
  EXPECT_GT(outer.vib_mm_s, healthy.vib_mm_s + 1.5);
  EXPECT_GT(inner.vib_mm_s, healthy.vib_mm_s + 1.5);
  EXPECT_GT(imbalance.vib_mm_s, healthy.vib_mm_s + 4);
  EXPECT_GT(cooling.bearing_c, healthy.bearing_c + 15);
  EXPECT_GT(cooling.winding_c, healthy.winding_c + 25);
  EXPECT_NEAR(cooling.vib_mm_s, healthy.vib_mm_s, 0.2);  // a thermal fault does not shake
  EXPECT_GT(cooling.current_a, healthy.current_a);
  for (const Averages* f : {&outer, &inner, &imbalance, &cooling}) {
    EXPECT_GT(f->power_kw, healthy.power_kw);
  }
}

TEST(MachineSimTest, StoppedMachineIsStillCoolsAndCountsNothing) {
  MachineSpec spec = PumpSpec();
  spec.run_ns = 2 * kHour;
  spec.stop_ns = 2 * kHour;
  MachineSim sim(spec, 13, kStart);
  ProcessSample at_stop;
  for (int64_t t = kStart; t < kStart + 2 * kHour; t += kMinute) at_stop = sim.Step(t);
  EXPECT_EQ(at_stop.run_state, 1);
  EXPECT_GT(at_stop.parts_total, 0);
  EXPECT_GT(at_stop.energy_kwh, 0);
  EXPECT_FALSE(sim.Running(kStart + 2 * kHour));
  EXPECT_TRUE(sim.Running(kStart + 4 * kHour));

  ProcessSample previous = sim.Step(kStart + 2 * kHour + kMinute);
  const double parts = previous.parts_total;
  const double scrap = previous.scrap_total;
  const double energy = previous.energy_kwh;
  ProcessSample s;
  for (int64_t t = kStart + 2 * kHour + 2 * kMinute; t < kStart + 4 * kHour; t += kMinute) {
    s = sim.Step(t);
    EXPECT_EQ(s.run_state, 0);
    EXPECT_EQ(s.speed_rpm, 0);
    EXPECT_EQ(s.power_kw, 0);
    EXPECT_EQ(s.load_pct, 0);
    EXPECT_LT(s.current_a, 0.2);
    EXPECT_LT(s.vibration_rms_mm_s, 0.1);
    EXPECT_EQ(s.discharge_bar, 0);
    EXPECT_EQ(s.flow_m3_h, 0);
    EXPECT_EQ(s.parts_total, parts);
    EXPECT_EQ(s.scrap_total, scrap);
    EXPECT_EQ(s.energy_kwh, energy);
    EXPECT_LT(s.bearing_temp_c, previous.bearing_temp_c + 0.5);  // falling, up to noise
    previous = s;
  }
  // Two hours is six bearing time constants: at ambient, within noise and the daily drift.
  EXPECT_LT(s.bearing_temp_c, at_stop.bearing_temp_c - 15);
  EXPECT_NEAR(s.bearing_temp_c, s.ambient_temp_c, 1.0);
  EXPECT_NEAR(s.winding_temp_c, s.ambient_temp_c, 2.0);

  const WaveformBlock block = sim.Vibration(kStart + 4 * kHour - kMinute, kFs, 4096);
  EXPECT_LT(Rms(block.samples), 0.07);  // sensor noise only
  EXPECT_GT(Rms(block.samples), 0.03);

  // And it starts again on schedule.
  const ProcessSample restarted = sim.Step(kStart + 4 * kHour + kMinute);
  EXPECT_EQ(restarted.run_state, 1);
  EXPECT_GT(restarted.speed_rpm, 2800);
}

TEST(MachineSimTest, EnergyCounterIntegratesPower) {
  MachineSim sim(PumpSpec(), 17, kStart);
  const double e0 = sim.Step(kStart).energy_kwh;
  double power_sum = 0;
  double previous = e0;
  ProcessSample s;
  for (int i = 1; i <= 3600; ++i) {
    s = sim.Step(kStart + i * kSecond);
    power_sum += s.power_kw;
    EXPECT_GE(s.energy_kwh, previous);
    previous = s.energy_kwh;
  }
  const double mean_power_kw = power_sum / 3600;
  EXPECT_NEAR(s.energy_kwh - e0, mean_power_kw * 1.0, 0.01 * mean_power_kw);
  EXPECT_NEAR(s.energy_kwh - e0, 15 * 0.8, 1.0);
}

TEST(MachineSimTest, OneBigStepAcrossTheScheduleCountsOnlyRunningTime) {
  MachineSpec spec = PumpSpec();
  spec.run_ns = kHour;
  spec.stop_ns = kHour;
  MachineSim sim(spec, 19, kStart);
  const ProcessSample s = sim.Step(kStart + 4 * kHour);  // runs 0-1 h and 2-3 h
  EXPECT_NEAR(s.energy_kwh, 2 * 15 * 0.8, 0.1 * 2 * 15 * 0.8);
  EXPECT_NEAR(s.parts_total, 2 * 60 * 30, 0.1 * 2 * 60 * 30);
  EXPECT_EQ(s.run_state, 1);
}

TEST(MachineSimTest, ProductionCountsWholePartsAndScrapGrowsWithSeverity) {
  auto run = [](const MachineSpec& spec) {
    MachineSim sim(spec, 23, kStart);
    ProcessSample s;
    double parts = 0, scrap = 0;
    for (int64_t t = kStart; t <= kStart + kHour; t += 7 * kSecond) {
      s = sim.Step(t);
      EXPECT_EQ(s.parts_total, std::floor(s.parts_total));
      EXPECT_EQ(s.scrap_total, std::floor(s.scrap_total));
      EXPECT_GE(s.parts_total, parts);
      EXPECT_GE(s.scrap_total, scrap);
      EXPECT_LE(s.scrap_total, s.parts_total);
      parts = s.parts_total;
      scrap = s.scrap_total;
    }
    return s;
  };
  const ProcessSample healthy = run(PumpSpec());
  EXPECT_NEAR(healthy.parts_total, 30 * 60, 0.05 * 30 * 60);  // nominal rate for 1 h
  EXPECT_NEAR(healthy.scrap_total / healthy.parts_total, 0.01, 0.005);
  const ProcessSample faulty = run(WithFault(PumpSpec(), FaultKind::kImbalance, kStart, 0));
  EXPECT_NEAR(faulty.scrap_total / faulty.parts_total, 0.11, 0.01);
}

TEST(MachineSimTest, StateDoesNotDependOnTheStepSize) {
  // Cooling fails right after start: both temperatures climb for the whole hour.
  const MachineSpec spec = WithFault(PumpSpec(), FaultKind::kCoolingLoss, kStart + kSecond, 0);
  // Samples every 10 min over an hour, stepping in `step_ns`.
  auto run_one_hour = [&spec](int64_t step_ns) {
    MachineSim sim(spec, 29, kStart);
    std::vector<ProcessSample> marks;
    for (int64_t t = kStart + step_ns; t <= kStart + kHour; t += step_ns) {
      const ProcessSample s = sim.Step(t);
      if ((t - kStart) % (10 * kMinute) == 0) marks.push_back(s);
    }
    return marks;
  };
  const ProcessSample before = MachineSim(spec, 29, kStart).Step(kStart);
  const std::vector<ProcessSample> fine = run_one_hour(kSecond);
  ASSERT_EQ(fine.size(), 6u);
  EXPECT_GT(fine.back().bearing_temp_c, before.bearing_temp_c + 10);  // it did heat up
  EXPECT_GT(fine.back().winding_temp_c, before.winding_temp_c + 15);
  for (int64_t step_ns : {kMinute, 10 * kMinute}) {
    const std::vector<ProcessSample> coarse = run_one_hour(step_ns);
    ASSERT_EQ(coarse.size(), fine.size());
    for (size_t i = 0; i < fine.size(); ++i) {
      SCOPED_TRACE(testing::Message() << step_ns / kSecond << " s steps, mark " << i);
      // Sensor noise aside (0.1 and 0.2 Cel), the temperatures agree.
      EXPECT_NEAR(fine[i].bearing_temp_c, coarse[i].bearing_temp_c, 1.0);
      EXPECT_NEAR(fine[i].winding_temp_c, coarse[i].winding_temp_c, 1.0);
      EXPECT_NEAR(fine[i].energy_kwh, coarse[i].energy_kwh, 1e-3 * fine[i].energy_kwh);
      EXPECT_NEAR(fine[i].parts_total, coarse[i].parts_total, 1.0);
    }
  }
}

TEST(MachineSimTest, AmbientFollowsTheDailyCycle) {
  MachineSim sim(PumpSpec(), 31, kStart);
  double at5 = 0, at17 = 0;
  constexpr int kReads = 50;
  for (int i = 0; i < kReads; ++i) {
    at5 += sim.Step(kStart + 5 * kHour + i * kSecond).ambient_temp_c / kReads;
  }
  for (int i = 0; i < kReads; ++i) {
    at17 += sim.Step(kStart + 17 * kHour + i * kSecond).ambient_temp_c / kReads;
  }
  EXPECT_NEAR(at5, 22 - 3, 0.1);
  EXPECT_NEAR(at17, 22 + 3, 0.1);
}

TEST(MachineSimTest, PumpsHaveHydraulicsAndMotorsDoNot) {
  MachineSim pump(PumpSpec(), 37, kStart);
  MachineSpec motor_spec = PumpSpec();
  motor_spec.kind = MachineKind::kMotor;
  motor_spec.shaft_rpm = 1480;
  MachineSim motor(motor_spec, 37, kStart);
  for (int64_t t = kStart; t < kStart + 10 * kMinute; t += 10 * kSecond) {
    const ProcessSample p = pump.Step(t);
    EXPECT_GT(p.discharge_bar, 4.0);
    EXPECT_LT(p.discharge_bar, 6.0);
    EXPECT_GT(p.flow_m3_h, 0);
    EXPECT_GT(p.speed_rpm, 2900);  // a little slip
    EXPECT_LT(p.speed_rpm, 2950);
    const ProcessSample m = motor.Step(t);
    EXPECT_EQ(m.discharge_bar, 0);
    EXPECT_EQ(m.flow_m3_h, 0);
    EXPECT_GT(m.speed_rpm, 1450);
    EXPECT_LT(m.vibration_rms_mm_s, 2.0);  // velocity severity does not depend on speed
  }
}

}  // namespace
}  // namespace strata::sim
