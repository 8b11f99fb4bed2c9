// Configuration of one Modbus TCP connector: one connection to one endpoint (a PLC, or a
// gateway with several devices behind it), polled by its own thread.
//
//   - name: plc-1
//     type: modbus
//     endpoint: tcp://10.0.0.5:502
//     connect_timeout: 3s
//     response_timeout: 1s            # per request; a silent unit id costs at most this
//     timeouts_before_reconnect: 3    # consecutive timeouts with no answer in between
//     max_gap: 16                     # holes (registers or bits) a read may span to coalesce
//     max_registers_per_request: 125  # Modbus limit; some devices take fewer
//     max_bits_per_request: 2000
//     reconnect: {min: 500ms, max: 30s}
//     devices:
//       - unit_id: 1                         # 0..247, or 255
//         asset: acme/plant-1/line-1/pump-01   # default for the registers below
//         order: ABCD                          # default word/byte order (see modbus_value.h)
//         poll_groups:
//           - name: fast                       # default: g<index>
//             interval: 1s
//             registers:
//               - {table: holding, address: 0, type: float32, order: CDAB, signal: load}
//               - {table: input, address: 10, type: int16, signal: bearing_de.temp,
//                  scale: 0.1, unit: "[degF]"}
//               - {table: holding, address: 20, bit: 3, signal: run_state}
//               - {table: coil, address: 0, signal: run_state, asset: acme/.../pump-02}
//
// `address` is the 0-based address sent on the wire (register 40001 of the Modicon
// convention is holding address 0). Types: bool (coil/discrete, the default there), int16,
// uint16 (default for registers), int32, uint32, int64, uint64, float32, float64. `bit` (and
// `bits`, default 1) takes an unsigned bit field of an integer. Value = raw * scale + offset,
// in `unit` (default: the signal's unit), then converted to the signal's unit.
//
// Every register names an (asset, signal) of the asset model, checked here: unknown assets or
// signals, waveform signals and units that cannot convert are errors naming file:line:key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/modbus/modbus_value.h"
#include "core/asset_model.h"
#include "core/config_node.h"
#include "core/mapping.h"

namespace strata {

// One value of the register map.
struct ModbusRegister {
  uint32_t group = 0;  // index into ModbusConnectorConfig::groups
  ModbusTable table = ModbusTable::kHoldingRegister;
  uint16_t address = 0;
  ModbusValueFormat format;
  // Literal asset and signal templates, unit, scale and offset: what the Normalizer applies.
  MappingRule rule;
  std::string source_address;  // "unit 1 hr 100", "unit 1 hr 20 bit 3"
};

// Registers of one device polled together at one interval.
struct ModbusPollGroup {
  std::string name;
  uint8_t unit_id = 1;
  int64_t interval_ns = 1'000'000'000;
  std::vector<uint32_t> requests;  // indices into ModbusConnectorConfig::requests
};

// One read request of the plan: a run of one table of one device.
struct ModbusRequest {
  uint32_t group = 0;
  uint8_t unit_id = 1;
  ModbusTable table = ModbusTable::kHoldingRegister;
  uint16_t address = 0;
  uint16_t count = 0;               // registers or bits
  std::vector<uint32_t> registers;  // indices into ModbusConnectorConfig::registers
  std::string description;          // "unit 1 hr 0..9", for logs
};

struct ModbusConnectorConfig {
  std::string name;
  std::string host;
  int port = 502;
  int64_t connect_timeout_ns = 3'000'000'000LL;
  int64_t response_timeout_ns = 1'000'000'000LL;
  int timeouts_before_reconnect = 3;
  uint32_t max_gap = 16;
  uint32_t max_registers_per_request = 125;
  uint32_t max_bits_per_request = 2000;
  int64_t reconnect_min_ns = 500'000'000LL;
  int64_t reconnect_max_ns = 30'000'000'000LL;

  std::vector<ModbusRegister> registers;
  std::vector<ModbusPollGroup> groups;
  // The read plan (see BuildPlan): derived from the above, the same for every reader.
  std::vector<ModbusRequest> requests;

  // "tcp://host:port": how sources and logs name the endpoint.
  std::string Endpoint() const;

  // Reads a connector entry (the caller has read `type: modbus`). Checks every register
  // against `model` when it is not null. Throws ConfigError.
  static ModbusConnectorConfig Read(ConfigNode& node, const AssetModel* model);

  // Fills `requests` and each group's `requests` from `registers` with the planner.
  void BuildPlan();
};

}  // namespace strata
