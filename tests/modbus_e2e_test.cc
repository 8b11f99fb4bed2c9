// The edge agent's Modbus TCP connector against real peers: a pymodbus server with known
// register contents (tests/modbus_server.py, run by /usr/bin/python3), killed and restarted;
// a silent unit id behind the same connection; and misbehaving peers written here (a socket
// that never answers, one that answers garbage, one that announces a huge message).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cli/child_process.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata {
namespace {

using std::chrono::seconds;
using testing::TempDir;
using testing::WaitUntil;

// tests/modbus_server.py as a child process.
class ModbusServer {
 public:
  // port 0: the script picks a free port and says which.
  static StatusOr<std::unique_ptr<ModbusServer>> Start(int port = 0) {
    std::unique_ptr<ModbusServer> s(new ModbusServer());
    STRATA_RETURN_IF_ERROR(s->Launch(port));
    return s;
  }
  ~ModbusServer() { Kill(); }

  int port() const { return port_; }
  void Kill() {
    if (process_) process_->Kill();
    process_.reset();
  }
  Status Restart() {
    Kill();
    return Launch(port_);
  }
  std::string log() const { return testing::ReadTextFile(log_file_); }

 private:
  ModbusServer() = default;
  Status Launch(int port) {
    // Debian's python3-pymodbus belongs to /usr/bin/python3; the python3 on PATH may be
    // another interpreter.
    ChildProcess::Options o;
    o.argv = {"/usr/bin/python3", testing::SourceDir() + "/tests/modbus_server.py", "--port",
              std::to_string(port)};
    log_file_ = dir_.File(fmt::format("server-{}.log", launches_++));
    o.log_file = log_file_;
    STRATA_ASSIGN_OR_RETURN(process_, ChildProcess::Spawn(o));
    const std::string marker = "listening on 127.0.0.1:";
    std::string text;
    const bool up = WaitUntil([&] {
      text = log();
      return text.find(marker) != std::string::npos || process_->Poll().has_value();
    });
    const size_t at = text.find(marker);
    if (!up || at == std::string::npos) {
      return UnavailableError("the pymodbus server did not start: " + text);
    }
    port_ = std::atoi(text.c_str() + at + marker.size());
    return Status::Ok();
  }

  TempDir dir_;
  std::string log_file_;
  int launches_ = 0;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// How a misbehaving Modbus server answers (see testing::MisbehavingPeer).
enum class Misbehaviour {
  kStall,       // reads requests, never answers
  kGarbage,     // answers every request with random bytes
  kHugeLength,  // answers with an MBAP header announcing 65535 bytes, then floods
};

testing::MisbehavingPeer::Answer Answers(Misbehaviour m) {
  return [m, rng = std::mt19937(7)](std::string_view request) mutable {
    std::string reply;
    switch (m) {
      case Misbehaviour::kStall:
        break;
      case Misbehaviour::kGarbage:
        for (int b = 0; b < 64; ++b) reply.push_back(static_cast<char>(rng()));
        break;
      case Misbehaviour::kHugeLength:
        // Transaction id of the request, protocol 0, length 65535, unit, function, byte
        // count 250, then far more bytes than any Modbus frame holds.
        if (request.size() < 8) break;
        reply.assign(request.data(), 2);
        reply += std::string("\0\0\xff\xff", 4);
        reply += request[6];
        reply += request[7];
        reply += '\xfa';
        reply += std::string(64 * 1024, 'A');
        break;
    }
    return reply;
  };
}

// Every signal the tests read; all dimensionless except temp.
constexpr const char* kAssets = R"(
assets:
  asset_types:
    plc:
      signals:
        u16: {unit: "1"}
        i16: {unit: "1"}
        u32_abcd: {unit: "1"}
        i32_cdab: {unit: "1"}
        i64_abcd: {unit: "1"}
        f32_abcd: {unit: "1"}
        f32_cdab: {unit: "1"}
        f32_badc: {unit: "1"}
        f32_dcba: {unit: "1"}
        f64_abcd: {unit: "1"}
        f64_dcba: {unit: "1"}
        alarm: {unit: "1"}
        mode: {unit: "1"}
        temp: {unit: Cel, range: [-40, 150]}
        ir_u16: {unit: "1"}
        ir_f32: {unit: "1"}
        coil0: {unit: "1"}
        coil1: {unit: "1"}
        coil2: {unit: "1"}
        di0: {unit: "1"}
        di1: {unit: "1"}
        broken_a: {unit: "1"}
        broken_b: {unit: "1"}
  assets:
    - {path: "t/plc-{1..9}", type: plc}
)";

// The register map of modbus_server.py's unit 1 and 2.
constexpr const char* kFullMap = R"(
    devices:
      - unit_id: 1
        asset: t/plc-1
        poll_groups:
          - name: fast
            interval: 100ms
            registers:
              - {table: holding, address: 0, type: uint16, signal: u16}
              - {table: holding, address: 1, type: int16, signal: i16}
              - {table: holding, address: 2, type: uint32, signal: u32_abcd}
              - {table: holding, address: 4, type: int32, order: CDAB, signal: i32_cdab}
              - {table: holding, address: 6, type: int64, signal: i64_abcd}
              - {table: holding, address: 10, type: float32, order: ABCD, signal: f32_abcd}
              - {table: holding, address: 12, type: float32, order: CDAB, signal: f32_cdab}
              - {table: holding, address: 14, type: float32, order: BADC, signal: f32_badc}
              - {table: holding, address: 16, type: float32, order: DCBA, signal: f32_dcba}
              - {table: holding, address: 20, type: float64, order: ABCD, signal: f64_abcd}
              - {table: holding, address: 24, type: float64, order: DCBA, signal: f64_dcba}
              - {table: holding, address: 30, bit: 3, signal: alarm}
              - {table: holding, address: 30, bit: 13, bits: 3, signal: mode}
              - {table: holding, address: 31, type: int16, scale: 0.1, unit: "[degF]", signal: temp}
              - {table: input, address: 0, signal: ir_u16}
              - {table: input, address: 5, type: float32, order: CDAB, signal: ir_f32}
              - {table: coil, address: 0, signal: coil0}
              - {table: coil, address: 1, signal: coil1}
              - {table: coil, address: 2, signal: coil2}
              - {table: discrete, address: 0, signal: di0}
              - {table: discrete, address: 1, signal: di1}
          - name: broken
            interval: 100ms
            registers:
              - {table: holding, address: 1000, signal: broken_a}
              - {table: holding, address: 1001, signal: broken_b}
      - unit_id: 2
        poll_groups:
          - interval: 100ms
            registers:
              - {table: holding, address: 0, asset: t/plc-2, signal: u16}
)";

std::string Connector(const std::string& name, int port, const std::string& map,
                      const std::string& extra = "") {
  return fmt::format(R"(
  - name: {}
    type: modbus
    endpoint: tcp://127.0.0.1:{}
    connect_timeout: 1s
    response_timeout: 300ms
    reconnect: {{min: 50ms, max: 200ms}}
    {}
{})",
                     name, port, extra, map);
}

std::string EdgeYaml(const std::string& dir, const std::string& connectors) {
  return fmt::format(R"(
edge: {{id: modbus-edge, tenant: test}}
store: {{path: {}/edge.db, durability: normal}}
{}
connectors:{}
metrics: {{listen: "off"}}
)",
                     dir, kAssets, connectors);
}

EdgeConfig MustConfig(const std::string& yaml) {
  auto c = EdgeConfig::Parse(yaml, "<modbus test edge.yaml>", "");
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

// Every observation of (asset, signal), by source time.
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

double Metric(EdgeAgent& a, const std::string& name, const std::string& connector,
              MetricLabels extra = {}) {
  MetricLabels labels = {{"connector", connector}};
  labels.insert(labels.end(), extra.begin(), extra.end());
  return a.metrics().Value(name, labels);
}

double Failures(EdgeAgent& a, const std::string& connector, const std::string& reason) {
  return Metric(a, "strata_edge_modbus_request_failures_total", connector, {{"reason", reason}});
}

double AllFailures(EdgeAgent& a, const std::string& connector) {
  double sum = 0;
  for (const char* r : {"timeout", "exception", "connection", "bad_response"}) {
    sum += Failures(a, connector, r);
  }
  return sum;
}

int64_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return 0;
}

TEST(ModbusE2E, StoresEveryTypeAndWordOrderWithQualityAndSource) {
  auto server = ModbusServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeConfig config =
      MustConfig(EdgeYaml(dir.path(), Connector("plc", (*server)->port(), kFullMap)));
  // Coalesced: fast → hr 0..31, ir 0..6, coil 0..2, di 0..1; broken → hr 1000..1001; unit 2.
  ASSERT_EQ(config.modbus.size(), 1u);
  std::vector<std::string> plan;
  for (const auto& q : config.modbus[0].requests) plan.push_back(q.description);
  EXPECT_EQ(plan,
            (std::vector<std::string>{"unit 1 hr 0..31", "unit 1 ir 0..6", "unit 1 coil 0..2",
                                      "unit 1 di 0..1", "unit 1 hr 1000..1001", "unit 2 hr 0..0"}));
  EdgeAgent agent(std::move(config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  // Three polls of everything, and the exception block answered with exception 2 each time.
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_modbus_requests_total", "plc") >= 18 &&
           Metric(agent, "strata_edge_modbus_exceptions_total", "plc", {{"code", "2"}}) >= 3;
  })) << (*server)->log();
  ASSERT_TRUE(WaitUntil(
      [&] { return agent.metrics().Value("strata_edge_observations_stored_total") >= 3 * 24; }));
  EXPECT_TRUE(agent.pipeline() != nullptr);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_up", "plc"), 1);
  EXPECT_EQ(Failures(agent, "plc", "timeout"), 0);
  EXPECT_EQ(Failures(agent, "plc", "connection"), 0);
  EXPECT_EQ(Failures(agent, "plc", "bad_response"), 0);
  EXPECT_GE(Failures(agent, "plc", "exception"), 3);
  EXPECT_EQ(agent.metrics().Sum("strata_edge_rejected_total"), 0);
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  const std::map<std::string, double> expected = {
      {"u16", 1234},
      {"i16", -1234},
      {"u32_abcd", 0x12345678},
      {"i32_cdab", -123456789},
      {"i64_abcd", -1234567890123.0},
      {"f32_abcd", 21.5},
      {"f32_cdab", 22.5},
      {"f32_badc", 23.5},
      {"f32_dcba", 24.5},
      {"f64_abcd", 1234.5678},
      {"f64_dcba", -8765.4321},
      {"alarm", 1},
      {"mode", 5},
      {"temp", 65.0},  // 1490 x 0.1 = 149 degF
      {"ir_u16", 4321},
      {"ir_f32", 3.25},
      {"coil0", 1},
      {"coil1", 0},
      {"coil2", 1},
      {"di0", 0},
      {"di1", 1},
  };
  const std::string endpoint = fmt::format("tcp://127.0.0.1:{}", (*server)->port());
  for (const auto& [signal, value] : expected) {
    const auto rows = Rows(*store, "t/plc-1", signal);
    ASSERT_GE(rows.size(), 3u) << signal;
    for (const auto& r : rows) {
      ASSERT_TRUE(r.value.has_value()) << signal;
      EXPECT_NEAR(*r.value, value, 1e-9 * std::max(1.0, std::fabs(value))) << signal;
      EXPECT_EQ(r.quality, Quality::kGood) << signal;
      EXPECT_EQ(r.source.protocol, "modbus");
      EXPECT_EQ(r.source.endpoint, endpoint);
    }
  }
  EXPECT_EQ(Rows(*store, "t/plc-1", "temp").back().unit, "Cel");
  EXPECT_EQ(Rows(*store, "t/plc-1", "f32_cdab").back().source.address, "unit 1 hr 12");
  EXPECT_EQ(Rows(*store, "t/plc-1", "mode").back().source.address, "unit 1 hr 30 bits 13..15");
  EXPECT_EQ(Rows(*store, "t/plc-1", "coil2").back().source.address, "unit 1 coil 2");
  EXPECT_EQ(Rows(*store, "t/plc-1", "di1").back().source.address, "unit 1 di 1");
  const auto unit2 = Rows(*store, "t/plc-2", "u16");
  ASSERT_FALSE(unit2.empty());
  EXPECT_EQ(*unit2.back().value, 77);
  EXPECT_EQ(unit2.back().source.address, "unit 2 hr 0");
  // The exception block: every poll stored bad quality, no value, for both of its signals.
  for (const char* signal : {"broken_a", "broken_b"}) {
    const auto rows = Rows(*store, "t/plc-1", signal);
    ASSERT_GE(rows.size(), 3u) << signal;
    for (const auto& r : rows) {
      EXPECT_EQ(r.quality, Quality::kBad);
      EXPECT_FALSE(r.value.has_value());
    }
  }
}

TEST(ModbusE2E, AServerRestartLeavesABadMarkerThenRecovers) {
  auto server = ModbusServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml(dir.path(), Connector("plc", (*server)->port(), R"(
    devices:
      - unit_id: 1
        asset: t/plc-1
        poll_groups:
          - interval: 50ms
            registers:
              - {table: holding, address: 0, signal: u16}
              - {table: holding, address: 12, type: float32, order: CDAB, signal: f32_cdab}
)"))),
                  Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  auto requests = [&] { return Metric(agent, "strata_edge_modbus_requests_total", "plc"); };
  ASSERT_TRUE(WaitUntil([&] { return requests() >= 3; }));

  (*server)->Kill();
  const int64_t killed_ns = Clock::System().NowNs();
  ASSERT_TRUE(WaitUntil([&] {
    return Failures(agent, "plc", "connection") + Failures(agent, "plc", "timeout") >= 1 &&
           Metric(agent, "strata_edge_connector_up", "plc") == 0 &&
           Metric(agent, "strata_edge_connector_connect_failures_total", "plc") >= 2;
  }));
  EXPECT_FALSE(agent.pipeline() == nullptr);

  ASSERT_TRUE((*server)->Restart().ok());
  const int64_t restarted_ns = Clock::System().NowNs();
  const double before = requests();
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(agent, "strata_edge_connector_up", "plc") == 1 && requests() >= before + 3 &&
           Metric(agent, "strata_edge_connector_connects_total", "plc") >= 2;
  })) << (*server)->log();
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  for (const char* signal : {"u16", "f32_cdab"}) {
    const auto rows = Rows(*store, "t/plc-1", signal);
    // good ... good, bad (once: the connection went), good ... good
    auto first_bad = std::find_if(rows.begin(), rows.end(),
                                  [](const auto& r) { return r.quality == Quality::kBad; });
    ASSERT_NE(first_bad, rows.end()) << signal;
    EXPECT_GE(first_bad->ts_ns, killed_ns);
    EXPECT_FALSE(first_bad->value.has_value());
    EXPECT_GT(std::count_if(rows.begin(), first_bad,
                            [](const auto& r) { return r.quality == Quality::kGood; }),
              0);
    const auto bad_count = std::count_if(rows.begin(), rows.end(),
                                         [](const auto& r) { return r.quality == Quality::kBad; });
    EXPECT_EQ(bad_count, 1) << signal << ": one marker, not one per failed reconnect";
    const auto after = std::find_if(first_bad, rows.end(), [&](const auto& r) {
      return r.quality == Quality::kGood && r.ts_ns >= restarted_ns;
    });
    ASSERT_NE(after, rows.end()) << signal << " did not recover";
    EXPECT_EQ(*after->value, std::string(signal) == "u16" ? 1234 : 22.5);
  }
}

TEST(ModbusE2E, ASilentUnitIdCostsTimeoutsButNotTheOtherUnitsOrTheConnection) {
  auto server = ModbusServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml(dir.path(), Connector("gw", (*server)->port(), R"(
    devices:
      - unit_id: 1
        poll_groups:
          - interval: 50ms
            registers: [{table: holding, address: 0, asset: t/plc-1, signal: u16}]
      - unit_id: 9
        poll_groups:
          - interval: 100ms
            registers:
              - {table: holding, address: 0, asset: t/plc-9, signal: u16}
              - {table: input, address: 0, asset: t/plc-9, signal: ir_u16}
)",
                                                            "timeouts_before_reconnect: 2"))),
                  Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return Failures(agent, "gw", "timeout") >= 6; }));
  // Unit 9 has two requests per poll; after the first times out the second is not sent, so
  // each poll costs one timeout. Unit 1 answers in between: the connection stays.
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "gw"), 1);
  EXPECT_EQ(Failures(agent, "gw", "connection"), 0);
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  const auto unit1 = Rows(*store, "t/plc-1", "u16");
  const auto unit9 = Rows(*store, "t/plc-9", "u16");
  const auto unit9_ir = Rows(*store, "t/plc-9", "ir_u16");
  ASSERT_GE(unit9.size(), 6u);
  EXPECT_EQ(unit9_ir.size(), unit9.size());
  for (const auto& r : unit9) EXPECT_EQ(r.quality, Quality::kBad);
  for (const auto& r : unit9_ir) EXPECT_EQ(r.quality, Quality::kBad);
  // Six timeouts of 300 ms took at least 1.8 s; unit 1 kept being read at a useful rate.
  EXPECT_GE(unit1.size(), 6u);
  for (const auto& r : unit1) EXPECT_EQ(r.quality, Quality::kGood);
}

TEST(ModbusE2E, MisbehavingPeersCostTheirConnectorsTheConnectionAndNothingElse) {
  auto server = ModbusServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  testing::MisbehavingPeer stall(Answers(Misbehaviour::kStall));
  testing::MisbehavingPeer garbage(Answers(Misbehaviour::kGarbage));
  testing::MisbehavingPeer huge(Answers(Misbehaviour::kHugeLength));
  ASSERT_TRUE(stall.port() != 0 && garbage.port() != 0 && huge.port() != 0);
  const auto one_register = [](const std::string& asset) {
    return fmt::format(R"(
    devices:
      - unit_id: 1
        poll_groups:
          - interval: 50ms
            registers: [{{table: holding, address: 0, asset: {}, signal: u16}}]
)",
                       asset);
  };
  TempDir dir;
  EdgeAgent agent(
      MustConfig(
          EdgeYaml(dir.path(), Connector("good", (*server)->port(), one_register("t/plc-1")) +
                                   Connector("stall", stall.port(), one_register("t/plc-2"),
                                             "timeouts_before_reconnect: 2") +
                                   Connector("garbage", garbage.port(), one_register("t/plc-3")) +
                                   Connector("huge", huge.port(), one_register("t/plc-4")))),
      Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return Metric(agent, "strata_edge_connector_up", "good") == 1; }));
  const int64_t rss_start = RssBytes();
  const double good_before = Metric(agent, "strata_edge_modbus_requests_total", "good");

  // Each bad peer loses its connector the connection, repeatedly: the connector reconnects.
  ASSERT_TRUE(WaitUntil([&] {
    return stall.connections() >= 3 && garbage.connections() >= 3 && huge.connections() >= 3;
  })) << stall.connections()
      << " " << garbage.connections() << " " << huge.connections();
  for (const char* name : {"stall", "garbage", "huge"}) {
    EXPECT_GE(AllFailures(agent, name), 3) << name;
    EXPECT_GE(Metric(agent, "strata_edge_connector_connects_total", name), 3) << name;
    EXPECT_GE(Metric(agent, "strata_edge_connector_connect_failures_total", name), 2) << name;
  }
  EXPECT_GE(Failures(agent, "stall", "timeout"), 4);
  EXPECT_GE(Failures(agent, "garbage", "bad_response") + Failures(agent, "garbage", "timeout"), 3);
  EXPECT_GE(Failures(agent, "huge", "bad_response") + Failures(agent, "huge", "timeout"), 3);

  // The good connector never noticed.
  EXPECT_EQ(AllFailures(agent, "good"), 0);
  EXPECT_EQ(Metric(agent, "strata_edge_connector_connects_total", "good"), 1);
  EXPECT_GE(Metric(agent, "strata_edge_modbus_requests_total", "good"), good_before + 10);
  EXPECT_LT(RssBytes() - rss_start, 64LL << 20) << "memory grew while peers misbehaved";
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  const auto good = Rows(*store, "t/plc-1", "u16");
  ASSERT_GE(good.size(), 10u);
  for (const auto& r : good) EXPECT_EQ(r.quality, Quality::kGood);
  for (const char* asset : {"t/plc-2", "t/plc-3", "t/plc-4"}) {
    const auto rows = Rows(*store, asset, "u16");
    ASSERT_FALSE(rows.empty()) << asset;
    for (const auto& r : rows) EXPECT_EQ(r.quality, Quality::kBad) << asset;
  }
}

TEST(ModbusE2E, TheExampleConfigLoads) {
  auto c = EdgeConfig::Load(testing::SourceDir() + "/examples/modbus-edge.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_FALSE(c->modbus.empty());
  EXPECT_FALSE(c->modbus[0].requests.empty());
}

}  // namespace
}  // namespace strata
