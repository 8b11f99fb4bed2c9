// The edge agent against a real mosquitto: happy path, every kind of bad input, the broker
// down at start, a broker restart mid-stream, and backpressure from a slow disk.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "connectors/mqtt/mqtt_publisher.h"
#include "core/time_util.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata {
namespace {

using std::chrono::seconds;
using testing::MosquittoBroker;
using testing::TempDir;
using testing::WaitUntil;

// An edge config for tests: the example asset model, a mapping whose decoder also reads a
// per-reading unit, subscriptions wide enough to receive topics no rule maps.
std::string EdgeYaml(int port, const std::string& dir, const std::string& extra = "",
                     const std::string& client_id = "test-edge") {
  return fmt::format(R"(
edge: {{id: test-edge, tenant: test}}
store: {{path: {dir}/edge.db, durability: normal}}
assets: {src}/examples/assets.yaml
connectors:
  - name: plant
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    client_id: {client_id}
    clean_session: false
    reconnect: {{min: 100ms, max: 1s}}
    max_payload: 64KiB
    subscriptions: ["plant/#", "legacy/#"]
    decoders:
      readings: {{type: json, items: /readings, name: /n, value: /v, timestamp: /ts, unit: /u, quality: /q}}
      waveform: {{type: json, samples: /samples, sample_rate: /fs, timestamp: /ts}}
      plain: {{type: number}}
    mapping:
      version: test-1
      rules:
        - {{topic: "plant/{{machine}}/process", decoder: readings, asset: "acme/plant-1/line-1/{{machine}}", signal: "{{name}}"}}
        - {{topic: "plant/{{machine}}/vibration/{{signal}}", decoder: waveform, asset: "acme/plant-1/line-1/{{machine}}", signal: "{{signal}}"}}
        - {{topic: "legacy/boiler-1/flue_temp_f", decoder: plain, asset: "acme/plant-1/utilities/boiler-1", signal: flue.temp, unit: "[degF]"}}
metrics: {{listen: "127.0.0.1:0"}}
{extra}
)",
                     fmt::arg("dir", dir), fmt::arg("src", testing::SourceDir()),
                     fmt::arg("port", port), fmt::arg("extra", extra),
                     fmt::arg("client_id", client_id));
}

EdgeConfig MustConfig(const std::string& yaml) {
  auto c = EdgeConfig::Parse(yaml, "<test edge.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

std::unique_ptr<MqttPublisher> MustPublisher(int port, const std::string& id = "",
                                             bool clean = true) {
  MqttPublisher::Options o;
  o.port = port;
  o.client_id = id;
  o.clean_session = clean;
  auto p = MqttPublisher::Connect(o, 10 * kNsPerSec);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(*p);
}

int64_t NowMs() { return Clock::System().NowNs() / kNsPerMs; }

std::unique_ptr<Store> OpenReader(const std::string& path) {
  SqliteStoreOptions o;
  o.path = path;
  o.read_only = true;
  auto s = OpenSqliteStore(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(*s);
}

double Stored(EdgeAgent& a) { return a.metrics().Value("strata_edge_observations_stored_total"); }
double DeadLetters(EdgeAgent& a) {
  return a.metrics().Value("strata_edge_dead_letters_stored_total");
}

TEST(EdgeE2E, StoresReadingsOfEveryPayloadFormatWithUnitsConverted) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml((*broker)->port(), dir.path())), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
  auto pub = MustPublisher((*broker)->port());
  const int64_t ts = NowMs() - 1000;
  ASSERT_TRUE(
      pub->Publish(
             "plant/pump-01/process",
             fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":81.5}},)"
                         R"({{"n":"bearing_de.temp","v":140,"u":"[degF]"}},)"
                         R"({{"n":"bearing_de.vib_rms","v":0.002,"u":"m/s","q":"uncertain"}}]}})",
                         ts))
          .ok());
  ASSERT_TRUE(pub->Publish("plant/pump-01/vibration/bearing_de.accel",
                           fmt::format(R"({{"ts":{},"fs":1000,"samples":[0.5,-0.25,1.0,0]}})", ts))
                  .ok());
  ASSERT_TRUE(pub->Publish("legacy/boiler-1/flue_temp_f", "212").ok());
  ASSERT_TRUE(WaitUntil([&] { return Stored(agent) == 5; })) << Stored(agent);
  EXPECT_EQ(DeadLetters(agent), 0);
  agent.Stop();

  auto store = OpenReader(dir.File("edge.db"));
  ObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-01";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto rows = store->QueryObservations(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  std::map<std::string, ObservationRow> by_signal;
  for (auto& r : *rows) by_signal[r.signal] = r;
  ASSERT_EQ(by_signal.size(), 4u);
  EXPECT_DOUBLE_EQ(*by_signal["load"].value, 81.5);
  EXPECT_EQ(by_signal["load"].ts_ns, ts * kNsPerMs);
  EXPECT_NEAR(*by_signal["bearing_de.temp"].value, 60.0, 1e-9);  // 140 °F
  EXPECT_EQ(by_signal["bearing_de.temp"].unit, "Cel");
  EXPECT_NEAR(*by_signal["bearing_de.vib_rms"].value, 2.0, 1e-9);  // 0.002 m/s in mm/s
  EXPECT_EQ(by_signal["bearing_de.vib_rms"].quality, Quality::kUncertain);
  EXPECT_EQ(by_signal["load"].source.protocol, "mqtt");
  EXPECT_EQ(by_signal["load"].source.address, "plant/pump-01/process");
  const auto& wave = by_signal["bearing_de.accel"];
  ASSERT_TRUE(wave.is_block && wave.block);
  EXPECT_EQ(wave.block->sample_rate_hz, 1000);
  EXPECT_EQ(wave.block->samples, (std::vector<float>{0.5f, -0.25f, 1.0f, 0.0f}));

  q.asset = "acme/plant-1/utilities/boiler-1";
  rows = store->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NEAR(*rows->front().value, 100.0, 1e-9);  // 212 °F
}

TEST(EdgeE2E, BadInputGoesToTheDeadLetterStoreWithAReasonAndThePipelineKeepsRunning) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml((*broker)->port(), dir.path())), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
  auto pub = MustPublisher((*broker)->port());
  const int64_t ts = NowMs() - 1000;
  auto reading = [&](const std::string& fields) {
    return fmt::format(R"({{"ts":{},"readings":[{{{}}}]}})", ts, fields);
  };
  const std::vector<std::tuple<std::string, std::string, std::string>> bad = {
      {"plant/pump-01/process", R"({"ts":1,"readings":[{"n":"load","v":)", "malformed_payload"},
      {"plant/pump-01/process", reading(R"("n":"load","v":"eighty")"), "wrong_type"},
      {"plant/pump-01/process", reading(R"("n":"load")"), "missing_field"},
      {"plant/pump-01/process", reading(R"("n":"load","v":"NaN")"), "not_finite"},
      {"legacy/boiler-1/flue_temp_f", "inf", "not_finite"},
      {"plant/pump-01/process", reading(R"("n":"bearing_de.temp","v":900)"), "out_of_range"},
      {"plant/pump-01/diagnostics", R"({"firmware":"1.2"})", "unknown_topic"},
      {"plant/pump-99/process", reading(R"("n":"load","v":50)"), "unknown_asset"},
      {"plant/pump-01/process", reading(R"("n":"oil.level","v":50)"), "unknown_signal"},
      {"plant/pump-01/process", reading(R"("n":"load","v":50,"u":"furlong")"), "unknown_unit"},
      {"plant/pump-01/process", reading(R"("n":"bearing_de.temp","v":50,"u":"A")"),
       "unit_mismatch"},
      {"plant/pump-01/process", reading(R"("n":"bearing_de.accel","v":1)"), "wrong_kind"},
      {"plant/pump-01/process",
       fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":50}}]}})", NowMs() + 86'400'000),
       "timestamp_in_future"},
      {"plant/pump-01/process", R"({"ts":1000,"readings":[{"n":"load","v":50}]})",
       "timestamp_too_old"},
      {"plant/pump-01/process", std::string(100 * 1024, ' '), "payload_too_large"},
  };
  for (const auto& [topic, payload, reason] : bad) {
    ASSERT_TRUE(pub->Publish(topic, payload).ok()) << reason;
  }
  ASSERT_TRUE(pub->Publish("plant/pump-01/process", reading(R"("n":"load","v":42)")).ok());
  ASSERT_TRUE(WaitUntil([&] { return DeadLetters(agent) == bad.size() && Stored(agent) == 1; }))
      << DeadLetters(agent) << " dead letters, " << Stored(agent) << " stored";

  // The counters are on /metrics, by reason.
  httplib::Client http("127.0.0.1", agent.metrics_port());
  auto res = http.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  std::map<std::string, int> expected;
  for (const auto& b : bad) expected[std::get<2>(b)]++;
  for (const auto& [reason, count] : expected) {
    EXPECT_NE(res->body.find(
                  fmt::format("strata_edge_rejected_total{{reason=\"{}\"}} {}", reason, count)),
              std::string::npos)
        << reason;
  }
  agent.Stop();

  // Each is stored with its reason, source and (capped) raw payload.
  auto store = OpenReader(dir.File("edge.db"));
  auto letters = store->QueryDeadLetters({0, std::numeric_limits<int64_t>::max(), 100});
  ASSERT_TRUE(letters.ok());
  std::map<std::string, int> got;
  for (const auto& d : *letters) {
    got[std::string(RejectReasonName(d.reason))]++;
    EXPECT_NE(d.source.find("mqtt tcp://127.0.0.1:"), std::string::npos);
    EXPECT_FALSE(d.detail.empty());
    if (d.reason == RejectReason::kPayloadTooLarge) {
      EXPECT_TRUE(d.payload_truncated);
      EXPECT_LE(d.payload.size(), kMaxDeadLetterPayload);
    }
    if (d.reason == RejectReason::kUnknownAsset) {
      EXPECT_NE(d.detail.find("acme/plant-1/line-1/pump-99"), std::string::npos) << d.detail;
    }
  }
  EXPECT_EQ(got, expected);
}

// A Store whose Append waits while the gate is closed: a disk that has stalled.
class GatedStore final : public Store {
 public:
  explicit GatedStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  Status Append(WriteBatch& batch, AppendResult* result) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
    return inner_->Append(batch, result);
  }
  StatusOr<std::vector<ObservationRow>> QueryObservations(const ObservationQuery& q) override {
    return inner_->QueryObservations(q);
  }
  StatusOr<std::vector<DeadLetter>> QueryDeadLetters(const DeadLetterQuery& q) override {
    return inner_->QueryDeadLetters(q);
  }
  StatusOr<std::vector<Event>> QueryEvents(int64_t f, int64_t t, size_t l) override {
    return inner_->QueryEvents(f, t, l);
  }
  StatusOr<std::vector<Record>> QueryRecords(const RecordQuery& q) override {
    return inner_->QueryRecords(q);
  }
  StatusOr<StoreStats> Stats() override { return inner_->Stats(); }
  StatusOr<RetentionResult> EnforceRetention(const RetentionPolicy& p, int64_t now) override {
    return inner_->EnforceRetention(p, now);
  }
  StatusOr<std::vector<OutboxRange>> PendingOutbox(size_t n) override {
    return inner_->PendingOutbox(n);
  }
  Status AckOutbox(std::string_view s, uint64_t seq) override { return inner_->AckOutbox(s, seq); }
  StatusOr<StreamRecords> ReadStream(std::string_view s, uint64_t from, uint64_t to,
                                     size_t max) override {
    return inner_->ReadStream(s, from, to, max);
  }

 private:
  std::unique_ptr<Store> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(EdgeE2E, ASlowStoreStopsTheConnectorReadingAndTheBrokerHoldsTheRest) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  EdgeConfig config = MustConfig(EdgeYaml((*broker)->port(), dir.path(),
                                          "pipeline: {raw_queue: 16KiB, store_queue_rows: 50, "
                                          "max_batch_rows: 50}"));
  GatedStore* gate = nullptr;
  EdgeAgent agent(std::move(config), Clock::System(),
                  [&](const SqliteStoreOptions& o) -> StatusOr<std::unique_ptr<Store>> {
                    STRATA_ASSIGN_OR_RETURN(auto inner, OpenSqliteStore(o));
                    auto gated = std::make_unique<GatedStore>(std::move(inner));
                    gate = gated.get();
                    return std::unique_ptr<Store>(std::move(gated));
                  });
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_NE(gate, nullptr);
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
  auto pub = MustPublisher((*broker)->port());
  constexpr int kMessages = 3000;
  const int64_t t0 = NowMs() - 60'000;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(pub->Publish("plant/pump-01/process",
                             fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":{}}}]}})",
                                         t0 + i, i % 100))
                    .ok());
  }
  // The broker has every message...
  ASSERT_TRUE(pub->WaitAllAcked(30 * kNsPerSec));
  // ...and the edge, whose store is stalled, has pushed back: its queues filled up and the
  // connector stopped taking messages, far short of all of them.
  auto received = [&] {
    return agent.metrics().Value("strata_edge_messages_received_total", {{"connector", "plant"}});
  };
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_queue_blocked_seconds_total", {{"queue", "raw"}}) > 0;
  }));
  const double held = received();
  EXPECT_LT(held, kMessages / 2) << "the connector kept reading although the store is stalled";
  EXPECT_LE(agent.metrics().Value("strata_edge_queue_depth", {{"queue", "store"}}), 50 + 50);
  EXPECT_EQ(Stored(agent), 0);

  gate->Open();
  ASSERT_TRUE(WaitUntil([&] { return Stored(agent) == kMessages; }, std::chrono::seconds(60)))
      << Stored(agent) << " of " << kMessages << " stored; received " << received()
      << ", dead letters " << DeadLetters(agent) << ", duplicates "
      << agent.metrics().Value("strata_edge_duplicates_total") << ", connects "
      << agent.metrics().Value("strata_edge_connector_connects_total", {{"connector", "plant"}})
      << "\nbroker log:\n"
      << (*broker)->log();
  EXPECT_EQ(received(), kMessages);
  EXPECT_EQ(agent.metrics().Value("strata_edge_duplicates_total"), 0);
}

TEST(EdgeE2E, ABrokerRestartMidStreamLosesNoAcceptedReading) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  EdgeAgent agent(MustConfig(EdgeYaml((*broker)->port(), dir.path())), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));
  // A persistent publisher session: libmosquitto resends what the broker did not acknowledge.
  auto pub = MustPublisher((*broker)->port(), "restart-test-publisher", /*clean=*/false);
  constexpr int kMessages = 6000;
  const int64_t t0 = NowMs() - 120'000;
  auto publish = [&](int i) {
    return pub->Publish(
        "plant/pump-02/process",
        fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":{}}},{{"n":"speed","v":2950}}]}})",
                    t0 + i, i % 100));
  };
  for (int i = 0; i < kMessages / 2; ++i) ASSERT_TRUE(publish(i).ok());
  ASSERT_TRUE(pub->WaitAllAcked(30 * kNsPerSec));
  (*broker)->Stop();  // clean stop: mosquitto saves the queued messages of persistent sessions
  ASSERT_TRUE((*broker)->Restart().ok());
  for (int i = kMessages / 2; i < kMessages; ++i) ASSERT_TRUE(publish(i).ok());
  ASSERT_TRUE(pub->WaitAllAcked(60 * kNsPerSec)) << pub->acked() << " of " << pub->published();
  ASSERT_TRUE(WaitUntil([&] { return Stored(agent) == 2.0 * kMessages; }, std::chrono::seconds(60)))
      << Stored(agent) << " of " << 2 * kMessages << " stored";
  EXPECT_GE(agent.metrics().Value("strata_edge_connector_connects_total", {{"connector", "plant"}}),
            2);
  agent.Stop();

  // Every reading is there exactly once.
  auto store = OpenReader(dir.File("edge.db"));
  ObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-02";
  q.signal = "load";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  q.limit = 2 * kMessages;
  auto rows = store->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  std::set<int64_t> ts;
  for (const auto& r : *rows) ts.insert(r.ts_ns);
  EXPECT_EQ(rows->size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(ts.size(), static_cast<size_t>(kMessages));
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// The broker holds the messages of a stopped edge's persistent session, keeps them across its
// own restart (persistence), and delivers them when the edge comes back.
TEST(EdgeE2E, MessagesQueuedForAnAbsentEdgeSurviveABrokerRestart) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  const std::string yaml = EdgeYaml((*broker)->port(), dir.path(), "", "queued-edge");
  {
    EdgeAgent agent(MustConfig(yaml), Clock::System());
    ASSERT_TRUE(agent.Start().ok());
    ASSERT_TRUE(WaitUntil([&] {
      return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
    }));
    agent.Stop();  // a clean disconnect: the session and its subscription stay on the broker
  }
  auto pub = MustPublisher((*broker)->port());
  constexpr int kMessages = 500;
  const int64_t t0 = NowMs() - 60'000;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(pub->Publish("plant/motor-01/process",
                             fmt::format(R"({{"ts":{},"readings":[{{"n":"load","v":{}}}]}})",
                                         t0 + i, i % 100))
                    .ok());
  }
  ASSERT_TRUE(pub->WaitAllAcked(30 * kNsPerSec));
  pub.reset();
  (*broker)->Stop();
  ASSERT_TRUE((*broker)->Restart().ok());

  EdgeAgent agent(MustConfig(yaml), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return Stored(agent) == kMessages; }))
      << Stored(agent) << " of " << kMessages << "\n"
      << (*broker)->log();
}

}  // namespace
}  // namespace strata
