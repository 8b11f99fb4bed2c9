// Enrolment end to end (docs/uplink.md#enrolment): an edge with a bootstrap token gets its own
// login on a real mosquitto with the dynamic security plugin, through a real hub API, and
// uses only its own topics with it.
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
using testing::EdgeLastObsSeq;
using testing::EdgeYaml;
using testing::Enrol;
using testing::ExpectHubMirrorsEdge;
using testing::HubThrough;
using testing::kTenant;
using testing::MosquittoBroker;
using testing::MustEdgeConfig;
using testing::MustHubConfig;
using testing::MustOpenHubStore;
using testing::MustPublisher;
using testing::NowNs;
using testing::OneObservationBatch;
using testing::PublishReadings;
using testing::TempDir;
using testing::WaitReceiving;
using testing::WaitUntil;

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
  bool tls = false;  // the uplink broker takes TLS only and the API is HTTPS (dir/ca.crt)

  // `ca_file`: the CA the edge trusts for the broker and the hub ("" = dir/ca.crt).
  std::string EdgeYamlFor(const std::string& edge_id, const std::string& token_env,
                          std::string ca_file = "") const {
    if (ca_file.empty()) ca_file = dir.File("ca.crt");
    std::string yaml = EdgeYaml(
        edge_id, plant->port(), dir.path(),
        tls ? fmt::format("  tls: {{ca_file: \"{0}\"}}\n"
                          "  enrol: {{hub: \"{1}\", token_env: {2}, ca_file: \"{0}\"}}",
                          ca_file, api->base_url(), token_env)
            : fmt::format("  enrol: {{hub: \"{}\", token_env: {}}}", api->base_url(), token_env));
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

// With `tls`, everything the edge talks to the hub over is encrypted: MQTT over TLS (the
// broker listens for nothing else) and the API over HTTPS, with certificates made by the test.
std::unique_ptr<EnrollingHub> MustEnrollingHub(bool tls = false) {
  auto h = std::make_unique<EnrollingHub>();
  h->tls = tls;
  if (tls) {
    const Status certificates = testing::MakeTestCertificates(h->dir);
    EXPECT_TRUE(certificates.ok()) << certificates.ToString();
    if (!certificates.ok()) return nullptr;
  }
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
  if (tls) {
    bo.extra_config += fmt::format("cafile {}\ncertfile {}\nkeyfile {}\n", h->dir.File("ca.crt"),
                                   h->dir.File("server.crt"), h->dir.File("server.key"));
  }
  auto uplink = MosquittoBroker::Start(bo);
  EXPECT_TRUE(uplink.ok()) << uplink.status().ToString();
  if (!uplink.ok()) return nullptr;
  h->uplink = std::move(*uplink);

  setenv("STRATA_TEST_HUB_PASSWORD", "hub-admin-secret", 1);
  h->config = MustHubConfig(
      fmt::format(R"(
hub: {{id: hub-test}}
store: {{engine: sqlite, path: {}/hub.db}}
uplink:
  broker: {{host: 127.0.0.1, port: {}}}
  username: hub-admin
  password_env: STRATA_TEST_HUB_PASSWORD
  provisioning: dynsec
{}api: {{listen: "127.0.0.1:0"{}}}
)",
                  h->dir.path(), h->uplink->port(),
                  tls ? fmt::format("  tls: {{ca_file: \"{}\"}}\n", h->dir.File("ca.crt")) : "",
                  tls ? fmt::format(", tls: {{cert_file: \"{}\", key_file: \"{}\"}}",
                                    h->dir.File("server.crt"), h->dir.File("server.key"))
                      : ""));
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

// TLS end to end: the edge enrols over HTTPS (trusting the hub's CA through enrol.ca_file) and
// uplinks over MQTT with TLS (uplink.tls.ca_file) to a broker that speaks nothing else. An edge
// that trusts another CA gets no login, says why, and keeps collecting.
TEST(Enrolment, OverTlsTheEdgeEnrolsOverHttpsAndUplinksOverMqttTls) {
  auto hub = MustEnrollingHub(/*tls=*/true);
  ASSERT_TRUE(hub);
  EXPECT_TRUE(hub->api->tls());
  ASSERT_TRUE(WaitUntil([&] { return hub->ingest->connected(); }))
      << testing::ReadTextFile(hub->dir.File("uplink-broker.log"));
  // The broker takes no plain MQTT, even with a good login.
  MqttPublisher::Options plain;
  plain.port = hub->uplink->port();
  plain.username = "hub-admin";
  plain.password = "hub-admin-secret";
  EXPECT_FALSE(MqttPublisher::Connect(plain, 3 * kNsPerSec).ok());

  setenv("STRATA_TEST_TLS_BOOTSTRAP", hub->bootstrap.c_str(), 1);
  const std::string db = hub->dir.File("edge-t.db");
  TempDir elsewhere;
  const Status other_ca = testing::MakeTestCertificates(elsewhere);
  ASSERT_TRUE(other_ca.ok()) << other_ca.ToString();
  {
    EdgeAgent edge(MustEdgeConfig(hub->EdgeYamlFor("edge-t", "STRATA_TEST_TLS_BOOTSTRAP",
                                                   elsewhere.File("ca.crt"))),
                   Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    auto pub = MustPublisher(hub->plant->port());
    PublishReadings(*pub, "edge-t", NowNs() / kNsPerMs - 60'000, 100);
    ASSERT_TRUE(WaitUntil([&] { return EdgeLastObsSeq(db) == 300; }));
    ASSERT_TRUE(WaitUntil(
        [&] { return edge.metrics().Sum("strata_edge_uplink_enrol_failures_total") >= 1; }));
    EXPECT_FALSE(std::filesystem::exists(hub->dir.File("edge-t.uplink-login.json")));
    EXPECT_EQ(HubThrough(*hub->store, "edge-t", "obs"), 0u);
    // Not a passing outage but a setting to fix, so not retried every second: it says which.
    EnrolOptions untrusted;
    untrusted.hub_url = hub->api->base_url();
    untrusted.token = hub->bootstrap;
    untrusted.ca_file = elsewhere.File("ca.crt");
    auto refused = EnrolWithHub(untrusted, kTenant, "edge-t");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("set uplink.enrol.ca_file"), std::string::npos)
        << refused.status().ToString();
    edge.Stop();
  }
  {
    EdgeAgent edge(MustEdgeConfig(hub->EdgeYamlFor("edge-t", "STRATA_TEST_TLS_BOOTSTRAP")),
                   Clock::System());
    ASSERT_TRUE(edge.Start().ok());
    WaitReceiving(edge);
    ASSERT_TRUE(
        WaitUntil([&] { return HubThrough(*hub->store, "edge-t", "obs") == 300; }, seconds(60)))
        << testing::ReadTextFile(hub->dir.File("uplink-broker.log"));
    auto pub = MustPublisher(hub->plant->port());
    PublishReadings(*pub, "edge-t", NowNs() / kNsPerMs - 30'000, 100);
    ASSERT_TRUE(
        WaitUntil([&] { return HubThrough(*hub->store, "edge-t", "obs") == 600; }, seconds(60)));
    EXPECT_TRUE(std::filesystem::exists(hub->dir.File("edge-t.uplink-login.json")));
    edge.Stop();
  }
  hub->ingest->Stop();
  ExpectHubMirrorsEdge(*hub->store, "edge-t", db);
}

}  // namespace
}  // namespace strata
