#include "edge/uplink.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/time_util.h"
#include "core/version.h"
#include "uplink/uplink_batch.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

constexpr std::string_view kStreams[] = {kObservationStream, kDeadLetterStream, kDecisionStream,
                                         kAlertStream};
constexpr size_t kMaxPendingRanges = 4096;
constexpr int64_t kPublishTimeoutNs = 2 * kNsPerSec;

}  // namespace

Uplink::Uplink(UplinkOptions options, AckSink on_ack, const Clock& clock, MetricsRegistry& metrics,
               HealthSource health, DesiredSink on_desired)
    : options_(std::move(options)),
      on_ack_(std::move(on_ack)),
      clock_(clock),
      health_(std::move(health)),
      on_desired_(std::move(on_desired)),
      desired_topic_(on_desired_ ? DesiredTopic(options_.tenant, options_.edge_id) : ""),
      enrol_failures_(metrics.GetCounter(
          "strata_edge_uplink_enrol_failures_total",
          "Enrolment attempts that did not get the edge its broker login (retried)")),
      bad_acks_(metrics.GetCounter("strata_edge_uplink_bad_acks_total",
                                   "Messages on the ack topic that were not a valid ack")),
      read_errors_(metrics.GetCounter("strata_edge_uplink_read_errors_total",
                                      "Failed reads of the outbox (retried)")),
      connected_gauge_(metrics.GetGauge("strata_edge_uplink_connected",
                                        "1 while the uplink is connected to the broker")) {
  for (std::string_view name : kStreams) {
    StreamState& st = streams_.emplace_back();
    st.name = std::string(name);
    st.timeout_ns = options_.ack_timeout_ns;
    const MetricLabels labels = {{"stream", st.name}};
    st.batches = &metrics.GetCounter("strata_edge_uplink_batches_total",
                                     "Uplink batches published (incl. resent ones)", labels);
    st.records = &metrics.GetCounter("strata_edge_uplink_records_sent_total",
                                     "Records published in uplink batches (incl. resent)", labels);
    st.retransmits = &metrics.GetCounter(
        "strata_edge_uplink_retransmits_total",
        "Times the uplink went back to the last ack because none came in time", labels);
    st.acked_gauge = &metrics.GetGauge("strata_edge_uplink_acked_seq",
                                       "Highest seq the hub acknowledged", labels);
  }
}

Uplink::~Uplink() { Stop(); }

Status Uplink::Start(std::unique_ptr<Store> reader) {
  reader_ = std::move(reader);
  tokens_ns_ = started_ns_ = clock_.NowNs();
  next_heartbeat_ns_ = started_ns_;
  if (!options_.enrol) STRATA_RETURN_IF_ERROR(Connect());
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status Uplink::Connect() {
  MqttPublisher::Options o = PublisherOptionsFor(options_.broker);
  if (o.client_id.empty()) o.client_id = fmt::format("strata-{}-uplink", options_.edge_id);
  o.clean_session = false;  // acks published while we reconnect still reach us
  o.wait_for_broker = false;
  o.max_inflight = std::max<size_t>(16, options_.max_inflight * std::size(kStreams) + 4);
  o.subscriptions = {AckTopic(options_.tenant, options_.edge_id)};
  if (on_desired_) o.subscriptions.push_back(desired_topic_);
  o.on_message = [this](std::string_view topic, std::string_view payload) {
    OnMessage(topic, payload);
  };
  STRATA_ASSIGN_OR_RETURN(publisher_, MqttPublisher::Connect(o, 0));
  live_.store(publisher_.get());
  spdlog::info("uplink: forwarding to {} as edge '{}' of tenant '{}'", options_.broker.Endpoint(),
               options_.edge_id, options_.tenant);
  return Status::Ok();
}

bool Uplink::Pause(int64_t ns) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::nanoseconds(ns), [&] { return stop_; });
}

bool Uplink::AcquireLogin() {
  const EnrolOptions& e = *options_.enrol;
  constexpr int64_t kMaxWaitNs = 60 * kNsPerSec;
  std::string last_problem;
  int64_t wait_ns = kNsPerSec;
  while (true) {
    StatusOr<MqttCredentials> kept = LoadCredentials(e.credentials_file);
    if (kept.ok()) {
      options_.broker.username = kept->username;
      options_.broker.password = kept->password;
      spdlog::info("uplink: using the broker login '{}' from {}", kept->username,
                   e.credentials_file);
      return true;
    }
    Status problem = kept.status();
    if (problem.code() == StatusCode::kNotFound) {
      StatusOr<EnrolAnswer> answer = EnrolWithHub(e, options_.tenant, options_.edge_id);
      if (answer.ok()) {
        if (Status saved = SaveCredentials(e.credentials_file, *answer); !saved.ok()) {
          // Used now; after a restart the edge would have to be re-admitted on the hub.
          spdlog::error("uplink: enrolled, but {}: keep this edge running and fix the disk",
                        saved.message());
        }
        options_.broker.username = answer->mqtt.username;
        options_.broker.password = answer->mqtt.password;
        spdlog::info("uplink: enrolled with the hub at {}; the broker login '{}' is kept in {}",
                     e.hub_url, answer->mqtt.username, e.credentials_file);
        return true;
      }
      problem = answer.status();
    }
    enrol_failures_.Add();
    const bool transient = problem.code() == StatusCode::kUnavailable;
    if (problem.message() != last_problem) {
      if (transient) {
        spdlog::warn("uplink: not enrolled yet: {}; retrying (the edge keeps collecting)",
                     problem.message());
      } else {
        spdlog::error("uplink: cannot enrol: {}; retrying every {} s (the edge keeps collecting)",
                      problem.message(), kMaxWaitNs / kNsPerSec);
      }
      last_problem = problem.message();
    }
    wait_ns = transient ? std::min(wait_ns * 2, kMaxWaitNs) : kMaxWaitNs;
    if (!Pause(wait_ns)) return false;
  }
}

void Uplink::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  live_.store(nullptr);
  publisher_.reset();
}

void Uplink::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

uint64_t Uplink::acked_through(std::string_view stream) const {
  std::lock_guard lock(mu_);
  auto it = acked_.find(stream);
  return it == acked_.end() ? 0 : it->second;
}

void Uplink::OnMessage(std::string_view topic, std::string_view payload) {
  if (on_desired_ && topic == desired_topic_) {
    {
      std::lock_guard lock(mu_);
      desired_ = std::string(payload);  // only the latest matters
    }
    cv_.notify_all();
    return;
  }
  StatusOr<UplinkAck> ack = DecodeAck(payload);
  if (!ack.ok()) {
    bad_acks_.Add();
    spdlog::warn("uplink: ignoring a bad ack: {}", ack.status().ToString());
    return;
  }
  {
    std::lock_guard lock(mu_);
    acks_.emplace_back(std::move(ack->stream), ack->through);
  }
  cv_.notify_all();
}

void Uplink::Run() {
  if (options_.enrol) {
    if (!AcquireLogin()) return;
    for (Status s = Connect(); !s.ok(); s = Connect()) {
      spdlog::error("uplink: cannot start the MQTT client: {}", s.message());
      if (!Pause(5 * kNsPerSec)) return;
    }
  }
  std::vector<std::pair<std::string, uint64_t>> acks;
  std::optional<std::string> desired;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::nanoseconds(options_.poll_ns),
                   [&] { return stop_ || woken_ || !acks_.empty() || desired_.has_value(); });
      if (stop_) return;
      woken_ = false;
      acks.swap(acks_);
      desired.swap(desired_);
    }
    ApplyAcks(acks);
    acks.clear();
    if (desired) {
      if (std::optional<std::string> report = on_desired_(*desired)) {
        Report(*report, "desired state report");
      }
      desired.reset();
    }
    connected_gauge_.Set(connected() ? 1 : 0);
    const int64_t now = clock_.NowNs();
    CheckTimeouts(now);
    if (!connected()) continue;
    if (now >= next_heartbeat_ns_) {
      SendHeartbeat(now);
      next_heartbeat_ns_ = now + options_.heartbeat_ns;
    }
    StatusOr<std::vector<OutboxRange>> pending = reader_->PendingOutbox(kMaxPendingRanges);
    if (!pending.ok()) {
      read_errors_.Add();
      spdlog::warn("uplink: cannot read the outbox: {}", pending.status().ToString());
      continue;
    }
    for (StreamState& st : streams_) {
      if (!Fill(st, *pending, now)) break;
    }
  }
}

void Uplink::SendHeartbeat(int64_t now) {
  std::string acked;
  std::string inflight;
  for (const StreamState& st : streams_) {
    acked += fmt::format("{}\"{}\":{}", acked.empty() ? "" : ",", st.name, st.acked);
    inflight +=
        fmt::format("{}\"{}\":{}", inflight.empty() ? "" : ",", st.name, st.inflight.size());
  }
  const std::string extra = health_ ? health_() : "";
  const std::string body = fmt::format(
      R"({{"kind":"heartbeat","edge":"{}","tenant":"{}","version":"{}","ts":{},"uptime_s":{},)"
      R"("acked":{{{}}},"inflight":{{{}}}{}{}}})",
      options_.edge_id, options_.tenant, kStrataVersion, now, (now - started_ns_) / kNsPerSec,
      acked, inflight, extra.empty() ? "" : ",", extra);
  // A missed heartbeat is replaced by the next one.
  Report(body, "heartbeat");
}

void Uplink::Report(const std::string& body, std::string_view what) {
  // QoS 1, not retained. A lost desired state report is sent again when the retained desired
  // state arrives again, after the next reconnect.
  Status s = publisher_->Publish(ReportedTopic(options_.tenant, options_.edge_id), body, 1, false,
                                 kPublishTimeoutNs);
  if (!s.ok()) spdlog::debug("uplink: {} not sent: {}", what, s.ToString());
}

void Uplink::ApplyAcks(std::vector<std::pair<std::string, uint64_t>>& acks) {
  for (auto& [stream, through] : acks) {
    auto st = std::find_if(streams_.begin(), streams_.end(),
                           [&](const StreamState& s) { return s.name == stream; });
    if (st == streams_.end()) {
      bad_acks_.Add();
      continue;
    }
    if (through <= st->acked) continue;  // an old or repeated ack
    st->acked = through;
    st->acked_gauge->Set(static_cast<double>(through));
    while (!st->inflight.empty() && st->inflight.front().last <= through) {
      st->inflight.pop_front();
    }
    if (st->next != 0 && st->next <= through) st->next = through + 1;
    st->timeout_ns = options_.ack_timeout_ns;  // the hub is answering again
    {
      std::lock_guard lock(mu_);
      acked_[stream] = through;
    }
    on_ack_(stream, through);
  }
}

void Uplink::CheckTimeouts(int64_t now) {
  for (StreamState& st : streams_) {
    if (st.inflight.empty() || now - st.inflight.front().sent_ns < st.timeout_ns) continue;
    // Nothing acked in time: start again after the last ack. The hub stores each seq once.
    spdlog::info("uplink: no ack for {} seqs {}-{} within {}; sending again from seq {}", st.name,
                 st.inflight.front().first, st.inflight.back().last, FormatDuration(st.timeout_ns),
                 st.acked + 1);
    st.inflight.clear();
    st.next = st.acked + 1;
    st.retransmits->Add();
    st.timeout_ns = std::min(st.timeout_ns * 2, options_.max_ack_timeout_ns);
  }
}

bool Uplink::Fill(StreamState& st, const std::vector<OutboxRange>& pending, int64_t now) {
  uint64_t floor = 0;
  for (const OutboxRange& r : pending) {
    if (r.stream == st.name) {
      floor = r.first_seq;
      break;
    }
  }
  while (st.inflight.size() < options_.max_inflight) {
    // The outbox range that holds the next seq to send (or the first one after it).
    const uint64_t want = std::max(st.next, st.acked + 1);
    const OutboxRange* range = nullptr;
    for (const OutboxRange& r : pending) {
      if (r.stream == st.name && r.last_seq >= want) {
        range = &r;
        break;
      }
    }
    if (range == nullptr) return true;  // everything is sent
    const uint64_t first = std::max(want, range->first_seq);
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(options_.batch_records, range->last_seq - first + 1));
    if (options_.rate > 0) {
      tokens_ = std::min(tokens_ + static_cast<double>(now - tokens_ns_) / 1e9 * options_.rate,
                         std::max(options_.rate, static_cast<double>(options_.batch_records)));
      tokens_ns_ = now;
      if (tokens_ < 1) return false;  // over the cap: the next turn
      n = std::min(n, static_cast<size_t>(tokens_));
    }
    StatusOr<StreamRecords> read = reader_->ReadStream(st.name, first, range->last_seq, n);
    if (!read.ok()) {
      read_errors_.Add();
      spdlog::warn("uplink: cannot read {} from seq {}: {}", st.name, first,
                   read.status().ToString());
      return false;
    }
    UplinkBatch batch;
    batch.edge_id = options_.edge_id;
    batch.stream = st.name;
    batch.observations = std::move(read->observations);
    batch.dead_letters = std::move(read->dead_letters);
    batch.records = std::move(read->records);
    if (batch.count() == 0) {
      // Retention deleted the rest of this range after we listed it: the next turn sees.
      st.next = range->last_seq + 1;
      continue;
    }
    // Cut at the first gap (rows deleted by retention meanwhile): a batch is consecutive.
    auto seq_of = [&](size_t i) -> uint64_t {
      if (!batch.observations.empty()) return batch.observations[i].seq;
      if (!batch.dead_letters.empty()) return batch.dead_letters[i].seq;
      return batch.records[i].seq;
    };
    batch.first_seq = seq_of(0);
    size_t keep = 1;
    while (keep < batch.count() && seq_of(keep) == batch.first_seq + keep) ++keep;
    batch.observations.resize(std::min(batch.observations.size(), keep));
    batch.dead_letters.resize(std::min(batch.dead_letters.size(), keep));
    batch.records.resize(std::min(batch.records.size(), keep));
    batch.floor_seq = std::min(floor == 0 ? batch.first_seq : floor, batch.first_seq);
    StatusOr<std::string> bytes = EncodeUplinkBatch(batch);
    if (!bytes.ok()) {
      // A record that cannot be encoded is a bug; log it loudly and stop this stream's turn.
      spdlog::error("uplink: cannot encode {} seqs {}-{}: {}", st.name, batch.first_seq,
                    batch.last_seq(), bytes.status().ToString());
      return false;
    }
    Status s = publisher_->Publish(UplinkTopic(options_.tenant, options_.edge_id, st.name), *bytes,
                                   1, false, kPublishTimeoutNs);
    if (!s.ok()) return false;
    st.inflight.push_back({batch.first_seq, batch.last_seq(), now});
    st.next = batch.last_seq() + 1;
    st.batches->Add();
    st.records->Add(batch.count());
    if (options_.rate > 0) tokens_ -= static_cast<double>(batch.count());
  }
  return true;
}

}  // namespace strata
