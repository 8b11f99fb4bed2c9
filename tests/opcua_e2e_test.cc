// The edge agent's OPC UA connector against node-opcua (tests/opcua_server.js, an
// independent implementation run by /usr/bin/node): every scalar type by node id and by
// browse path, with source timestamps and status codes; anonymous and user name logins; a
// server killed and restarted; and misbehaving peers written here (a socket that never
// answers, one that answers garbage, one that announces a huge message).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cli/child_process.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::TempDir;
using testing::WaitUntil;

// tests/opcua_server.js as a child process on a port of the test's choosing.
class OpcuaServer {
 public:
  static StatusOr<std::unique_ptr<OpcuaServer>> Start(std::vector<std::string> extra = {}) {
    std::unique_ptr<OpcuaServer> s(new OpcuaServer());
    STRATA_ASSIGN_OR_RETURN(s->port_, FreeTcpPort());
    s->extra_ = std::move(extra);
    STRATA_RETURN_IF_ERROR(s->Launch());
    return s;
  }
  ~OpcuaServer() { Kill(); }

  int port() const { return port_; }
  std::string endpoint() const { return fmt::format("opc.tcp://127.0.0.1:{}/strata", port_); }
  void Kill() {
    if (process_) process_->Kill();
    process_.reset();
  }
  Status Restart() {
    Kill();
    return Launch();
  }
  std::string log() const { return testing::ReadTextFile(log_file_); }

 private:
  OpcuaServer() = default;
  Status Launch() {
    ChildProcess::Options o;
    o.argv = {"/usr/bin/node", testing::SourceDir() + "/tests/opcua_server.js",
              "--port",        std::to_string(port_),
              "--pki",         pki_.path()};
    o.argv.insert(o.argv.end(), extra_.begin(), extra_.end());
    log_file_ = dir_.File(fmt::format("server-{}.log", launches_++));
    o.log_file = log_file_;
    STRATA_ASSIGN_OR_RETURN(process_, ChildProcess::Spawn(o));
    const bool up = WaitUntil(
        [&] {
          return log().find("listening on") != std::string::npos || process_->Poll().has_value();
        },
        std::chrono::seconds(60));
    if (!up || log().find("listening on") == std::string::npos) {
      return UnavailableError("the node-opcua server did not start: " + log());
    }
    return Status::Ok();
  }

  TempDir dir_;
  TempDir pki_;  // the server's certificate, made once per server object
  std::string log_file_;
  std::vector<std::string> extra_;
  int launches_ = 0;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// How a misbehaving OPC UA server answers (see testing::MisbehavingPeer).
enum class Misbehaviour {
  kStall,       // reads, never answers
  kGarbage,     // answers everything with random bytes
  kHugeLength,  // answers Hello with an ACK header announcing 4 GiB, then floods
};

testing::MisbehavingPeer::Answer Answers(Misbehaviour m) {
  return [m, rng = std::mt19937(7)](std::string_view) mutable {
    std::string reply;
    switch (m) {
      case Misbehaviour::kStall:
        break;
      case Misbehaviour::kGarbage:
        for (int b = 0; b < 256; ++b) reply.push_back(static_cast<char>(rng()));
        break;
      case Misbehaviour::kHugeLength:
        reply = std::string("ACKF\xff\xff\xff\xff", 8) + std::string(256 * 1024, 'A');
        break;
    }
    return reply;
  };
}

constexpr const char* kAssets = R"(
assets:
  asset_types:
    pump:
      signals:
        speed: {unit: "1"}
        temp: {unit: Cel}
        count: {unit: "1"}
        mode: {unit: "1"}
        running: {unit: "1"}
        energy: {unit: "1"}
        flaky: {unit: "1"}
        label: {unit: "1"}
        speed_by_path: {unit: "1"}
        temp_by_path: {unit: "1"}
        missing: {unit: "1"}
  assets:
    - {path: "t/pump-{1..9}", type: pump}
)";

constexpr const char* kAllItems = R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: speed}
      - {node_id: "ns=1;s=Pump.Temperature", signal: temp}
      - {node_id: "ns=1;s=Pump.Count", signal: count}
      - {node_id: "ns=1;s=Pump.Mode", signal: mode}
      - {node_id: "ns=1;s=Pump.Running", signal: running}
      - {node_id: "ns=1;s=Pump.Energy", signal: energy}
      - {node_id: "ns=1;s=Pump.Flaky", signal: flaky}
      - {node_id: "ns=1;s=Pump.Label", signal: label}
      - {browse_path: "1:Plant/1:Pump/1:Speed", signal: speed_by_path}
      - {browse_path: "1:Plant/1:Pump/1:Temperature", signal: temp_by_path}
      - {browse_path: "1:Plant/1:Pump/1:NoSuchThing", signal: missing}
)";

std::string Connector(const std::string& name, const std::string& endpoint,
                      const std::string& asset, const std::string& items,
                      const std::string& extra = "") {
  return fmt::format(R"(
  - name: {}
    type: opcua
    endpoint: {}
    asset: {}
    publishing_interval: 50ms
    sampling_interval: 50ms
    keep_alive_count: 5
    connect_timeout: 1s
    request_timeout: 1s
    reconnect: {{min: 50ms, max: 200ms}}
    {}
{})",
                     name, endpoint, asset, extra, items);
}

std::string EdgeYaml(const std::string& dir, const std::string& connectors) {
  return fmt::format(R"(
edge: {{id: opcua-edge, tenant: test}}
store: {{path: {}/edge.db, durability: normal}}
{}
connectors:{}
metrics: {{listen: "off"}}
)",
                     dir, kAssets, connectors);
}

EdgeConfig MustConfig(const std::string& yaml) {
  auto c = EdgeConfig::Parse(yaml, "<opcua test edge.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

std::unique_ptr<Store> OpenReader(const std::string& path) {
  SqliteStoreOptions o;
  o.path = path;
  o.read_only = true;
  auto s = OpenSqliteStore(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

std::vector<ObservationRow> Rows(Store& store, const std::string& asset,
                                 const std::string& signal) {
  ObservationQuery q;
  q.asset = asset;
  q.signal = signal;
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  q.limit = 1'000'000;
  auto rows = store.QueryObservations(q);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok()) return {};
  std::sort(rows->begin(), rows->end(),
            [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
  return std::move(*rows);
}

double Metric(EdgeAgent& a, const std::string& name, const std::string& connector) {
  return a.metrics().Value(name, {{"connector", connector}});
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

bool IsWhole(double v) { return v == std::floor(v); }

TEST(OpcuaE2E, EveryTypeArrivesWithItsTimestampAndQualityByNodeIdAndBrowsePath) {
  auto server = OpcuaServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml(dir.path(), Connector("scada", (*server)->endpoint(),
                                                            "t/pump-1", kAllItems))),
                  Clock::System());
  const int64_t start_ns = Clock::System().NowNs();
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_connector_up", "scada") == 1 &&
           Metric(agent, "strata_edge_opcua_data_changes_total", "scada") >= 100;
  })) << (*server)->log();
  const int64_t end_ns = Clock::System().NowNs();
  EXPECT_EQ(Metric(agent, "strata_edge_opcua_item_errors_total", "scada"), 1);  // NoSuchThing
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "scada"), 1);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connect_failures_total", "scada"), 0);
  EXPECT_GE(agent.metrics().Value("strata_edge_rejected_total", {{"reason", "wrong_type"}}), 1);
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  const std::string endpoint = (*server)->endpoint();
  auto check = [&](const std::string& signal, const std::string& node,
                   const std::function<bool(double)>& valid) {
    const auto rows = Rows(*store, "t/pump-1", signal);
    ASSERT_GE(rows.size(), 5u) << signal;
    std::set<double> distinct;
    for (const auto& r : rows) {
      ASSERT_TRUE(r.value.has_value()) << signal;
      EXPECT_TRUE(valid(*r.value)) << signal << " = " << *r.value;
      EXPECT_EQ(r.quality, Quality::kGood) << signal;
      // Source timestamps of the server, which runs on this machine.
      EXPECT_GE(r.ts_ns, start_ns - 5'000'000'000LL) << signal;
      EXPECT_LE(r.ts_ns, end_ns + 1'000'000'000LL) << signal;
      EXPECT_LE(r.ts_ns, r.ingest_ts_ns + 1'000'000'000LL) << signal;
      EXPECT_EQ(r.source.protocol, "opcua");
      EXPECT_EQ(r.source.endpoint, endpoint);
      EXPECT_EQ(r.source.address, node) << signal;
      distinct.insert(*r.value);
    }
    EXPECT_GE(distinct.size(), 2u) << signal << ": the value changes on the server";
  };
  // The server's values are known functions of a tick counter k >= 1 (opcua_server.js).
  check("speed", "ns=1;s=Pump.Speed",
        [](double v) { return v > 1000 && v - std::floor(v) == 0.5; });
  check("temp", "ns=1;s=Pump.Temperature",
        [](double v) { return v >= 20 && v < 32.5 && IsWhole(v * 4); });
  check("count", "ns=1;s=Pump.Count", [](double v) { return v < 0 && IsWhole(v); });
  check("mode", "ns=1;s=Pump.Mode", [](double v) { return v >= 0 && v <= 6 && IsWhole(v); });
  check("running", "ns=1;s=Pump.Running", [](double v) { return v == 0 || v == 1; });
  // Int64 [1, k] = 2^32 + k: above what 32 bits hold.
  check("energy", "ns=1;s=Pump.Energy",
        [](double v) { return v > 4294967296.0 && v < 4294967296.0 + 1e6 && IsWhole(v); });
  // By browse path: the same nodes, named by the node id they resolved to.
  check("speed_by_path", "ns=1;s=Pump.Speed",
        [](double v) { return v > 1000 && v - std::floor(v) == 0.5; });
  check("temp_by_path", "ns=1;s=Pump.Temperature", [](double v) { return v >= 20 && v < 32.5; });

  // Flaky alternates UncertainLastUsableValue (value kept) and BadSensorFailure (no value).
  const auto flaky = Rows(*store, "t/pump-1", "flaky");
  const auto uncertain = std::count_if(flaky.begin(), flaky.end(), [](const auto& r) {
    return r.quality == Quality::kUncertain && r.value.has_value();
  });
  const auto bad = std::count_if(flaky.begin(), flaky.end(), [](const auto& r) {
    return r.quality == Quality::kBad && !r.value.has_value();
  });
  EXPECT_GE(uncertain, 2);
  EXPECT_GE(bad, 2);
  EXPECT_EQ(uncertain + bad, static_cast<long>(flaky.size()));
  // A String is not a reading: dead-lettered, never stored.
  EXPECT_TRUE(Rows(*store, "t/pump-1", "label").empty());
  // A browse path that leads nowhere: stored bad, named by its path.
  const auto missing = Rows(*store, "t/pump-1", "missing");
  ASSERT_FALSE(missing.empty());
  EXPECT_EQ(missing.back().quality, Quality::kBad);
  EXPECT_EQ(missing.back().source.address, "1:Plant/1:Pump/1:NoSuchThing");
}

TEST(OpcuaE2E, UserNameLoginWorksAndAWrongPasswordIsRefused) {
  auto server = OpcuaServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  const std::string items = R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: speed}
)";
  EdgeAgent agent(
      MustConfig(
          EdgeYaml(dir.path(), Connector("user", (*server)->endpoint(), "t/pump-1", items,
                                         "identity: {user: operator, password: s3cret}") +
                                   Connector("intruder", (*server)->endpoint(), "t/pump-2", items,
                                             "identity: {user: operator, password: wrong}"))),
      Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_opcua_data_changes_total", "user") >= 10 &&
           Metric(agent, "strata_edge_connector_connect_failures_total", "intruder") >= 2;
  })) << (*server)->log();
  EXPECT_EQ(Metric(agent, "strata_edge_connector_up", "user"), 1);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_up", "intruder"), 0);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "intruder"), 0);
  agent.Stop();
  auto store = OpenReader(dir.File("edge.db"));
  const auto good = Rows(*store, "t/pump-1", "speed");
  ASSERT_GE(good.size(), 5u);
  for (const auto& r : good) EXPECT_EQ(r.quality, Quality::kGood);
  const auto refused = Rows(*store, "t/pump-2", "speed");
  ASSERT_EQ(refused.size(), 1u) << "one gap marker, not one per attempt";
  EXPECT_EQ(refused[0].quality, Quality::kBad);
}

TEST(OpcuaE2E, TheChannelTokenIsRenewedBeforeItsLifetimeEnds) {
  // The server grants at most 3 s (and no less than its minimum of 2.5 s): renewals at 75%.
  auto server = OpcuaServer::Start({"--token-lifetime", "3000"});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeAgent agent(
      MustConfig(EdgeYaml(dir.path(), Connector("scada", (*server)->endpoint(), "t/pump-1", R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: speed}
)",
                                                "channel_lifetime: 1m"))),
      Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_opcua_channel_renewals_total", "scada") >= 2;
  })) << (*server)->log();
  const double changes = Metric(agent, "strata_edge_opcua_data_changes_total", "scada");
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_opcua_data_changes_total", "scada") >= changes + 10;
  }));
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "scada"), 1);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connect_failures_total", "scada"), 0);
  agent.Stop();
}

TEST(OpcuaE2E, AServerRestartLeavesAGapMarkerOnEveryItemThenRecovers) {
  auto server = OpcuaServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeAgent agent(
      MustConfig(EdgeYaml(dir.path(), Connector("scada", (*server)->endpoint(), "t/pump-1", R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: speed}
      - {node_id: "ns=1;s=Pump.Count", signal: count}
      - {browse_path: "1:Plant/1:Pump/1:Temperature", signal: temp_by_path}
)"))),
      Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  auto changes = [&] { return Metric(agent, "strata_edge_opcua_data_changes_total", "scada"); };
  ASSERT_TRUE(WaitUntil([&] { return changes() >= 10; })) << (*server)->log();

  const int64_t killed_ns = Clock::System().NowNs();
  (*server)->Kill();
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_connector_up", "scada") == 0 &&
           Metric(agent, "strata_edge_connector_connect_failures_total", "scada") >= 2;
  }));
  const int64_t noticed_ns = Clock::System().NowNs();

  ASSERT_TRUE((*server)->Restart().ok());
  const int64_t restarted_ns = Clock::System().NowNs();
  const double before = changes();
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_connector_up", "scada") == 1 && changes() >= before + 10 &&
           Metric(agent, "strata_edge_connector_connects_total", "scada") == 2;
  })) << (*server)->log();
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  for (const char* signal : {"speed", "count", "temp_by_path"}) {
    const auto rows = Rows(*store, "t/pump-1", signal);
    auto first_bad = std::find_if(rows.begin(), rows.end(),
                                  [](const auto& r) { return r.quality == Quality::kBad; });
    ASSERT_NE(first_bad, rows.end()) << signal;
    EXPECT_FALSE(first_bad->value.has_value());
    // The marker is stamped when the connector saw the connection go: within a bound.
    EXPECT_GE(first_bad->ts_ns, killed_ns);
    EXPECT_LE(first_bad->ts_ns, noticed_ns);
    EXPECT_LT(first_bad->ts_ns - killed_ns, 3'000'000'000LL);
    EXPECT_GT(std::count_if(rows.begin(), first_bad,
                            [](const auto& r) { return r.quality == Quality::kGood; }),
              0);
    EXPECT_EQ(std::count_if(rows.begin(), rows.end(),
                            [](const auto& r) { return r.quality == Quality::kBad; }),
              1)
        << signal << ": one marker, not one per failed reconnect";
    const auto after = std::find_if(first_bad, rows.end(), [&](const auto& r) {
      return r.quality == Quality::kGood && r.ts_ns >= restarted_ns;
    });
    ASSERT_NE(after, rows.end()) << signal << " did not recover";
  }
}

TEST(OpcuaE2E, MisbehavingPeersCostTheirConnectorsTheConnectionAndNothingElse) {
  auto server = OpcuaServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  testing::MisbehavingPeer stall(Answers(Misbehaviour::kStall));
  testing::MisbehavingPeer garbage(Answers(Misbehaviour::kGarbage));
  testing::MisbehavingPeer huge(Answers(Misbehaviour::kHugeLength));
  ASSERT_TRUE(stall.port() != 0 && garbage.port() != 0 && huge.port() != 0);
  const std::string items = R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: speed}
)";
  auto at = [](int port) { return fmt::format("opc.tcp://127.0.0.1:{}/strata", port); };
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml(
                      dir.path(), Connector("good", (*server)->endpoint(), "t/pump-1", items) +
                                      Connector("stall", at(stall.port()), "t/pump-2", items) +
                                      Connector("garbage", at(garbage.port()), "t/pump-3", items) +
                                      Connector("huge", at(huge.port()), "t/pump-4", items))),
                  Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return Metric(agent, "strata_edge_connector_up", "good") == 1; }))
      << (*server)->log();
  const int64_t rss_start = RssBytes();
  const double good_before = Metric(agent, "strata_edge_opcua_data_changes_total", "good");
  ASSERT_TRUE(WaitUntil([&] {
    return stall.connections() >= 3 && garbage.connections() >= 3 && huge.connections() >= 3;
  })) << stall.connections()
      << " " << garbage.connections() << " " << huge.connections();
  for (const char* name : {"stall", "garbage", "huge"}) {
    EXPECT_GE(Metric(agent, "strata_edge_connector_connect_failures_total", name), 2) << name;
    EXPECT_EQ(Metric(agent, "strata_edge_connector_up", name), 0) << name;
  }
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "good"), 1);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connect_failures_total", "good"), 0);
  EXPECT_GE(Metric(agent, "strata_edge_opcua_data_changes_total", "good"), good_before + 5);
  EXPECT_LT(RssBytes() - rss_start, 64LL << 20) << "memory grew while peers misbehaved";
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  for (const auto& r : Rows(*store, "t/pump-1", "speed")) EXPECT_EQ(r.quality, Quality::kGood);
  for (const char* asset : {"t/pump-2", "t/pump-3", "t/pump-4"}) {
    const auto rows = Rows(*store, asset, "speed");
    ASSERT_EQ(rows.size(), 1u) << asset << ": one gap marker";
    EXPECT_EQ(rows[0].quality, Quality::kBad) << asset;
  }
}

TEST(OpcuaE2E, TheExampleConfigLoads) {
  auto c = EdgeConfig::Load(testing::SourceDir() + "/examples/opcua-edge.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->opcua.size(), 1u);
  EXPECT_EQ(c->opcua[0].items.size(), 4u);
  EXPECT_EQ(c->opcua[0].port, 4840);
}

TEST(OpcuaE2E, ConfigErrorsNameFileLineAndKey) {
  TempDir dir;
  auto error = [&](const std::string& items, const std::string& extra = "") {
    auto c = EdgeConfig::Parse(EdgeYaml(dir.path(), Connector("scada", "opc.tcp://127.0.0.1:4840",
                                                              "t/pump-1", items, extra)),
                               "edge.yaml", "");
    return c.ok() ? std::string("(no error)") : c.status().message();
  };
  EXPECT_NE(error(R"(
    items:
      - {node_id: "ns=1;x=Pump", signal: speed}
)")
                .find("edge.yaml:"),
            std::string::npos);
  EXPECT_NE(error(R"(
    items:
      - {node_id: "ns=1;s=Pump.Speed", signal: sped}
)")
                .find("did you mean 'speed'"),
            std::string::npos);
  EXPECT_NE(error(R"(
    items:
      - {browse_path: "1:Plant//1:Speed", signal: speed}
)")
                .find("element 2 is empty"),
            std::string::npos);
  EXPECT_NE(error(R"(
    items:
      - {node_id: "ns=1;s=A", browse_path: "1:A", signal: speed}
)")
                .find("either node_id or browse_path"),
            std::string::npos);
  EXPECT_NE(error(R"(
    items:
      - {node_id: "ns=1;s=A", signal: speed}
      - {node_id: "ns=1;s=B", signal: speed}
)")
                .find("map each signal once"),
            std::string::npos);
  EXPECT_NE(error(R"(
    items:
      - {node_id: "ns=1;s=A", signal: temp, unit: "m"}
)")
                .find("cannot convert"),
            std::string::npos);
  const std::string bad_endpoint = [&] {
    auto c = EdgeConfig::Parse(
        EdgeYaml(dir.path(), Connector("scada", "tcp://127.0.0.1:4840", "t/pump-1", R"(
    items:
      - {node_id: "ns=1;s=A", signal: speed}
)")),
        "edge.yaml", "");
    return c.ok() ? std::string() : c.status().message();
  }();
  EXPECT_NE(bad_endpoint.find("edge.yaml:"), std::string::npos) << bad_endpoint;
  EXPECT_NE(bad_endpoint.find("endpoint"), std::string::npos) << bad_endpoint;
}

}  // namespace
}  // namespace strata
