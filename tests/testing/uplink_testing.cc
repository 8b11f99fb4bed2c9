#include "testing/uplink_testing.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "core/clock.h"
#include "store/store.h"

namespace strata::testing {

using std::chrono::seconds;

int64_t NowNs() { return Clock::System().NowNs(); }

std::string EdgeYaml(const std::string& edge_id, int port, const std::string& dir,
                     const std::string& uplink_extra) {
  return fmt::format(R"(
edge: {{id: {edge}, tenant: {tenant}}}
store: {{path: {dir}/{edge}.db, durability: normal}}
assets: {src}/examples/assets.yaml
connectors:
  - name: plant
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    client_id: {edge}-plant
    clean_session: false
    reconnect: {{min: 100ms, max: 1s}}
    subscriptions: ["{edge}/#"]
    decoders:
      readings: {{type: json, items: /readings, name: /n, value: /v, timestamp: /ts}}
    mapping:
      version: test-1
      rules:
        - {{topic: "{edge}/{{machine}}/process", decoder: readings, asset: "acme/plant-1/line-1/{{machine}}", signal: "{{name}}"}}
metrics: {{listen: off}}
uplink:
  broker: {{host: 127.0.0.1, port: {port}}}
  batch: 500
  max_inflight: 4
  ack_timeout: 1s
  max_ack_timeout: 4s
  heartbeat: 1s
{uplink_extra}
)",
                     fmt::arg("edge", edge_id), fmt::arg("tenant", kTenant), fmt::arg("dir", dir),
                     fmt::arg("src", SourceDir()), fmt::arg("port", port),
                     fmt::arg("uplink_extra", uplink_extra));
}

std::string HubYaml(int port, const std::string& dir) {
  return fmt::format(R"(
hub: {{id: hub-test}}
store: {{engine: sqlite, path: {dir}/hub.db}}
uplink:
  broker: {{host: 127.0.0.1, port: {port}}}
api: {{listen: "127.0.0.1:0"}}
)",
                     fmt::arg("dir", dir), fmt::arg("port", port));
}

EdgeConfig MustEdgeConfig(const std::string& yaml) {
  auto c = EdgeConfig::Parse(yaml, "<test edge.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

HubConfig MustHubConfig(const std::string& yaml) {
  auto c = HubConfig::Parse(yaml, "<test hub.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

std::unique_ptr<HubStore> MustOpenHubStore(const HubConfig& config) {
  auto s = OpenHubStore(config.store);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

void Enrol(HubStore& hub, const std::string& edge_id) {
  EdgeEntry e;
  e.edge_id = edge_id;
  e.tenant = kTenant;
  e.enrolled_ns = Clock::System().NowNs();
  ASSERT_TRUE(hub.UpsertEdge(e).ok());
}

std::unique_ptr<MqttPublisher> MustPublisher(int port) {
  MqttPublisher::Options o;
  o.port = port;
  auto p = MqttPublisher::Connect(o, 10 * kNsPerSec);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(*p) : nullptr;
}

// Publishes `n` messages of three readings each for pump-01 of `edge_id`, source times one ms
// apart from `t0_ms`, and waits until the broker has them all.
void PublishReadings(MqttPublisher& pub, const std::string& edge_id, int64_t t0_ms, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string payload = fmt::format(
        R"({{"ts":{},"readings":[{{"n":"load","v":{}}},{{"n":"bearing_de.temp","v":{}}},)"
        R"({{"n":"flow","v":{}}}]}})",
        t0_ms + i, 50 + i % 40, 40 + i % 30, 10 + i % 7);
    ASSERT_TRUE(pub.Publish(edge_id + "/pump-01/process", payload).ok());
  }
  ASSERT_TRUE(pub.WaitAllAcked(30 * kNsPerSec));
}

// What one store says about one edge's observations: (seq, signal, ts, value) by seq.
using Content = std::map<uint64_t, std::tuple<std::string, std::string, int64_t, double>>;

Content EdgeContent(const std::string& db_path) {
  SqliteStoreOptions o;
  o.path = db_path;
  o.read_only = true;
  auto store = OpenSqliteStore(o);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  Content c;
  if (!store.ok()) return c;
  auto stats = (*store)->Stats();
  EXPECT_TRUE(stats.ok());
  auto rows = (*store)->ReadStream(kObservationStream, 1, stats->last_obs_seq, 10'000'000);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  for (const ObservationRow& r : rows->observations) {
    c[r.seq] = {r.asset, r.signal, r.ts_ns, r.value.value_or(-1)};
  }
  return c;
}

// The hub's copy of one edge's observations; fails the test on a duplicate (edge, seq).
Content HubContent(HubStore& hub, const std::string& edge_id, const std::string& asset) {
  HubObservationQuery q;
  q.asset = asset;
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  q.limit = 10'000'000;
  auto rows = hub.QueryObservations(q);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  Content c;
  if (!rows.ok()) return c;
  // The asset belongs to one edge in these tests; the hub keeps the edge's seq on each row.
  (void)edge_id;
  for (const ObservationRow& r : *rows) {
    const bool inserted =
        c.emplace(r.seq, std::make_tuple(r.asset, r.signal, r.ts_ns, r.value.value_or(-1))).second;
    EXPECT_TRUE(inserted) << "duplicate seq " << r.seq << " on the hub";
  }
  return c;
}

uint64_t HubThrough(HubStore& hub, const std::string& edge_id, const std::string& stream) {
  auto progress = hub.ListProgress();
  if (!progress.ok()) return 0;
  for (const StreamProgress& p : *progress) {
    if (p.edge_id == edge_id && p.stream == stream) return p.through;
  }
  return 0;
}

uint64_t EdgeLastObsSeq(const std::string& db_path) {
  SqliteStoreOptions o;
  o.path = db_path;
  o.read_only = true;
  auto store = OpenSqliteStore(o);
  if (!store.ok()) return 0;
  auto stats = (*store)->Stats();
  return stats.ok() ? stats->last_obs_seq : 0;
}

// Zero loss, zero duplicates: the hub holds exactly the edge's observations.
void ExpectHubMirrorsEdge(HubStore& hub, const std::string& edge_id, const std::string& db) {
  const Content edge = EdgeContent(db);
  const Content on_hub = HubContent(hub, edge_id, "acme/plant-1/line-1/pump-01");
  ASSERT_FALSE(edge.empty());
  EXPECT_EQ(on_hub.size(), edge.size());
  size_t differing = 0;
  for (const auto& [seq, row] : edge) {
    auto it = on_hub.find(seq);
    if (it == on_hub.end() || it->second != row) ++differing;
  }
  EXPECT_EQ(differing, 0u) << "of " << edge.size() << " observations";
}

// Waits until the edge's MQTT connector has its subscriptions: readings published before that
// would not reach it.
void WaitReceiving(EdgeAgent& edge) {
  ASSERT_TRUE(WaitUntil([&] {
    return edge.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
}
void WaitReceiving(const std::string& log_file) {
  ASSERT_TRUE(WaitUntil([&] {
    return ReadTextFile(log_file).find("subscriptions acknowledged") != std::string::npos;
  })) << ReadTextFile(log_file);
}

Plant MustPlant() {
  Plant p;
  auto broker = MosquittoBroker::Start();
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  p.broker = std::move(*broker);
  return p;
}

std::unique_ptr<ChildProcess> SpawnStrata(const std::vector<std::string>& args,
                                          const std::string& log,
                                          const std::vector<std::string>& env) {
  ChildProcess::Options o;
  o.argv = {StrataBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log_file = log;
  o.env = env;
  auto child = ChildProcess::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  return child.ok() ? std::move(*child) : nullptr;
}

UplinkBatch OneObservationBatch(const std::string& edge_id, uint64_t seq) {
  UplinkBatch b;
  b.edge_id = edge_id;
  b.stream = "obs";
  b.first_seq = b.floor_seq = seq;
  ObservationRow& o = b.observations.emplace_back();
  o.seq = seq;
  o.asset = "acme/plant-1/line-1/pump-01";
  o.signal = "load";
  o.unit = "%";
  o.ts_ns = o.ingest_ts_ns = NowNs() + static_cast<int64_t>(seq);
  o.value = 50;
  return b;
}

}  // namespace strata::testing
