// The API tests' fixture: a fresh SQLite hub store in a temporary directory, filled through
// HubStore::IngestBatch with hand-made uplink batches (observations, dead letters, decisions,
// alert events) of one edge, one token per role, an ApiServer on a free loopback port (time
// from a FakeClock) and an httplib client to talk to it.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_server.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "hub/store/hub_store.h"

namespace strata::api::testing {

inline constexpr int64_t kSec = 1'000'000'000;
// "Now" of every test: 2026-11-18T11:06:40Z.
inline constexpr int64_t kNow = 1'795'000'000 * kSec;
inline constexpr const char* kEdge = "edge-1";
inline constexpr const char* kAsset = "acme/plant-1/pump-01";
inline constexpr const char* kOtherAsset = "acme/plant-1/pump-02";
inline constexpr const char* kAccel = "bearing_de.accel";
inline constexpr const char* kTemp = "motor.temp";
inline constexpr int kObsPerSignal = 60;  // one a minute over the last hour

// A directory under $TMPDIR, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Forwards to a real store; `fail` makes the read methods (and, with `fail_tokens`, the token
// lookup) return an error instead — to see how the API answers a store that is down.
class FaultInjectingStore final : public HubStore {
 public:
  explicit FaultInjectingStore(HubStore& real) : real_(real) {}

  std::atomic<int> fail{0};  // 0 none, 1 Unavailable, 2 Internal
  std::atomic<bool> fail_tokens{false};

  StatusOr<IngestOutcome> IngestBatch(const UplinkBatch& batch, int64_t now_ns) override {
    return real_.IngestBatch(batch, now_ns);
  }
  StatusOr<std::vector<StreamProgress>> ListProgress() override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.ListProgress();
  }
  StatusOr<std::vector<ObservationRow>> QueryObservations(const HubObservationQuery& q) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.QueryObservations(q);
  }
  StatusOr<std::vector<SeriesBucket>> QuerySeries(const SeriesQuery& q) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.QuerySeries(q);
  }
  StatusOr<std::vector<SignalState>> LatestSignals(std::string_view asset) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.LatestSignals(asset);
  }
  StatusOr<std::vector<HubDeadLetter>> QueryDeadLetters(const HubDeadLetterQuery& q) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.QueryDeadLetters(q);
  }
  StatusOr<std::vector<HubRecord>> QueryRecords(const HubRecordQuery& q) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.QueryRecords(q);
  }
  Status UpsertEdge(const EdgeEntry& edge) override { return real_.UpsertEdge(edge); }
  StatusOr<std::optional<EdgeEntry>> GetEdge(std::string_view edge_id) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.GetEdge(edge_id);
  }
  StatusOr<std::vector<EdgeEntry>> ListEdges() override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.ListEdges();
  }
  Status RecordHeartbeat(std::string_view edge_id, std::string_view heartbeat_json,
                         int64_t now_ns) override {
    return real_.RecordHeartbeat(edge_id, heartbeat_json, now_ns);
  }
  Status RecordReported(std::string_view edge_id, std::string_view reported_json,
                        int64_t now_ns) override {
    return real_.RecordReported(edge_id, reported_json, now_ns);
  }
  StatusOr<DesiredState> SetDesired(std::string_view edge_id, std::string_view document,
                                    int64_t now_ns) override {
    return real_.SetDesired(edge_id, document, now_ns);
  }
  StatusOr<std::optional<DesiredState>> GetDesired(std::string_view edge_id) override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.GetDesired(edge_id);
  }
  StatusOr<std::vector<DesiredState>> ListDesired() override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.ListDesired();
  }
  Status CreateToken(const ApiToken& token) override { return real_.CreateToken(token); }
  StatusOr<std::optional<ApiToken>> FindTokenByHash(std::string_view hash) override {
    if (fail_tokens) return UnavailableError("injected: database is locked");
    return real_.FindTokenByHash(hash);
  }
  StatusOr<std::vector<ApiToken>> ListTokens() override {
    if (Status s = Fault(); !s.ok()) return s;
    return real_.ListTokens();
  }
  Status RevokeToken(std::string_view id) override { return real_.RevokeToken(id); }
  StatusOr<HubStoreStats> Stats() override { return real_.Stats(); }

 private:
  Status Fault() const {
    switch (fail.load()) {
      case 1:
        return UnavailableError("injected: database is locked");
      case 2:
        return InternalError("injected: secret internal detail /var/lib/strata/hub.db");
      default:
        return Status::Ok();
    }
  }
  HubStore& real_;
};

struct Response {
  int status = 0;  // 0: no response (connection failed)
  nlohmann::json body;  // parsed when JSON
  std::string text;
  httplib::Headers headers;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server (SetUp does, with default options); restarts with `options`.
  void StartServer(ApiServerOptions options);

  Response Call(const std::string& method, const std::string& path,
                const std::string& token = "", const std::string& body = "",
                const std::string& content_type = "application/json");
  Response Get(const std::string& path, const std::string& token = "") {
    return Call("GET", path, token);
  }
  const std::string& TokenOf(Role role) { return tokens_.at(role); }
  const std::string& Admin() { return tokens_.at(Role::kAdmin); }
  const std::string& Viewer() { return tokens_.at(Role::kViewer); }

  // Ingests hand-made batches of edge-1 into the store.
  void Ingest(UplinkBatch batch);
  std::string AssetPath(const std::string& asset, const std::string& suffix = "");

  ScratchDir dir_;
  FakeClock clock_{kNow};
  MetricsRegistry metrics_;
  std::unique_ptr<HubStore> real_store_;
  std::unique_ptr<FaultInjectingStore> store_;
  std::unique_ptr<ApiServer> server_;
  std::map<Role, std::string> tokens_;
  std::map<std::string, uint64_t> next_seq_;  // per stream
  std::mutex provisioned_mu_;
  std::vector<std::pair<std::string, std::string>> provisioned_;  // (tenant, edge id) enrolled
  std::atomic<int> desired_changed_{0};  // calls of ApiServerOptions::desired_changed
};

}  // namespace strata::api::testing
