#include "sim/plant_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "core/asset_model.h"
#include "core/bearing.h"
#include "core/config_node.h"
#include "core/time_util.h"

namespace strata::sim {
namespace {

PlantConfig ReadPlant(ConfigNode& root) {
  PlantConfig c;
  c.seed = static_cast<uint64_t>(root.Int("seed", 42));
  if (auto broker = root.Find("broker")) {
    c.host = broker->String("host", c.host);
    c.port = static_cast<int>(broker->Int("port", c.port));
    c.client_id = broker->String("client_id", c.client_id);
    c.username = broker->String("username", "");
    c.password = broker->String("password", "");
    if (auto tls = broker->Find("tls")) c.tls = ReadMqttTls(*tls);
  }
  c.topic_prefix = root.String("topic_prefix", c.topic_prefix);
  c.asset_prefix = root.String("asset_prefix", c.asset_prefix);
  if (auto start = root.Find("start")) {
    const std::string text = start->AsString();
    if (text != "now") {
      auto rel = ParseTimeArg(text, 0);
      if (!rel.ok() || (text.front() != '-' && text.front() != '+')) {
        start->Fail(
            "start is 'now' or relative to now, e.g. -2h (history is replayed at "
            "`speed` until the simulation catches up with the clock)");
      }
      c.start_offset_ns = *rel;
      if (c.start_offset_ns > 0) start->Fail("start cannot be in the future");
    }
  }
  c.speed = root.Double("speed", c.speed);
  if (!(c.speed > 0)) root.Get("speed").Fail("speed must be > 0");
  c.duration_ns = root.Duration("duration", 0);
  c.process_period_ns = root.Duration("process_period", c.process_period_ns);
  if (c.process_period_ns < 10'000'000) root.Get("process_period").Fail("must be >= 10ms");
  if (auto vib = root.Find("vibration")) {
    c.vibration_period_ns = vib->Duration("period", c.vibration_period_ns);
    c.vibration_sample_rate_hz = vib->Double("sample_rate_hz", c.vibration_sample_rate_hz);
    c.vibration_samples = static_cast<size_t>(vib->Int("samples", int64_t(c.vibration_samples)));
    c.vibration_signal = vib->String("signal", c.vibration_signal);
    if (c.vibration_samples < 16 || c.vibration_samples > 65536) {
      vib->Get("samples").Fail("samples must be 16..65536");
    }
    if (!(c.vibration_sample_rate_hz >= 1000)) vib->Get("sample_rate_hz").Fail("must be >= 1000");
  }
  c.ground_truth_path = root.Path("ground_truth", "");
  c.bad_messages_per_minute = root.Double("bad_messages_per_minute", 0);
  if (auto modbus = root.Find("modbus")) {
    PlantModbusConfig m;
    m.host = modbus->String("host", m.host);
    in_addr addr{};
    if (inet_pton(AF_INET, m.host.c_str(), &addr) != 1) {
      modbus->Get("host").Fail(
          fmt::format("'{}' is not an IPv4 address (e.g. 127.0.0.1, or 0.0.0.0 for all)", m.host));
    }
    const int64_t port = modbus->Int("port", m.port);
    if (port < 0 || port > 65535)
      modbus->Get("port").Fail("port must be 0..65535 (0 = any free port)");
    m.port = static_cast<int>(port);
    const int64_t max_clients = modbus->Int("max_clients", m.max_clients);
    if (max_clients < 1 || max_clients > 64)
      modbus->Get("max_clients").Fail("max_clients must be 1..64");
    m.max_clients = static_cast<int>(max_clients);
    c.modbus = m;
  }

  for (auto& m : root.Get("machines").Elements()) {
    ConfigNode name_node = m.Get("name");
    auto names = ExpandRange(name_node.AsString());
    if (!names.ok()) name_node.Fail(names.status().message());
    MachineSpec spec;
    spec.kind = m.Choice("kind", {"pump", "motor"}, "pump") == "motor" ? MachineKind::kMotor
                                                                       : MachineKind::kPump;
    spec.shaft_rpm = m.Double("shaft_rpm", spec.shaft_rpm);
    spec.rated_power_kw = m.Double("rated_power_kw", spec.rated_power_kw);
    spec.rated_current_a = m.Double("rated_current_a", spec.rated_current_a);
    spec.nominal_load = m.Double("nominal_load", spec.nominal_load);
    spec.parts_per_minute = m.Double("parts_per_minute", spec.parts_per_minute);
    spec.base_scrap_rate = m.Double("scrap_rate", spec.base_scrap_rate);
    spec.ambient_mean_c = m.Double("ambient_c", spec.ambient_mean_c);
    spec.resonance_hz = m.Double("resonance_hz", spec.resonance_hz);
    if (auto b = m.Find("bearing")) spec.bearing = ReadBearingGeometry(*b);
    if (auto schedule = m.Find("schedule")) {
      spec.run_ns = schedule->Duration("run");
      spec.stop_ns = schedule->Duration("stop");
    }
    if (!(spec.shaft_rpm > 0) || !(spec.rated_power_kw > 0) || !(spec.nominal_load > 0)) {
      m.Fail("shaft_rpm, rated_power_kw and nominal_load must be > 0");
    }
    for (const auto& name : *names) {
      for (const auto& existing : c.machines) {
        if (existing.name == name) name_node.Fail(fmt::format("machine '{}' twice", name));
      }
      spec.name = name;
      c.machines.push_back(spec);
    }
  }
  if (c.machines.empty()) root.Get("machines").Fail("at least one machine is needed");
  if (c.modbus && c.machines.size() > 247) {
    root.Get("modbus").Fail(fmt::format(
        "the Modbus server gives each machine a unit id 1..247, but there are {} machines",
        c.machines.size()));
  }

  if (auto faults = root.Find("faults")) {
    for (auto& f : faults->Elements()) {
      PlantFault fault;
      ConfigNode machine_node = f.Get("machine");
      fault.machine = machine_node.AsString();
      bool known = false;
      std::vector<std::string> names;
      for (const auto& m : c.machines) {
        known |= m.name == fault.machine;
        names.push_back(m.name);
      }
      if (!known) {
        const std::string hint = ClosestMatch(fault.machine, names);
        machine_node.Fail(
            fmt::format("no machine '{}'{}", fault.machine,
                        hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      }
      ConfigNode kind_node = f.Get("kind");
      if (!ParseFaultKind(kind_node.AsString(), &fault.kind)) {
        kind_node.Fail(
            "kind is one of: bearing_outer_race, bearing_inner_race, imbalance, "
            "cooling_loss");
      }
      ConfigNode onset = f.Get("onset");
      auto rel = ParseDuration(onset.AsString());
      if (rel.ok()) {
        fault.onset_after_ns = *rel;
      } else {
        auto abs = ParseTimestamp(onset.AsString());
        if (!abs.ok()) {
          onset.Fail("onset is a duration after the start (e.g. 30m) or an RFC 3339 time");
        }
        fault.onset_at_ns = *abs;
      }
      fault.growth_ns = f.Duration("growth", 0);
      c.faults.push_back(fault);
    }
  }
  return c;
}

}  // namespace

StatusOr<PlantConfig> PlantConfig::Load(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::LoadFile(path));
  return doc->Read<PlantConfig>(ReadPlant);
}

StatusOr<PlantConfig> PlantConfig::Parse(const std::string& text, const std::string& name,
                                         const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::Parse(text, name, dir));
  return doc->Read<PlantConfig>(ReadPlant);
}

}  // namespace strata::sim
