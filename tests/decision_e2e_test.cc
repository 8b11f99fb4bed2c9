// The edge decides on live data: readings through a real mosquitto → windows → features →
// an XGBoost package → decisions in the store, alert events in the store and on the broker.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "connectors/mqtt/mqtt_publisher.h"
#include "core/decision.h"
#include "edge/edge_agent.h"
#include "ml/model_package.h"
#include "ml/xgboost/xgboost_trainer.h"
#include "testing/testing.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using testing::MosquittoBroker;
using testing::TempDir;
using testing::WaitUntil;

constexpr char kSpec[] = R"(
asset_type: centrifugal_pump
window: {length: 10s, step: 10s}
list:
  - {name: bearing_temp_mean, signal: bearing_de.temp, function: mean}
  - {name: load_mean, signal: load, function: mean}
)";

// A package whose model learned "a hot bearing is a fault" (bearing_temp_mean > 60 °C).
std::string WriteHotPackage(const std::string& dir) {
  std::vector<float> x, y;
  for (int i = 0; i < 400; ++i) {
    const float temp = 20.0f + static_cast<float>(i % 80);
    x.push_back(temp);
    x.push_back(static_cast<float>(50 + i % 30));
    y.push_back(temp > 60 ? 1.0f : 0.0f);
  }
  ml::TrainParams params;
  params.rounds = 10;
  params.max_depth = 3;
  params.seed = 3;
  auto artifact = ml::TrainXgboost(params, x, 2, y);
  EXPECT_TRUE(artifact.ok()) << artifact.status().ToString();
  auto doc = ConfigDocument::Parse(kSpec, "<spec>");
  auto spec = (*doc)->Read<features::FeatureSpec>(
      [](ConfigNode& root) { return features::ReadFeatureSpec(root); });
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  ml::ModelManifest m;
  m.name = "hot-bearing";
  m.version = "1";
  m.runtime = "xgboost";
  m.features = *spec;
  m.alert.open_at = 0.5;
  m.alert.clear_below = 0.5;
  auto package = ml::WriteModelPackage(dir, m, *artifact);
  EXPECT_TRUE(package.ok()) << package.status().ToString();
  return package.ok() ? package->sha256 : "";
}

std::string EdgeYaml(int port, const std::string& dir, const std::string& sha256) {
  return fmt::format(R"(
edge: {{id: test-edge, tenant: test}}
store: {{path: {dir}/edge.db, durability: normal}}
assets: {src}/examples/assets.yaml
connectors:
  - name: plant
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    client_id: decision-test-edge
    subscriptions: ["plant/#"]
    decoders:
      readings: {{type: json, items: /readings, name: /n, value: /v, timestamp: /ts}}
    mapping:
      version: test-1
      rules:
        - {{topic: "plant/{{machine}}/process", decoder: readings, asset: "acme/plant-1/line-1/{{machine}}", signal: "{{name}}"}}
metrics: {{listen: "127.0.0.1:0"}}
models:
  - {{package: {dir}/hot-bearing, sha256: {sha256}, assets: ["*/pump-01"]}}
alerts: {{connector: plant, topic: site/alerts}}
)",
                     fmt::arg("dir", dir), fmt::arg("src", testing::SourceDir()),
                     fmt::arg("port", port), fmt::arg("sha256", sha256));
}

TEST(DecisionE2E, LiveReadingsBecomeStoredDecisionsAndPublishedAlerts) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  const int port = (*broker)->port();
  TempDir dir;
  const std::string sha256 = WriteHotPackage(dir.File("hot-bearing"));
  auto config = EdgeConfig::Parse(EdgeYaml(port, dir.path(), sha256), "<edge.yaml>", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EdgeAgent agent(std::move(*config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_EQ(agent.decisions()->deployed(), 1u);
  testing::MqttListener alerts(port, "site/alerts/#");
  ASSERT_TRUE(WaitUntil([&] {
    return alerts.subscribed() &&
           agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));

  MqttPublisher::Options o;
  o.port = port;
  auto pub = MqttPublisher::Connect(o, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  // 40 s of history at 1 Hz, on the 10 s grid: cool, hot, hot, cool (the last window stays
  // open: the watermark has not passed it).
  const int64_t now_s = Clock::System().NowNs() / kNsPerSec;
  const int64_t t0_s = (now_s - 60) / 10 * 10;
  for (int s = 0; s < 40; ++s) {
    const double temp = s >= 10 && s < 30 ? 85.0 : 35.0;
    ASSERT_TRUE(
        (*pub)
            ->Publish("plant/pump-01/process",
                      fmt::format(R"({{"ts":{},"readings":[{{"n":"bearing_de.temp","v":{}}},)"
                                  R"({{"n":"load","v":70}}]}})",
                                  (t0_s + s) * 1000, temp))
            .ok());
  }
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_decisions_total") >= 3 &&
           alerts.messages().size() >= 1;
  })) << agent.metrics().RenderPrometheus();

  const auto published = alerts.messages();
  EXPECT_EQ(published[0].first, "site/alerts/acme/plant-1/line-1/pump-01");
  auto open = AlertEventFromJson(published[0].second);
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_EQ(open->kind, "open");
  EXPECT_EQ(open->ts_ns, (t0_s + 20) * kNsPerSec);
  ASSERT_FALSE(open->reasons.empty());
  EXPECT_EQ(open->reasons[0].feature, "bearing_temp_mean");
  EXPECT_NEAR(open->reasons[0].value, 85.0, 1e-6);
  ASSERT_TRUE(WaitUntil([&] {
    auto stats = agent.pipeline()->store_stats();
    return stats.records >= 4;  // 3 decisions + 1 alert event, committed
  }));
  agent.Stop();

  SqliteStoreOptions ro;
  ro.path = dir.File("edge.db");
  ro.read_only = true;
  auto store = OpenSqliteStore(ro);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  RecordQuery q;
  q.stream = std::string(kDecisionStream);
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto decisions = (*store)->QueryRecords(q);
  ASSERT_TRUE(decisions.ok());
  ASSERT_EQ(decisions->size(), 3u);
  auto hot = DecisionFromJson((*decisions)[1].body);  // newest first: [t0+20, t0+10, t0]
  ASSERT_TRUE(hot.ok());
  EXPECT_EQ(hot->window_start_ns, (t0_s + 10) * kNsPerSec);
  EXPECT_EQ(hot->label, "fault");
  EXPECT_EQ(hot->model_sha256, sha256);
  EXPECT_TRUE(IsValidTraceparent(hot->trace_id));
  // The decision names the observations that fed it: 10 s × 2 signals, committed seqs.
  EXPECT_GT(hot->first_seq, 0u);
  EXPECT_GE(hot->last_seq, hot->first_seq + 19);
  q.stream = std::string(kAlertStream);
  auto stored_alerts = (*store)->QueryRecords(q);
  ASSERT_TRUE(stored_alerts.ok());
  ASSERT_EQ(stored_alerts->size(), 1u);
  EXPECT_EQ(stored_alerts->front().body, published[0].second);
  // Both streams wait in the outbox for the hub.
  auto pending = (*store)->PendingOutbox(100);
  ASSERT_TRUE(pending.ok());
  std::set<std::string> streams;
  for (const auto& r : *pending) streams.insert(r.stream);
  EXPECT_TRUE(streams.count("dec") && streams.count("alr"));
}

TEST(DecisionE2E, ABrokenPackageLeavesTheEdgeCollectingData) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  WriteHotPackage(dir.File("hot-bearing"));
  // The edge was told to run another package than the one on disk.
  auto config = EdgeConfig::Parse(EdgeYaml((*broker)->port(), dir.path(), std::string(64, 'b')),
                                  "<edge.yaml>", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EdgeAgent agent(std::move(*config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  EXPECT_EQ(agent.decisions()->deployed(), 0u);
  EXPECT_EQ(agent.metrics().Value("strata_edge_model_rejected_total", {{"reason", "hash"}}), 1);
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
  MqttPublisher::Options o;
  o.port = (*broker)->port();
  auto pub = MqttPublisher::Connect(o, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok());
  ASSERT_TRUE((*pub)
                  ->Publish("plant/pump-01/process",
                            fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":70}}]}})",
                                        Clock::System().NowNs() / kNsPerMs))
                  .ok());
  ASSERT_TRUE(WaitUntil(
      [&] { return agent.metrics().Value("strata_edge_observations_stored_total") == 1; }));
}

TEST(DecisionE2E, AlertsThroughAConnectorThatIsNotMqttIsAConfigError) {
  const std::string yaml = EdgeYaml(1883, "/tmp", std::string(64, 'a')) + "\n";
  std::string bad = yaml;
  bad.replace(bad.find("connector: plant"), 16, "connector: plc-1");
  auto config = EdgeConfig::Parse(bad, "edge.yaml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("edge.yaml:"));
  EXPECT_THAT(config.status().message(), HasSubstr("'plc-1' is not an MQTT connector"));
  bad = yaml;
  bad.replace(bad.find("sha256: "), 10, "sha256: xx");
  config = EdgeConfig::Parse(bad, "edge.yaml", "");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("64 lower-case hex digits"));
}

}  // namespace
}  // namespace strata
