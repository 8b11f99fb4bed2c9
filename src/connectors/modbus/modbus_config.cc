#include "connectors/modbus/modbus_config.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "connectors/modbus/modbus_planner.h"
#include "core/signal_target.h"
#include "core/units.h"

namespace strata {
namespace {

constexpr int64_t kMinInterval = 10'000'000;  // 10 ms

// Parses "tcp://host:port" (port optional, default 502).
void ReadEndpoint(ConfigNode& node, ModbusConnectorConfig* c) {
  const std::string text = node.AsString();
  constexpr std::string_view kScheme = "tcp://";
  if (text.rfind(kScheme, 0) != 0) {
    node.Fail(fmt::format("'{}' is not a Modbus TCP endpoint; write tcp://host:port", text));
  }
  std::string rest = text.substr(kScheme.size());
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
      node.Fail(fmt::format("'{}': port must be 1..65535", text));
    }
    c->port = static_cast<int>(p);
    rest.resize(colon);
  }
  if (rest.empty() || rest.find_first_of("/ ") != std::string::npos) {
    node.Fail(fmt::format("'{}': expected tcp://host:port", text));
  }
  c->host = rest;
}

ModbusRegister ReadRegister(ConfigNode& entry, uint32_t group, uint8_t unit_id,
                            const std::string& default_asset, WordOrder default_order,
                            const AssetModel* model) {
  ModbusRegister r;
  r.group = group;
  r.rule.where = entry.Where();

  ConfigNode table_node = entry.Get("table");
  const auto table = ParseModbusTable(table_node.AsString());
  if (!table) {
    table_node.Fail(fmt::format("unknown table '{}' (one of: holding, input, coil, discrete)",
                                table_node.AsString()));
  }
  r.table = *table;

  const int64_t address = entry.Int("address");
  if (address < 0 || address > 65535) {
    entry.Get("address").Fail("address must be 0..65535 (the 0-based address on the wire)");
  }
  r.address = static_cast<uint16_t>(address);

  const bool bit_table = IsBitTable(r.table);
  if (auto type_node = entry.Find("type")) {
    const auto type = ParseModbusType(type_node->AsString());
    if (!type) {
      type_node->Fail(
          fmt::format("unknown type '{}' (one of: bool, int16, uint16, int32, uint32, "
                      "int64, uint64, float32, float64)",
                      type_node->AsString()));
    }
    if (bit_table != (*type == ModbusType::kBool)) {
      type_node->Fail(bit_table ? fmt::format("a {} holds single bits: its type is bool",
                                              ModbusTableName(r.table))
                                : fmt::format("type bool is for coils and discrete inputs; "
                                              "for one bit of a {} register use `bit:`",
                                              ModbusTableName(r.table)));
    }
    r.format.type = *type;
  } else {
    r.format.type = bit_table ? ModbusType::kBool : ModbusType::kUInt16;
  }
  const int words = ModbusTypeWords(r.format.type);
  if (address + words > 65536) {
    entry.Get("address").Fail(
        fmt::format("a {} at {} runs past register 65535", ModbusTypeName(r.format.type), address));
  }

  r.format.order = default_order;
  if (auto order_node = entry.Find("order")) {
    const auto order = ParseWordOrder(order_node->AsString());
    if (!order) {
      order_node->Fail(fmt::format("unknown order '{}' (one of: ABCD, CDAB, BADC, DCBA)",
                                   order_node->AsString()));
    }
    if (bit_table) order_node->Fail("coils and discrete inputs have no word order");
    r.format.order = *order;
  }

  if (auto bit_node = entry.Find("bit")) {
    const ModbusType t = r.format.type;
    if (bit_table || t == ModbusType::kFloat32 || t == ModbusType::kFloat64) {
      bit_node->Fail("`bit` selects bits of an integer register value (int16 .. uint64)");
    }
    const int width = ModbusTypeBits(t);
    const int64_t bit = bit_node->AsInt();
    const int64_t bits = entry.Int("bits", 1);
    if (bit < 0 || bit >= width) {
      bit_node->Fail(fmt::format("bit must be 0..{} for a {}", width - 1, ModbusTypeName(t)));
    }
    if (bits < 1 || bit + bits > width) {
      entry.Get("bits").Fail(fmt::format("bits must be 1..{} so that bit + bits <= {} ({})",
                                         width - bit, width, ModbusTypeName(t)));
    }
    r.format.bit = static_cast<int8_t>(bit);
    r.format.bits = static_cast<uint8_t>(bits);
  } else if (entry.Has("bits")) {
    entry.Get("bits").Fail("`bits` needs `bit:` (the lowest bit of the field)");
  }

  const std::string asset = entry.String("asset", default_asset);
  if (asset.empty()) {
    entry.Fail("missing required key 'asset' (here or on the device)");
  }
  const std::string signal = entry.String("signal");
  for (const auto& [key, text] : {std::pair{"asset", asset}, {"signal", signal}}) {
    if (text.find_first_of("{}") != std::string::npos) {
      (entry.Has(key) ? entry.Get(key) : entry)
          .Fail(
              fmt::format("'{}': Modbus registers name their target literally; no {{...}}", text));
    }
  }
  auto asset_template = Template::Parse(asset);
  auto signal_template = Template::Parse(signal);
  if (!asset_template.ok()) entry.Fail(asset_template.status().message());
  if (!signal_template.ok()) entry.Get("signal").Fail(signal_template.status().message());
  r.rule.asset = std::move(*asset_template);
  r.rule.signal = std::move(*signal_template);

  if (auto unit_node = entry.Find("unit")) {
    r.rule.unit = unit_node->AsString();
    auto unit = ParseUnit(r.rule.unit);
    if (!unit.ok()) unit_node->Fail(unit.status().message());
  }
  if (auto scale_node = entry.Find("scale")) {
    r.rule.scale = scale_node->AsDouble();
    if (r.rule.scale == 0.0 || !std::isfinite(r.rule.scale)) {
      scale_node->Fail("scale must be a finite number other than 0");
    }
  }
  if (auto offset_node = entry.Find("offset")) {
    r.rule.offset = offset_node->AsDouble();
    if (!std::isfinite(r.rule.offset)) offset_node->Fail("offset must be a finite number");
  }
  if (model != nullptr) {
    CheckSignalTarget(*model, entry, asset, signal, r.rule.unit, "Modbus registers");
  }

  r.source_address =
      fmt::format("unit {} {} {}", unit_id, ModbusTableShortName(r.table), r.address);
  if (r.format.bit >= 0) {
    r.source_address += r.format.bits == 1 ? fmt::format(" bit {}", r.format.bit)
                                           : fmt::format(" bits {}..{}", r.format.bit,
                                                         r.format.bit + r.format.bits - 1);
  }
  return r;
}

}  // namespace

std::string ModbusConnectorConfig::Endpoint() const {
  return fmt::format("tcp://{}:{}", host, port);
}

ModbusConnectorConfig ModbusConnectorConfig::Read(ConfigNode& node, const AssetModel* model) {
  ModbusConnectorConfig c;
  c.name = node.String("name");
  ConfigNode endpoint = node.Get("endpoint");
  ReadEndpoint(endpoint, &c);

  c.connect_timeout_ns = node.Duration("connect_timeout", c.connect_timeout_ns);
  c.response_timeout_ns = node.Duration("response_timeout", c.response_timeout_ns);
  for (const auto& [key, value] : {std::pair{"connect_timeout", c.connect_timeout_ns},
                                   {"response_timeout", c.response_timeout_ns}}) {
    if (value < 1'000'000 || value > 600'000'000'000LL) {
      node.Get(key).Fail(fmt::format("{} must be between 1ms and 10m", key));
    }
  }
  c.timeouts_before_reconnect =
      static_cast<int>(node.Int("timeouts_before_reconnect", c.timeouts_before_reconnect));
  if (c.timeouts_before_reconnect < 1 || c.timeouts_before_reconnect > 1000) {
    node.Get("timeouts_before_reconnect").Fail("timeouts_before_reconnect must be 1..1000");
  }
  const int64_t max_gap = node.Int("max_gap", c.max_gap);
  if (max_gap < 0 || max_gap > 2000) node.Get("max_gap").Fail("max_gap must be 0..2000");
  c.max_gap = static_cast<uint32_t>(max_gap);
  const int64_t max_regs = node.Int("max_registers_per_request", c.max_registers_per_request);
  if (max_regs < 4 || max_regs > 125) {
    node.Get("max_registers_per_request")
        .Fail(
            "max_registers_per_request must be 4..125 (Modbus reads at most 125 registers; "
            "a 64-bit value needs 4)");
  }
  c.max_registers_per_request = static_cast<uint32_t>(max_regs);
  const int64_t max_bits = node.Int("max_bits_per_request", c.max_bits_per_request);
  if (max_bits < 1 || max_bits > 2000) {
    node.Get("max_bits_per_request")
        .Fail("max_bits_per_request must be 1..2000 (Modbus reads at most 2000 bits)");
  }
  c.max_bits_per_request = static_cast<uint32_t>(max_bits);
  if (auto reconnect = node.Find("reconnect")) {
    c.reconnect_min_ns = reconnect->Duration("min", c.reconnect_min_ns);
    c.reconnect_max_ns = reconnect->Duration("max", c.reconnect_max_ns);
    if (c.reconnect_min_ns <= 0 || c.reconnect_max_ns < c.reconnect_min_ns) {
      reconnect->Fail("reconnect needs 0 < min <= max");
    }
  }

  std::set<int64_t> unit_ids;
  std::map<std::pair<std::string, std::string>, std::string> targets;  // → where first mapped
  ConfigNode devices = node.Get("devices");
  for (auto& device : devices.Elements()) {
    const int64_t unit_id = device.Int("unit_id");
    // libmodbus accepts 0..247 (0 is broadcast on serial lines; many TCP devices answer to
    // it) and 255, the "no serial device behind me" id of Modbus TCP.
    if (unit_id < 0 || (unit_id > 247 && unit_id != 255)) {
      device.Get("unit_id").Fail("unit_id must be 0..247 or 255");
    }
    if (!unit_ids.insert(unit_id).second) {
      device.Get("unit_id").Fail(
          fmt::format("unit_id {} appears twice on this connection; put all its poll groups "
                      "under one device",
                      unit_id));
    }
    const std::string default_asset = device.String("asset", "");
    WordOrder default_order = WordOrder::kABCD;
    if (auto order_node = device.Find("order")) {
      const auto order = ParseWordOrder(order_node->AsString());
      if (!order) {
        order_node->Fail(fmt::format("unknown order '{}' (one of: ABCD, CDAB, BADC, DCBA)",
                                     order_node->AsString()));
      }
      default_order = *order;
    }
    std::set<std::string> group_names;
    ConfigNode groups = device.Get("poll_groups");
    auto group_nodes = groups.Elements();
    if (group_nodes.empty()) groups.Fail("a device needs at least one poll group");
    for (auto& group_node : group_nodes) {
      ModbusPollGroup g;
      g.unit_id = static_cast<uint8_t>(unit_id);
      g.name = group_node.String("name", fmt::format("g{}", group_names.size()));
      if (!group_names.insert(g.name).second) {
        group_node.Get("name").Fail(fmt::format("poll group '{}' is declared twice", g.name));
      }
      g.name = fmt::format("unit{}.{}", unit_id, g.name);
      g.interval_ns = group_node.Duration("interval");
      if (g.interval_ns < kMinInterval) group_node.Get("interval").Fail("interval must be >= 10ms");
      const auto group_index = static_cast<uint32_t>(c.groups.size());
      c.groups.push_back(std::move(g));
      ConfigNode registers = group_node.Get("registers");
      auto entries = registers.Elements();
      if (entries.empty()) registers.Fail("a poll group needs at least one register");
      for (auto& entry : entries) {
        ModbusRegister r = ReadRegister(entry, group_index, static_cast<uint8_t>(unit_id),
                                        default_asset, default_order, model);
        auto key = std::pair{r.rule.asset.text(), r.rule.signal.text()};
        auto [it, fresh] = targets.emplace(key, r.rule.where);
        if (!fresh) {
          entry.Get("signal").Fail(fmt::format(
              "'{}' {} is already read from another register at {}; map each signal once",
              key.first, key.second, it->second));
        }
        c.registers.push_back(std::move(r));
      }
    }
  }
  if (c.registers.empty()) devices.Fail("at least one device with registers is needed");
  c.BuildPlan();
  return c;
}

void ModbusConnectorConfig::BuildPlan() {
  requests.clear();
  for (auto& g : groups) g.requests.clear();
  for (uint32_t gi = 0; gi < groups.size(); ++gi) {
    for (const ModbusTable table : {ModbusTable::kHoldingRegister, ModbusTable::kInputRegister,
                                    ModbusTable::kCoil, ModbusTable::kDiscreteInput}) {
      std::vector<uint32_t> members;
      std::vector<ReadItem> items;
      for (uint32_t ri = 0; ri < registers.size(); ++ri) {
        const ModbusRegister& r = registers[ri];
        if (r.group != gi || r.table != table) continue;
        members.push_back(ri);
        items.push_back(ReadItem{r.address, static_cast<uint32_t>(ModbusTypeWords(r.format.type))});
      }
      if (items.empty()) continue;
      const uint32_t max_count =
          IsBitTable(table) ? max_bits_per_request : max_registers_per_request;
      for (const PlannedRead& read : PlanReads(items, max_gap, max_count)) {
        ModbusRequest q;
        q.group = gi;
        q.unit_id = groups[gi].unit_id;
        q.table = table;
        q.address = static_cast<uint16_t>(read.address);
        q.count = static_cast<uint16_t>(read.count);
        for (const uint32_t item : read.items) q.registers.push_back(members[item]);
        q.description = fmt::format("unit {} {} {}..{}", q.unit_id, ModbusTableShortName(table),
                                    read.address, read.address + read.count - 1);
        groups[gi].requests.push_back(static_cast<uint32_t>(requests.size()));
        requests.push_back(std::move(q));
      }
    }
  }
}

}  // namespace strata
