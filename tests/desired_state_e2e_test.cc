// Desired state end to end (docs/uplink.md#desired-state): the hub publishes what an edge
// should run, retained, through a real mosquitto; the edge keeps it, reports what it applied,
// and keeps running on its own config while the hub is away; a broker that lost its retained
// messages gets them again from the hub.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "edge/edge_agent.h"
#include "hub/desired_publisher.h"
#include "hub/hub_ingest.h"
#include "testing/testing.h"
#include "testing/uplink_testing.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

using nlohmann::json;
using std::chrono::seconds;
using testing::EdgeLastObsSeq;
using testing::EdgeYaml;
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

// The edge's last report on .../reported as the hub keeps it; null until there is one.
json Reported(HubStore& hub, const std::string& edge_id) {
  auto e = hub.GetEdge(edge_id);
  if (!e.ok() || !e->has_value() || (*e)->reported.empty()) return nullptr;
  return json::parse((*e)->reported, nullptr, false);
}

bool ReportedIs(HubStore& hub, const std::string& edge_id, uint64_t version,
                const std::string& state) {
  const json r = Reported(hub, edge_id);
  return r.is_object() && r.value("version", uint64_t{0}) == version &&
         r.value("state", "") == state;
}

// A hub: ingest and the desired state publisher, on the store.
struct Hub {
  std::unique_ptr<HubIngest> ingest;
  std::unique_ptr<DesiredPublisher> desired;
};

Hub StartHub(const HubConfig& config, HubStore& store, MetricsRegistry& metrics) {
  Hub hub;
  hub.ingest = std::make_unique<HubIngest>(config.ingest, store, Clock::System(), metrics);
  EXPECT_TRUE(hub.ingest->Start().ok());
  DesiredPublisher::Options o;
  o.broker = config.ingest.broker;
  o.hub_id = config.hub_id;
  auto p = DesiredPublisher::Start(o, store, metrics);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (p.ok()) hub.desired = std::move(*p);
  return hub;
}

TEST(DesiredStateE2E, TheEdgeReportsWhatItAppliesAndKeepsItWhileTheHubIsAway) {
  // No persistence: a restarted broker has lost every retained message.
  MosquittoBroker::Options bo;
  bo.persistence = false;
  auto started = MosquittoBroker::Start(bo);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  MosquittoBroker& broker = **started;
  TempDir dir;
  HubConfig hub_config = MustHubConfig(testing::HubYaml(broker.port(), dir.path()));
  auto store = MustOpenHubStore(hub_config);
  ASSERT_TRUE(store);
  testing::Enrol(*store, "edge-d");
  MetricsRegistry hub_metrics;
  Hub hub = StartHub(hub_config, *store, hub_metrics);
  ASSERT_TRUE(hub.desired);

  EdgeConfig edge_config = MustEdgeConfig(EdgeYaml("edge-d", broker.port(), dir.path()));
  edge_config.config_version = "line-1 v7";
  const std::string db = dir.File("edge-d.db");
  {
    EdgeAgent edge(edge_config, Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    ASSERT_FALSE(edge.desired()->kept().has_value());

    // The config it runs: applied.
    ASSERT_TRUE(store->SetDesired("edge-d", R"({"config_version":"line-1 v7"})", NowNs()).ok());
    hub.desired->Notify();
    ASSERT_TRUE(WaitUntil([&] { return ReportedIs(*store, "edge-d", 1, "applied"); }))
        << Reported(*store, "edge-d").dump();
    EXPECT_EQ(edge.metrics().Value("strata_edge_desired_in_sync"), 1);

    // Another one: pending, saying what to do.
    ASSERT_TRUE(store->SetDesired("edge-d", R"({"config_version":"line-1 v8"})", NowNs()).ok());
    hub.desired->Notify();
    ASSERT_TRUE(WaitUntil([&] { return ReportedIs(*store, "edge-d", 2, "pending"); }))
        << Reported(*store, "edge-d").dump();
    const json pending = Reported(*store, "edge-d");
    EXPECT_EQ(pending["config_version"]["desired"], "line-1 v8");
    EXPECT_EQ(pending["config_version"]["running"], "line-1 v7");
    EXPECT_NE(pending["message"].get<std::string>().find("restart the edge"), std::string::npos);
    EXPECT_EQ(edge.metrics().Value("strata_edge_desired_in_sync"), 0);

    // Garbage on its desired topic: rejected and reported beside the state of version 2, which
    // it does not change.
    auto intruder = MustPublisher(broker.port());
    ASSERT_TRUE(intruder->Publish(DesiredTopic(kTenant, "edge-d"), "{not json").ok());
    ASSERT_TRUE(WaitUntil([&] {
      const json r = Reported(*store, "edge-d");
      return ReportedIs(*store, "edge-d", 2, "pending") && r.contains("last_rejected");
    })) << Reported(*store, "edge-d").dump();
    EXPECT_EQ(edge.metrics().Value("strata_edge_desired_rejected_total"), 1);

    // The broker restarts and has lost its retained messages; everyone reconnects, and the
    // hub publishes version 2 again without being asked.
    broker.Stop();
    ASSERT_TRUE(store->RecordReported("edge-d", "{}", NowNs()).ok());
    ASSERT_TRUE(broker.Restart().ok());
    ASSERT_TRUE(WaitUntil([&] { return ReportedIs(*store, "edge-d", 2, "pending"); }))
        << Reported(*store, "edge-d").dump();
    EXPECT_GE(hub_metrics.Value("strata_hub_desired_published_total"), 3);
    EXPECT_EQ(edge.desired()->kept()->version, 2u);
    edge.Stop();
  }

  // The hub goes away and the broker restarts without its retained messages. The edge restarts
  // meanwhile: it knows version 2 from its file, and keeps collecting on its own config.
  hub.desired.reset();
  hub.ingest->Stop();
  broker.Stop();
  ASSERT_TRUE(broker.Restart().ok());
  {
    EdgeAgent edge(edge_config, Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    ASSERT_TRUE(edge.desired()->kept().has_value());
    EXPECT_EQ(edge.desired()->kept()->version, 2u);
    EXPECT_EQ(edge.desired()->kept()->desired.config_version, "line-1 v8");
    WaitReceiving(edge);
    const uint64_t before = EdgeLastObsSeq(db);
    auto pub = MustPublisher(broker.port());
    PublishReadings(*pub, "edge-d", NowNs() / kNsPerMs - 60'000, 100);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == before + 300; }));

    // The hub comes back: it publishes version 2 again, the edge answers it again, and what it
    // collected meanwhile goes up.
    ASSERT_TRUE(store->RecordReported("edge-d", "{}", NowNs()).ok());
    MetricsRegistry again_metrics;
    Hub again = StartHub(hub_config, *store, again_metrics);
    ASSERT_TRUE(WaitUntil([&] { return ReportedIs(*store, "edge-d", 2, "pending"); }))
        << Reported(*store, "edge-d").dump();
    EXPECT_GE(again_metrics.Value("strata_hub_desired_published_total"), 1);
    ASSERT_TRUE(WaitUntil([&] { return HubThrough(*store, "edge-d", "obs") == before + 300; },
                          seconds(60)));
    edge.Stop();
    again.ingest->Stop();
  }
  testing::ExpectHubMirrorsEdge(*store, "edge-d", db);
}

}  // namespace
}  // namespace strata
