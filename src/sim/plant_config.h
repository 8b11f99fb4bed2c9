// The simulated plant's configuration (see examples/plant.yaml for a commented example).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/mqtt/mqtt_config.h"
#include "core/status.h"
#include "sim/machine.h"

namespace strata::sim {

struct PlantFault {
  std::string machine;
  FaultKind kind = FaultKind::kBearingOuterRace;
  // Onset relative to the simulation start, or an absolute time.
  std::optional<int64_t> onset_after_ns;
  std::optional<int64_t> onset_at_ns;
  int64_t growth_ns = 0;
};

// `modbus:` — the machines' PLC registers served over Modbus TCP (sim/plc_register_map.h).
struct PlantModbusConfig {
  std::string host = "127.0.0.1";  // IPv4 address to listen on
  int port = 1502;                 // 0: any free port (logged)
  int max_clients = 8;
};

struct PlantConfig {
  uint64_t seed = 42;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id = "strata-sim";
  std::string username;
  std::string password;
  std::optional<MqttTlsOptions> tls;
  std::string topic_prefix = "strata-sim/plant-1";  // <prefix>/<machine>/process, .../vibration/<signal>
  std::string asset_prefix = "acme/plant-1/line-1";  // asset path = <asset_prefix>/<machine>
  // Simulation start: now + start_offset (negative: history first, replayed at `speed`).
  int64_t start_offset_ns = 0;
  double speed = 1.0;      // simulated seconds per wall second while catching up to now
  int64_t duration_ns = 0; // simulated time to run; 0 = until stopped
  int64_t process_period_ns = 1'000'000'000LL;
  int64_t vibration_period_ns = 10'000'000'000LL;  // 0 = no vibration blocks
  double vibration_sample_rate_hz = 10240;
  size_t vibration_samples = 4096;
  std::string vibration_signal = "bearing_de.accel";
  std::string ground_truth_path;  // "" = not written
  double bad_messages_per_minute = 0;  // deliberately broken messages, to exercise validation
  std::vector<MachineSpec> machines;
  std::vector<PlantFault> faults;
  std::optional<PlantModbusConfig> modbus;  // absent: no Modbus server

  static StatusOr<PlantConfig> Load(const std::string& path);
  static StatusOr<PlantConfig> Parse(const std::string& text, const std::string& name,
                                     const std::string& dir);
};

}  // namespace strata::sim
