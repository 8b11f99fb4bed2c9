// The plant model behind MachineSim. Each signal is a simple physical law with a few
// constants, chosen so that a healthy machine reads like a real one on a dashboard and each
// fault moves the signals an analyst would look at:
//
//   load        nominal_load wandering by smooth random noise (std about 2 % of nominal, so
//               within about +-5 %; correlation times of minutes), clamped to [0, 1.1]. A
//               pure function of time, so the state does not depend on the step size.
//   speed       induction-motor slip: shaft_rpm * (1 - 1.5 % * load).
//   power       rated_power * load * (1 + fault losses); current = rated_current *
//               (0.35 magnetising + 0.65 * load * (1 + fault losses)).
//   energy      the integral of the noise-free power (midpoint rule over pieces of <= 30 s,
//               split at run/stop switches), so it does not depend on the step size.
//   ambient     ambient_mean +- 3 Cel daily cycle, coldest at 05:00 UTC.
//   temps       first-order lags, updated exactly (exp(-dt/tau)) for any step size.
//   vib_rms     velocity RMS of the same 1x/2x/3x harmonics that Vibration() generates, plus a
//               broadband floor and a bearing-damage term.
//   pump        affinity laws on a falling pump curve; flow from the hydraulic power.
//   production  parts at parts_per_minute * load / nominal_load while running.
//   Vibration() shaft harmonics + impacts ringing a structural resonance + sensor noise.
//
// Randomness: all of it comes from the member std::mt19937_64, either directly (sensor noise)
// or through a fixed hash of a key drawn from it (load wander and bearing impact jitter,
// which must be pure functions of time: the first so that the state does not depend on the
// step size, the second so that consecutive vibration blocks agree). Box-Muller is our own; the
// standard distributions are avoided because their algorithms differ between standard libraries.
#include "sim/machine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>

namespace strata::sim {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kNsToS = 1e-9;

// Load (fraction of rated power): value noise in two octaves, relative to nominal_load.
constexpr int64_t kLoadSlowKnotNs = int64_t{600} * 1'000'000'000;  // 10 min
constexpr double kLoadSlowSigma = 0.02;
constexpr int64_t kLoadFastKnotNs = int64_t{60} * 1'000'000'000;  // 1 min
constexpr double kLoadFastSigma = 0.01;
constexpr double kMaxLoad = 1.1;
// Step() integrates in pieces no longer than this, so that long steps follow the load.
constexpr int64_t kMaxIntegrationNs = int64_t{30} * 1'000'000'000;

// Drive.
constexpr double kSlipAtFullLoad = 0.015;       // fraction of shaft_rpm lost at load 1
constexpr double kSpeedNoiseRpm = 0.5;          // speed sensor noise, std
constexpr double kMagnetisingCurrent = 0.35;    // fraction of rated current at no load
constexpr double kCurrentNoiseRel = 0.005;      // of rated current, std
constexpr double kStoppedCurrentNoiseA = 0.02;  // current clamp reading of a stopped motor
constexpr double kPowerNoiseRel = 0.005;        // of the instantaneous power, std
// Extra power at full severity, as a fraction of the load power: friction of a damaged
// bearing, the unbalanced rotor's extra bearing load, and hotter (higher-resistance)
// windings and fan losses when cooling fails.
constexpr double kRaceFaultLoss = 0.03;
constexpr double kImbalanceLoss = 0.02;
constexpr double kCoolingLossLoss = 0.03;

// Ambient (Cel).
constexpr double kAmbientSwingC = 3;          // amplitude of the daily cycle
constexpr double kAmbientColdestHourUtc = 5;  // hour of the daily minimum
constexpr double kAmbientNoiseC = 0.1;

// Bearing and winding temperatures (Cel, first-order lags). Rises are above ambient.
constexpr double kBearingTauS = 20 * 60;
constexpr double kBearingRiseFullLoadC = 25;
constexpr double kBearingRaceFaultRiseC = 15;  // outer or inner race at full severity
constexpr double kBearingCoolingLossRiseC = 25;
constexpr double kBearingNoiseC = 0.1;
constexpr double kWindingTauS = 30 * 60;
constexpr double kWindingRiseFullLoadC = 50;
constexpr double kWindingCoolingLossRiseC = 40;
constexpr double kWindingNoiseC = 0.2;

// Shaft harmonics: peak acceleration (m/s2) of 1x, 2x, 3x at nominal load for a shaft of
// kRefShaftHz. Other shaft speeds scale them by speed, which keeps the velocity (what ISO
// 10816 judges) the same: 1x is 1.62 mm/s peak, 1.15 mm/s RMS on any machine.
constexpr double kHarmonicAccel[3] = {0.5, 0.2, 0.1};
constexpr double kRefShaftHz = 2950.0 / 60.0;
constexpr double kImbalanceGain = 6;  // 1x amplitude x (1 + 6 * severity): x7 at full

// Velocity RMS, mm/s, 10-1000 Hz.
constexpr double kVibBandLowHz = 10;
constexpr double kVibBandHighHz = 1000;
constexpr double kVibFloorMmS = 0.4;  // broadband: flow, bearings, electrical
// Bearing damage at full severity, RMS velocity added in quadrature: the low-frequency
// share of the impacts plus the looseness and rubbing that come with advanced wear. The
// high-frequency impacts themselves hardly register in velocity.
constexpr double kOuterRaceVibMmS = 4.0;  // about +3 mm/s on a healthy 1.2 mm/s
constexpr double kInnerRaceVibMmS = 3.5;  // about +2.5 mm/s
constexpr double kVibNoiseRel = 0.03;
constexpr double kStoppedVibMmS = 0.03;  // sensor noise floor of a stopped machine

// Bearing impacts in the acceleration waveform.
constexpr double kImpactPeakM_S2 = 20;      // impulse amplitude at full severity
constexpr double kResonanceDamping = 0.05;  // damping ratio of the structural resonance
constexpr double kImpactTailTaus = 10;      // ringing is cut after this many time constants
constexpr double kImpactJitter = 0.015;     // +- fraction of the impact period (slip)
constexpr double kImpactAmpSpread = 0.1;    // +- fraction of impulse amplitude
constexpr double kSensorNoiseM_S2 = 0.05;   // accelerometer noise, RMS

// Pumps: p = kShutoffBar (n/n0)^2 - kCurveDropBar (Q/Q_nom)^2, so about 5 bar at nominal
// flow, 6 bar at shut-off, 4 bar at 1.1 load. Q_nom follows from the hydraulic power:
// Q = eta P / dp at nominal load and 5 bar.
constexpr double kShutoffBar = 6;
constexpr double kCurveDropBar = 1;
constexpr double kPumpEfficiency = 0.7;
constexpr double kNominalHeadPa = 5e5;
constexpr double kPressureNoiseBar = 0.02;
constexpr double kFlowNoiseRel = 0.01;

// Production.
constexpr double kFaultScrapRate = 0.10;  // extra scrap fraction at full severity

// Streams of the hashed randomness.
constexpr uint64_t kStreamOuterRace = 1;
constexpr uint64_t kStreamInnerRace = 2;
constexpr uint64_t kStreamLoadSlow = 3;
constexpr uint64_t kStreamLoadFast = 4;

// splitmix64's finaliser: a fixed bijective mix, the same on every platform.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Uniform [0, 1) from a hash of (key, stream, k, salt).
double HashUniform(uint64_t key, uint64_t stream, int64_t k, uint64_t salt) {
  const uint64_t h = Mix(key ^ Mix(stream * 4 + salt) ^ Mix(static_cast<uint64_t>(k)));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

double Frac(double x) { return x - std::floor(x); }

// Floor modulo and division for a positive period.
int64_t FloorMod(int64_t a, int64_t period) {
  const int64_t r = a % period;
  return r < 0 ? r + period : r;
}
int64_t FloorDiv(int64_t a, int64_t period) { return (a - FloorMod(a, period)) / period; }

// Smooth Gaussian value noise, unit variance at the knots: independent standard normals at
// multiples of `knot_ns`, joined by smoothstep (C1) curves.
double ValueNoise(uint64_t key, uint64_t stream, int64_t knot_ns, int64_t t_ns) {
  auto knot = [&](int64_t k) {  // Box-Muller on two hashed uniforms
    const double u1 = 1.0 - HashUniform(key, stream, k, 0);
    const double u2 = HashUniform(key, stream, k, 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * kPi * u2);
  };
  const int64_t k = FloorDiv(t_ns, knot_ns);
  const double u = static_cast<double>(FloorMod(t_ns, knot_ns)) / static_cast<double>(knot_ns);
  const double w = u * u * (3 - 2 * u);
  const double v0 = knot(k);
  return v0 + (knot(k + 1) - v0) * w;
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kBearingOuterRace:
      return "bearing_outer_race";
    case FaultKind::kBearingInnerRace:
      return "bearing_inner_race";
    case FaultKind::kImbalance:
      return "imbalance";
    case FaultKind::kCoolingLoss:
      return "cooling_loss";
  }
  return "unknown";
}

bool ParseFaultKind(const std::string& name, FaultKind* out) {
  for (FaultKind kind : {FaultKind::kBearingOuterRace, FaultKind::kBearingInnerRace,
                         FaultKind::kImbalance, FaultKind::kCoolingLoss}) {
    if (name == FaultKindName(kind)) {
      *out = kind;
      return true;
    }
  }
  return false;
}

MachineSim::MachineSim(MachineSpec spec, uint64_t seed, int64_t start_ns)
    : spec_(std::move(spec)),
      orders_(ComputeDefectOrders(spec_.bearing)),
      rng_(seed),
      start_ns_(start_ns),
      last_ns_(start_ns),
      bearing_temp_c_(0),
      winding_temp_c_(0) {
  hash_key_ = rng_();
  for (double& phase : harmonic_phase_) phase = 2 * kPi * Uniform();
  // The machine has been in its current state long enough to be at thermal equilibrium.
  ThermalTargets(start_ns, Running(start_ns), Load(start_ns), &bearing_temp_c_, &winding_temp_c_);
}

double MachineSim::Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

double MachineSim::Normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - Uniform();  // (0, 1]: log() stays finite
  const double u2 = Uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_normal_ = r * std::sin(2 * kPi * u2);
  has_spare_normal_ = true;
  return r * std::cos(2 * kPi * u2);
}

double MachineSim::FaultSeverity(const FaultSpec& fault, int64_t t_ns) const {
  if (t_ns < fault.onset_ns) return 0;
  if (fault.growth_ns <= 0) return 1;
  const double x = std::min(
      1.0, static_cast<double>(t_ns - fault.onset_ns) / static_cast<double>(fault.growth_ns));
  return x * x;
}

double MachineSim::Severity(int64_t t_ns) const {
  double s = 0;
  for (const FaultSpec& f : spec_.faults) s = std::max(s, FaultSeverity(f, t_ns));
  return s;
}

double MachineSim::KindSeverity(FaultKind kind, int64_t t_ns) const {
  double s = 0;
  for (const FaultSpec& f : spec_.faults) {
    if (f.kind == kind) s = std::max(s, FaultSeverity(f, t_ns));
  }
  return s;
}

bool MachineSim::Running(int64_t t_ns) const {
  if (spec_.stop_ns <= 0) return true;
  if (spec_.run_ns <= 0) return false;
  return FloorMod(t_ns - start_ns_, spec_.run_ns + spec_.stop_ns) < spec_.run_ns;
}

int64_t MachineSim::NextScheduleChange(int64_t t_ns) const {
  if (spec_.stop_ns <= 0 || spec_.run_ns <= 0) return std::numeric_limits<int64_t>::max();
  const int64_t period = spec_.run_ns + spec_.stop_ns;
  const int64_t p = FloorMod(t_ns - start_ns_, period);
  return t_ns + (p < spec_.run_ns ? spec_.run_ns - p : period - p);
}

double MachineSim::AmbientC(int64_t t_ns) const {
  constexpr int64_t kDayNs = int64_t{86400} * 1'000'000'000;
  const double hour = static_cast<double>(FloorMod(t_ns, kDayNs)) * kNsToS / 3600.0;
  return spec_.ambient_mean_c -
         kAmbientSwingC * std::cos(2 * kPi * (hour - kAmbientColdestHourUtc) / 24.0);
}

double MachineSim::Load(int64_t t_ns) const {
  const double wander =
      kLoadSlowSigma * ValueNoise(hash_key_, kStreamLoadSlow, kLoadSlowKnotNs, t_ns) +
      kLoadFastSigma * ValueNoise(hash_key_, kStreamLoadFast, kLoadFastKnotNs, t_ns);
  return std::clamp(spec_.nominal_load * (1 + wander), 0.0, kMaxLoad);
}

double MachineSim::SpeedHz(double load) const {
  return shaft_hz() * (1.0 - kSlipAtFullLoad * load);
}

double MachineSim::LossFactor(int64_t t_ns) const {
  return 1.0 + kRaceFaultLoss * KindSeverity(FaultKind::kBearingOuterRace, t_ns) +
         kRaceFaultLoss * KindSeverity(FaultKind::kBearingInnerRace, t_ns) +
         kImbalanceLoss * KindSeverity(FaultKind::kImbalance, t_ns) +
         kCoolingLossLoss * KindSeverity(FaultKind::kCoolingLoss, t_ns);
}

void MachineSim::ThermalTargets(int64_t t_ns, bool running, double load, double* bearing_c,
                                double* winding_c) const {
  const double ambient = AmbientC(t_ns);
  *bearing_c = ambient;
  *winding_c = ambient;
  if (!running) return;  // no losses, no friction: everything cools to ambient
  const double race = std::max(KindSeverity(FaultKind::kBearingOuterRace, t_ns),
                               KindSeverity(FaultKind::kBearingInnerRace, t_ns));
  const double cooling = KindSeverity(FaultKind::kCoolingLoss, t_ns);
  *bearing_c += kBearingRiseFullLoadC * load + kBearingRaceFaultRiseC * race +
                kBearingCoolingLossRiseC * cooling;
  *winding_c += kWindingRiseFullLoadC * load + kWindingCoolingLossRiseC * cooling;
}

void MachineSim::Integrate(int64_t a_ns, int64_t b_ns, bool running) {
  // Midpoint rule: load, ambient and severity change little over a piece.
  const double h_s = static_cast<double>(b_ns - a_ns) * kNsToS;
  const int64_t mid_ns = a_ns + (b_ns - a_ns) / 2;
  const double load = running ? Load(mid_ns) : 0.0;

  // Exact solution of dT/dt = (target - T) / tau for a target held over the piece.
  double bearing_target = 0;
  double winding_target = 0;
  ThermalTargets(mid_ns, running, load, &bearing_target, &winding_target);
  bearing_temp_c_ =
      bearing_target + (bearing_temp_c_ - bearing_target) * std::exp(-h_s / kBearingTauS);
  winding_temp_c_ =
      winding_target + (winding_temp_c_ - winding_target) * std::exp(-h_s / kWindingTauS);
  if (!running) return;

  const double power_kw = spec_.rated_power_kw * load * LossFactor(mid_ns);
  energy_kwh_ += power_kw * h_s / 3600.0;
  shaft_cycles_ += SpeedHz(load) * h_s;

  const double load_ratio = spec_.nominal_load > 0 ? load / spec_.nominal_load : 0.0;
  const double made = spec_.parts_per_minute * load_ratio * h_s / 60.0;
  const double scrap_rate =
      std::clamp(spec_.base_scrap_rate + kFaultScrapRate * Severity(mid_ns), 0.0, 1.0);
  part_fraction_ += made;
  scrap_fraction_ += made * scrap_rate;
  const double whole_parts = std::floor(part_fraction_);
  const double whole_scrap = std::floor(scrap_fraction_);
  parts_ += whole_parts;
  part_fraction_ -= whole_parts;
  scrap_ += whole_scrap;
  scrap_fraction_ -= whole_scrap;
}

double MachineSim::HarmonicAmplitude(int h, double load, int64_t t_ns) const {
  const double load_ratio = spec_.nominal_load > 0 ? load / spec_.nominal_load : 0.0;
  double a = kHarmonicAccel[h - 1] * (shaft_hz() / kRefShaftHz) * (0.5 + 0.5 * load_ratio);
  if (h == 1) a *= 1.0 + kImbalanceGain * KindSeverity(FaultKind::kImbalance, t_ns);
  return a;
}

double MachineSim::VibrationRmsMmS(double load, int64_t t_ns) const {
  const double fr = SpeedHz(load);
  double sum_sq = kVibFloorMmS * kVibFloorMmS;
  for (int h = 1; h <= 3; ++h) {
    const double f = h * fr;
    if (f < kVibBandLowHz || f > kVibBandHighHz) continue;
    // A sine of peak acceleration a at f has peak velocity a / (2 pi f).
    const double v_rms_mm_s =
        HarmonicAmplitude(h, load, t_ns) / (2 * kPi * f) / std::sqrt(2.0) * 1e3;
    sum_sq += v_rms_mm_s * v_rms_mm_s;
  }
  const double outer = kOuterRaceVibMmS * KindSeverity(FaultKind::kBearingOuterRace, t_ns);
  const double inner = kInnerRaceVibMmS * KindSeverity(FaultKind::kBearingInnerRace, t_ns);
  sum_sq += outer * outer + inner * inner;
  return std::sqrt(sum_sq);
}

ProcessSample MachineSim::Step(int64_t t_ns) {
  // Pieces end at run/stop switches and are at most kMaxIntegrationNs long.
  for (int64_t a = last_ns_; a < t_ns;) {
    const int64_t b = std::min({t_ns, NextScheduleChange(a), a + kMaxIntegrationNs});
    Integrate(a, b, Running(a + (b - a) / 2));
    a = b;
  }
  last_ns_ = std::max(last_ns_, t_ns);

  ProcessSample s;
  const bool running = Running(t_ns);
  s.run_state = running ? 1 : 0;
  s.energy_kwh = energy_kwh_;
  s.parts_total = parts_;
  s.scrap_total = scrap_;
  s.ambient_temp_c = AmbientC(t_ns) + kAmbientNoiseC * Normal();
  s.bearing_temp_c = bearing_temp_c_ + kBearingNoiseC * Normal();
  s.winding_temp_c = winding_temp_c_ + kWindingNoiseC * Normal();
  if (!running) {
    s.current_a = std::abs(kStoppedCurrentNoiseA * Normal());
    s.vibration_rms_mm_s = kStoppedVibMmS * std::abs(1 + 0.3 * Normal());
    return s;
  }
  const double load = Load(t_ns);
  const double fr = SpeedHz(load);
  const double losses = LossFactor(t_ns);
  s.speed_rpm = fr * 60 + kSpeedNoiseRpm * Normal();
  s.load_pct = 100 * load;
  s.power_kw = spec_.rated_power_kw * load * losses * (1 + kPowerNoiseRel * Normal());
  s.current_a =
      spec_.rated_current_a * (kMagnetisingCurrent + (1 - kMagnetisingCurrent) * load * losses +
                               kCurrentNoiseRel * Normal());
  s.vibration_rms_mm_s = std::max(0.0, VibrationRmsMmS(load, t_ns) * (1 + kVibNoiseRel * Normal()));
  if (spec_.kind == MachineKind::kPump) {
    const double speed_ratio = shaft_hz() > 0 ? fr / shaft_hz() : 0.0;
    const double flow_ratio =
        spec_.nominal_load > 0 ? speed_ratio * load / spec_.nominal_load : 0.0;
    const double nominal_flow_m3_h =
        kPumpEfficiency * spec_.rated_power_kw * 1e3 * spec_.nominal_load / kNominalHeadPa * 3600.0;
    s.flow_m3_h = std::max(0.0, nominal_flow_m3_h * flow_ratio * (1 + kFlowNoiseRel * Normal()));
    s.discharge_bar =
        std::max(0.0, kShutoffBar * speed_ratio * speed_ratio -
                          kCurveDropBar * flow_ratio * flow_ratio + kPressureNoiseBar * Normal());
  }
  return s;
}

void MachineSim::AddImpacts(double order, double peak_m_s2, bool load_zone, uint64_t stream,
                            double cycles0, double shaft_hz, double sample_rate_hz,
                            std::vector<double>* out) const {
  // Above Nyquist the acquisition's anti-aliasing filter removes the ringing.
  if (order <= 0 || shaft_hz <= 0 || spec_.resonance_hz >= 0.5 * sample_rate_hz) return;
  // Impulse response of the resonance: e^(-sigma t) sin(wd t).
  const double wn = 2 * kPi * spec_.resonance_hz;
  const double sigma = kResonanceDamping * wn;  // 1/s
  const double wd = wn * std::sqrt(1 - kResonanceDamping * kResonanceDamping);
  const double tail_s = kImpactTailTaus / sigma;
  const auto n = static_cast<int64_t>(out->size());
  const double block_s = static_cast<double>(n) / sample_rate_hz;
  // Per-sample rotation and decay, so the inner loop needs no exp() or sin().
  const double step_re = std::exp(-sigma / sample_rate_hz) * std::cos(wd / sample_rate_hz);
  const double step_im = std::exp(-sigma / sample_rate_hz) * std::sin(wd / sample_rate_hz);

  // Impact k happens at shaft position (k + jitter_k) / order revolutions; the jitter is a
  // pure function of k, so the impacts seen by overlapping or consecutive blocks agree.
  const auto k_first = static_cast<int64_t>(std::floor((cycles0 - tail_s * shaft_hz) * order)) - 1;
  const auto k_last = static_cast<int64_t>(std::ceil((cycles0 + block_s * shaft_hz) * order)) + 1;
  for (int64_t k = k_first; k <= k_last; ++k) {
    const double jitter = kImpactJitter * (2 * HashUniform(hash_key_, stream, k, 0) - 1);
    const double cycles_k = (static_cast<double>(k) + jitter) / order;
    const double t_k = (cycles_k - cycles0) / shaft_hz;  // s from the block's first sample
    if (t_k < -tail_s || t_k >= block_s) continue;
    double amp =
        peak_m_s2 * (1 + kImpactAmpSpread * (2 * HashUniform(hash_key_, stream, k, 1) - 1));
    // Inner race: the defect rotates with the shaft through the load zone.
    if (load_zone) amp *= 0.5 * (1 + std::cos(2 * kPi * Frac(cycles_k)));
    const int64_t i0 = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(t_k * sample_rate_hz)));
    const int64_t i1 =
        std::min<int64_t>(n, static_cast<int64_t>(std::ceil((t_k + tail_s) * sample_rate_hz)));
    const double delay = static_cast<double>(i0) / sample_rate_hz - t_k;
    double re = amp * std::exp(-sigma * delay) * std::cos(wd * delay);
    double im = amp * std::exp(-sigma * delay) * std::sin(wd * delay);
    for (int64_t i = i0; i < i1; ++i) {
      (*out)[static_cast<size_t>(i)] += im;
      const double next_re = re * step_re - im * step_im;
      im = re * step_im + im * step_re;
      re = next_re;
    }
  }
}

WaveformBlock MachineSim::Vibration(int64_t t_ns, double sample_rate_hz, size_t samples) {
  WaveformBlock block;
  block.sample_rate_hz = sample_rate_hz;
  if (!(sample_rate_hz > 0) || samples == 0) return block;
  std::vector<double> x(samples, 0.0);

  if (Running(t_ns)) {
    const double load = Load(t_ns);
    const double fr = SpeedHz(load);
    // Shaft position at the first sample, continuing from the last Step at the current speed.
    const double cycles0 = shaft_cycles_ + fr * static_cast<double>(t_ns - last_ns_) * kNsToS;
    for (int h = 1; h <= 3; ++h) {
      if (h * fr >= 0.5 * sample_rate_hz) continue;
      const double a = HarmonicAmplitude(h, load, t_ns);
      const double phase0 = 2 * kPi * Frac(h * cycles0) + harmonic_phase_[h - 1];
      const double dphi = 2 * kPi * h * fr / sample_rate_hz;
      const double step_re = std::cos(dphi);
      const double step_im = std::sin(dphi);
      double re = a * std::cos(phase0);
      double im = a * std::sin(phase0);
      for (double& v : x) {
        v += im;
        const double next_re = re * step_re - im * step_im;
        im = re * step_im + im * step_re;
        re = next_re;
      }
    }
    const double outer = KindSeverity(FaultKind::kBearingOuterRace, t_ns);
    if (outer > 0) {
      AddImpacts(orders_.bpfo, kImpactPeakM_S2 * outer, false, kStreamOuterRace, cycles0, fr,
                 sample_rate_hz, &x);
    }
    const double inner = KindSeverity(FaultKind::kBearingInnerRace, t_ns);
    if (inner > 0) {
      AddImpacts(orders_.bpfi, kImpactPeakM_S2 * inner, true, kStreamInnerRace, cycles0, fr,
                 sample_rate_hz, &x);
    }
  }

  block.samples.resize(samples);
  for (size_t i = 0; i < samples; ++i) {
    block.samples[i] = static_cast<float>(x[i] + kSensorNoiseM_S2 * Normal());
  }
  return block;
}

}  // namespace strata::sim
