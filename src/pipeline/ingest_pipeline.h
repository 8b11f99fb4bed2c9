// IngestPipeline: connectors → [raw queue] → worker → [batch queue] → writer → Store.
//
//   worker  (one thread): decodes and normalizes each RawMessage with its connector's
//           MessageHandler, feeds the staleness watchdog, and hands batches to the writer.
//   writer  (one thread): group commit — takes everything waiting (up to max_batch_rows) and
//           appends it in one transaction; a slow disk therefore means bigger transactions,
//           not more of them. Also runs retention, applies the hub's acks, keeps the outbox
//           within its quota and refreshes the store gauges.
//
// Both queues are bounded (bytes for raw messages, rows for batches): a slow store blocks the
// worker, which blocks the connectors, which stop reading. A failing store (disk full, I/O
// error) is retried with backoff while the batch is held: accepted data is never dropped.
//
// The outbox's quota (options.retention.outbox_quota_bytes, docs/outbox-policy.md) is a
// policy the user chose, and never silent. The outbox is full from when its bytes reach the
// quota until acks bring them down to kOutboxResumeShare of it. With kDropOldest the writer
// deletes the oldest unacknowledged observations and dead letters after the commit that
// crossed the quota (down to 95% of it), counts each in
// strata_edge_outbox_dropped_total{stream,policy} and stores an "outbox.dropped" event per
// stream saying how many, which seqs and why (retention by age and by size count there too).
// With kRejectNew, while full, each batch's observations, dead letters and records are not
// stored (its events are): counted in strata_edge_outbox_rejected_total{stream}, with one
// "outbox.full" event when refusing starts and one "outbox.accepting" when it ends. Nothing
// waits on the hub: connectors keep running either way. The outbox may pass its quota by at
// most one group commit.
//
// Threading: Start/Stop and AddHandler from one controlling thread; input() is safe from any
// thread. The commit observer runs on the writer thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/message_handler.h"
#include "pipeline/normalizer.h"
#include "pipeline/raw_message.h"
#include "pipeline/staleness_watchdog.h"
#include "store/store.h"

namespace strata {

// The outbox stops being full when acks bring its bytes down to this share of the quota, so
// that a full outbox raises one pair of events, not a pair per batch.
inline constexpr double kOutboxResumeShare = 0.9;

struct IngestPipelineOptions {
  size_t raw_queue_bytes = 32 << 20;   // memory bound of messages waiting to be decoded
  size_t batch_queue_rows = 1 << 16;   // rows decoded and waiting for the store
  size_t max_batch_rows = 8192;        // rows per store transaction, at most
  size_t worker_batch_messages = 256;  // messages the worker turns into one batch
  double stale_factor = 3.0;           // a signal is stale after period × factor
  int64_t watchdog_interval_ns = kNsPerSec;
  RetentionPolicy retention;  // with the outbox's quota and what to do when it is full
  int64_t retention_interval_ns = 60 * kNsPerSec;
  int64_t stats_interval_ns = 2 * kNsPerSec;
  int64_t stop_timeout_ns = 30 * kNsPerSec;  // how long Stop keeps retrying a failing store
  ValidationOptions validation;
};

class IngestPipeline {
 public:
  IngestPipeline(IngestPipelineOptions options, std::shared_ptr<const AssetModel> model,
                 std::unique_ptr<Store> store, const Clock& clock, MetricsRegistry& metrics);
  ~IngestPipeline();

  // Registers the handler for the next connector; returns the index that connector must stamp
  // on its RawMessages. Before Start only.
  uint32_t AddHandler(std::unique_ptr<MessageHandler> handler);

  // Where connectors push. Blocks when full (backpressure).
  BoundedQueue<RawMessage>* input() { return &raw_queue_; }

  void Start();
  // Processes and commits everything already queued, then stops. Stop the connectors first.
  void Stop();

  // Hands a batch made downstream of the store (decisions, alert events) to the writer without
  // ever blocking: false when the writer is behind (or stopped); the caller keeps the batch and
  // tries again later. Safe from any thread; safe from the commit observer's consumers.
  bool TrySubmit(WriteBatch& batch) { return batch_queue_.TryPush(batch); }

  // The hub has stored `stream` through `through_seq`: the writer trims the outbox on its next
  // turn (within ~200 ms). Never blocks; safe from any thread. Acks of one stream coalesce.
  void AckOutbox(std::string_view stream, uint64_t through_seq);

  // Called after each successful commit with what was written (seqs filled in) and the commit
  // time. Set before Start.
  using CommitObserver = std::function<void(const WriteBatch& batch, int64_t commit_ns)>;
  void SetCommitObserver(CommitObserver observer) { observer_ = std::move(observer); }

  // Latest store statistics (refreshed every stats_interval).
  StoreStats store_stats() const;
  size_t stale_signals() const { return watchdog_.stale_count(); }
  // The outbox's bytes as of the writer's last turn, and whether it is full (see above).
  int64_t outbox_bytes() const { return outbox_bytes_.load(); }
  bool outbox_full() const { return outbox_full_.load(); }

 private:
  void WorkerLoop();
  void LogStalenessEvents(const std::vector<Event>& events, size_t first);
  void WriterLoop();
  void Commit(WriteBatch& batch);
  void RefreshStats();
  void RunRetention();
  void ApplyAcks();
  // Enforces `policy` in bounded rounds and raises what it dropped from the outbox.
  void Retain(const RetentionPolicy& policy);
  void RaiseDrops(const std::vector<OutboxDrop>& drops);
  // Measures the outbox, updates full/not full (raising the events of kRejectNew) and, with
  // kDropOldest over the quota, deletes the oldest unacknowledged data.
  void CheckOutbox();
  // With kRejectNew while full: takes the outbox's data out of `batch`, counting it.
  void RefuseOutboxData(WriteBatch& batch);
  void CommitEvent(std::string kind, std::string subject, std::string detail);
  Counter& OutboxDropped(std::string_view stream, OutboxDropCause cause);
  Counter& OutboxRejected(std::string_view stream);

  IngestPipelineOptions options_;
  std::shared_ptr<const AssetModel> model_;
  std::unique_ptr<Store> store_;
  const Clock& clock_;
  PipelineCounters counters_;
  Normalizer normalizer_;
  StalenessWatchdog watchdog_;
  std::vector<std::unique_ptr<MessageHandler>> handlers_;
  BoundedQueue<RawMessage> raw_queue_;
  BoundedQueue<WriteBatch> batch_queue_;
  CommitObserver observer_;
  std::thread worker_;
  std::thread writer_;
  std::atomic<bool> stopping_{false};

  std::mutex acks_mu_;
  std::map<std::string, uint64_t, std::less<>> acks_;  // highest ack per stream, not applied yet

  mutable std::mutex stats_mu_;
  StoreStats stats_;

  // Outbox quota state: written by the writer thread, read by gauges from any thread.
  std::atomic<int64_t> outbox_bytes_{0};
  std::atomic<bool> outbox_full_{false};
  // Writer thread only: when the outbox became full and what kRejectNew refused since, by
  // stream.
  int64_t full_since_ns_ = 0;
  std::map<std::string, uint64_t, std::less<>> refused_;

  MetricsRegistry& metrics_;

  Counter& stored_;
  Counter& duplicates_;
  Counter& dead_letters_stored_;
  Counter& events_stored_;
  Counter& commits_;
  Counter& commit_failures_;
  Counter& retention_deleted_;
  Gauge& commit_seconds_;
};

}  // namespace strata
