#include "edge/edge_config.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

const std::string kSrc = STRATA_DEFAULT_SOURCE_DIR;

std::string Minimal(const std::string& extra = "") {
  return R"(
store: {path: /tmp/x.db}
assets:
  asset_types:
    t: {signals: {temp: {unit: Cel, period: 1s}}}
  assets: [{path: a/b, type: t}]
connectors:
  - name: c1
    type: mqtt
    mapping: {rules: [{topic: "x/{id}", asset: a/b, signal: temp}]}
)" + extra;
}

TEST(EdgeConfigTest, TheExampleLoadsWithItsFilesRelativeToIt) {
  auto c = EdgeConfig::Load(kSrc + "/examples/edge.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->edge_id, "edge-1");
  EXPECT_EQ(c->store_path, kSrc + "/examples/data/edge.db");
  EXPECT_EQ(c->durability, Durability::kFull);
  EXPECT_EQ(c->model->assets().size(), 8u);  // 4 pumps, 2 motors, a boiler, a SCADA view
  ASSERT_EQ(c->mqtt.size(), 1u);
  EXPECT_EQ(c->mqtt[0].client_id, "strata-edge-1-plant");
  EXPECT_EQ(c->mqtt[0].mapping.rules.size(), 3u);
  EXPECT_EQ(c->mqtt[0].subscriptions,
            (std::vector<std::string>{"strata-sim/plant-1/+/process",
                                      "strata-sim/plant-1/+/vibration/+",
                                      "legacy/boiler-1/flue_temp_f"}));
  EXPECT_EQ(c->pipeline.retention.max_bytes, 2LL << 30);
  EXPECT_EQ(c->metrics_listen, "127.0.0.1:9464");
}

TEST(EdgeConfigTest, DefaultsAreSane) {
  auto c = EdgeConfig::Parse(Minimal(), "edge.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mqtt[0].qos, 1);
  EXPECT_FALSE(c->mqtt[0].clean_session);
  EXPECT_EQ(c->mqtt[0].subscriptions, (std::vector<std::string>{"x/+"}));
  EXPECT_EQ(c->pipeline.stale_factor, 3.0);
  EXPECT_EQ(c->pipeline.retention.max_age_ns, 0);
}

TEST(EdgeConfigTest, MistakesAreNamedWithFileLineAndKey) {
  struct Case {
    std::string extra;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"metrics: {listn: 1}\n", "edge.yaml:11:11: metrics.listn: unknown key (did you mean 'listen'?)"},
      {"staleness: {factor: 0.5}\n", "staleness.factor: factor must be between 1 and 1000"},
      {"edge: {id: \"a/b\"}\n", "not a valid id"},
      {"pipeline: {raw_queue: 12}\n", "raw_queue >= 1KiB"},
      {"validation: {max_future: soon}\n", "'soon' is not a duration"},
      {"edge: {config_version: \"\"}\n", "edge.config_version: config_version names this"},
  };
  for (const auto& k : cases) {
    auto c = EdgeConfig::Parse(Minimal(k.extra), "edge.yaml", "");
    ASSERT_FALSE(c.ok()) << k.extra;
    EXPECT_NE(c.status().message().find(k.expect), std::string::npos)
        << "got: " << c.status().message();
  }
  auto c = EdgeConfig::Parse("store: {path: x.db}\nassets: missing.yaml\nconnectors: []\n",
                             "edge.yaml", "/nonexistent-dir");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent-dir/missing.yaml"), std::string::npos)
      << c.status().message();
}

std::string WithStore(const std::string& store) {
  std::string text = Minimal();
  const std::string minimal_store = "store: {path: /tmp/x.db}\n";
  text.replace(text.find(minimal_store), minimal_store.size(), store);
  return text;
}

TEST(EdgeConfigTest, TheConfigVersionIsGivenOrTheFilesHash) {
  auto named = EdgeConfig::Parse(Minimal("edge: {config_version: line-1 v7}\n"), "edge.yaml", "");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->config_version, "line-1 v7");
  auto a = EdgeConfig::Parse(Minimal(), "edge.yaml", "");
  auto b = EdgeConfig::Parse(Minimal("# a comment is a change\n"), "edge.yaml", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->config_version.rfind("sha256:", 0), 0u) << a->config_version;
  EXPECT_EQ(a->config_version.size(), 7u + 16u);
  EXPECT_NE(a->config_version, b->config_version);
  EXPECT_EQ(a->config_version, EdgeConfig::Parse(Minimal(), "other.yaml", "")->config_version);
}

TEST(EdgeConfigTest, TheOutboxQuotaDefaultsToMaxSizeAndDropsTheOldest) {
  auto c = EdgeConfig::Parse(Minimal(), "edge.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline.retention.outbox_quota_bytes, 0);  // no max_size: unbounded
  EXPECT_EQ(c->pipeline.retention.when_full, OutboxFullPolicy::kDropOldest);

  c = EdgeConfig::Parse(WithStore("store:\n  path: x.db\n  retention: {max_size: 2GiB}\n"),
                        "edge.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline.retention.outbox_quota_bytes, 2LL << 30);
  EXPECT_EQ(c->pipeline.retention.when_full, OutboxFullPolicy::kDropOldest);
}

TEST(EdgeConfigTest, TheOutboxQuotaAndPolicyAreRead) {
  auto c = EdgeConfig::Parse(WithStore(R"(store:
  path: x.db
  retention: {max_age: 30d, max_size: 2GiB}
  outbox: {quota: 1GiB, when_full: reject_new}
)"),
                             "edge.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline.retention.outbox_quota_bytes, 1LL << 30);
  EXPECT_EQ(c->pipeline.retention.when_full, OutboxFullPolicy::kRejectNew);
  EXPECT_EQ(c->pipeline.retention.max_bytes, 2LL << 30);

  c = EdgeConfig::Parse(WithStore("store:\n  path: x.db\n  outbox: {quota: 64MiB}\n"), "edge.yaml",
                        "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pipeline.retention.outbox_quota_bytes, 64LL << 20);
  EXPECT_EQ(c->pipeline.retention.when_full, OutboxFullPolicy::kDropOldest);
}

TEST(EdgeConfigTest, OutboxMistakesAreNamedWithFileLineAndKey) {
  struct Case {
    std::string store;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"store:\n  path: x.db\n  outbox: {quota: -1GiB}\n",
       "edge.yaml:4:19: store.outbox.quota: '-1GiB' is not a byte size"},
      {"store:\n  path: x.db\n  outbox: {quota: 0}\n",
       "edge.yaml:4:19: store.outbox.quota: the outbox quota must be at least 64KiB"},
      {"store:\n  path: x.db\n  outbox: {quota: 1GiB, when_full: drop_newest}\n",
       "edge.yaml:4:36: store.outbox.when_full: 'drop_newest' is not one of: drop_oldest, "
       "reject_new (did you mean 'drop_oldest'?)"},
      {"store:\n  path: x.db\n  outbox: {when_full: reject_new}\n",
       "edge.yaml:4:23: store.outbox.when_full: the outbox has no quota"},
      {"store:\n  path: x.db\n  retention: {max_size: 1GiB}\n  outbox: {quota: 2GiB}\n",
       "edge.yaml:5:19: store.outbox.quota: the outbox is part of the store"},
      {"store:\n  path: x.db\n  outbox: {quota: 1GiB, when_ful: reject_new}\n",
       "edge.yaml:4:25: store.outbox.when_ful: unknown key (did you mean 'when_full'?)"},
  };
  for (const auto& k : cases) {
    auto c = EdgeConfig::Parse(WithStore(k.store), "edge.yaml", "");
    ASSERT_FALSE(c.ok()) << k.store;
    EXPECT_NE(c.status().message().find(k.expect), std::string::npos)
        << "got: " << c.status().message();
  }
}

TEST(EdgeConfigTest, DuplicateConnectorNamesAreRejected) {
  auto c = EdgeConfig::Parse(Minimal(R"(
  - name: c1
    type: mqtt
    mapping: {rules: [{topic: "y/#", asset: a/b, signal: temp}]}
)"),
                             "edge.yaml", "");
  // The extra entry lands under `connectors:` because Minimal ends inside that list.
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("connector name 'c1' is used twice"), std::string::npos)
      << c.status().message();
}

TEST(EdgeConfigTest, ModbusConnectorsAreReadAndCheckedAgainstTheAssetModel) {
  auto c = EdgeConfig::Parse(Minimal(R"(
  - name: plc
    type: modbus
    endpoint: tcp://127.0.0.1:5020
    devices:
      - unit_id: 1
        poll_groups: [{interval: 1s, registers: [{table: input, address: 3, type: int16,
                                                   scale: 0.1, asset: a/b, signal: temp}]}]
)"),
                             "edge.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->mqtt.size(), 1u);
  ASSERT_EQ(c->modbus.size(), 1u);
  EXPECT_EQ(c->modbus[0].name, "plc");
  EXPECT_EQ(c->modbus[0].requests.size(), 1u);

  // A name shared with an MQTT connector, and a signal the asset model does not have.
  c = EdgeConfig::Parse(Minimal(R"(
  - name: c1
    type: modbus
    endpoint: tcp://127.0.0.1:5020
    devices: []
)"),
                        "edge.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("connector name 'c1' is used twice"), std::string::npos)
      << c.status().message();
  c = EdgeConfig::Parse(Minimal(R"(
  - name: plc
    type: modbus
    endpoint: tcp://127.0.0.1:5020
    devices:
      - unit_id: 1
        poll_groups: [{interval: 1s, registers: [{table: coil, address: 0, asset: a/b, signal: tmp}]}]
)"),
                        "edge.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("edge.yaml:17:"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("connectors[1].devices[0].poll_groups[0].registers[0]."
                                      "signal: asset 'a/b' (type 't') has no signal 'tmp'; did "
                                      "you mean 'temp'?"),
            std::string::npos)
      << c.status().message();
  c = EdgeConfig::Parse(Minimal("  - {name: x, type: modbas}\n"), "edge.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("modbus"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace strata
