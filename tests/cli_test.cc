// The strata binary as a user meets it: --help, configuration errors, the edge as a process
// (broker down at start, kill -9), and the demo end to end.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "cli/demo_history.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/clock.h"
#include "core/sha256.h"
#include "hub/store/hub_store.h"
#include "ml/runtime_factory.h"
#include "ml/training/dataset.h"
#include "ml/training/trainer.h"
#include "store/store.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::MosquittoBroker;
using testing::ReadTextFile;
using testing::TempDir;
using testing::WaitUntil;
using testing::WriteTextFile;

struct RunResult {
  int code = -1;
  std::string output;
};

// Runs strata with `args` to completion (bounded), capturing stdout and stderr.
RunResult RunStrata(const std::vector<std::string>& args, const TempDir& dir,
                    int64_t timeout_ns = 60 * kNsPerSec) {
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.log_file = dir.File("run.log");
  std::remove(o.log_file.c_str());
  auto child = ChildProcess::Spawn(o);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  RunResult r;
  auto code = (*child)->WaitFor(timeout_ns);
  r.code = code ? *code : (*child)->Kill();
  r.output = ReadTextFile(o.log_file);
  return r;
}

std::string Example(const std::string& name) { return testing::SourceDir() + "/examples/" + name; }

TEST(Cli, HelpExplainsEveryVerb) {
  TempDir dir;
  RunResult top = RunStrata({"--help"}, dir);
  EXPECT_EQ(top.code, 0);
  for (const char* verb : {"demo", "edge", "sim", "query", "train", "hub"}) {
    EXPECT_NE(top.output.find(verb), std::string::npos) << verb;
    RunResult r = RunStrata({verb, "--help"}, dir);
    EXPECT_EQ(r.code, 0) << verb;
    EXPECT_NE(r.output.find("Exit codes"), std::string::npos) << verb << ": " << r.output;
  }
  RunResult none = RunStrata({}, dir);
  EXPECT_EQ(none.code, 2);
  RunResult unknown = RunStrata({"edge", "--no-such-flag"}, dir);
  EXPECT_EQ(unknown.code, 2);
}

TEST(Cli, TheExampleConfigurationsCheckOut) {
  TempDir dir;
  RunResult edge = RunStrata({"edge", "--check", "--config", Example("edge.yaml")}, dir);
  EXPECT_EQ(edge.code, 0) << edge.output;
  EXPECT_NE(edge.output.find("OK"), std::string::npos);
  RunResult sim = RunStrata({"sim", "--check", "--config", Example("plant.yaml")}, dir);
  EXPECT_EQ(sim.code, 0) << sim.output;
  // Every kind of connector counts.
  for (const char* example : {"modbus-edge.yaml", "opcua-edge.yaml", "plc-edge.yaml"}) {
    RunResult check = RunStrata({"edge", "--check", "--config", Example(example)}, dir);
    EXPECT_EQ(check.code, 0) << example << ": " << check.output;
    EXPECT_NE(check.output.find("1 connector(s)"), std::string::npos)
        << example << ": " << check.output;
  }
}

TEST(Cli, AConfigTypoNamesFileLineAndKey) {
  TempDir dir;
  std::string text = ReadTextFile(Example("edge.yaml"));
  // Put a typo where a user would make one: "brokr" for "broker".
  const size_t at = text.find("    broker: {host");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 10, "    brokr");
  const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  WriteTextFile(dir.File("edge.yaml"), text);
  WriteTextFile(dir.File("assets.yaml"), ReadTextFile(Example("assets.yaml")));
  WriteTextFile(dir.File("mapping.yaml"), ReadTextFile(Example("mapping.yaml")));
  RunResult r = RunStrata({"edge", "--config", dir.File("edge.yaml")}, dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find(fmt::format("edge.yaml:{}:5: connectors[0].brokr: unknown key (did you "
                                      "mean 'broker'?)",
                                      line)),
            std::string::npos)
      << r.output;
}

TEST(Cli, QueryOfAMissingStoreSaysWhichFile) {
  TempDir dir;
  RunResult r = RunStrata({"query", "--db", dir.File("nope.db"), "--asset", "a/b"}, dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find(dir.File("nope.db")), std::string::npos) << r.output;
}

std::string EdgeYaml(int mqtt_port, int metrics_port, const TempDir& dir) {
  std::string text = ReadTextFile(Example("edge.yaml"));
  text = std::regex_replace(text, std::regex("port: 1883"), fmt::format("port: {}", mqtt_port));
  text = std::regex_replace(text, std::regex("127.0.0.1:9464"),
                            fmt::format("127.0.0.1:{}", metrics_port));
  text = std::regex_replace(text, std::regex("reconnect: \\{min: 500ms, max: 30s\\}"),
                            "reconnect: {min: 100ms, max: 500ms}");
  text = std::regex_replace(text, std::regex("path: data/edge.db"),
                            fmt::format("path: {}", dir.File("edge.db")));
  text = std::regex_replace(text, std::regex("assets: assets.yaml"),
                            fmt::format("assets: {}", Example("assets.yaml")));
  text = std::regex_replace(text, std::regex("mapping: mapping.yaml"),
                            fmt::format("mapping: {}", Example("mapping.yaml")));
  return text;
}

double Metric(int port, const std::string& series) {
  httplib::Client http("127.0.0.1", port);
  http.set_connection_timeout(1, 0);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return -1;
  const size_t at = res->body.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(res->body.substr(at + series.size() + 2));
}

// `strata train` end to end: simulated history (two 20-minute runs of two pumps, one fault
// each) through the edge's decoding into a store, trained as a subprocess.
class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto edge = EdgeConfig::Load(Example("edge.yaml"));
    ASSERT_TRUE(edge.ok()) << edge.status().ToString();
    auto plant = sim::PlantConfig::Load(Example("plant.yaml"));
    ASSERT_TRUE(plant.ok()) << plant.status().ToString();
    HistoryOptions h;
    h.plant = *plant;
    h.plant.machines.resize(2);  // pump-01, pump-02
    h.segments = 2;
    h.segment_ns = 20 * 60 * kNsPerSec;
    h.start_ns = 1'700'000'040 * kNsPerSec;
    h.store_path = dir_->File("history.db");
    h.ground_truth_path = dir_->File("gt.jsonl");
    auto r = GenerateHistory(h, *edge);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->episodes, 2);
    EXPECT_EQ(r->dead_letters, 0u);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::vector<std::string> Args(const std::string& out) {
    return {"train",
            "--data",
            dir_->File("history.db"),
            "--labels",
            dir_->File("gt.jsonl"),
            "--features",
            Example("features-bearing.yaml"),
            "--model",
            Example("assets.yaml"),
            "--out",
            out,
            "--rounds",
            "30"};
  }
  static TempDir* dir_;
};
TempDir* TrainCli::dir_ = nullptr;

TEST_F(TrainCli, TrainsAPackageThatScoresFaultsHigherDeterministically) {
  const std::string out = dir_->File("pkg-a");
  RunResult r = RunStrata(Args(out), *dir_, 120 * kNsPerSec);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("holdout: auc"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("boosting rounds"), std::string::npos) << r.output;
  auto package = ml::LoadModelPackage(out);
  ASSERT_TRUE(package.ok()) << package.status().ToString();
  const ml::ModelManifest& m = package->manifest;
  EXPECT_EQ(m.runtime, "xgboost");
  EXPECT_EQ(m.features.asset_type, "centrifugal_pump");
  EXPECT_EQ(m.reference.size(), m.features.features.size());
  EXPECT_GT(m.lineage.positives, 0u);
  EXPECT_EQ(m.lineage.seed, 42u);
  EXPECT_TRUE(m.metrics.count("accuracy") && m.metrics.count("holdout_rows")) << r.output;
  auto runtime = ml::CreateRuntime(*package);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();

  // Every window of the history, scored through the runtime: faulty ones score higher.
  SqliteStoreOptions so;
  so.path = dir_->File("history.db");
  so.read_only = true;
  auto store = OpenSqliteStore(so);
  ASSERT_TRUE(store.ok());
  auto model = AssetModel::LoadFile(Example("assets.yaml"));
  ASSERT_TRUE(model.ok());
  auto labels = ml::LoadGroundTruth(dir_->File("gt.jsonl"));
  ASSERT_TRUE(labels.ok());
  auto ds = ml::BuildDataset(**store, *model, m.features, *labels, {});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  std::vector<float> scores(ds->rows());
  ASSERT_TRUE((*runtime)->Predict(ds->X, scores).ok());
  double pos = 0, neg = 0;
  for (size_t i = 0; i < scores.size(); ++i) (ds->y[i] > 0 ? pos : neg) += scores[i];
  pos /= double(ds->positives);
  neg /= double(ds->rows() - ds->positives);
  EXPECT_GT(pos, 0.8);
  EXPECT_LT(neg, 0.2);
  EXPECT_GT(ml::RocAuc(scores, ds->y), 0.95);

  // Same data and seed: the same artifact, byte for byte.
  const std::string again = dir_->File("pkg-b");
  RunResult r2 = RunStrata(Args(again), *dir_, 120 * kNsPerSec);
  ASSERT_EQ(r2.code, 0) << r2.output;
  auto package2 = ml::LoadModelPackage(again);
  ASSERT_TRUE(package2.ok());
  EXPECT_EQ(package2->manifest.artifact_sha256, m.artifact_sha256);
  EXPECT_EQ(package2->artifact, package->artifact);
  EXPECT_EQ(package2->manifest.metrics, m.metrics);
}

TEST_F(TrainCli, BadInputsGiveClearErrors) {
  auto run = [&](std::vector<std::string> args) { return RunStrata(args, *dir_); };
  auto with = [&](const std::string& key, const std::string& value) {
    std::vector<std::string> args = Args(dir_->File("pkg-bad"));
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == key) args[i + 1] = value;
    }
    return args;
  };
  RunResult r = run(with("--data", dir_->File("missing.db")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("missing.db"), std::string::npos) << r.output;

  r = run(with("--labels", dir_->File("nothing.jsonl")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("nothing.jsonl"), std::string::npos) << r.output;

  WriteTextFile(dir_->File("other-gt.jsonl"),
                R"({"asset":"acme/plant-1/line-1/pump-04","onset_ns":1,"full_severity_ns":2})"
                "\n");
  r = run(with("--labels", dir_->File("other-gt.jsonl")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("no positive labels"), std::string::npos) << r.output;

  WriteTextFile(dir_->File("bad-spec.yaml"),
                "features:\n  asset_type: centrifugal_pump\n  window: {length: 60s}\n  list:\n"
                "    - {name: x, signal: bearing_de.pressure, function: mean}\n");
  r = run(with("--features", dir_->File("bad-spec.yaml")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("does not match the asset model"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bearing_de.pressure"), std::string::npos) << r.output;

  std::vector<std::string> late = Args(dir_->File("pkg-bad"));
  late.insert(late.end(), {"--from", "2030-01-01T00:00:00Z"});
  r = run(late);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("no windows"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_->File("pkg-bad")));
}

// The demo picks all its ports before it starts anything: the picker must never hand out one
// port twice (the demo's Modbus and OPC UA servers once got the same one), also from threads.
TEST(FreeTcpPort, NeverHandsOutAPortTwiceAndStaysBelowTheEphemeralRange) {
  int ephemeral_low = 0;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  std::mutex mu;
  std::set<int> seen;
  size_t handed = 0;
  const auto take = [&](int n) {
    for (int i = 0; i < n; ++i) {
      auto port = FreeTcpPort();
      ASSERT_TRUE(port.ok()) << port.status().ToString();
      std::lock_guard lock(mu);
      seen.insert(*port);
      ++handed;
      if (ephemeral_low > 1024) {
        EXPECT_LT(*port, ephemeral_low);
      }
    }
  };
  std::thread a([&] { take(300); });
  std::thread b([&] { take(300); });
  a.join();
  b.join();
  EXPECT_EQ(handed, 600u);
  EXPECT_EQ(seen.size(), handed) << "a port was handed out twice";
}

TEST(EdgeProcess, RetriesWhileTheBrokerIsDownAndSaysSoInTheLog) {
  TempDir dir;
  auto mqtt_port = FreeTcpPort();
  auto metrics_port = FreeTcpPort();
  ASSERT_TRUE(mqtt_port.ok() && metrics_port.ok());
  WriteTextFile(dir.File("edge.yaml"), EdgeYaml(*mqtt_port, *metrics_port, dir));
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary(), "edge", "--config", dir.File("edge.yaml")};
  o.log_file = dir.File("edge.log");
  auto edge = ChildProcess::Spawn(o);
  ASSERT_TRUE(edge.ok());
  ASSERT_TRUE(WaitUntil([&] {
    return ReadTextFile(o.log_file).find("attempt 2") != std::string::npos;
  })) << ReadTextFile(o.log_file);
  const std::string log = ReadTextFile(o.log_file);
  EXPECT_NE(log.find(fmt::format("cannot connect to tcp://127.0.0.1:{} (attempt 1)", *mqtt_port)),
            std::string::npos)
      << log;
  EXPECT_FALSE((*edge)->Poll()) << "the edge must keep running while the broker is down";

  MosquittoBroker::Options bo;
  bo.port = *mqtt_port;
  auto broker = MosquittoBroker::Start(bo);
  ASSERT_TRUE(broker.ok());
  MqttPublisher::Options po;
  po.port = *mqtt_port;
  auto pub = MqttPublisher::Connect(po, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok());
  // Wait for the edge's subscription before publishing (clean-session publishers' messages
  // only reach existing subscriptions).
  ASSERT_TRUE(WaitUntil(
      [&] { return Metric(*metrics_port, "strata_edge_connector_up{connector=\"plant\"}") == 1; }));
  ASSERT_TRUE((*pub)->Publish("legacy/boiler-1/flue_temp_f", "300").ok());
  EXPECT_TRUE(WaitUntil(
      [&] { return Metric(*metrics_port, "strata_edge_observations_stored_total") == 1; }));
  EXPECT_EQ((*edge)->Terminate(), 0);
}

TEST(EdgeProcess, KillDashNineLosesNoCommittedObservation) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok());
  TempDir dir;
  auto metrics_port = FreeTcpPort();
  ASSERT_TRUE(metrics_port.ok());
  WriteTextFile(dir.File("edge.yaml"), EdgeYaml((*broker)->port(), *metrics_port, dir));
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary(), "edge", "--config", dir.File("edge.yaml")};
  o.log_file = dir.File("edge.log");
  auto edge = ChildProcess::Spawn(o);
  ASSERT_TRUE(edge.ok());
  ASSERT_TRUE(WaitUntil([&] {
    return Metric(*metrics_port, "strata_edge_connector_up{connector=\"plant\"}") == 1;
  })) << ReadTextFile(o.log_file);

  MqttPublisher::Options po;
  po.port = (*broker)->port();
  auto pub = MqttPublisher::Connect(po, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok());
  const int64_t t0 = Clock::System().NowNs() / kNsPerMs - 600'000;
  int sent = 0;
  // Keep publishing until the edge has committed a good number, then kill it mid-stream.
  double committed = 0;
  while (sent < 200000) {
    for (int i = 0; i < 500; ++i, ++sent) {
      ASSERT_TRUE(
          (*pub)
              ->Publish(
                  "strata-sim/plant-1/pump-03/process",
                  fmt::format(
                      R"({{"ts":{},"readings":[{{"n":"load","v":50}},{{"n":"speed","v":2900}}]}})",
                      t0 + sent))
              .ok());
    }
    committed = Metric(*metrics_port, "strata_edge_store_last_seq");
    if (committed >= 5000) break;
  }
  ASSERT_GE(committed, 5000) << ReadTextFile(o.log_file);
  EXPECT_EQ((*edge)->Kill(), 128 + SIGKILL);

  // Everything committed before the kill is there, and the store opens cleanly.
  {
    SqliteStoreOptions so;
    so.path = dir.File("edge.db");
    so.read_only = true;
    auto store = OpenSqliteStore(so);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto stats = (*store)->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_GE(stats->last_obs_seq, static_cast<uint64_t>(committed));
    EXPECT_GE(stats->observations, static_cast<uint64_t>(committed));
  }
  // A restarted edge continues the sequence without reusing a seq.
  auto again = ChildProcess::Spawn(o);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(WaitUntil([&] { return Metric(*metrics_port, "strata_edge_store_last_seq") > 0; }));
  ASSERT_TRUE(
      (*pub)
          ->Publish("strata-sim/plant-1/pump-03/process",
                    fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":51}}]}})", t0 + sent + 1))
          .ok());
  ASSERT_TRUE(
      WaitUntil([&] { return Metric(*metrics_port, "strata_edge_store_last_seq") > committed; }));
  EXPECT_EQ((*again)->Terminate(), 0);
}

TEST(Demo, RunsBrokerPlantAndEdgeAndStopsCleanly) {
  TempDir dir;
  // One 40-minute run of simulated history: enough for a starter model, a few seconds to make.
  RunResult r = RunStrata({"demo", "--dir", dir.File("demo"), "--duration", "12s", "--every", "3s",
                           "--history", "40m", "--hub-port", "0"},
                          dir, 120 * kNsPerSec);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("starter model bearing-fault"), std::string::npos) << r.output;
  auto starter = ml::LoadModelPackage(dir.File("demo/models/bearing-fault"));
  ASSERT_TRUE(starter.ok()) << starter.status().ToString();
  EXPECT_GT(starter->manifest.lineage.positives, 0u);
  const std::string edge_yaml = ReadTextFile(dir.File("demo/edge.yaml"));
  EXPECT_NE(edge_yaml.find(starter->sha256), std::string::npos) << edge_yaml;
  EXPECT_NE(ReadTextFile(dir.File("demo/logs/edge.log")).find("bearing-fault starter-1"),
            std::string::npos);
  EXPECT_NE(r.output.find("Strata demo"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("obs/s"), std::string::npos) << r.output;
  // The hub: its console URL and an admin token are printed, and it has the edge's data.
  EXPECT_NE(r.output.find("console http://127.0.0.1:"), std::string::npos) << r.output;
  const std::string token = ReadTextFile(dir.File("demo/admin-token.txt"));
  EXPECT_EQ(token.rfind("st_", 0), 0u) << token;
  EXPECT_NE(r.output.find("admin token " + token.substr(0, token.size() - 1)), std::string::npos)
      << r.output;
  {
    HubStoreOptions hub_options;
    hub_options.sqlite_path = dir.File("demo/hub.db");
    auto hub = OpenHubStore(hub_options);
    ASSERT_TRUE(hub.ok()) << hub.status().ToString();
    auto progress = (*hub)->ListProgress();
    ASSERT_TRUE(progress.ok());
    uint64_t through = 0;
    for (const StreamProgress& p : *progress) {
      if (p.edge_id == "edge-1" && p.stream == "obs") through = p.through;
    }
    EXPECT_GT(through, 0u) << "the hub got nothing from the demo's edge";
  }
  SqliteStoreOptions so;
  so.path = dir.File("demo/edge.db");
  so.read_only = true;
  auto store = OpenSqliteStore(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-02";
  q.signal = "bearing_de.temp";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto rows = (*store)->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(rows->size(), 5u);
  EXPECT_FALSE(ReadTextFile(dir.File("demo/ground-truth.jsonl")).empty());

  // The same machine's PLC, read over Modbus TCP into its plc.* signals: the bearing
  // temperature (int16 tenths) agrees with what MQTT delivered, to the register's resolution
  // plus one tick of drift.
  EXPECT_NE(r.output.find("Modbus TCP on 127.0.0.1:"), std::string::npos) << r.output;
  double lo = 1e9, hi = -1e9;
  for (const auto& row : *rows) {
    if (!row.value) continue;
    lo = std::min(lo, *row.value);
    hi = std::max(hi, *row.value);
  }
  q.signal = "plc.bearing_de.temp";
  auto plc = (*store)->QueryObservations(q);
  ASSERT_TRUE(plc.ok());
  size_t good = 0;
  for (const auto& row : *plc) {
    EXPECT_EQ(row.source.protocol, "modbus");
    if (row.quality != Quality::kGood || !row.value) continue;  // before the sim listened
    ++good;
    EXPECT_GE(*row.value, lo - 0.5) << row.source.address;
    EXPECT_LE(*row.value, hi + 0.5) << row.source.address;
  }
  EXPECT_GE(good, 5u) << "Modbus observations of pump-02";
  // A float32 (CDAB), a uint32 (CDAB) and a discrete input of a motor arrive too.
  q.asset = "acme/plant-1/line-1/motor-01";
  for (const char* signal : {"plc.speed", "plc.production.count", "plc.run_state"}) {
    q.signal = signal;
    auto motor = (*store)->QueryObservations(q);
    ASSERT_TRUE(motor.ok());
    const auto good_rows = std::count_if(motor->begin(), motor->end(), [](const auto& row) {
      return row.quality == Quality::kGood && row.value.has_value();
    });
    EXPECT_GE(good_rows, 5) << signal;
  }
  // The SCADA server over OPC UA (node-opcua, one change a second): speed arrives good, the
  // flaky tag arrives with the uncertain and bad qualities it is given.
  EXPECT_NE(r.output.find("OPC UA (node-opcua) on opc.tcp://127.0.0.1:"), std::string::npos)
      << r.output;
  q.asset = "acme/plant-1/line-1/scada-1";
  q.signal = "speed";
  auto speed = (*store)->QueryObservations(q);
  ASSERT_TRUE(speed.ok());
  ASSERT_GE(speed->size(), 3u);
  EXPECT_EQ(speed->front().source.protocol, "opcua");
  EXPECT_EQ(speed->front().quality, Quality::kGood);
  q.signal = "flaky";
  auto flaky = (*store)->QueryObservations(q);
  ASSERT_TRUE(flaky.ok());
  std::set<Quality> qualities;
  for (const auto& row : *flaky) qualities.insert(row.quality);
  EXPECT_TRUE(qualities.count(Quality::kUncertain) == 1 && qualities.count(Quality::kBad) == 1);
}

// Processes whose command line mentions `needle` (the demo's directory).
std::vector<int> ProcessesMentioning(const std::string& needle) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadTextFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

TEST(Demo, CtrlCStopsEveryChildAndExitsZero) {
  TempDir dir;
  const std::string demo_dir = dir.File("demo-ctrl-c");
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary(),
            "demo",
            "--dir",
            demo_dir,
            "--every",
            "1s",
            "--history",
            "0",
            "--hub-port",
            "0"};
  o.log_file = dir.File("demo.log");
  auto demo = ChildProcess::Spawn(o);
  ASSERT_TRUE(demo.ok());
  ASSERT_TRUE(WaitUntil([&] { return ReadTextFile(o.log_file).find("obs/s") != std::string::npos; },
                        std::chrono::seconds(60)))
      << ReadTextFile(o.log_file);
  // The broker, the edge, the simulator, the OPC UA server and the hub all run with the demo
  // directory in their arguments.
  EXPECT_EQ(ProcessesMentioning(demo_dir).size(), 6u) << "demo + broker + edge + sim + opcua + hub";
  ASSERT_TRUE((*demo)->Signal(SIGINT));  // what Ctrl-C sends
  auto code = (*demo)->WaitFor(60 * kNsPerSec);
  ASSERT_TRUE(code.has_value()) << ReadTextFile(o.log_file);
  EXPECT_EQ(*code, 0) << ReadTextFile(o.log_file);
  EXPECT_TRUE(ProcessesMentioning(demo_dir).empty()) << "a child outlived the demo";
  EXPECT_NE(ReadTextFile(o.log_file).find("stopped: the store holds"), std::string::npos)
      << ReadTextFile(o.log_file);
}

TEST(Demo, CtrlCWhileTrainingTheStarterModelStopsAtOnce) {
  TempDir dir;
  const std::string demo_dir = dir.File("demo-ctrl-c-training");
  ChildProcess::Options o;
  o.argv = {testing::StrataBinary(), "demo", "--dir", demo_dir, "--history", "10h"};
  o.log_file = dir.File("demo.log");
  auto demo = ChildProcess::Spawn(o);
  ASSERT_TRUE(demo.ok());
  ASSERT_TRUE(WaitUntil(
      [&] { return ReadTextFile(o.log_file).find("simulating history") != std::string::npos; },
      std::chrono::seconds(30)))
      << ReadTextFile(o.log_file);
  ASSERT_TRUE((*demo)->Signal(SIGINT));
  auto code = (*demo)->WaitFor(10 * kNsPerSec);
  ASSERT_TRUE(code.has_value()) << ReadTextFile(o.log_file);
  EXPECT_EQ(*code, 0) << ReadTextFile(o.log_file);
  EXPECT_NE(ReadTextFile(o.log_file).find("before anything was started"), std::string::npos)
      << ReadTextFile(o.log_file);
  EXPECT_TRUE(ProcessesMentioning(demo_dir).empty());
  EXPECT_FALSE(std::filesystem::exists(demo_dir + "/models/bearing-fault/manifest.yaml"));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST(Cli, HubTokenCreatePrintsATokenOnceAndStoresOnlyItsHash) {
  TempDir dir;
  testing::WriteTextFile(dir.File("hub.yaml"),
                         "hub: {id: h1}\nstore: {engine: sqlite, path: hub.db}\n");
  RunResult r = RunStrata({"hub", "token", "create", "--role", "engineer", "--name", "ci: alice",
                           "--config", dir.File("hub.yaml")},
                          dir);
  ASSERT_EQ(r.code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("st_[0-9a-f]{8}_[a-z2-7]+"))) << r.output;
  const std::string token = m.str();
  HubStoreOptions options;
  options.sqlite_path = dir.File("hub.db");
  auto store = OpenHubStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto found = (*store)->FindTokenByHash(Sha256Hex(token));
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->role, Role::kEngineer);
  EXPECT_EQ((*found)->name, "ci: alice");
  EXPECT_EQ(ReadTextFile(dir.File("hub.db")).find(token), std::string::npos)
      << "the secret itself is in the database";

  RunResult bad = RunStrata(
      {"hub", "--config", dir.File("hub.yaml"), "token", "create", "--role", "root", "--name", "x"},
      dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("viewer, technician, engineer, admin, or bootstrap"), std::string::npos)
      << bad.output;
}

TEST(Cli, HubEdgeAddEnrolsAndRefusesIdsThatCannotBeTopicLevels) {
  TempDir dir;
  testing::WriteTextFile(dir.File("hub.yaml"),
                         "hub: {id: h1}\nstore: {engine: sqlite, path: hub.db}\n");
  RunResult r = RunStrata({"hub", "--config", dir.File("hub.yaml"), "edge", "add", "--id", "edge-7",
                           "--tenant", "acme"},
                          dir);
  ASSERT_EQ(r.code, 0) << r.output;
  HubStoreOptions options;
  options.sqlite_path = dir.File("hub.db");
  auto store = OpenHubStore(options);
  ASSERT_TRUE(store.ok());
  auto edge = (*store)->GetEdge("edge-7");
  ASSERT_TRUE(edge.ok() && edge->has_value());
  EXPECT_EQ((*edge)->tenant, "acme");
  RunResult bad =
      RunStrata({"hub", "--config", dir.File("hub.yaml"), "edge", "add", "--id", "edge/7"}, dir);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--id"), std::string::npos) << bad.output;
}

TEST(Cli, HubEdgeDesiredStoresANewVersionForAnEnrolledEdge) {
  TempDir dir;
  testing::WriteTextFile(dir.File("hub.yaml"),
                         "hub: {id: h1}\nstore: {engine: sqlite, path: hub.db}\n");
  const auto desired = [&](const std::string& id, const std::string& version) {
    return RunStrata({"hub", "--config", dir.File("hub.yaml"), "edge", "desired", "--id", id,
                      "--config-version", version},
                     dir);
  };
  RunResult unknown = desired("edge-7", "v7");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.output.find("edge 'edge-7' is not enrolled"), std::string::npos)
      << unknown.output;
  ASSERT_EQ(RunStrata({"hub", "--config", dir.File("hub.yaml"), "edge", "add", "--id", "edge-7",
                       "--tenant", "acme"},
                      dir)
                .code,
            0);
  RunResult first = desired("edge-7", "line-1 v7");
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_NE(first.output.find("version 1"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("strata/v1/acme/edge/edge-7/desired"), std::string::npos)
      << first.output;
  RunResult second = desired("edge-7", "line-1 v8");
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_NE(second.output.find("version 2"), std::string::npos) << second.output;
  RunResult bad = desired("edge-7", "");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--config-version"), std::string::npos) << bad.output;

  HubStoreOptions options;
  options.sqlite_path = dir.File("hub.db");
  auto store = OpenHubStore(options);
  ASSERT_TRUE(store.ok());
  auto state = (*store)->GetDesired("edge-7");
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ((*state)->version, 2u);
  EXPECT_EQ((*state)->document, R"({"config_version":"line-1 v8"})");
}

}  // namespace
}  // namespace strata
