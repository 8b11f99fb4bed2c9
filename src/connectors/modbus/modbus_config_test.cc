#include "connectors/modbus/modbus_config.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kAssets = R"(
asset_types:
  pump:
    signals:
      temp:   {unit: Cel, range: [-40, 150]}
      load:   {unit: "%"}
      speed:  {unit: "{rev}/min"}
      state:  {unit: "1"}
      alarm:  {unit: "1"}
      accel:  {unit: m/s2, kind: waveform}
assets:
  - {path: "acme/p/pump-{1..2}", type: pump}
)";

std::shared_ptr<const AssetModel> Model() {
  auto doc = ConfigDocument::Parse(kAssets, "assets.yaml");
  EXPECT_TRUE(doc.ok());
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

StatusOr<ModbusConnectorConfig> Parse(const std::string& yaml) {
  static auto model = Model();
  auto doc = ConfigDocument::Parse(yaml, "edge.yaml");
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<ModbusConnectorConfig>(
      [](ConfigNode& root) { return ModbusConnectorConfig::Read(root, model.get()); });
}

// A connector with one device whose registers are `registers` (YAML flow entries).
std::string Connector(const std::string& registers, const std::string& extra = "") {
  return fmt::format(R"(name: plc
endpoint: tcp://127.0.0.1:5020
{}
devices:
  - unit_id: 1
    asset: acme/p/pump-1
    poll_groups:
      - interval: 1s
        registers:
{}
)",
                     extra, registers);
}

std::string Error(const std::string& yaml) {
  auto c = Parse(yaml);
  EXPECT_FALSE(c.ok()) << "expected an error for:\n" << yaml;
  return c.ok() ? "" : c.status().message();
}

TEST(ModbusConfig, ReadsAFullConfigAndPlansTheReads) {
  auto c = Parse(R"(name: plc
endpoint: tcp://plc.local:1502
connect_timeout: 2s
response_timeout: 250ms
timeouts_before_reconnect: 2
max_gap: 4
max_registers_per_request: 100
max_bits_per_request: 1000
reconnect: {min: 100ms, max: 5s}
devices:
  - unit_id: 3
    asset: acme/p/pump-1
    order: CDAB
    poll_groups:
      - name: fast
        interval: 100ms
        registers:
          - {table: holding, address: 0, type: float32, signal: temp, unit: "[degF]"}
          - {table: holding, address: 2, type: int16, signal: load, scale: 0.1, offset: -5}
          - {table: holding, address: 10, bit: 3, signal: alarm}
          - {table: holding, address: 20, type: uint32, order: ABCD, signal: speed}
          - {table: coil, address: 7, signal: state, asset: acme/p/pump-2}
      - name: slow
        interval: 10s
        registers:
          - {table: input, address: 5, type: float64, order: DCBA, signal: temp, asset: acme/p/pump-2}
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "plc.local");
  EXPECT_EQ(c->port, 1502);
  EXPECT_EQ(c->Endpoint(), "tcp://plc.local:1502");
  EXPECT_EQ(c->response_timeout_ns, 250 * 1'000'000LL);
  EXPECT_EQ(c->timeouts_before_reconnect, 2);
  EXPECT_EQ(c->max_gap, 4u);
  ASSERT_EQ(c->registers.size(), 6u);
  const auto& temp = c->registers[0];
  EXPECT_EQ(temp.format.type, ModbusType::kFloat32);
  EXPECT_EQ(temp.format.order, WordOrder::kCDAB);  // the device's default
  EXPECT_EQ(temp.rule.unit, "[degF]");
  EXPECT_EQ(temp.rule.asset.text(), "acme/p/pump-1");
  EXPECT_EQ(temp.rule.signal.text(), "temp");
  EXPECT_EQ(temp.source_address, "unit 3 hr 0");
  EXPECT_THAT(temp.rule.where, HasSubstr("edge.yaml:"));
  EXPECT_EQ(c->registers[1].rule.scale, 0.1);
  EXPECT_EQ(c->registers[1].rule.offset, -5);
  EXPECT_EQ(c->registers[2].format.bit, 3);
  EXPECT_EQ(c->registers[2].format.type, ModbusType::kUInt16);
  EXPECT_EQ(c->registers[2].source_address, "unit 3 hr 10 bit 3");
  EXPECT_EQ(c->registers[3].format.order, WordOrder::kABCD);
  EXPECT_EQ(c->registers[4].format.type, ModbusType::kBool);
  EXPECT_EQ(c->registers[4].source_address, "unit 3 coil 7");

  ASSERT_EQ(c->groups.size(), 2u);
  EXPECT_EQ(c->groups[0].name, "unit3.fast");
  EXPECT_EQ(c->groups[0].interval_ns, 100'000'000);
  EXPECT_EQ(c->groups[0].unit_id, 3);
  // fast: hr 0..2 (+ gap of 7 > 4) → hr 0..2, hr 10..10 (gap 9) ... and hr 20..21, coil 7.
  std::vector<std::string> plan;
  for (const auto& q : c->requests) plan.push_back(q.description);
  EXPECT_THAT(plan, ElementsAre("unit 3 hr 0..2", "unit 3 hr 10..10", "unit 3 hr 20..21",
                                "unit 3 coil 7..7", "unit 3 ir 5..8"));
  EXPECT_THAT(c->groups[0].requests, ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(c->groups[1].requests, ElementsAre(4));
  EXPECT_THAT(c->requests[0].registers, ElementsAre(0, 1));
}

TEST(ModbusConfig, DefaultsAndPortDefault) {
  auto c = Parse(R"(name: plc
endpoint: tcp://10.0.0.5
devices:
  - unit_id: 1
    poll_groups:
      - interval: 1s
        registers:
          - {table: input, address: 0, asset: acme/p/pump-1, signal: load}
)");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->port, 502);
  EXPECT_EQ(c->max_gap, 16u);
  EXPECT_EQ(c->max_registers_per_request, 125u);
  EXPECT_EQ(c->registers[0].format.type, ModbusType::kUInt16);
  EXPECT_EQ(c->registers[0].format.order, WordOrder::kABCD);
  EXPECT_EQ(c->groups[0].name, "unit1.g0");
}

TEST(ModbusConfig, ErrorsNameFileLineAndKey) {
  std::string e = Error(Connector("          - {table: holdng, address: 0, signal: load}"));
  EXPECT_THAT(e, HasSubstr("edge.yaml:"));
  EXPECT_THAT(e, HasSubstr("devices[0].poll_groups[0].registers[0].table"));
  EXPECT_THAT(e, HasSubstr("unknown table 'holdng'"));

  e = Error(Connector("          - {table: holding, address: 0, signal: lod}"));
  EXPECT_THAT(e, HasSubstr("registers[0].signal"));
  EXPECT_THAT(e, HasSubstr("has no signal 'lod'; did you mean 'load'?"));

  e = Error(
      Connector("          - {table: holding, address: 0, signal: load, asset: acme/p/pump-3}"));
  EXPECT_THAT(e, HasSubstr("registers[0].asset"));
  EXPECT_THAT(e, HasSubstr("asset 'acme/p/pump-3' is not in the asset model"));

  e = Error(Connector("          - {table: holding, address: 0, signal: accel}"));
  EXPECT_THAT(e, HasSubstr("is a waveform"));

  e = Error(Connector("          - {table: holding, address: 0, signal: temp, unit: A}"));
  EXPECT_THAT(e, HasSubstr("registers[0].unit"));
  EXPECT_THAT(e, HasSubstr("cannot convert"));

  e = Error(Connector("          - {table: holding, address: 0, signal: temp, unit: furlong}"));
  EXPECT_THAT(e, HasSubstr("registers[0].unit"));

  e = Error(Connector("          - {table: holding, address: 0, type: bool, signal: state}"));
  EXPECT_THAT(e, HasSubstr("use `bit:`"));

  e = Error(Connector("          - {table: coil, address: 0, type: int16, signal: state}"));
  EXPECT_THAT(e, HasSubstr("its type is bool"));

  e = Error(
      Connector("          - {table: holding, address: 0, type: float32, bit: 2, signal: state}"));
  EXPECT_THAT(e, HasSubstr("registers[0].bit"));

  e = Error(Connector("          - {table: holding, address: 0, bit: 16, signal: state}"));
  EXPECT_THAT(e, HasSubstr("bit must be 0..15"));

  e = Error(Connector("          - {table: holding, address: 0, bit: 14, bits: 3, signal: state}"));
  EXPECT_THAT(e, HasSubstr("registers[0].bits"));

  e = Error(Connector("          - {table: holding, address: 65535, type: float32, signal: temp}"));
  EXPECT_THAT(e, HasSubstr("runs past register 65535"));

  e = Error(Connector("          - {table: holding, address: 70000, signal: temp}"));
  EXPECT_THAT(e, HasSubstr("address must be 0..65535"));

  e = Error(Connector("          - {table: holding, address: 0, type: float, signal: temp}"));
  EXPECT_THAT(e, HasSubstr("unknown type 'float'"));

  e = Error(Connector("          - {table: holding, address: 0, order: abcd, signal: temp}"));
  EXPECT_THAT(e, HasSubstr("unknown order 'abcd'"));

  e = Error(Connector("          - {table: coil, address: 0, order: CDAB, signal: state}"));
  EXPECT_THAT(e, HasSubstr("no word order"));

  e =
      Error(Connector("          - {table: holding, address: 0, signal: temp}\n"
                      "          - {table: holding, address: 1, signal: temp}"));
  EXPECT_THAT(e, HasSubstr("registers[1].signal"));
  EXPECT_THAT(e, HasSubstr("map each signal once"));

  e = Error(Connector("          - {table: holding, address: 0, signal: temp, adress: 4}"));
  EXPECT_THAT(e, HasSubstr("adress"));
  EXPECT_THAT(e, HasSubstr("address"));

  e = Error(Connector("          - {table: holding, address: 0, signal: temp}", "max_gap: -1"));
  EXPECT_THAT(e, HasSubstr("max_gap"));
  e = Error(Connector("          - {table: holding, address: 0, signal: temp}",
                      "max_registers_per_request: 126"));
  EXPECT_THAT(e, HasSubstr("at most 125"));
  e = Error(
      Connector("          - {table: holding, address: 0, signal: temp}", "response_timeout: 0s"));
  EXPECT_THAT(e, HasSubstr("response_timeout"));
}

TEST(ModbusConfig, ConnectorLevelErrors) {
  EXPECT_THAT(Error("name: plc\nendpoint: http://x:1\ndevices: []\n"),
              HasSubstr("not a Modbus TCP endpoint"));
  EXPECT_THAT(Error("name: plc\nendpoint: tcp://x:99999\ndevices: []\n"),
              HasSubstr("port must be 1..65535"));
  EXPECT_THAT(Error("name: plc\nendpoint: tcp://x:502\ndevices: []\n"),
              HasSubstr("at least one device"));
  const std::string two_units = R"(name: plc
endpoint: tcp://x:502
devices:
  - unit_id: 1
    poll_groups: [{interval: 1s, registers: [{table: coil, address: 0, asset: acme/p/pump-1, signal: state}]}]
  - unit_id: 1
    poll_groups: [{interval: 1s, registers: [{table: coil, address: 1, asset: acme/p/pump-2, signal: state}]}]
)";
  std::string e = Error(two_units);
  EXPECT_THAT(e, HasSubstr("devices[1].unit_id"));
  EXPECT_THAT(e, HasSubstr("appears twice"));
  EXPECT_THAT(Error(R"(name: plc
endpoint: tcp://x:502
devices:
  - unit_id: 248
    poll_groups: [{interval: 1s, registers: [{table: coil, address: 0, asset: acme/p/pump-1, signal: state}]}]
)"),
              HasSubstr("unit_id must be 0..247 or 255"));
  EXPECT_THAT(Error(R"(name: plc
endpoint: tcp://x:502
devices:
  - unit_id: 1
    poll_groups: [{interval: 1ms, registers: [{table: coil, address: 0, asset: acme/p/pump-1, signal: state}]}]
)"),
              HasSubstr("interval must be >= 10ms"));
  EXPECT_THAT(Error(R"(name: plc
endpoint: tcp://x:502
devices:
  - unit_id: 1
    poll_groups: [{interval: 1s, registers: [{table: coil, address: 0, signal: state}]}]
)"),
              HasSubstr("missing required key 'asset'"));
  EXPECT_THAT(Error(R"(name: plc
endpoint: tcp://x:502
devices:
  - unit_id: 1
    poll_groups: [{interval: 1s, registers: []}]
)"),
              HasSubstr("at least one register"));
}

}  // namespace
}  // namespace strata
