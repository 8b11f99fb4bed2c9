#include "api/api_test_fixture.h"

#include <cstdlib>
#include <filesystem>

#include "api/auth.h"
#include "api/route.h"
#include "core/decision.h"
#include "store/store.h"

namespace strata::api::testing {

ScratchDir::ScratchDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/strata_api_test_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

ObservationRow Obs(const std::string& asset, const std::string& signal, const std::string& unit,
                   int64_t ts, double value) {
  ObservationRow r;
  r.asset = asset;
  r.signal = signal;
  r.unit = unit;
  r.ts_ns = ts;
  r.ingest_ts_ns = ts + 1'000'000;
  r.value = value;
  r.quality = Quality::kGood;
  r.source = {"mqtt", "tcp://127.0.0.1:1883", "plant/" + signal};
  return r;
}

Record DecisionRecord(const std::string& asset, int64_t end_ns, const std::string& version,
                      double score) {
  Decision d;
  d.trace_id = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
  d.asset = asset;
  d.window_start_ns = end_ns - 60 * kSec;
  d.window_end_ns = end_ns;
  d.decided_ns = end_ns + kSec;
  d.first_seq = 1;
  d.last_seq = 10;
  d.model_name = "bearing-xgb";
  d.model_version = version;
  d.model_sha256 = std::string(64, 'a');
  d.score = score;
  d.threshold = 0.5;
  d.label = score >= 0.5 ? "fault" : "normal";
  d.features = {{"accel_rms", 1.5}, {"temp_mean", 55.0}};
  d.top = {{"accel_rms", 1.5, 0.8}};
  return Record{std::string(kDecisionStream), end_ns, asset, DecisionToJson(d), 0};
}

Record AlertRecord(const std::string& asset, const std::string& kind, const std::string& id,
                   int64_t ts, int64_t opened) {
  AlertEvent a;
  a.kind = kind;
  a.alert_id = id;
  a.asset = asset;
  a.model_name = "bearing-xgb";
  a.model_version = "1.0.0";
  a.ts_ns = ts;
  a.opened_ns = opened;
  a.score = kind == "open" ? 0.9 : 0.1;
  a.trace_id = "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01";
  a.reasons = {{"accel_rms", 1.5, 0.8}};
  return Record{std::string(kAlertStream), ts, asset, AlertEventToJson(a), 0};
}

}  // namespace

void ApiTest::Ingest(UplinkBatch batch) {
  batch.edge_id = kEdge;
  uint64_t& next = next_seq_[batch.stream];
  if (next == 0) next = 1;
  batch.first_seq = next;
  batch.floor_seq = 1;
  uint64_t seq = next;
  for (auto& o : batch.observations) o.seq = seq++;
  for (auto& d : batch.dead_letters) d.seq = seq++;
  for (auto& r : batch.records) r.seq = seq++;
  next = seq;
  auto outcome = real_store_->IngestBatch(batch, kNow - 5 * kSec);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_EQ(outcome->stored, batch.count());
}

void ApiTest::SetUp() {
  HubStoreOptions options;
  options.sqlite_path = dir_.File("hub.db");
  auto opened = OpenHubStore(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  real_store_ = std::move(*opened);
  store_ = std::make_unique<FaultInjectingStore>(*real_store_);

  ASSERT_TRUE(real_store_
                  ->UpsertEdge({.edge_id = kEdge,
                                .tenant = "acme",
                                .enrolled_ns = kNow - 86400 * kSec,
                                .credential_hash = std::string(64, 'c'),
                                .last_seen_ns = 0,
                                .heartbeat = "",
                                .reported = ""})
                  .ok());
  ASSERT_TRUE(
      real_store_->RecordHeartbeat(kEdge, R"({"uptime_s":3600,"outbox":0})", kNow - 10 * kSec)
          .ok());

  UplinkBatch obs;
  obs.stream = std::string(kObservationStream);
  for (int i = 0; i < kObsPerSignal; ++i) {
    const int64_t ts = kNow - 3600 * kSec + i * 60 * kSec;
    obs.observations.push_back(Obs(kAsset, kAccel, "m/s2", ts, 1.0 + i * 0.01));
    obs.observations.push_back(Obs(kAsset, kTemp, "Cel", ts, 40.0 + i));
  }
  obs.observations.push_back(Obs(kOtherAsset, kTemp, "Cel", kNow - 7200 * kSec, 21.5));
  Ingest(std::move(obs));

  UplinkBatch dlq;
  dlq.stream = std::string(kDeadLetterStream);
  dlq.dead_letters.push_back(MakeDeadLetter(kNow - 30 * 60 * kSec, RejectReason::kOutOfRange,
                                            "mqtt tcp://127.0.0.1:1883 plant/temp",
                                            "value 900 above max 200", "900"));
  dlq.dead_letters.push_back(MakeDeadLetter(kNow - 20 * 60 * kSec, RejectReason::kUnknownTopic,
                                            "mqtt tcp://127.0.0.1:1883 plant/what",
                                            "no mapping rule", "{\"v\":1}"));
  dlq.dead_letters.push_back(MakeDeadLetter(kNow - 10 * 60 * kSec,
                                            RejectReason::kMalformedPayload,
                                            "mqtt tcp://127.0.0.1:1883 plant/bin",
                                            "not JSON", std::string("\xff\xfe\x00x", 4)));
  Ingest(std::move(dlq));

  UplinkBatch dec;
  dec.stream = std::string(kDecisionStream);
  dec.records.push_back(DecisionRecord(kOtherAsset, kNow - 7200 * kSec, "1.0.0", 0.1));
  dec.records.push_back(DecisionRecord(kAsset, kNow - 50 * 60 * kSec, "1.0.0", 0.2));
  dec.records.push_back(DecisionRecord(kAsset, kNow - 30 * 60 * kSec, "1.0.0", 0.9));
  dec.records.push_back(DecisionRecord(kAsset, kNow - 5 * 60 * kSec, "1.1.0", 0.8));
  Ingest(std::move(dec));

  UplinkBatch alr;
  alr.stream = std::string(kAlertStream);
  alr.records.push_back(AlertRecord(kAsset, "open", "alert-b", kNow - 50 * 60 * kSec,
                                    kNow - 50 * 60 * kSec));
  alr.records.push_back(AlertRecord(kAsset, "clear", "alert-b", kNow - 40 * 60 * kSec,
                                    kNow - 50 * 60 * kSec));
  alr.records.push_back(AlertRecord(kAsset, "open", "alert-a", kNow - 30 * 60 * kSec,
                                    kNow - 30 * 60 * kSec));
  Ingest(std::move(alr));

  for (Role role :
       {Role::kViewer, Role::kTechnician, Role::kEngineer, Role::kAdmin, Role::kBootstrap}) {
    auto secret = CreateApiToken(*real_store_, role, std::string(RoleName(role)) + " token",
                                 kNow - 3600 * kSec);
    ASSERT_TRUE(secret.ok()) << secret.status().ToString();
    tokens_[role] = *secret;
  }

  ApiServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  server_options.threads = 4;
  // The broker side of enrolment, recorded (tests/uplink_e2e_test.cc runs the real one against
  // mosquitto's dynamic security plugin).
  server_options.provision_edge = [this](std::string_view tenant, std::string_view edge_id) {
    std::lock_guard lock(provisioned_mu_);
    provisioned_.emplace_back(tenant, edge_id);
    return StatusOr<MqttCredentials>(
        MqttCredentials{std::string(edge_id), "password-of-" + std::string(edge_id)});
  };
  server_options.desired_changed = [this] { desired_changed_.fetch_add(1); };
  StartServer(server_options);
}

void ApiTest::StartServer(ApiServerOptions options) {
  if (server_) server_->Stop();
  server_ = std::make_unique<ApiServer>(*store_, metrics_, std::move(options), clock_);
  const Status started = server_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_GT(server_->port(), 0);
}

void ApiTest::TearDown() {
  if (server_) server_->Stop();
}

std::string ApiTest::AssetPath(const std::string& asset, const std::string& suffix) {
  return "/api/v1/assets/" + PercentEncode(asset) + suffix;
}

Response ApiTest::Call(const std::string& method, const std::string& path,
                       const std::string& token, const std::string& body,
                       const std::string& content_type) {
  httplib::Client client("127.0.0.1", server_->port());
  client.set_connection_timeout(10);
  client.set_read_timeout(30);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result result{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    result = client.Get(path, headers);
  } else if (method == "POST") {
    result = client.Post(path, headers, body, content_type);
  } else if (method == "DELETE") {
    result = client.Delete(path, headers);
  } else if (method == "PUT") {
    result = client.Put(path, headers, body, content_type);
  } else {
    ADD_FAILURE() << "unsupported method " << method;
    return {};
  }
  Response out;
  if (!result) {
    ADD_FAILURE() << method << " " << path << ": " << httplib::to_string(result.error());
    return out;
  }
  out.status = result->status;
  out.text = result->body;
  out.headers = result->headers;
  if (result->get_header_value("Content-Type").find("json") != std::string::npos) {
    out.body = nlohmann::json::parse(result->body, nullptr, false);
    EXPECT_FALSE(out.body.is_discarded()) << method << " " << path << ": " << result->body;
  }
  return out;
}

}  // namespace strata::api::testing
