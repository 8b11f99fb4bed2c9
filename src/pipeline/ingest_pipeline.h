// IngestPipeline: connectors → [raw queue] → worker → [batch queue] → writer → Store.
//
//   worker  (one thread): decodes and normalizes each RawMessage with its connector's
//           MessageHandler, feeds the staleness watchdog, and hands batches to the writer.
//   writer  (one thread): group commit — takes everything waiting (up to max_batch_rows) and
//           appends it in one transaction; a slow disk therefore means bigger transactions,
//           not more of them. Also runs retention and refreshes the store gauges.
//
// Both queues are bounded (bytes for raw messages, rows for batches): a slow store blocks the
// worker, which blocks the connectors, which stop reading. A failing store (disk full, I/O
// error) is retried with backoff while the batch is held: accepted data is never dropped.
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

struct IngestPipelineOptions {
  size_t raw_queue_bytes = 32 << 20;   // memory bound of messages waiting to be decoded
  size_t batch_queue_rows = 1 << 16;   // rows decoded and waiting for the store
  size_t max_batch_rows = 8192;        // rows per store transaction, at most
  size_t worker_batch_messages = 256;  // messages the worker turns into one batch
  double stale_factor = 3.0;           // a signal is stale after period × factor
  int64_t watchdog_interval_ns = kNsPerSec;
  RetentionPolicy retention;
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

 private:
  void WorkerLoop();
  void LogStalenessEvents(const std::vector<Event>& events, size_t first);
  void WriterLoop();
  void Commit(WriteBatch& batch);
  void RefreshStats();
  void RunRetention();
  void ApplyAcks();

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

  Counter& stored_;
  Counter& duplicates_;
  Counter& dead_letters_stored_;
  Counter& events_stored_;
  Counter& commits_;
  Counter& commit_failures_;
  Counter& retention_deleted_;
  Counter& outbox_dropped_;
  Gauge& commit_seconds_;
};

}  // namespace strata
