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

#include "core/observation.h"
#include "sim/bearing.h"

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
  double nominal_load = 0.8;       // fraction of rated power when running
  double parts_per_minute = 30;    // production rate at nominal load
  double base_scrap_rate = 0.01;   // fraction of parts scrapped when healthy
  double ambient_mean_c = 22;      // ambient temperature follows a daily cycle around this
  double resonance_hz = 3000;      // structural resonance excited by bearing impacts
  BearingGeometry bearing;
  // Run schedule: runs for `run_ns`, then stops for `stop_ns`, repeating from the start
  // time. stop_ns = 0: runs all the time.
  int64_t run_ns = 0;
  int64_t stop_ns = 0;
  std::vector<FaultSpec> faults;
};

// Scalar signal values at one instant. Names and units match examples/assets.yaml.
struct ProcessSample {
  double run_state = 0;          // "run_state"        1 running, 0 stopped
  double speed_rpm = 0;          // "speed"            {rev}/min
  double load_pct = 0;           // "load"             %
  double current_a = 0;          // "motor.current"    A
  double power_kw = 0;           // "motor.power"      kW
  double energy_kwh = 0;         // "energy"           kW.h, a counter since start
  double bearing_temp_c = 0;     // "bearing_de.temp"  Cel
  double winding_temp_c = 0;     // "winding.temp"     Cel
  double ambient_temp_c = 0;     // "ambient.temp"     Cel
  double vibration_rms_mm_s = 0; // "bearing_de.vib_rms" mm/s (velocity RMS, 10-1000 Hz)
  double discharge_bar = 0;      // "discharge.pressure" bar (pumps; 0 for motors)
  double flow_m3_h = 0;          // "flow"             m3/h  (pumps; 0 for motors)
  double parts_total = 0;        // "production.count" {parts}, a counter since start
  double scrap_total = 0;        // "scrap.count"      {parts}, a counter since start
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
  double Normal();  // standard normal from the machine's own generator

  MachineSpec spec_;
  DefectOrders orders_;
  std::mt19937_64 rng_;
  int64_t start_ns_;
  int64_t last_ns_;
  // State integrated by Step.
  double bearing_temp_c_;
  double winding_temp_c_;
  double energy_kwh_ = 0;
  double parts_ = 0;
  double scrap_ = 0;
  double part_fraction_ = 0;
  double scrap_fraction_ = 0;
};

}  // namespace strata::sim
