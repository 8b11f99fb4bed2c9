// The web console (web/) served by the hub's API server, in real headless Chromium: a SQLite
// hub store filled through HubStore::IngestBatch (an edge, readings of one asset over the last
// ten minutes, an open alert, a dead letter), a viewer token, an ApiServer on loopback serving
// <source>/web, and tests/console_test.js driving /usr/bin/chromium with playwright-core: log
// in (and a wrong token), fleet, assets, the asset page's chart of the injected data and its
// live refresh, dead letters, a 403, a network error, a 401 mid-session, and every view at
// 375 px without sideways scrolling.
//
// Missing tools (chromium, playwright-core, uPlot in web/vendor) fail the test with what to
// run; they never skip it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/api_server.h"
#include "api/auth.h"
#include "cli/child_process.h"
#include "core/clock.h"
#include "core/decision.h"
#include "core/metrics.h"
#include "hub/store/hub_store.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::TempDir;
using testing::WaitUntil;

constexpr int64_t kSec = 1'000'000'000;
constexpr const char* kEdge = "edge-1";
constexpr const char* kAsset = "acme/plant-1/line-1/pump-01";
constexpr const char* kSignal = "bearing_de.temp";
constexpr const char* kNode = "/usr/bin/node";
constexpr const char* kChromium = "/usr/bin/chromium";

// What the browser test needs and is not there, with what to run; "" when all is there.
std::string MissingTools() {
  namespace fs = std::filesystem;
  const std::string src = testing::SourceDir();
  std::string missing;
  auto need = [&](const std::string& path, const std::string& what) {
    if (!fs::exists(path)) missing += fmt::format("\n  {} ({} is missing)", what, path);
  };
  need(kNode, "Node.js: run scripts/deps.sh");
  need(kChromium, "Debian's chromium: run scripts/deps.sh (apt-get install chromium)");
  need(src + "/tests/peers/node_modules/playwright-core/package.json",
       "playwright-core: run scripts/deps.sh (or scripts/npm-deps.sh)");
  need(src + "/web/vendor/uPlot.iife.min.js",
       "uPlot, the console's chart library: run scripts/deps.sh (or scripts/fetch-web-deps.sh)");
  return missing;
}

ObservationRow Reading(int64_t ts, double value) {
  ObservationRow r;
  r.asset = kAsset;
  r.signal = kSignal;
  r.unit = "Cel";
  r.ts_ns = ts;
  r.ingest_ts_ns = ts + 2'000'000;
  r.value = value;
  r.quality = Quality::kGood;
  r.source = {"mqtt", "tcp://127.0.0.1:1883", "plant/pump-01/temp"};
  return r;
}

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HubStoreOptions options;
    options.sqlite_path = dir_.File("hub.db");
    auto opened = OpenHubStore(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    const int64_t now = Now();

    ASSERT_TRUE(store_
                    ->UpsertEdge({.edge_id = kEdge,
                                  .tenant = "acme",
                                  .enrolled_ns = now - 86400 * kSec,
                                  .credential_hash = std::string(64, 'c'),
                                  .last_seen_ns = 0,
                                  .heartbeat = "",
                                  .reported = ""})
                    .ok());
    // What the hub wants it to run, and its answer: the fleet shows "line-1 v7 pending".
    ASSERT_TRUE(store_->SetDesired(kEdge, R"({"config_version":"line-1 v7"})", now).ok());
    ASSERT_TRUE(store_
                    ->RecordReported(kEdge,
                                     R"({"kind":"applied","version":1,"state":"pending",)"
                                     R"("message":"this edge runs config 'line-1 v6'"})",
                                     now)
                    .ok());

    // 60 readings, one every 10 s over the last 10 minutes, values 40..49.
    UplinkBatch obs;
    obs.stream = std::string(kObservationStream);
    for (int i = 0; i < 60; ++i) {
      obs.observations.push_back(Reading(now - (600 - i * 10) * kSec, 40.0 + i % 10));
    }
    Ingest(std::move(obs));

    UplinkBatch dlq;
    dlq.stream = std::string(kDeadLetterStream);
    dlq.dead_letters.push_back(MakeDeadLetter(
        now - 120 * kSec, RejectReason::kOutOfRange, "mqtt tcp://127.0.0.1:1883 plant/pump-01/temp",
        "value 912 above the valid range 0..200 Cel", "<img src=x onerror=window.__xss=1>"));
    Ingest(std::move(dlq));

    AlertEvent alert;
    alert.kind = "open";
    alert.alert_id = "alert-1";
    alert.asset = kAsset;
    alert.model_name = "bearing-xgb";
    alert.model_version = "1.0.0";
    alert.ts_ns = now - 180 * kSec;
    alert.opened_ns = alert.ts_ns;
    alert.score = 0.9;
    alert.trace_id = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
    alert.reasons = {{"accel_rms", 1.5, 0.8}};
    UplinkBatch alr;
    alr.stream = std::string(kAlertStream);
    alr.records.push_back(
        Record{std::string(kAlertStream), alert.ts_ns, kAsset, AlertEventToJson(alert), 0});
    Ingest(std::move(alr));

    auto token = api::CreateApiToken(*store_, Role::kViewer, "console: e2e", now);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    viewer_token_ = *token;

    StartServer(testing::SourceDir() + "/web");
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  static int64_t Now() { return Clock::System().NowNs(); }

  // Stores `batch` as edge-1's next seqs of its stream, as the ingest would.
  void Ingest(UplinkBatch batch) {
    batch.edge_id = kEdge;
    uint64_t& next = next_seq_[batch.stream];
    if (next == 0) next = 1;
    batch.first_seq = next;
    batch.floor_seq = 1;
    for (auto& o : batch.observations) o.seq = next++;
    for (auto& d : batch.dead_letters) d.seq = next++;
    for (auto& r : batch.records) r.seq = next++;
    auto outcome = store_->IngestBatch(batch, Now());
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    ASSERT_EQ(outcome->stored, batch.count());
  }

  void StartServer(const std::string& static_dir) {
    if (server_) server_->Stop();
    api::ApiServerOptions options;
    options.listen = "127.0.0.1:0";
    // The default pool (8 workers): a browser opens up to 6 connections at once and an idle
    // keep-alive connection holds its worker (docs/api.md, "Serving").
    options.static_dir = static_dir;
    server_ = std::make_unique<api::ApiServer>(*store_, metrics_, options);
    const Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  httplib::Result Get(const std::string& path, const std::string& token = "") {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(10);
    client.set_read_timeout(30);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client.Get(path, headers);
  }

  TempDir dir_;
  std::unique_ptr<HubStore> store_;
  MetricsRegistry metrics_;
  std::unique_ptr<api::ApiServer> server_;
  std::string viewer_token_;
  std::map<std::string, uint64_t> next_seq_;
};

// The console's files come with content types a browser accepts for modules and styles, and
// with headers that keep a stale console or an injected script out; the API still answers
// beside them.
TEST_F(ConsoleTest, ServesTheConsoleFilesBesideTheApi) {
  struct Want {
    std::string path;
    std::string type;
    std::string contains;
  };
  const std::vector<Want> files = {
      {"/", "text/html", "<main id=\"view\">"},
      {"/index.html", "text/html", "type=\"module\" src=\"app.js\""},
      {"/app.js", "text/javascript", "import "},
      {"/api.js", "text/javascript", "Authorization"},
      {"/style.css", "text/css", "@media (max-width: 640px)"},
      {"/vendor/uPlot.iife.min.js", "text/javascript", "uPlot"},
  };
  if (const std::string missing = MissingTools(); !missing.empty()) {
    FAIL() << "the console test needs:" << missing;
  }
  for (const Want& w : files) {
    SCOPED_TRACE(w.path);
    auto res = Get(w.path);
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type").rfind(w.type, 0), 0u)
        << res->get_header_value("Content-Type");
    EXPECT_NE(res->body.find(w.contains), std::string::npos);
    EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_NE(res->get_header_value("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos);
  }

  // No file outside the directory, whatever the path says.
  for (const char* path :
       {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/vendor/../../README.md"}) {
    SCOPED_TRACE(path);
    auto res = Get(path);
    ASSERT_TRUE(res);
    EXPECT_NE(res->status, 200);
    EXPECT_EQ(res->body.find("cmake_minimum_required"), std::string::npos);
  }
  // A file the console does not have is the API's JSON 404, not a page.
  auto missing = Get("/no-such-file.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"not_found\""), std::string::npos);

  auto whoami = Get("/api/v1/whoami", viewer_token_);
  ASSERT_TRUE(whoami);
  EXPECT_EQ(whoami->status, 200);
  EXPECT_NE(whoami->body.find("console: e2e"), std::string::npos);
  EXPECT_EQ(whoami->get_header_value("Content-Security-Policy"), "");
  auto health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

// Without api.console the hub serves no console: "/" is a 404 that says how to turn it on.
TEST_F(ConsoleTest, WithoutAConsoleDirectoryRootIsANotFoundThatSaysWhy) {
  StartServer("");
  auto res = Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_NE(res->body.find("api.console"), std::string::npos) << res->body;
}

TEST_F(ConsoleTest, InHeadlessChromium) {
  if (const std::string missing = MissingTools(); !missing.empty()) {
    FAIL() << "the console's browser test needs:" << missing;
  }
  const std::string log_file = dir_.File("console_test.log");
  ChildProcess::Options o;
  o.argv = {kNode, testing::SourceDir() + "/tests/console_test.js", server_->base_url(),
            viewer_token_};
  o.log_file = log_file;
  auto node = ChildProcess::Spawn(o);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto log = [&] { return testing::ReadTextFile(log_file); };

  // Half way the script waits for new readings: ingest them while it watches the chart.
  const bool waiting = WaitUntil(
      [&] {
        return log().find("LIVE: waiting for new data") != std::string::npos ||
               (*node)->Poll().has_value();
      },
      std::chrono::seconds(60));
  if (waiting && !(*node)->Poll().has_value()) {
    UplinkBatch more;
    more.stream = std::string(kObservationStream);
    const int64_t now = Now();
    for (int i = 0; i < 3; ++i) more.observations.push_back(Reading(now - (2 - i) * kSec, 80.0));
    Ingest(std::move(more));
  }

  const std::optional<int> code = (*node)->WaitFor(90 * kSec);
  if (!code) (*node)->Kill();
  const std::string output = log();
  std::cout << "--- tests/console_test.js ---\n" << output << "---\n";
  ASSERT_TRUE(code.has_value()) << "tests/console_test.js did not finish within 90 s";
  EXPECT_EQ(*code, 0) << "tests/console_test.js failed; its output is above";
  EXPECT_NE(output.find("PASS"), std::string::npos);
}

}  // namespace
}  // namespace strata
