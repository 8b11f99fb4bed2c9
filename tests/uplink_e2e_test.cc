// The uplink end to end: edges → real mosquitto → hub → hub store, with faults in between.
// Every test ends by checking that the hub holds exactly what the edge committed: every
// (edge, seq) once, with the same content — zero loss, zero duplicates.
//
// Parts run in-process where that is enough (EdgeAgent, HubIngest) and as real `strata`
// processes where the test kills one with SIGKILL.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

#include "api/api_server.h"
#include "api/auth.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/sha256.h"
#include "core/time_util.h"
#include "core/version.h"
#include "edge/edge_agent.h"
#include "edge/enrolment_client.h"
#include "hub/broker_provisioner.h"
#include "hub/hub_config.h"
#include "hub/hub_ingest.h"
#include "hub/store/hub_store.h"
#include "testing/postgres_server.h"
#include "testing/testing.h"
#include "uplink/uplink_batch.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

using std::chrono::seconds;
using testing::MosquittoBroker;
using testing::TempDir;
using testing::WaitUntil;

constexpr char kTenant[] = "acme";

int64_t NowNs() { return Clock::System().NowNs(); }

std::string EdgeYaml(const std::string& edge_id, int port, const std::string& dir,
                     const std::string& uplink_extra = "") {
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
                     fmt::arg("src", testing::SourceDir()), fmt::arg("port", port),
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
    return testing::ReadTextFile(log_file).find("subscriptions acknowledged") != std::string::npos;
  })) << testing::ReadTextFile(log_file);
}

struct Plant {
  std::unique_ptr<MosquittoBroker> broker;
  TempDir dir;
};

Plant MustPlant() {
  Plant p;
  auto broker = MosquittoBroker::Start();
  EXPECT_TRUE(broker.ok()) << broker.status().ToString();
  p.broker = std::move(*broker);
  return p;
}

std::unique_ptr<ChildProcess> SpawnStrata(const std::vector<std::string>& args,
                                          const std::string& log,
                                          const std::vector<std::string>& env = {}) {
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log_file = log;
  o.env = env;
  auto child = ChildProcess::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  return child.ok() ? std::move(*child) : nullptr;
}

// --- the happy path and bad input ---

TEST(UplinkE2E, EverythingTheEdgeCommitsReachesTheHubOnceAndTheOutboxEmpties) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-a");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());

  EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-a", port, plant.dir.path())), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  WaitReceiving(edge);
  auto pub = MustPublisher(port);
  ASSERT_TRUE(WaitUntil([&] { return edge.uplink()->connected() && ingest.connected(); }));
  PublishReadings(*pub, "edge-a", NowNs() / kNsPerMs - 60'000, 2000);
  // A reading outside its valid range: a dead letter, uplinked on its own stream.
  ASSERT_TRUE(pub->Publish("edge-a/pump-01/process",
                           R"({"ts":1700000000000,"readings":[{"n":"load","v":1e9}]})")
                  .ok());
  const std::string db = plant.dir.File("edge-a.db");
  ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == 6000; }, seconds(60)));
  ASSERT_TRUE(
      WaitUntil([&] { return HubThrough(*hub_store, "edge-a", "obs") == 6000; }, seconds(60)))
      << HubThrough(*hub_store, "edge-a", "obs");
  ASSERT_TRUE(WaitUntil([&] { return HubThrough(*hub_store, "edge-a", "dlq") == 1; }));
  ASSERT_TRUE(WaitUntil([&] { return edge.uplink()->acked_through("obs") == 6000; }));
  // The outbox is trimmed once the acks are applied by the edge's writer.
  ASSERT_TRUE(WaitUntil([&] { return edge.pipeline()->store_stats().outbox_records == 0; }));
  // Heartbeats: the hub keeps the edge's last one, with its version, uptime and store.
  std::string heartbeat;
  ASSERT_TRUE(WaitUntil([&] {
    auto e = hub_store->GetEdge("edge-a");
    heartbeat = e.ok() && e->has_value() ? (*e)->heartbeat : "";
    return heartbeat.find("\"obs\":6000") != std::string::npos &&
           heartbeat.find("\"observations\":6000") != std::string::npos;
  })) << heartbeat;
  auto hb = nlohmann::json::parse(heartbeat);
  EXPECT_EQ(hb["kind"], "heartbeat");
  EXPECT_EQ(hb["version"], kStrataVersion);
  EXPECT_GE(hb["uptime_s"].get<int64_t>(), 0);
  EXPECT_EQ(hb["store"]["observations"], 6000);
  EXPECT_EQ(hb["connectors_up"], 1);
  EXPECT_GT((*hub_store->GetEdge("edge-a"))->last_seen_ns, 0);
  edge.Stop();
  ingest.Stop();
  ExpectHubMirrorsEdge(*hub_store, "edge-a", db);
  auto dead = hub_store->QueryDeadLetters({"edge-a", 0, std::numeric_limits<int64_t>::max(), 10});
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ(dead->front().dead_letter.reason, RejectReason::kOutOfRange);
  EXPECT_EQ(hub_metrics.Value("strata_hub_records_stored_total", {{"stream", "obs"}}), 6000);
}

TEST(UplinkE2E, BatchesOfAnEdgeNotEnrolledAreRefusedUntilItIsEnrolled) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-b", port, plant.dir.path())), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  WaitReceiving(edge);
  auto pub = MustPublisher(port);
  ASSERT_TRUE(WaitUntil([&] { return edge.uplink()->connected() && ingest.connected(); }));
  PublishReadings(*pub, "edge-b", NowNs() / kNsPerMs - 60'000, 100);
  ASSERT_TRUE(WaitUntil([&] {
    return hub_metrics.Value("strata_hub_batches_rejected_total", {{"reason", "not_enrolled"}}) >=
           1;
  }));
  EXPECT_EQ(HubThrough(*hub_store, "edge-b", "obs"), 0u);
  EXPECT_EQ(hub_store->Stats()->observations, 0u);
  // Enrolled now: the edge's next resend goes through, nothing was lost meanwhile.
  Enrol(*hub_store, "edge-b");
  ASSERT_TRUE(
      WaitUntil([&] { return HubThrough(*hub_store, "edge-b", "obs") == 300; }, seconds(60)));
  edge.Stop();
  ingest.Stop();
  ExpectHubMirrorsEdge(*hub_store, "edge-b", plant.dir.File("edge-b.db"));
}

TEST(UplinkE2E, ForgedOversizedAndMisaddressedBatchesAreRefusedAndCounted) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  hub_config.ingest.max_batch_bytes = 64 << 10;
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-c");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  testing::MqttListener acks(port, "strata/v1/+/edge/+/ack");
  ASSERT_TRUE(WaitUntil([&] { return ingest.connected() && acks.subscribed(); }));

  UplinkBatch batch;
  batch.edge_id = "edge-c";
  batch.stream = "obs";
  batch.first_seq = batch.floor_seq = 1;
  ObservationRow& o = batch.observations.emplace_back();
  o.seq = 1;
  o.asset = "acme/plant-1/line-1/pump-01";
  o.signal = "load";
  o.unit = "%";
  o.ts_ns = o.ingest_ts_ns = NowNs();
  o.value = 50;
  auto good = EncodeUplinkBatch(batch);
  ASSERT_TRUE(good.ok());
  auto pub = MustPublisher(port);
  const std::string topic = UplinkTopic(kTenant, "edge-c", "obs");
  std::string forged = *good;
  forged[forged.size() - 3] ^= 0x10;  // damaged body
  ASSERT_TRUE(pub->Publish(topic, forged).ok());
  ASSERT_TRUE(pub->Publish(topic, std::string(100 << 10, 'x')).ok());            // oversized
  ASSERT_TRUE(pub->Publish(UplinkTopic(kTenant, "edge-d", "obs"), *good).ok());  // wrong edge
  ASSERT_TRUE(pub->Publish(UplinkTopic("other", "edge-c", "obs"), *good).ok());  // wrong tenant
  ASSERT_TRUE(pub->Publish(topic, "not a batch").ok());
  auto rejected = [&](const char* reason) {
    return hub_metrics.Value("strata_hub_batches_rejected_total", {{"reason", reason}});
  };
  ASSERT_TRUE(WaitUntil([&] {
    return rejected("malformed") + rejected("checksum") >= 2 && rejected("oversized") == 1 &&
           rejected("topic_mismatch") == 1 && rejected("tenant_mismatch") == 1;
  })) << hub_metrics.RenderPrometheus();
  EXPECT_EQ(hub_store->Stats()->observations, 0u);
  EXPECT_TRUE(acks.messages().empty());

  // The genuine batch is stored and acked; replaying it stores nothing twice and acks again.
  ASSERT_TRUE(pub->Publish(topic, *good).ok());
  ASSERT_TRUE(pub->Publish(topic, *good).ok());
  ASSERT_TRUE(WaitUntil([&] { return acks.messages().size() == 2; }));
  EXPECT_EQ(hub_store->Stats()->observations, 1u);
  EXPECT_EQ(hub_metrics.Value("strata_hub_dedupe_hits_total"), 1);
  auto ack = DecodeAck(acks.messages()[1].second);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->through, 1u);
  EXPECT_EQ(acks.messages()[1].first, AckTopic(kTenant, "edge-c"));
  ingest.Stop();
}

// --- faults ---

TEST(UplinkE2E, HubKilledBetweenReceiveAndCommitLosesNothing) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  const std::string hub_yaml = plant.dir.File("hub.yaml");
  testing::WriteTextFile(hub_yaml, HubYaml(port, plant.dir.path()));
  {
    auto hub_store = MustOpenHubStore(MustHubConfig(HubYaml(port, plant.dir.path())));
    ASSERT_TRUE(hub_store);
    Enrol(*hub_store, "edge-k");
  }
  // The hub kills itself (SIGKILL) on receiving its 3rd batch, before committing it.
  auto hub = SpawnStrata({"hub", "--config", hub_yaml}, plant.dir.File("hub-1.log"),
                         {"STRATA_HUB_CRASH_BEFORE_COMMIT=3"});
  ASSERT_TRUE(hub);
  EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-k", port, plant.dir.path())), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  WaitReceiving(edge);
  auto pub = MustPublisher(port);
  PublishReadings(*pub, "edge-k", NowNs() / kNsPerMs - 60'000, 1500);
  ASSERT_TRUE(hub->WaitFor(60 * kNsPerSec).has_value()) << "the hub did not crash";
  EXPECT_EQ(*hub->Poll(), 128 + SIGKILL);
  const uint64_t acked_before = edge.uplink()->acked_through("obs");
  EXPECT_LT(acked_before, 4500u);
  // Restarted without the fault: the edge resends from its last ack.
  hub = SpawnStrata({"hub", "--config", hub_yaml}, plant.dir.File("hub-2.log"));
  ASSERT_TRUE(hub);
  ASSERT_TRUE(WaitUntil([&] { return edge.uplink()->acked_through("obs") == 4500; }, seconds(90)))
      << edge.uplink()->acked_through("obs") << "\n"
      << edge.metrics().RenderPrometheus() << "\n"
      << testing::ReadTextFile(plant.dir.File("hub-1.log"))
      << testing::ReadTextFile(plant.dir.File("hub-2.log"));
  edge.Stop();
  hub->Terminate();
  auto hub_store = MustOpenHubStore(MustHubConfig(HubYaml(port, plant.dir.path())));
  ExpectHubMirrorsEdge(*hub_store, "edge-k", plant.dir.File("edge-k.db"));
}

TEST(UplinkE2E, EdgeKilledDuringABurstLosesNothingAndDuplicatesNothing) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-x");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  const std::string edge_yaml = plant.dir.File("edge-x.yaml");
  testing::WriteTextFile(edge_yaml, EdgeYaml("edge-x", port, plant.dir.path()));
  auto edge = SpawnStrata({"edge", "--config", edge_yaml}, plant.dir.File("edge-1.log"));
  ASSERT_TRUE(edge);
  WaitReceiving(plant.dir.File("edge-1.log"));
  const std::string db = plant.dir.File("edge-x.db");
  auto pub = MustPublisher(port);
  // A burst; the edge is killed while it stores and uplinks it.
  PublishReadings(*pub, "edge-x", NowNs() / kNsPerMs - 60'000, 3000);
  ASSERT_TRUE(WaitUntil([&] { return HubThrough(*hub_store, "edge-x", "obs") > 0; }, seconds(60)));
  edge->Kill();
  const uint64_t at_kill = EdgeLastObsSeq(db);
  // Back up: it takes the rest from its persistent session, then a second burst, and
  // uplinks everything it committed, once. (Readings the broker handed over but the killed
  // edge had not committed yet are not on the edge either: see docs/uplink.md.)
  edge = SpawnStrata({"edge", "--config", edge_yaml}, plant.dir.File("edge-2.log"));
  PublishReadings(*pub, "edge-x", NowNs() / kNsPerMs - 30'000, 100);
  ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) >= at_kill + 300; }, seconds(60)))
      << EdgeLastObsSeq(db) << " (" << at_kill << " at the kill)";
  ASSERT_TRUE(WaitUntil(
      [&] { return HubThrough(*hub_store, "edge-x", "obs") == EdgeLastObsSeq(db); }, seconds(60)))
      << HubThrough(*hub_store, "edge-x", "obs") << " of " << EdgeLastObsSeq(db);
  edge->Terminate();
  ingest.Stop();
  ExpectHubMirrorsEdge(*hub_store, "edge-x", db);
}

TEST(UplinkE2E, BrokerRestartMidStreamLosesNothing) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-r");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-r", port, plant.dir.path())), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  WaitReceiving(edge);
  {
    auto pub = MustPublisher(port);
    PublishReadings(*pub, "edge-r", NowNs() / kNsPerMs - 60'000, 1000);
  }
  ASSERT_TRUE(WaitUntil([&] { return HubThrough(*hub_store, "edge-r", "obs") > 0; }, seconds(60)));
  plant.broker->Stop();
  ASSERT_TRUE(plant.broker->Restart().ok());
  {
    auto pub = MustPublisher(port);
    PublishReadings(*pub, "edge-r", NowNs() / kNsPerMs - 30'000, 1000);
  }
  const std::string db = plant.dir.File("edge-r.db");
  ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == 6000; }, seconds(60)))
      << EdgeLastObsSeq(db);
  ASSERT_TRUE(WaitUntil(
      [&] { return HubThrough(*hub_store, "edge-r", "obs") == EdgeLastObsSeq(db); }, seconds(90)))
      << HubThrough(*hub_store, "edge-r", "obs") << " of " << EdgeLastObsSeq(db);
  edge.Stop();
  ingest.Stop();
  ExpectHubMirrorsEdge(*hub_store, "edge-r", db);
}

TEST(UplinkE2E, TwoEdgesOneHubAndAnEdgeRebootWhileTheHubIsAway) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-1");
  Enrol(*hub_store, "edge-2");
  auto pub = MustPublisher(port);
  const int64_t t0 = NowNs() / kNsPerMs - 120'000;
  {
    // The hub is away: both edges collect; edge-2 reboots in between.
    EdgeAgent e1(MustEdgeConfig(EdgeYaml("edge-1", port, plant.dir.path())), Clock::System());
    ASSERT_TRUE(e1.Start().ok());
    WaitReceiving(e1);
    {
      EdgeAgent e2(MustEdgeConfig(EdgeYaml("edge-2", port, plant.dir.path())), Clock::System());
      ASSERT_TRUE(e2.Start().ok());
      WaitReceiving(e2);
      PublishReadings(*pub, "edge-2", t0, 500);
      ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(plant.dir.File("edge-2.db")) == 1500; }))
          << EdgeLastObsSeq(plant.dir.File("edge-2.db")) << "\n"
          << e2.metrics().RenderPrometheus();
      e2.Stop();
    }
    PublishReadings(*pub, "edge-1", t0, 700);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(plant.dir.File("edge-1.db")) == 2100; }));
    EdgeAgent e2(MustEdgeConfig(EdgeYaml("edge-2", port, plant.dir.path())), Clock::System());
    ASSERT_TRUE(e2.Start().ok());
    WaitReceiving(e2);
    PublishReadings(*pub, "edge-2", t0 + 500, 300);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(plant.dir.File("edge-2.db")) == 2400; }));
    // The hub comes back.
    MetricsRegistry hub_metrics;
    HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
    ASSERT_TRUE(ingest.Start().ok());
    ASSERT_TRUE(WaitUntil(
        [&] {
          return HubThrough(*hub_store, "edge-1", "obs") == 2100 &&
                 HubThrough(*hub_store, "edge-2", "obs") == 2400;
        },
        seconds(90)));
    e2.Stop();
    e1.Stop();
    ingest.Stop();
  }
  // Both edges write pump-01 of the same asset path: every (edge, seq) once.
  EXPECT_EQ(hub_store->Stats()->observations, 2100u + 2400u);
}

TEST(UplinkE2E, ABadConfigOnEdgeRestartNeverDeletesTheBacklog) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  const std::string db = plant.dir.File("edge-q.db");
  {
    EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-q", port, plant.dir.path())), Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    auto pub = MustPublisher(port);
    PublishReadings(*pub, "edge-q", NowNs() / kNsPerMs - 60'000, 400);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == 1200; }));
    edge.Stop();  // the hub never came: 1200 observations wait in the outbox
  }
  // Restarted with a broken config (a typo in the uplink section): refused, nothing touched.
  const std::string bad_yaml = plant.dir.File("bad.yaml");
  testing::WriteTextFile(bad_yaml,
                         EdgeYaml("edge-q", port, plant.dir.path(), "  max_inflite: 4\n"));
  auto bad = SpawnStrata({"edge", "--config", bad_yaml}, plant.dir.File("bad.log"));
  ASSERT_TRUE(bad);
  auto code = bad->WaitFor(30 * kNsPerSec);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(testing::ReadTextFile(plant.dir.File("bad.log")).find("max_inflite"),
            std::string::npos);
  EXPECT_EQ(EdgeLastObsSeq(db), 1200u);

  // Fixed config, hub up: the backlog drains, all of it, once.
  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-q");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  EdgeAgent edge(MustEdgeConfig(EdgeYaml("edge-q", port, plant.dir.path())), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  WaitReceiving(edge);
  ASSERT_TRUE(
      WaitUntil([&] { return HubThrough(*hub_store, "edge-q", "obs") == 1200; }, seconds(60)));
  edge.Stop();
  ingest.Stop();
  ExpectHubMirrorsEdge(*hub_store, "edge-q", db);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// A long outage: a backlog of 1,000,000 observations waits in the edge's outbox, then the hub
// comes back and everything drains, once.
TEST(UplinkE2E, AMillionObservationBacklogDrainsAfterALongOutage) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  EdgeConfig config = MustEdgeConfig(EdgeYaml("edge-m", port, plant.dir.path()));
  config.uplink->batch_records = 10'000;
  const std::string db = plant.dir.File("edge-m.db");
  constexpr uint64_t kBacklog = 1'000'000;
  {
    // What the edge would have stored while the hub was away (written directly: faster).
    SqliteStoreOptions o;
    o.path = db;
    o.durability = Durability::kNormal;
    o.model = config.model;
    o.sources = std::make_shared<SourceCatalog>();
    auto store = OpenSqliteStore(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const std::string asset = "acme/plant-1/line-1/pump-01";
    const SignalId signals[] = {
        config.model->Find(asset, "load"), config.model->Find(asset, "bearing_de.temp"),
        config.model->Find(asset, "flow"), config.model->Find(asset, "speed")};
    const int64_t t0 = NowNs() - 2 * 3600 * kNsPerSec;
    for (uint64_t done = 0; done < kBacklog;) {
      WriteBatch b;
      for (int i = 0; i < 25'000; ++i, ++done) {
        Observation ob;
        ob.signal = signals[done % 4];
        ob.ts_ns = t0 + static_cast<int64_t>(done / 4) * 10 * kNsPerMs;
        ob.ingest_ts_ns = ob.ts_ns + kNsPerMs;
        ob.value = static_cast<double>(done % 97);
        b.observations.push_back(ob);
      }
      AppendResult r;
      ASSERT_TRUE((*store)->Append(b, &r).ok());
    }
  }
  ASSERT_EQ(EdgeLastObsSeq(db), kBacklog);

  HubConfig hub_config = MustHubConfig(HubYaml(port, plant.dir.path()));
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-m");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  const auto start = std::chrono::steady_clock::now();
  EdgeAgent edge(std::move(config), Clock::System());
  ASSERT_TRUE(edge.Start().ok());
  ASSERT_TRUE(
      WaitUntil([&] { return HubThrough(*hub_store, "edge-m", "obs") == kBacklog; }, seconds(240)))
      << HubThrough(*hub_store, "edge-m", "obs");
  const double seconds_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("drained %llu observations in %.1f s (%.0f obs/s)\n",
              static_cast<unsigned long long>(kBacklog), seconds_taken,
              static_cast<double>(kBacklog) / seconds_taken);
  edge.Stop();
  ingest.Stop();
  EXPECT_EQ(hub_store->Stats()->observations, kBacklog);
  // Content spot checks across the whole range, by seq.
  HubObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-01";
  q.signal = "flow";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  q.limit = kBacklog;
  auto flow = hub_store->QueryObservations(q);
  ASSERT_TRUE(flow.ok());
  EXPECT_EQ(flow->size(), kBacklog / 4);
  std::set<uint64_t> seqs;
  for (const ObservationRow& r : *flow) seqs.insert(r.seq);
  EXPECT_EQ(seqs.size(), kBacklog / 4);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// Scale-out with existing engines: two hub processes share one broker (an MQTT 5 shared
// subscription) and one PostgreSQL, split the uplink of two edges, and together store
// everything once.
TEST(UplinkE2E, TwoHubsSharingABrokerAndPostgresSplitTheLoadWithoutLossOrDuplicates) {
  Plant plant = MustPlant();
  const int port = plant.broker->port();
  auto pg = testing::PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  ASSERT_TRUE((*pg)->CreateDatabase("strata_hub").ok());
  const std::string url = (*pg)->url("strata_hub");
  auto hub_yaml = [&](const std::string& id, int api_port) {
    return fmt::format(R"(
hub: {{id: {id}}}
store: {{engine: postgres, url: "{url}"}}
uplink:
  broker: {{host: 127.0.0.1, port: {port}}}
  shared_group: hubs
api: {{listen: "127.0.0.1:{api}"}}
)",
                       fmt::arg("id", id), fmt::arg("url", url), fmt::arg("port", port),
                       fmt::arg("api", api_port));
  };
  HubConfig config = MustHubConfig(hub_yaml("hub-a", 0));
  auto hub_store = MustOpenHubStore(config);  // creates the schema; the test's view
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-p");
  Enrol(*hub_store, "edge-q");
  std::vector<std::unique_ptr<ChildProcess>> hubs;
  std::vector<int> api_ports;
  for (const char* id : {"hub-a", "hub-b"}) {
    auto api_port = FreeTcpPort();
    ASSERT_TRUE(api_port.ok());
    api_ports.push_back(*api_port);
    const std::string yaml = plant.dir.File(std::string(id) + ".yaml");
    testing::WriteTextFile(yaml, hub_yaml(id, *api_port));
    hubs.push_back(
        SpawnStrata({"hub", "--config", yaml}, plant.dir.File(std::string(id) + ".log")));
    ASSERT_TRUE(hubs.back());
  }
  for (int p : api_ports) ASSERT_TRUE(WaitForTcpPort("127.0.0.1", p, 30 * kNsPerSec));

  EdgeConfig p_config = MustEdgeConfig(EdgeYaml("edge-p", port, plant.dir.path()));
  EdgeConfig q_config = MustEdgeConfig(EdgeYaml("edge-q", port, plant.dir.path()));
  p_config.uplink->batch_records = 100;  // many batches, to see the split
  q_config.uplink->batch_records = 100;
  EdgeAgent p(std::move(p_config), Clock::System());
  EdgeAgent q(std::move(q_config), Clock::System());
  ASSERT_TRUE(p.Start().ok());
  ASSERT_TRUE(q.Start().ok());
  WaitReceiving(p);
  WaitReceiving(q);
  auto pub = MustPublisher(port);
  const int64_t t0 = NowNs() / kNsPerMs - 60'000;
  PublishReadings(*pub, "edge-p", t0, 1000);
  PublishReadings(*pub, "edge-q", t0, 1000);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HubThrough(*hub_store, "edge-p", "obs") == 3000 &&
               HubThrough(*hub_store, "edge-q", "obs") == 3000;
      },
      seconds(120)))
      << HubThrough(*hub_store, "edge-p", "obs") << " " << HubThrough(*hub_store, "edge-q", "obs");
  // Each hub took part.
  for (int api_port : api_ports) {
    httplib::Client client("127.0.0.1", api_port);
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    const std::string& text = res->body;
    const size_t at = text.find("strata_hub_batches_total{stream=\"obs\"} ");
    ASSERT_NE(at, std::string::npos) << "hub on port " << api_port << " stored no batch";
    const double batches = std::stod(text.substr(at + 39));
    EXPECT_GT(batches, 0) << api_port;
  }
  p.Stop();
  q.Stop();
  for (auto& h : hubs) h->Terminate();
  EXPECT_EQ(hub_store->Stats()->observations, 6000u);
  HubObservationQuery query;
  query.asset = "acme/plant-1/line-1/pump-01";
  query.from_ns = 0;
  query.to_ns = std::numeric_limits<int64_t>::max();
  query.limit = 100'000;
  auto rows = hub_store->QueryObservations(query);
  ASSERT_TRUE(rows.ok());
  // Each edge published the same (signal, ts) once: two copies of each, one per edge.
  std::map<std::pair<std::string, int64_t>, int> copies;
  for (const ObservationRow& r : *rows) ++copies[{r.signal, r.ts_ns}];
  for (const auto& [key, n] : copies) ASSERT_EQ(n, 2) << key.first << " " << key.second;
  EXPECT_EQ(copies.size(), 3000u);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

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

// The broker confines each edge to its own topics (ACL per edge identity, written by
// scripts/broker-acl.sh): an edge publishing on another edge's uplink topic never reaches the
// hub; nobody gets in without credentials.
TEST(UplinkE2E, BrokerAclKeepsAnEdgeToItsOwnTopics) {
  TempDir dir;
  const std::string script = testing::SourceDir() + "/scripts/broker-acl.sh";
  ChildProcess::Options o;
  o.argv = {"/bin/bash",           script, dir.path(), "hub:hub-secret", "edge-1:edge-1-secret",
            "edge-2:edge-2-secret"};
  o.log_file = dir.File("acl.log");
  auto child = ChildProcess::Spawn(o);
  ASSERT_TRUE(child.ok());
  ASSERT_EQ((*child)->WaitFor(30 * kNsPerSec).value_or(-1), 0)
      << testing::ReadTextFile(dir.File("acl.log"));
  MosquittoBroker::Options bo;
  bo.extra_config = testing::ReadTextFile(dir.File("strata-broker.conf"));
  auto broker = MosquittoBroker::Start(bo);
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  const int port = (*broker)->port();

  HubConfig hub_config = MustHubConfig(HubYaml(port, dir.path()));
  hub_config.ingest.broker.username = "hub";
  hub_config.ingest.broker.password = "hub-secret";
  auto hub_store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(hub_store);
  Enrol(*hub_store, "edge-1");
  Enrol(*hub_store, "edge-2");
  MetricsRegistry hub_metrics;
  HubIngest ingest(hub_config.ingest, *hub_store, Clock::System(), hub_metrics);
  ASSERT_TRUE(ingest.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return ingest.connected(); }));

  // Without credentials: refused by the broker.
  MqttPublisher::Options anonymous;
  anonymous.port = port;
  EXPECT_FALSE(MqttPublisher::Connect(anonymous, 3 * kNsPerSec).ok());

  MqttPublisher::Options as_edge1;
  as_edge1.port = port;
  as_edge1.username = "edge-1";
  as_edge1.password = "edge-1-secret";
  auto edge1 = MqttPublisher::Connect(as_edge1, 10 * kNsPerSec);
  ASSERT_TRUE(edge1.ok()) << edge1.status().ToString();
  // edge-1 forges a batch of edge-2 on edge-2's topic: the broker drops it.
  ASSERT_TRUE((*edge1)
                  ->Publish(UplinkTopic(kTenant, "edge-2", "obs"),
                            *EncodeUplinkBatch(OneObservationBatch("edge-2", 1)))
                  .ok());
  // Then its own batch, which arrives after the forged one would have.
  ASSERT_TRUE((*edge1)
                  ->Publish(UplinkTopic(kTenant, "edge-1", "obs"),
                            *EncodeUplinkBatch(OneObservationBatch("edge-1", 1)))
                  .ok());
  ASSERT_TRUE(WaitUntil([&] { return HubThrough(*hub_store, "edge-1", "obs") == 1; }));
  EXPECT_EQ(HubThrough(*hub_store, "edge-2", "obs"), 0u);
  EXPECT_EQ(hub_store->Stats()->observations, 1u);
  EXPECT_EQ(hub_metrics.Sum("strata_hub_batches_rejected_total"), 0)
      << "the forged batch reached the hub";
  ingest.Stop();
}

// --- enrolment: a bootstrap token becomes the edge's own broker login (docs/uplink.md) ---

// A hub that enrols edges: an uplink broker with mosquitto's dynamic security plugin (set up by
// scripts/broker-dynsec.sh), the hub's ingest, its provisioner and its API; the plant's
// readings come through another, anonymous broker, as on a site.
struct EnrollingHub {
  TempDir dir;
  std::unique_ptr<MosquittoBroker> plant;
  std::unique_ptr<MosquittoBroker> uplink;
  HubConfig config;
  std::unique_ptr<HubStore> store;
  MetricsRegistry metrics;
  std::unique_ptr<HubIngest> ingest;
  std::unique_ptr<DynsecProvisioner> provisioner;
  std::unique_ptr<api::ApiServer> api;
  std::string bootstrap;  // a bootstrap token
  std::string bootstrap_id;

  std::string EdgeYamlFor(const std::string& edge_id, const std::string& token_env) const {
    std::string yaml = EdgeYaml(
        edge_id, plant->port(), dir.path(),
        fmt::format("  enrol: {{hub: \"{}\", token_env: {}}}", api->base_url(), token_env));
    const std::string plant_uplink =
        fmt::format("uplink:\n  broker: {{host: 127.0.0.1, port: {}}}", plant->port());
    const size_t at = yaml.find(plant_uplink);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos) {
      yaml.replace(at, plant_uplink.size(),
                   fmt::format("uplink:\n  broker: {{host: 127.0.0.1, port: {}}}", uplink->port()));
    }
    return yaml;
  }
};

std::unique_ptr<EnrollingHub> MustEnrollingHub() {
  auto h = std::make_unique<EnrollingHub>();
  auto plant = MosquittoBroker::Start();
  EXPECT_TRUE(plant.ok()) << plant.status().ToString();
  if (!plant.ok()) return nullptr;
  h->plant = std::move(*plant);
  ChildProcess::Options o;
  o.argv = {"/bin/bash", testing::SourceDir() + "/scripts/broker-dynsec.sh", h->dir.File("dynsec"),
            "hub-admin", "hub-admin-secret"};
  o.log_file = h->dir.File("dynsec.log");
  auto script = ChildProcess::Spawn(o);
  EXPECT_TRUE(script.ok());
  if (!script.ok()) return nullptr;
  EXPECT_EQ((*script)->WaitFor(30 * kNsPerSec).value_or(-1), 0)
      << testing::ReadTextFile(h->dir.File("dynsec.log"));
  MosquittoBroker::Options bo;
  bo.extra_config = testing::ReadTextFile(h->dir.File("dynsec/strata-dynsec.conf")) +
                    "log_type all\nlog_dest file " + h->dir.File("uplink-broker.log") + "\n";
  auto uplink = MosquittoBroker::Start(bo);
  EXPECT_TRUE(uplink.ok()) << uplink.status().ToString();
  if (!uplink.ok()) return nullptr;
  h->uplink = std::move(*uplink);

  setenv("STRATA_TEST_HUB_PASSWORD", "hub-admin-secret", 1);
  h->config = MustHubConfig(fmt::format(R"(
hub: {{id: hub-test}}
store: {{engine: sqlite, path: {}/hub.db}}
uplink:
  broker: {{host: 127.0.0.1, port: {}}}
  username: hub-admin
  password_env: STRATA_TEST_HUB_PASSWORD
  provisioning: dynsec
api: {{listen: "127.0.0.1:0"}}
)",
                                        h->dir.path(), h->uplink->port()));
  EXPECT_EQ(h->config.provisioning, HubConfig::Provisioning::kDynsec);
  h->store = MustOpenHubStore(h->config);
  if (!h->store) return nullptr;
  auto provisioner = DynsecProvisioner::Start(h->config.ingest.broker, h->config.hub_id);
  EXPECT_TRUE(provisioner.ok()) << provisioner.status().ToString();
  if (!provisioner.ok()) return nullptr;
  h->provisioner = std::move(*provisioner);
  h->ingest = std::make_unique<HubIngest>(h->config.ingest, *h->store, Clock::System(), h->metrics);
  EXPECT_TRUE(h->ingest->Start().ok());
  api::ApiServerOptions ao = h->config.api;
  DynsecProvisioner* p = h->provisioner.get();
  ao.provision_edge = [p](std::string_view tenant, std::string_view edge_id) {
    return p->ProvisionEdge(tenant, edge_id);
  };
  h->api = std::make_unique<api::ApiServer>(*h->store, h->metrics, ao);
  EXPECT_TRUE(h->api->Start().ok());
  auto issued = api::IssueApiToken(*h->store, Role::kBootstrap, "line-1 rollout", NowNs());
  EXPECT_TRUE(issued.ok());
  if (!issued.ok()) return nullptr;
  h->bootstrap = issued->secret;
  h->bootstrap_id = issued->token.id;
  return h;
}

httplib::Result CallHub(EnrollingHub& h, const std::string& method, const std::string& path,
                        const std::string& token, const std::string& body = "") {
  httplib::Client client(h.api->base_url());
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  if (method == "POST") return client.Post(path, headers, body, "application/json");
  return client.Get(path, headers);
}

TEST(Enrolment, ABootstrapTokenGetsTheEdgeItsOwnLoginWhichOnlyReachesItsOwnTopics) {
  auto hub = MustEnrollingHub();
  ASSERT_TRUE(hub);
  setenv("STRATA_TEST_BOOTSTRAP", hub->bootstrap.c_str(), 1);
  const std::string edge_yaml = hub->EdgeYamlFor("edge-e", "STRATA_TEST_BOOTSTRAP");
  const std::string db = hub->dir.File("edge-e.db");
  const std::string login_file = hub->dir.File("edge-e.uplink-login.json");
  {
    EdgeAgent edge(MustEdgeConfig(edge_yaml), Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    auto pub = MustPublisher(hub->plant->port());
    PublishReadings(*pub, "edge-e", NowNs() / kNsPerMs - 60'000, 500);
    ASSERT_TRUE(
        WaitUntil([&] { return HubThrough(*hub->store, "edge-e", "obs") == 1500; }, seconds(60)))
        << HubThrough(*hub->store, "edge-e", "obs");
    edge.Stop();
  }
  // The login is kept next to the store, readable by the edge's user only; the hub keeps only
  // its hash.
  struct stat st {};
  ASSERT_EQ(stat(login_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto login = LoadCredentials(login_file);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->username, "edge-e");
  EXPECT_NE(login->password, hub->bootstrap);
  EXPECT_GE(login->password.size(), 32u);
  auto entry = hub->store->GetEdge("edge-e");
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->tenant, kTenant);
  EXPECT_EQ((*entry)->credential_hash, Sha256Hex(login->password));

  // The bootstrap token enrols, and does nothing else.
  auto edges = CallHub(*hub, "GET", "/api/v1/edges", hub->bootstrap);
  ASSERT_TRUE(edges);
  EXPECT_EQ(edges->status, 403);
  EXPECT_NE(edges->body.find("can only enrol edges"), std::string::npos) << edges->body;
  // An edge id enrols once: another claim on it is refused, saying how to re-admit it.
  auto again = CallHub(*hub, "POST", "/api/v1/enrol", hub->bootstrap,
                       R"({"edge_id":"edge-e","tenant":"acme"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_NE(again->body.find("strata hub edge add --id edge-e"), std::string::npos) << again->body;

  // Nobody gets on the uplink broker without a login; the edge's login publishes only on its
  // own topics: a batch of another (enrolled) edge on that edge's topic never reaches the hub.
  MqttPublisher::Options anonymous;
  anonymous.port = hub->uplink->port();
  EXPECT_FALSE(MqttPublisher::Connect(anonymous, 3 * kNsPerSec).ok());
  Enrol(*hub->store, "edge-other");
  MqttPublisher::Options as_edge;
  as_edge.port = hub->uplink->port();
  as_edge.username = login->username;
  as_edge.password = login->password;
  auto forger = MqttPublisher::Connect(as_edge, 10 * kNsPerSec);
  ASSERT_TRUE(forger.ok()) << forger.status().ToString();
  ASSERT_TRUE((*forger)
                  ->Publish(UplinkTopic(kTenant, "edge-other", "obs"),
                            *EncodeUplinkBatch(OneObservationBatch("edge-other", 1)))
                  .ok());
  // Then a report on its own topic, which arrives after the forged batch would have.
  ASSERT_TRUE(
      (*forger)->Publish(ReportedTopic(kTenant, "edge-e"), R"({"kind":"applied","mark":7})").ok());
  ASSERT_TRUE(WaitUntil([&] {
    auto e = hub->store->GetEdge("edge-e");
    return e.ok() && e->has_value() && (*e)->reported.find("\"mark\":7") != std::string::npos;
  }));
  EXPECT_EQ(HubThrough(*hub->store, "edge-other", "obs"), 0u);
  forger->reset();

  // A broker admin who changes the hub's login makes the plugin end the hub's MQTT 5 sessions
  // with a DISCONNECT ("administrative action"); the hub comes back by itself, and what follows
  // still reaches it.
  {
    ChildProcess::Options o;
    o.argv = {"mosquitto_ctrl",
              "-h",
              "127.0.0.1",
              "-p",
              std::to_string(hub->uplink->port()),
              "-u",
              "hub-admin",
              "-P",
              "hub-admin-secret",
              "dynsec",
              "setClientPassword",
              "hub-admin",
              "hub-admin-secret"};
    o.log_file = hub->dir.File("kick.log");
    auto ctrl = ChildProcess::Spawn(o);
    ASSERT_TRUE(ctrl.ok());
    ASSERT_EQ((*ctrl)->WaitFor(30 * kNsPerSec).value_or(-1), 0)
        << testing::ReadTextFile(o.log_file);
    const auto broker_log = [&] {
      return testing::ReadTextFile(hub->dir.File("uplink-broker.log"));
    };
    ASSERT_TRUE(WaitUntil([&] {
      return broker_log().find(
                 "Client strata-hub-hub-test been disconnected by administrative "
                 "action") != std::string::npos;
    })) << broker_log();
    const auto hub_connections = [&] {
      const std::string log = broker_log();
      size_t n = 0;
      for (size_t at = 0; (at = log.find("as strata-hub-hub-test (p5", at)) != std::string::npos;
           ++at) {
        ++n;
      }
      return n;
    };
    EXPECT_TRUE(WaitUntil([&] { return hub_connections() >= 2; })) << broker_log();
  }

  // After a restart the edge uses its kept login: the bootstrap token is no longer needed.
  ASSERT_TRUE(hub->store->RevokeToken(hub->bootstrap_id).ok());
  {
    EdgeAgent edge(MustEdgeConfig(edge_yaml), Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    auto pub = MustPublisher(hub->plant->port());
    PublishReadings(*pub, "edge-e", NowNs() / kNsPerMs - 30'000, 500);
    ASSERT_TRUE(
        WaitUntil([&] { return HubThrough(*hub->store, "edge-e", "obs") == 3000; }, seconds(60)))
        << HubThrough(*hub->store, "edge-e", "obs");
    EXPECT_EQ(edge.metrics().Sum("strata_edge_uplink_enrol_failures_total"), 0);
    edge.Stop();
  }
  hub->ingest->Stop();
  ExpectHubMirrorsEdge(*hub->store, "edge-e", db);
}

TEST(Enrolment, AnEdgeWhoseTokenIsRefusedKeepsCollectingAndEnrolsWithAGoodOne) {
  auto hub = MustEnrollingHub();
  ASSERT_TRUE(hub);
  setenv("STRATA_TEST_BAD_BOOTSTRAP",
         "st_00000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1);
  const std::string db = hub->dir.File("edge-f.db");
  {
    EdgeAgent edge(MustEdgeConfig(hub->EdgeYamlFor("edge-f", "STRATA_TEST_BAD_BOOTSTRAP")),
                   Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    auto pub = MustPublisher(hub->plant->port());
    PublishReadings(*pub, "edge-f", NowNs() / kNsPerMs - 60'000, 200);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == 600; }));
    ASSERT_TRUE(WaitUntil(
        [&] { return edge.metrics().Sum("strata_edge_uplink_enrol_failures_total") >= 1; }));
    EXPECT_FALSE(edge.uplink()->connected());
    EXPECT_FALSE(std::filesystem::exists(hub->dir.File("edge-f.uplink-login.json")));
    EXPECT_EQ(HubThrough(*hub->store, "edge-f", "obs"), 0u);
    edge.Stop();
  }
  // With a good token the same edge enrols at its next start and its backlog drains.
  setenv("STRATA_TEST_BAD_BOOTSTRAP", hub->bootstrap.c_str(), 1);
  EdgeAgent again(MustEdgeConfig(hub->EdgeYamlFor("edge-f", "STRATA_TEST_BAD_BOOTSTRAP")),
                  Clock::System());
  Status started = again.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(
      WaitUntil([&] { return HubThrough(*hub->store, "edge-f", "obs") == 600; }, seconds(60)))
      << testing::ReadTextFile(hub->dir.File("uplink-broker.log"));
  again.Stop();
  hub->ingest->Stop();
  ExpectHubMirrorsEdge(*hub->store, "edge-f", db);
}

}  // namespace
}  // namespace strata
