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
#include "testing/uplink_testing.h"
#include "uplink/uplink_batch.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

using std::chrono::seconds;
using testing::ExpectHubMirrorsEdge;
using testing::HubThrough;
using testing::kTenant;
using testing::MosquittoBroker;
using testing::MustEdgeConfig;
using testing::MustHubConfig;
using testing::MustOpenHubStore;
using testing::MustPublisher;
using testing::NowNs;
using testing::PublishReadings;
using testing::TempDir;
using testing::WaitReceiving;
using testing::WaitUntil;
using testing::EdgeContent;
using testing::EdgeLastObsSeq;
using testing::EdgeYaml;
using testing::Enrol;
using testing::HubContent;
using testing::HubYaml;
using testing::MustPlant;
using testing::OneObservationBatch;
using testing::Plant;
using testing::SpawnStrata;

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

}  // namespace
}  // namespace strata
