#include "hub/hub_ingest.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "uplink/uplink_batch.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

constexpr int64_t kEdgeCacheNs = 5 * kNsPerSec;

}  // namespace

HubIngest::HubIngest(HubIngestOptions options, HubStore& store, const Clock& clock,
                     MetricsRegistry& metrics)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      overflow_(metrics.GetCounter(
          "strata_hub_batches_dropped_total",
          "Uplink batches dropped because the ingest queue was full (the edge sends them again)")),
      dedupe_hits_(metrics.GetCounter(
          "strata_hub_dedupe_hits_total",
          "Uplinked records that were already stored (retransmissions, replays)")),
      store_errors_(metrics.GetCounter("strata_hub_store_errors_total",
                                       "Uplink batches the store failed to commit (not acked)")),
      ingest_seconds_(metrics.GetGauge("strata_hub_ingest_commit_seconds",
                                       "Time the store took to commit the last uplink batch")),
      connected_gauge_(metrics.GetGauge("strata_hub_broker_connected",
                                        "1 while the hub is connected to the uplink broker")) {}

HubIngest::~HubIngest() { Stop(); }

Status HubIngest::Start() {
  MqttPublisher::Options o = PublisherOptionsFor(options_.broker);
  if (o.client_id.empty()) o.client_id = fmt::format("strata-hub-{}", options_.hub_id);
  // The edges resend what is not acked, so the hub needs no session kept while it is away; a
  // clean start also lets several hubs share the load without one hub's backlog piling up.
  o.clean_session = true;
  o.protocol_version = 5;
  o.wait_for_broker = false;
  o.subscriptions = {UplinkSubscription(options_.shared_group),
                     ReportedSubscription(options_.shared_group)};
  o.on_message = [this](std::string_view topic, std::string_view payload) {
    OnMessage(topic, payload);
  };
  STRATA_ASSIGN_OR_RETURN(client_, MqttPublisher::Connect(o, 0));
  thread_ = std::thread([this] { Run(); });
  spdlog::info("hub ingest: subscribed to {} on {}", UplinkSubscription(options_.shared_group),
               options_.broker.Endpoint());
  return Status::Ok();
}

void HubIngest::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  client_.reset();
}

void HubIngest::OnMessage(std::string_view topic, std::string_view payload) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < options_.queue_batches) {
      queue_.push_back({std::string(topic), std::string(payload)});
      cv_.notify_one();
      return;
    }
  }
  overflow_.Add();
}

void HubIngest::Run() {
  while (true) {
    Received message;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_ || !queue_.empty(); });
      connected_gauge_.Set(connected() ? 1 : 0);
      if (stop_) return;
      if (queue_.empty()) continue;
      message = std::move(queue_.front());
      queue_.pop_front();
    }
    Handle(message);
  }
}

void HubIngest::Reject(std::string_view reason, std::string_view topic, const std::string& why) {
  metrics_
      .GetCounter("strata_hub_batches_rejected_total",
                  "Uplink batches refused (nothing stored, no ack), by reason",
                  {{"reason", std::string(reason)}})
      .Add();
  spdlog::warn("hub ingest: refused a batch on '{}': {}", topic, why);
}

std::string HubIngest::EnrolledTenant(const std::string& edge_id) {
  const int64_t now = clock_.NowNs();
  auto it = edges_.find(edge_id);
  if (it != edges_.end() && now - it->second.checked_ns < kEdgeCacheNs) return it->second.tenant;
  StatusOr<std::optional<EdgeEntry>> edge = store_.GetEdge(edge_id);
  if (!edge.ok()) {
    spdlog::warn("hub ingest: cannot look up edge '{}': {}", edge_id, edge.status().ToString());
    return it != edges_.end() ? it->second.tenant : "";
  }
  std::string tenant = edge->has_value() ? (*edge)->tenant : "";
  edges_[edge_id] = {tenant, now};
  return tenant;
}

void HubIngest::HandleReported(const EdgeTopic& topic, const Received& message) {
  const nlohmann::json j =
      nlohmann::json::parse(message.payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
    Reject("malformed", message.topic, "a report must be a JSON object with a \"kind\"");
    return;
  }
  const std::string tenant = EnrolledTenant(topic.edge_id);
  if (tenant.empty() || tenant != topic.tenant) {
    Reject(tenant.empty() ? "not_enrolled" : "tenant_mismatch", message.topic,
           fmt::format("edge '{}' of tenant '{}' is not enrolled", topic.edge_id, topic.tenant));
    return;
  }
  const std::string kind = j["kind"].get<std::string>();
  Status s = kind == "heartbeat"
                 ? store_.RecordHeartbeat(topic.edge_id, message.payload, clock_.NowNs())
                 : store_.RecordReported(topic.edge_id, message.payload, clock_.NowNs());
  if (!s.ok()) {
    spdlog::warn("hub ingest: cannot record the {} of edge '{}': {}", kind, topic.edge_id,
                 s.ToString());
    return;
  }
  metrics_
      .GetCounter("strata_hub_reports_total", "Heartbeats and state reports recorded",
                  {{"kind", kind == "heartbeat" ? "heartbeat" : "reported"}})
      .Add();
}

void HubIngest::Handle(const Received& message) {
  std::optional<EdgeTopic> topic = ParseEdgeTopic(message.topic);
  if (topic && topic->kind == "reported") {
    HandleReported(*topic, message);
    return;
  }
  if (!topic || topic->kind != "up") {
    Reject("topic", message.topic, "not an uplink topic");
    return;
  }
  if (message.payload.size() > options_.max_batch_bytes) {
    Reject("oversized", message.topic,
           fmt::format("{} bytes, more than max_batch_bytes {}", message.payload.size(),
                       options_.max_batch_bytes));
    return;
  }
  StatusOr<UplinkBatch> batch = DecodeUplinkBatch(message.payload, options_.max_batch_bytes);
  if (!batch.ok()) {
    const bool checksum = batch.status().message().find("checksum") != std::string::npos;
    Reject(checksum ? "checksum" : "malformed", message.topic, batch.status().message());
    return;
  }
  if (batch->edge_id != topic->edge_id || batch->stream != topic->stream) {
    Reject("topic_mismatch", message.topic,
           fmt::format("the batch says edge '{}' stream '{}'", batch->edge_id, batch->stream));
    return;
  }
  if (options_.require_enrolment) {
    const std::string tenant = EnrolledTenant(topic->edge_id);
    if (tenant.empty()) {
      Reject("not_enrolled", message.topic,
             fmt::format("edge '{}' is not enrolled: enrol it first (docs/uplink.md)",
                         topic->edge_id));
      return;
    }
    if (tenant != topic->tenant) {
      Reject("tenant_mismatch", message.topic,
             fmt::format("edge '{}' is enrolled in tenant '{}'", topic->edge_id, tenant));
      return;
    }
  }
  ++received_;
  if (options_.crash_before_commit != 0 && received_ >= options_.crash_before_commit) {
    spdlog::warn("hub ingest: fault injection: killing the hub before committing seqs {}-{}",
                 batch->first_seq, batch->last_seq());
    ::kill(::getpid(), SIGKILL);
  }
  const auto start = std::chrono::steady_clock::now();
  StatusOr<IngestOutcome> outcome = store_.IngestBatch(*batch, clock_.NowNs());
  ingest_seconds_.Set(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!outcome.ok()) {
    store_errors_.Add();
    spdlog::warn(
        "hub ingest: cannot store {} seqs {}-{} of edge '{}' (not acked; the edge "
        "sends it again): {}",
        batch->stream, batch->first_seq, batch->last_seq(), batch->edge_id,
        outcome.status().ToString());
    return;
  }
  const MetricLabels stream_label = {{"stream", batch->stream}};
  metrics_.GetCounter("strata_hub_batches_total", "Uplink batches stored", stream_label).Add();
  metrics_.GetCounter("strata_hub_records_stored_total", "Uplinked records stored", stream_label)
      .Add(outcome->stored);
  dedupe_hits_.Add(outcome->duplicates);
  if (batch->stream == kObservationStream) {
    int64_t newest = 0;
    for (const ObservationRow& o : batch->observations) newest = std::max(newest, o.ingest_ts_ns);
    metrics_
        .GetGauge("strata_hub_edge_lag_seconds",
                  "How old the newest observation of the last batch was when the hub stored it",
                  {{"edge", batch->edge_id}})
        .Set(static_cast<double>(clock_.NowNs() - newest) / 1e9);
  }
  Status s =
      client_->Publish(AckTopic(topic->tenant, topic->edge_id),
                       EncodeAck({batch->stream, outcome->through}), 1, false, 2 * kNsPerSec);
  if (!s.ok()) {
    // The data is stored; the edge's resend will be a duplicate and get the ack again.
    spdlog::warn("hub ingest: cannot ack edge '{}': {}", batch->edge_id, s.ToString());
  }
}

}  // namespace strata
