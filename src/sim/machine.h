// MachineSim: a physically plausible rotating machine (centrifugal pump or induction motor)
// whose signals follow its load, the ambient temperature and any faults that develop.
//
// Deterministic: for the same spec, seed and sequence of calls, the outputs are bit-identical
// (its own random generator; no wall clock, no global state). Time is simulated time in ns
// since the Unix epoch, passed in by the caller.
//
// Not thread-safe: one thread drives one MachineSim.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/bearing.h"
#include "core/observation.h"

namespace strata::sim {

enum class MachineKind { kPump, kMotor };

enum class FaultKind {
  kBearingOuterRace,  // impacts at BPFO exciting a structural resonance; bearing warms up
  kBearingInnerRace,  // impacts at BPFI, amplitude-modulated at 1x shaft speed
  kImbalance,         // growing 1x component
  kCoolingLoss,       // temperatures climb at the same load; current rises slightly
};

const char* FaultKindName(FaultKind kind);  // "bearing_outer_race", ...
bool ParseFaultKind(const std::string& name, FaultKind* out);

// A fault that starts at `onset_ns` and grows to full severity over `growth_ns`
// (severity(t) = clamp((t - onset) / growth, 0, 1)^2, so it starts slowly and accelerates).
struct FaultSpec {
  FaultKind kind = FaultKind::kBearingOuterRace;
  int64_t onset_ns = 0;
  int64_t growth_ns = 0;
};

struct MachineSpec {
  std::string name;  // e.g. "pump-01"
  MachineKind kind = MachineKind::kPump;
  double shaft_rpm = 2950;
  double rated_power_kw = 15;
  double rated_current_a = 28;
  double nominal_load = 0.8;      // fraction of rated power when running
  double parts_per_minute = 30;   // production rate at nominal load
  double base_scrap_rate = 0.01;  // fraction of parts scrapped when healthy
  double ambient_mean_c = 22;     // ambient temperature follows a daily cycle around this
  double resonance_hz = 3000;     // structural resonance excited by bearing impacts
  BearingGeometry bearing;
  // Run schedule: runs for `run_ns`, then stops for `stop_ns`, repeating from the start
  // time. stop_ns = 0: runs all the time.
  int64_t run_ns = 0;
  int64_t stop_ns = 0;
  std::vector<FaultSpec> faults;
};

// Scalar signal values at one instant. Names and units match examples/assets.yaml.
struct ProcessSample {
  double run_state = 0;           // "run_state"        1 running, 0 stopped
  double speed_rpm = 0;           // "speed"            {rev}/min
  double load_pct = 0;            // "load"             %
  double current_a = 0;           // "motor.current"    A
  double power_kw = 0;            // "motor.power"      kW
  double energy_kwh = 0;          // "energy"           kW.h, a counter since start
  double bearing_temp_c = 0;      // "bearing_de.temp"  Cel
  double winding_temp_c = 0;      // "winding.temp"     Cel
  double ambient_temp_c = 0;      // "ambient.temp"     Cel
  double vibration_rms_mm_s = 0;  // "bearing_de.vib_rms" mm/s (velocity RMS, 10-1000 Hz)
  double discharge_bar = 0;       // "discharge.pressure" bar (pumps; 0 for motors)
  double flow_m3_h = 0;           // "flow"             m3/h  (pumps; 0 for motors)
  double parts_total = 0;         // "production.count" {parts}, a counter since start
  double scrap_total = 0;         // "scrap.count"      {parts}, a counter since start
};

class MachineSim {
 public:
  MachineSim(MachineSpec spec, uint64_t seed, int64_t start_ns);

  // Advances the machine state to `t_ns` (>= the previous call; steps of any size) and
  // returns the scalar signals at that instant, with sensor noise.
  ProcessSample Step(int64_t t_ns);

  // A vibration acceleration capture (m/s2) of `samples` samples at `sample_rate_hz`,
  // starting at `t_ns`, for the machine's current state (call Step first). Contains shaft
  // harmonics (1x, 2x, 3x), bearing defect impacts for active bearing faults, and noise.
  // A stopped machine gives noise only.
  WaveformBlock Vibration(int64_t t_ns, double sample_rate_hz, size_t samples);

  // Severity in [0, 1] of the strongest fault active at `t_ns`; 0 when healthy.
  double Severity(int64_t t_ns) const;
  double FaultSeverity(const FaultSpec& fault, int64_t t_ns) const;
  bool Running(int64_t t_ns) const;

  const MachineSpec& spec() const { return spec_; }
  double shaft_hz() const { return spec_.shaft_rpm / 60.0; }
  const DefectOrders& defect_orders() const { return orders_; }

 private:
  double Normal();   // standard normal from the machine's own generator
  double Uniform();  // uniform in [0, 1), 53 bits, from the machine's own generator

  double AmbientC(int64_t t_ns) const;  // true ambient, no sensor noise
  double Load(int64_t t_ns) const;      // load fraction when running: a pure function of time
  double KindSeverity(FaultKind kind, int64_t t_ns) const;  // max over faults of `kind`
  double SpeedHz(double load) const;                        // shaft speed with slip at `load`
  double LossFactor(int64_t t_ns) const;                    // >= 1: extra power from faults
  // Temperatures (Cel) that bearing and winding approach at this ambient, state and load.
  void ThermalTargets(int64_t t_ns, bool running, double load, double* bearing_c,
                      double* winding_c) const;
  // Peak acceleration (m/s2) of the h-th shaft harmonic (h = 1, 2, 3) at `load`.
  double HarmonicAmplitude(int h, double load, int64_t t_ns) const;
  int64_t NextScheduleChange(int64_t t_ns) const;  // first run/stop switch after t_ns
  // Integrates the state over [a_ns, b_ns], a short interval in which `running` holds.
  void Integrate(int64_t a_ns, int64_t b_ns, bool running);
  // Velocity RMS (mm/s, 10-1000 Hz) of a running machine at `load`, before sensor noise.
  double VibrationRmsMmS(double load, int64_t t_ns) const;
  // Adds the decaying-resonance impacts of a bearing defect of `order` (x shaft speed) to
  // `out`, a block whose first sample is at shaft position `cycles0` (revolutions).
  void AddImpacts(double order, double peak_m_s2, bool load_zone, uint64_t stream, double cycles0,
                  double shaft_hz, double sample_rate_hz, std::vector<double>* out) const;

  MachineSpec spec_;
  DefectOrders orders_;
  std::mt19937_64 rng_;
  int64_t start_ns_;
  int64_t last_ns_;
  // State integrated by Step.
  double bearing_temp_c_;
  double winding_temp_c_;
  double energy_kwh_ = 0;
  double parts_ = 0;           // whole parts produced
  double scrap_ = 0;           // whole parts scrapped (a subset of parts_)
  double part_fraction_ = 0;   // the part in progress, [0, 1)
  double scrap_fraction_ = 0;  // [0, 1)
  double shaft_cycles_ = 0;    // shaft revolutions since start_ns_ (unwrapped)
  // Fixed per machine, drawn from the seed at construction.
  uint64_t hash_key_ = 0;                 // keys the load wander and the impacts' jitter
  double harmonic_phase_[3] = {0, 0, 0};  // rad, of the 1x, 2x, 3x shaft harmonics
  bool has_spare_normal_ = false;
  double spare_normal_ = 0;
};

}  // namespace strata::sim
