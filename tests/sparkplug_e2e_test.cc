// Sparkplug B through a real mosquitto into the edge agent, with payloads encoded by an
// independent implementation (Eclipse Tahu's JavaScript encoder, npm sparkplug-payload, run by
// tests/sparkplug_payloads.js): births, DATA by alias, a seq gap that makes the edge ask the
// node for a rebirth (an NCMD the test receives from the broker), and a node death that marks
// the device's signals bad.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "cli/child_process.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "connectors/sparkplug/sparkplug_codec.h"
#include "core/time_util.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::MosquittoBroker;
using testing::TempDir;
using testing::WaitUntil;

std::string EdgeYaml(int port, const std::string& dir) {
  return fmt::format(R"(
edge: {{id: spb-edge, tenant: test}}
store: {{path: {dir}/edge.db, durability: normal}}
assets: {src}/examples/assets.yaml
connectors:
  - name: spb
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    client_id: spb-edge
    reconnect: {{min: 100ms, max: 1s}}
    decoders:
      spb: {{type: sparkplug}}
    default_decoder: spb
    mapping:
      version: spb-1
      rules:
        - {{topic: "spBv1.0/plant-1/+/{{node}}", asset: "acme/plant-1/line-1/{{node}}", signal: "{{name}}"}}
        - {{topic: "spBv1.0/plant-1/+/{{node}}/{{machine}}", asset: "acme/plant-1/line-1/{{machine}}", signal: "{{name}}"}}
metrics: {{listen: "127.0.0.1:0"}}
)",
                     fmt::arg("dir", dir), fmt::arg("src", testing::SourceDir()),
                     fmt::arg("port", port));
}

// The Tahu-encoded messages: (topic, payload bytes).
std::vector<std::pair<std::string, std::string>> TahuMessages(const TempDir& dir, int64_t t0_ms) {
  ChildProcess::Options o;
  o.argv = {"/usr/bin/node", testing::SourceDir() + "/tests/sparkplug_payloads.js", "plant-1",
            std::to_string(t0_ms)};
  o.log_file = dir.File("tahu.out");
  auto child = ChildProcess::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  if (!child.ok()) return {};
  const auto rc = (*child)->WaitFor(60 * kNsPerSec);
  const std::string text = testing::ReadTextFile(dir.File("tahu.out"));
  EXPECT_EQ(rc, 0) << "tests/sparkplug_payloads.js failed (is tests/peers installed? run "
                      "scripts/npm-deps.sh):\n"
                   << text;
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream lines(text);
  std::string topic, hex;
  while (lines >> topic >> hex) {
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    out.emplace_back(topic, bytes);
  }
  return out;
}

TEST(SparkplugE2E, TahuEncodedBirthsDataGapAndDeath) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  const int port = (*broker)->port();
  TempDir dir;
  const int64_t t0_ms = Clock::System().NowNs() / kNsPerMs - 10'000;
  const auto messages = TahuMessages(dir, t0_ms);
  ASSERT_EQ(messages.size(), 5u);

  auto config = EdgeConfig::Parse(EdgeYaml(port, dir.path()), "<test edge.yaml>", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EdgeAgent agent(std::move(*config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "spb"}}) == 1;
  }));
  testing::MqttListener ncmd(port, "spBv1.0/plant-1/NCMD/#");
  ASSERT_TRUE(WaitUntil([&] { return ncmd.subscribed(); }));

  MqttPublisher::Options po;
  po.port = port;
  auto pub = MqttPublisher::Connect(po, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  // Births and the first DATA: 4 + 2 values, no rebirth wanted.
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE((*pub)->Publish(messages[i].first, messages[i].second).ok());
  }
  auto stored = [&] { return agent.metrics().Value("strata_edge_observations_stored_total"); };
  ASSERT_TRUE(WaitUntil([&] { return stored() == 6; })) << stored();
  EXPECT_EQ(
      agent.metrics().Value("strata_edge_sparkplug_rebirth_requests_total", {{"connector", "spb"}}),
      0);
  // The gap: the value is kept and the node is asked to rebirth.
  ASSERT_TRUE((*pub)->Publish(messages[3].first, messages[3].second).ok());
  ASSERT_TRUE(WaitUntil([&] { return !ncmd.messages().empty(); }));
  const auto [ncmd_topic, ncmd_payload] = ncmd.messages().front();
  EXPECT_EQ(ncmd_topic, "spBv1.0/plant-1/NCMD/gw-1");
  SparkplugDecoder decoder;
  SparkplugPayload rebirth;
  ASSERT_TRUE(decoder.Decode(ncmd_payload, &rebirth).ok());
  ASSERT_EQ(rebirth.metrics.size(), 1u);
  EXPECT_EQ(rebirth.metrics[0].name, "Node Control/Rebirth");
  EXPECT_EQ(rebirth.metrics[0].bits, 1u);
  // The death: both device signals that had values, plus speed and run_state, marked bad.
  ASSERT_TRUE((*pub)->Publish(messages[4].first, messages[4].second).ok());
  ASSERT_TRUE(WaitUntil([&] { return stored() == 7 + 4; })) << stored();
  EXPECT_EQ(agent.metrics().Value("strata_edge_dead_letters_stored_total"), 0);
  agent.Stop();

  SqliteStoreOptions so;
  so.path = dir.File("edge.db");
  so.read_only = true;
  auto store = OpenSqliteStore(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-01";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto rows = (*store)->QueryObservations(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<std::string, std::vector<ObservationRow>> by_signal;
  for (auto& r : *rows) by_signal[r.signal].push_back(r);
  ASSERT_EQ(by_signal["load"].size(), 4u);  // birth, data, data after the gap, death
  EXPECT_EQ(*by_signal["load"][0].value, 75.5);
  EXPECT_EQ(by_signal["load"][0].ts_ns, (t0_ms + 1) * kNsPerMs);
  EXPECT_EQ(*by_signal["load"][1].value, 80.25);
  EXPECT_EQ(by_signal["load"][1].ts_ns, (t0_ms + 990) * kNsPerMs);  // the metric's own time
  EXPECT_EQ(*by_signal["load"][2].value, 82.0);
  EXPECT_EQ(by_signal["load"][3].quality, Quality::kBad);
  EXPECT_FALSE(by_signal["load"][3].value.has_value());
  ASSERT_EQ(by_signal["bearing_de.temp"].size(), 3u);
  EXPECT_EQ(*by_signal["bearing_de.temp"][1].value, 41.5);
  ASSERT_EQ(by_signal["speed"].size(), 2u);
  EXPECT_EQ(*by_signal["speed"][0].value, 1480.0);
  ASSERT_EQ(by_signal["run_state"].size(), 2u);
  EXPECT_EQ(*by_signal["run_state"][0].value, 1.0);
  EXPECT_EQ(by_signal["run_state"][1].quality, Quality::kBad);
  EXPECT_EQ(by_signal["load"][0].source.protocol, "mqtt");
  EXPECT_EQ(by_signal["load"][0].source.address, "spBv1.0/plant-1/DBIRTH/gw-1/pump-01");
}

}  // namespace
}  // namespace strata
