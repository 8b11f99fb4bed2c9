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
      outbox_dropped_(
          metrics.GetCounter("strata_edge_outbox_dropped_total",
                             "Records deleted by retention before the hub acknowledged them")),
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
      Commit(merged);
    }
    ApplyAcks();
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
  if (options_.retention.max_age_ns == 0 && options_.retention.max_bytes == 0) return;
  for (int round = 0; round < 20; ++round) {
    auto result = store_->EnforceRetention(options_.retention, clock_.NowNs());
    if (!result.ok()) {
      spdlog::warn("edge store: retention failed: {}", result.status().ToString());
      return;
    }
    retention_deleted_.Add(result->observations_deleted + result->dead_letters_deleted +
                           result->events_deleted + result->records_deleted);
    if (result->outbox_dropped > 0) {
      outbox_dropped_.Add(result->outbox_dropped);
      spdlog::warn("edge store: retention deleted {} records the hub has not acknowledged",
                   result->outbox_dropped);
      WriteBatch event_batch;
      Event e;
      e.ts_ns = clock_.NowNs();
      e.kind = "outbox.dropped";
      e.subject = "store";
      e.detail = fmt::format("retention deleted {} records before the hub acknowledged them",
                             result->outbox_dropped);
      event_batch.events.push_back(std::move(e));
      Commit(event_batch);
    }
    if (!result->more) break;
  }
}

}  // namespace strata
