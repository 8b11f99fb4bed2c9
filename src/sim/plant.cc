#include "sim/plant.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/time_util.h"

namespace strata::sim {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// SplitMix64: derives independent machine seeds from the plant seed.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void AppendReading(std::string* out, const char* name, double value, bool* first) {
  if (!*first) out->push_back(',');
  *first = false;
  fmt::format_to(std::back_inserter(*out), R"({{"n":"{}","v":{:.6g}}})", name, value);
}

}  // namespace

Plant::Plant(const PlantConfig& config, int64_t start_ns) : config_(config), start_ns_(start_ns) {
  for (size_t i = 0; i < config_.machines.size(); ++i) {
    MachineSpec spec = config_.machines[i];
    for (const auto& f : config_.faults) {
      if (f.machine != spec.name) continue;
      FaultSpec fault;
      fault.kind = f.kind;
      fault.onset_ns = f.onset_at_ns ? *f.onset_at_ns : start_ns + f.onset_after_ns.value_or(0);
      fault.growth_ns = f.growth_ns;
      spec.faults.push_back(fault);
    }
    machines_.push_back(std::make_unique<MachineSim>(spec, Mix(config_.seed ^ Mix(i)), start_ns));
  }
  last_samples_.resize(machines_.size());
  next_process_ = start_ns;
  next_vibration_ = config_.vibration_period_ns > 0 ? start_ns : kNever;
  next_bad_ = config_.bad_messages_per_minute > 0
                  ? start_ns + static_cast<int64_t>(60e9 / config_.bad_messages_per_minute)
                  : kNever;
}

std::string Plant::AssetPath(const std::string& machine) const {
  return config_.asset_prefix.empty() ? machine : config_.asset_prefix + "/" + machine;
}

int64_t Plant::next_due() const { return std::min({next_process_, next_vibration_, next_bad_}); }

int64_t Plant::EmitNext(std::vector<PlantMessage>* out) {
  const int64_t t = next_due();
  if (t == next_process_) {
    for (size_t i = 0; i < machines_.size(); ++i) EmitProcess(i, t, out);
    last_process_ns_ = t;
    next_process_ += config_.process_period_ns;
  }
  if (t == next_vibration_) {
    for (size_t i = 0; i < machines_.size(); ++i) EmitVibration(i, t, out);
    next_vibration_ += config_.vibration_period_ns;
  }
  if (t == next_bad_) {
    EmitBadMessage(t, out);
    next_bad_ += static_cast<int64_t>(60e9 / config_.bad_messages_per_minute);
  }
  return t;
}

void Plant::EmitProcess(size_t index, int64_t t_ns, std::vector<PlantMessage>* out) {
  MachineSim& m = *machines_[index];
  const ProcessSample& s = last_samples_[index] = m.Step(t_ns);
  PlantMessage msg;
  msg.topic = fmt::format("{}/{}/process", config_.topic_prefix, m.spec().name);
  std::string& p = msg.payload;
  p.reserve(900);
  fmt::format_to(std::back_inserter(p), R"({{"ts":{},"readings":[)", t_ns / kNsPerMs);
  bool first = true;
  AppendReading(&p, "run_state", s.run_state, &first);
  AppendReading(&p, "speed", s.speed_rpm, &first);
  AppendReading(&p, "load", s.load_pct, &first);
  AppendReading(&p, "motor.current", s.current_a, &first);
  AppendReading(&p, "motor.power", s.power_kw, &first);
  AppendReading(&p, "energy", s.energy_kwh, &first);
  AppendReading(&p, "bearing_de.temp", s.bearing_temp_c, &first);
  AppendReading(&p, "winding.temp", s.winding_temp_c, &first);
  AppendReading(&p, "ambient.temp", s.ambient_temp_c, &first);
  AppendReading(&p, "bearing_de.vib_rms", s.vibration_rms_mm_s, &first);
  if (m.spec().kind == MachineKind::kPump) {
    AppendReading(&p, "discharge.pressure", s.discharge_bar, &first);
    AppendReading(&p, "flow", s.flow_m3_h, &first);
  }
  AppendReading(&p, "production.count", s.parts_total, &first);
  AppendReading(&p, "scrap.count", s.scrap_total, &first);
  p += "]}";
  out->push_back(std::move(msg));
}

void Plant::EmitVibration(size_t index, int64_t t_ns, std::vector<PlantMessage>* out) {
  MachineSim& m = *machines_[index];
  const WaveformBlock block =
      m.Vibration(t_ns, config_.vibration_sample_rate_hz, config_.vibration_samples);
  PlantMessage msg;
  msg.topic = fmt::format("{}/{}/vibration/{}", config_.topic_prefix, m.spec().name,
                          config_.vibration_signal);
  std::string& p = msg.payload;
  p.reserve(64 + block.samples.size() * 9);
  fmt::format_to(std::back_inserter(p), R"({{"ts":{},"fs":{:g},"samples":[)", t_ns / kNsPerMs,
                 block.sample_rate_hz);
  for (size_t i = 0; i < block.samples.size(); ++i) {
    if (i) p.push_back(',');
    fmt::format_to(std::back_inserter(p), "{:.4g}", block.samples[i]);
  }
  p += "]}";
  out->push_back(std::move(msg));
}

void Plant::EmitBadMessage(int64_t t_ns, std::vector<PlantMessage>* out) {
  // Cycles through the kinds of bad input the edge must dead-letter.
  const std::string& first = machines_.front()->spec().name;
  const int64_t ms = t_ns / kNsPerMs;
  PlantMessage msg;
  switch (bad_count_++ % 5) {
    case 0:  // malformed JSON
      msg.topic = fmt::format("{}/{}/process", config_.topic_prefix, first);
      msg.payload = fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":)", ms);
      break;
    case 1:  // out of range
      msg.topic = fmt::format("{}/{}/process", config_.topic_prefix, first);
      msg.payload =
          fmt::format(R"({{"ts":{},"readings":[{{"n":"bearing_de.temp","v":900}}]}})", ms);
      break;
    case 2:  // a topic no mapping rule covers
      msg.topic = fmt::format("{}/{}/diagnostics", config_.topic_prefix, first);
      msg.payload = R"({"firmware":"1.2.3"})";
      break;
    case 3:  // NaN sent as a string
      msg.topic = fmt::format("{}/{}/process", config_.topic_prefix, first);
      msg.payload =
          fmt::format(R"({{"ts":{},"readings":[{{"n":"motor.current","v":"NaN"}}]}})", ms);
      break;
    default:  // a machine the asset model does not know
      msg.topic = fmt::format("{}/unregistered-pump/process", config_.topic_prefix);
      msg.payload = fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":50}}]}})", ms);
      break;
  }
  out->push_back(std::move(msg));
}

std::string Plant::GroundTruthJsonLines() const {
  std::string out;
  for (const auto& m : machines_) {
    for (const auto& f : m->spec().faults) {
      nlohmann::json j;
      j["asset"] = AssetPath(m->spec().name);
      j["machine"] = m->spec().name;
      j["fault"] = FaultKindName(f.kind);
      j["onset"] = FormatTimestamp(f.onset_ns);
      j["onset_ns"] = f.onset_ns;
      j["full_severity"] = FormatTimestamp(f.onset_ns + f.growth_ns);
      j["full_severity_ns"] = f.onset_ns + f.growth_ns;
      out += j.dump();
      out += '\n';
    }
  }
  return out;
}

}  // namespace strata::sim
