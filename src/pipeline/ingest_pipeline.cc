#include "pipeline/ingest_pipeline.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <thread>

#include "core/time_util.h"

namespace strata {

IngestPipeline::IngestPipeline(IngestPipelineOptions options,
                               std::shared_ptr<const AssetModel> model,
                               std::unique_ptr<Store> store, const Clock& clock,
                               MetricsRegistry& metrics)
    : options_(options),
      model_(std::move(model)),
      store_(std::move(store)),
      clock_(clock),
      counters_(metrics),
      normalizer_(model_, clock, options.validation, &counters_),
      watchdog_(model_, options.stale_factor, clock.NowNs()),
      raw_queue_(options.raw_queue_bytes, [](const RawMessage& m) { return m.ByteCost(); }),
      batch_queue_(options.batch_queue_rows,
                   [](const WriteBatch& b) { return std::max<size_t>(b.size(), 1); }),
      metrics_(metrics),
      stored_(metrics.GetCounter("strata_edge_observations_stored_total",
                                 "Observations committed to the edge store")),
      duplicates_(metrics.GetCounter(
          "strata_edge_duplicates_total",
          "Observations already stored (same signal and source time), e.g. QoS 1 redelivery")),
      dead_letters_stored_(metrics.GetCounter("strata_edge_dead_letters_stored_total",
                                              "Dead letters committed to the edge store")),
      events_stored_(metrics.GetCounter("strata_edge_events_total",
                                        "Events (stale signals, drops) committed")),
      commits_(metrics.GetCounter("strata_edge_store_commits_total", "Store transactions")),
      commit_failures_(metrics.GetCounter("strata_edge_store_commit_failures_total",
                                          "Store transactions that failed and were retried")),
      retention_deleted_(metrics.GetCounter("strata_edge_retention_deleted_total",
                                            "Rows deleted by the retention policy")),
      commit_seconds_(metrics.GetGauge("strata_edge_store_commit_seconds_total",
                                       "Time spent in store transactions")) {
  metrics.AddCallbackGauge("strata_edge_queue_depth", "Items waiting in a pipeline queue",
                           {{"queue", "raw"}}, [this] { return double(raw_queue_.size()); });
  metrics.AddCallbackGauge("strata_edge_queue_depth", "Items waiting in a pipeline queue",
                           {{"queue", "store"}}, [this] { return double(batch_queue_.cost()); });
  metrics.AddCallbackGauge("strata_edge_queue_blocked_seconds_total",
                           "Time producers waited on a full queue: backpressure exerted",
                           {{"queue", "raw"}},
                           [this] { return double(raw_queue_.blocked_ns()) / 1e9; });
  metrics.AddCallbackGauge("strata_edge_queue_blocked_seconds_total",
                           "Time producers waited on a full queue: backpressure exerted",
                           {{"queue", "store"}},
                           [this] { return double(batch_queue_.blocked_ns()) / 1e9; });
  metrics.AddCallbackGauge("strata_edge_signals_stale", "Signals with no recent reading", {},
                           [this] { return double(watchdog_.stale_count()); });
  metrics.AddCallbackGauge("strata_edge_store_rows", "Rows in the edge store",
                           {{"table", "observations"}},
                           [this] { return double(store_stats().observations); });
  metrics.AddCallbackGauge("strata_edge_store_rows", "Rows in the edge store",
                           {{"table", "dead_letters"}},
                           [this] { return double(store_stats().dead_letters); });
  metrics.AddCallbackGauge("strata_edge_store_used_bytes",
                           "Bytes of the store in use (what retention by size bounds)", {},
                           [this] { return double(store_stats().used_bytes); });
  metrics.AddCallbackGauge("strata_edge_store_file_bytes", "Bytes of the store files on disk", {},
                           [this] { return double(store_stats().file_bytes); });
  metrics.AddCallbackGauge("strata_edge_store_last_seq",
                           "Highest committed seq of the observation stream", {},
                           [this] { return double(store_stats().last_obs_seq); });
  metrics.AddCallbackGauge("strata_edge_outbox_quota_bytes",
                           "Bytes the outbox (data the hub has not acknowledged) may take; "
                           "0 = unbounded",
                           {}, [this] { return double(options_.retention.outbox_quota_bytes); });
  metrics.AddCallbackGauge("strata_edge_outbox_bytes",
                           "Bytes of the data the hub has not acknowledged (what the quota bounds)",
                           {}, [this] { return double(outbox_bytes_.load()); });
  metrics.AddCallbackGauge("strata_edge_outbox_records", "Records the hub has not acknowledged yet",
                           {}, [this] { return double(store_stats().outbox_records); });
  metrics.AddCallbackGauge(
      "strata_edge_outbox_full",
      "1 while the outbox is at its quota (reject_new: new data is refused; drop_oldest: the "
      "oldest is deleted for room)",
      {}, [this] { return outbox_full_.load() ? 1.0 : 0.0; });
  // Every stream's series exist from the start, at 0.
  for (std::string_view stream :
       {kObservationStream, kDeadLetterStream, kDecisionStream, kAlertStream}) {
    OutboxRejected(stream);
    OutboxDropped(stream, OutboxDropCause::kQuota);
    if (options_.retention.max_age_ns > 0) OutboxDropped(stream, OutboxDropCause::kMaxAge);
  }
}

Counter& IngestPipeline::OutboxDropped(std::string_view stream, OutboxDropCause cause) {
  return metrics_.GetCounter(
      "strata_edge_outbox_dropped_total",
      "Records deleted before the hub acknowledged them, by stream and policy (drop_oldest: the "
      "outbox quota or retention.max_size; max_age: retention.max_age)",
      {{"stream", std::string(stream)},
       {"policy", cause == OutboxDropCause::kMaxAge ? "max_age" : "drop_oldest"}});
}

Counter& IngestPipeline::OutboxRejected(std::string_view stream) {
  return metrics_.GetCounter(
      "strata_edge_outbox_rejected_total",
      "Records not stored because the outbox was at its quota (when_full: reject_new)",
      {{"stream", std::string(stream)}});
}

IngestPipeline::~IngestPipeline() { Stop(); }

uint32_t IngestPipeline::AddHandler(std::unique_ptr<MessageHandler> handler) {
  handlers_.push_back(std::move(handler));
  return static_cast<uint32_t>(handlers_.size() - 1);
}

void IngestPipeline::Start() {
  RefreshStats();
  worker_ = std::thread([this] { WorkerLoop(); });
  writer_ = std::thread([this] { WriterLoop(); });
}

void IngestPipeline::Stop() {
  if (stopping_.exchange(true)) return;
  raw_queue_.Close();
  if (worker_.joinable()) worker_.join();
  batch_queue_.Close();
  if (writer_.joinable()) writer_.join();
}

StoreStats IngestPipeline::store_stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void IngestPipeline::WorkerLoop() {
  std::vector<RawMessage> messages;
  WriteBatch batch;
  int64_t next_check = clock_.NowNs() + options_.watchdog_interval_ns;
  while (true) {
    messages.clear();
    const size_t n = raw_queue_.PopMany(&messages, options_.worker_batch_messages,
                                        std::chrono::milliseconds(200));
    if (n == 0 && raw_queue_.closed() && raw_queue_.size() == 0) break;
    for (const RawMessage& m : messages) {
      if (m.connector >= handlers_.size()) {
        spdlog::error("message from unknown connector index {} dropped (bug)", m.connector);
        continue;
      }
      handlers_[m.connector]->Handle(m, normalizer_, &batch);
    }
    for (const Observation& o : batch.observations) watchdog_.Seen(o.signal, o.ingest_ts_ns);
    const int64_t now = clock_.NowNs();
    if (now >= next_check) {
      const size_t first = batch.events.size();
      watchdog_.Check(now, &batch.events);
      LogStalenessEvents(batch.events, first);
      next_check = now + options_.watchdog_interval_ns;
    }
    if (!batch.empty()) {
      batch_queue_.Push(std::move(batch));  // blocks while the store is behind
      batch = WriteBatch();
    }
  }
}

// A few transitions are logged one by one; many at once (a source went quiet) in one line.
void IngestPipeline::LogStalenessEvents(const std::vector<Event>& events, size_t first) {
  static constexpr size_t kOneByOne = 5;
  std::vector<const Event*> stale, fresh;
  for (size_t i = first; i < events.size(); ++i) {
    if (events[i].kind == "signal.stale") stale.push_back(&events[i]);
    if (events[i].kind == "signal.fresh") fresh.push_back(&events[i]);
  }
  auto names = [](const std::vector<const Event*>& list) {
    std::string out;
    for (size_t i = 0; i < std::min(list.size(), kOneByOne); ++i) {
      out += (i ? ", " : "") + list[i]->subject;
    }
    if (list.size() > kOneByOne) out += fmt::format(" and {} more", list.size() - kOneByOne);
    return out;
  };
  if (stale.size() == 1) {
    spdlog::warn("stale: {}: {}", stale[0]->subject, stale[0]->detail);
  } else if (!stale.empty()) {
    spdlog::warn("stale: {} signals stopped arriving: {} (see `strata query --events`)",
                 stale.size(), names(stale));
  }
  if (!fresh.empty()) {
    spdlog::info("fresh again: {} signal(s): {}", fresh.size(), names(fresh));
  }
}

void IngestPipeline::WriterLoop() {
  std::vector<WriteBatch> pending;
  WriteBatch merged;
  int64_t next_retention =
      clock_.NowNs() + std::min<int64_t>(options_.retention_interval_ns, 10 * kNsPerSec);
  int64_t next_stats = clock_.NowNs() + options_.stats_interval_ns;
  CheckOutbox();  // a store reopened over its quota is full before the first batch
  while (true) {
    pending.clear();
    // Group commit: whatever is waiting, up to max_batch_rows.
    size_t rows = 0;
    if (batch_queue_.PopMany(&pending, 1, std::chrono::milliseconds(200)) > 0) {
      rows = pending.back().size();
      while (rows < options_.max_batch_rows &&
             batch_queue_.PopMany(&pending, 1, std::chrono::nanoseconds(0)) > 0) {
        rows += pending.back().size();
      }
    } else if (batch_queue_.closed()) {
      break;
    }
    if (!pending.empty()) {
      if (pending.size() == 1) {
        merged = std::move(pending.front());
      } else {
        merged.clear();
        for (WriteBatch& b : pending) {
          std::move(b.observations.begin(), b.observations.end(),
                    std::back_inserter(merged.observations));
          std::move(b.dead_letters.begin(), b.dead_letters.end(),
                    std::back_inserter(merged.dead_letters));
          std::move(b.events.begin(), b.events.end(), std::back_inserter(merged.events));
          std::move(b.records.begin(), b.records.end(), std::back_inserter(merged.records));
        }
      }
      RefuseOutboxData(merged);
      if (!merged.empty()) Commit(merged);
    }
    ApplyAcks();
    CheckOutbox();
    const int64_t now = clock_.NowNs();
    if (now >= next_retention) {
      RunRetention();
      next_retention = now + options_.retention_interval_ns;
    }
    if (now >= next_stats) {
      RefreshStats();
      next_stats = now + options_.stats_interval_ns;
    }
  }
  ApplyAcks();
  CheckOutbox();
  RefreshStats();
}

void IngestPipeline::AckOutbox(std::string_view stream, uint64_t through_seq) {
  std::lock_guard lock(acks_mu_);
  auto it = acks_.find(stream);
  if (it == acks_.end()) {
    acks_.emplace(std::string(stream), through_seq);
  } else {
    it->second = std::max(it->second, through_seq);
  }
}

void IngestPipeline::ApplyAcks() {
  std::map<std::string, uint64_t, std::less<>> acks;
  {
    std::lock_guard lock(acks_mu_);
    acks.swap(acks_);
  }
  for (const auto& [stream, through] : acks) {
    if (Status s = store_->AckOutbox(stream, through); !s.ok()) {
      // The data stays in the outbox and is sent again; the hub stores it once.
      spdlog::warn("outbox: could not record the hub's ack of {} through {}: {}", stream, through,
                   s.ToString());
    }
  }
}

void IngestPipeline::Commit(WriteBatch& batch) {
  int64_t backoff_ns = 100 * kNsPerMs;
  const auto give_up_at =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(options_.stop_timeout_ns);
  while (true) {
    AppendResult result;
    const auto start = std::chrono::steady_clock::now();
    Status s = store_->Append(batch, &result);
    const auto end = std::chrono::steady_clock::now();
    if (s.ok()) {
      commits_.Add();
      commit_seconds_.Add(std::chrono::duration<double>(end - start).count());
      stored_.Add(result.observations_written);
      duplicates_.Add(result.duplicates);
      dead_letters_stored_.Add(result.dead_letters_written);
      events_stored_.Add(result.events_written);
      if (observer_) observer_(batch, clock_.NowNs());
      return;
    }
    commit_failures_.Add();
    spdlog::error("edge store: cannot commit {} rows: {}; holding them and retrying in {}",
                  batch.size(), s.ToString(), FormatDuration(backoff_ns));
    if (stopping_.load() && batch_queue_.closed() &&
        std::chrono::steady_clock::now() > give_up_at) {
      spdlog::critical("edge store: giving up at shutdown; {} rows not stored", batch.size());
      return;
    }
    // Retry pacing for a failing disk; the batch stays held and upstream queues fill.
    std::this_thread::sleep_for(std::chrono::nanoseconds(backoff_ns));
    backoff_ns = std::min<int64_t>(backoff_ns * 2, 5 * kNsPerSec);
  }
}

void IngestPipeline::RefreshStats() {
  auto stats = store_->Stats();
  if (!stats.ok()) {
    spdlog::warn("edge store: cannot read statistics: {}", stats.status().ToString());
    return;
  }
  std::lock_guard lock(stats_mu_);
  stats_ = *stats;
}

void IngestPipeline::RunRetention() {
  const RetentionPolicy& p = options_.retention;
  if (p.max_age_ns == 0 && p.max_bytes == 0 && p.outbox_quota_bytes == 0) return;
  Retain(p);
}

void IngestPipeline::Retain(const RetentionPolicy& policy) {
  for (int round = 0; round < 20; ++round) {
    auto result = store_->EnforceRetention(policy, clock_.NowNs());
    if (!result.ok()) {
      spdlog::warn("edge store: retention failed: {}", result.status().ToString());
      return;
    }
    retention_deleted_.Add(result->observations_deleted + result->dead_letters_deleted +
                           result->events_deleted + result->records_deleted);
    RaiseDrops(result->outbox_drops);
    if (!result->more) break;
  }
}

void IngestPipeline::RaiseDrops(const std::vector<OutboxDrop>& drops) {
  for (const OutboxDrop& d : drops) {
    OutboxDropped(d.stream, d.cause).Add(d.records);
    std::string why;
    switch (d.cause) {
      case OutboxDropCause::kQuota:
        why = fmt::format(
            "the outbox reached its quota of {} (store.outbox.when_full: "
            "drop_oldest)",
            FormatByteSize(options_.retention.outbox_quota_bytes));
        break;
      case OutboxDropCause::kMaxSize:
        why = fmt::format("the store reached store.retention.max_size ({})",
                          FormatByteSize(options_.retention.max_bytes));
        break;
      case OutboxDropCause::kMaxAge:
        why = fmt::format("older than store.retention.max_age ({})",
                          FormatDuration(options_.retention.max_age_ns));
        break;
    }
    std::string detail =
        fmt::format("deleted {} {} records (seqs {}-{}) the hub had not acknowledged: {}",
                    d.records, d.stream, d.first_seq, d.last_seq, why);
    spdlog::warn("outbox: {}", detail);
    CommitEvent("outbox.dropped", fmt::format("outbox:{}", d.stream), std::move(detail));
  }
}

void IngestPipeline::CommitEvent(std::string kind, std::string subject, std::string detail) {
  WriteBatch batch;
  Event e;
  e.ts_ns = clock_.NowNs();
  e.kind = std::move(kind);
  e.subject = std::move(subject);
  e.detail = std::move(detail);
  batch.events.push_back(std::move(e));
  Commit(batch);
}

void IngestPipeline::CheckOutbox() {
  const RetentionPolicy& p = options_.retention;
  if (p.outbox_quota_bytes <= 0) {
    outbox_bytes_.store(store_stats().outbox_bytes);
    return;
  }
  auto bytes = store_->OutboxBytes();
  if (!bytes.ok()) {
    spdlog::warn("edge store: cannot measure the outbox: {}", bytes.status().ToString());
    return;
  }
  if (p.when_full == OutboxFullPolicy::kDropOldest && *bytes > p.outbox_quota_bytes) {
    RetentionPolicy quota_only;
    quota_only.outbox_quota_bytes = p.outbox_quota_bytes;
    quota_only.when_full = OutboxFullPolicy::kDropOldest;
    if (!outbox_full_.load()) full_since_ns_ = clock_.NowNs();
    outbox_full_.store(true);
    Retain(quota_only);
    bytes = store_->OutboxBytes();
    if (!bytes.ok()) return;
  }
  outbox_bytes_.store(*bytes);
  const auto resume_at =
      static_cast<int64_t>(static_cast<double>(p.outbox_quota_bytes) * kOutboxResumeShare);
  if (!outbox_full_.load() && *bytes >= p.outbox_quota_bytes) {
    outbox_full_.store(true);
    full_since_ns_ = clock_.NowNs();
    if (p.when_full == OutboxFullPolicy::kRejectNew) {
      std::string detail = fmt::format(
          "the outbox holds {} of its quota of {}: new readings, dead letters and records are "
          "not stored (store.outbox.when_full: reject_new) until the hub acknowledges enough "
          "to bring it under {}",
          FormatByteSize(*bytes), FormatByteSize(p.outbox_quota_bytes), FormatByteSize(resume_at));
      spdlog::warn("outbox: {}", detail);
      CommitEvent("outbox.full", "outbox", std::move(detail));
    }
  } else if (outbox_full_.load() && *bytes <= resume_at) {
    outbox_full_.store(false);
    if (p.when_full == OutboxFullPolicy::kRejectNew) {
      std::string refused;
      uint64_t total = 0;
      for (const auto& [stream, n] : refused_) {
        if (n == 0) continue;
        refused += fmt::format("{}{} {}", refused.empty() ? "" : ", ", n, stream);
        total += n;
      }
      std::string detail = fmt::format(
          "the outbox holds {} of its quota of {}: storing again after {}; {} records were not "
          "stored meanwhile{}",
          FormatByteSize(*bytes), FormatByteSize(p.outbox_quota_bytes),
          FormatDuration(clock_.NowNs() - full_since_ns_), total,
          refused.empty() ? "" : fmt::format(" ({})", refused));
      spdlog::info("outbox: {}", detail);
      CommitEvent("outbox.accepting", "outbox", std::move(detail));
      refused_.clear();
    }
  }
}

void IngestPipeline::RefuseOutboxData(WriteBatch& batch) {
  if (options_.retention.when_full != OutboxFullPolicy::kRejectNew || !outbox_full_.load()) {
    return;
  }
  auto refuse = [&](std::string_view stream, uint64_t n) {
    if (n == 0) return;
    OutboxRejected(stream).Add(n);
    auto it = refused_.find(stream);
    if (it == refused_.end()) it = refused_.emplace(std::string(stream), 0).first;
    it->second += n;
  };
  refuse(kObservationStream, batch.observations.size());
  refuse(kDeadLetterStream, batch.dead_letters.size());
  for (const Record& r : batch.records) refuse(r.stream, 1);
  batch.observations.clear();
  batch.dead_letters.clear();
  batch.records.clear();
}

}  // namespace strata
