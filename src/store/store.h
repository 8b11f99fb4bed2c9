// Store: the one storage interface of the edge (and later of the hub).
//
// What it keeps, each keyed by a per-edge monotonic `seq` within its stream:
//   stream "obs" — observations: scalars and waveform blocks (blocks stored compressed);
//   stream "dlq" — dead letters;
//   record streams — derived records the edge makes itself, each a JSON document about one
//   subject: "dec" decisions, "alr" alert events (see core/decision.h);
// plus events (stale signals, connector state, policy drops) and an outbox: the seq ranges of
// each stream that were committed but not yet acknowledged by the hub (see AckOutbox).
//
// Observations are unique by (signal, ts): appending a reading whose signal and source time
// are already stored is a duplicate (e.g. an MQTT QoS 1 redelivery); it is counted, not
// stored, and gets no seq.
//
// Durability: when Append returns OK the batch is committed; it survives the process being
// killed (kill -9) and, with Durability::kFull, a power loss.
//
// Threading: one Store object is used by one thread at a time (callers synchronize). Several
// Store objects may open the same database, in one process or several: one writer at a time,
// any number of concurrent readers (e.g. `strata query` while the edge runs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset_model.h"
#include "core/dead_letter.h"
#include "core/event.h"
#include "core/observation.h"
#include "core/source_catalog.h"
#include "core/status.h"

namespace strata {

inline constexpr std::string_view kObservationStream = "obs";
inline constexpr std::string_view kDeadLetterStream = "dlq";
inline constexpr std::string_view kDecisionStream = "dec";
inline constexpr std::string_view kAlertStream = "alr";

// True for the streams that hold Records (kDecisionStream, kAlertStream).
inline bool IsRecordStream(std::string_view stream) {
  return stream == kDecisionStream || stream == kAlertStream;
}

// A derived record: one JSON document of a record stream about one subject (an asset path).
struct Record {
  std::string stream;   // a record stream (IsRecordStream)
  int64_t ts_ns = 0;    // when it happened, ns since the Unix epoch (a decision: window end)
  std::string subject;  // what it is about, e.g. the asset path
  std::string body;     // a JSON document; its schema belongs to the stream
  uint64_t seq = 0;     // per edge and stream, assigned when committed; 0 before
};

struct RecordQuery {
  std::string stream;
  std::string subject;  // exact; "" = every subject
  int64_t from_ns = 0;  // inclusive, record time
  int64_t to_ns = 0;    // exclusive
  size_t limit = 1000;
};

// What one Append writes, in one transaction. Append fills in `seq` of each observation
// written and of each dead letter.
struct WriteBatch {
  std::vector<Observation> observations;
  std::vector<DeadLetter> dead_letters;
  std::vector<Event> events;
  std::vector<Record> records;

  size_t size() const {
    return observations.size() + dead_letters.size() + events.size() + records.size();
  }
  bool empty() const { return size() == 0; }
  void clear() {
    observations.clear();
    dead_letters.clear();
    events.clear();
    records.clear();
  }
};

struct AppendResult {
  uint64_t observations_written = 0;
  uint64_t duplicates = 0;  // observations already stored (same signal and ts): not written
  uint64_t dead_letters_written = 0;
  uint64_t events_written = 0;
  uint64_t records_written = 0;
};

struct ObservationQuery {
  std::string asset;    // exact asset path
  std::string signal;   // exact signal name; "" = every signal of the asset
  int64_t from_ns = 0;  // inclusive, source time
  int64_t to_ns = 0;    // exclusive, source time
  size_t limit = 10000;
  bool with_blocks = true;  // false: block rows come back without their samples
};

struct ObservationRow {
  uint64_t seq = 0;
  std::string asset;
  std::string signal;
  std::string unit;
  int64_t ts_ns = 0;
  int64_t ingest_ts_ns = 0;
  std::optional<double> value;  // empty for blocks and for bad quality without a value
  std::optional<WaveformBlock> block;
  bool is_block = false;
  Quality quality = Quality::kGood;
  Source source;
};

struct DeadLetterQuery {
  int64_t from_ns = 0;  // inclusive, rejection time
  int64_t to_ns = 0;    // exclusive
  size_t limit = 1000;
};

struct StoreStats {
  uint64_t observations = 0;  // rows stored now
  uint64_t blocks = 0;        // of which waveform blocks
  uint64_t dead_letters = 0;
  uint64_t events = 0;
  uint64_t records = 0;    // decisions, alert events, ...
  int64_t used_bytes = 0;  // pages in use × page size (what retention by size bounds)
  int64_t file_bytes = 0;  // database file + WAL on disk
  uint64_t last_obs_seq = 0;
  uint64_t last_dlq_seq = 0;
  uint64_t outbox_records = 0;  // committed, not yet acknowledged by the hub
  // The bytes those records take: each stored row that holds an unacknowledged seq counts
  // its data as stored (compressed) plus a fixed estimate of its other columns and index
  // entries; SQLite's page slack is not counted. What RetentionPolicy::outbox_quota_bytes
  // bounds.
  int64_t outbox_bytes = 0;
};

// What the edge does when the outbox reaches its quota (docs/outbox-policy.md).
enum class OutboxFullPolicy {
  kDropOldest,  // delete the oldest unacknowledged observations and dead letters for room
  kRejectNew,   // keep what is stored; the writer stores no new data until acks free room
};

struct RetentionPolicy {
  int64_t max_age_ns = 0;  // by ingest time; 0 = keep forever
  int64_t max_bytes = 0;   // used bytes; 0 = unbounded
  // Bound of StoreStats::outbox_bytes; 0 = unbounded. kDropOldest: EnforceRetention deletes
  // the oldest unacknowledged observations and dead letters until the outbox is back under
  // it. kRejectNew: EnforceRetention never deletes unacknowledged data for room, neither for
  // this quota nor for max_bytes (which then deletes acknowledged data only); refusing new
  // data is the writer's job (IngestPipeline). Retention by age applies either way.
  int64_t outbox_quota_bytes = 0;
  OutboxFullPolicy when_full = OutboxFullPolicy::kDropOldest;
};

// Why retention deleted records the hub had not acknowledged.
enum class OutboxDropCause {
  kMaxAge,   // RetentionPolicy::max_age_ns
  kMaxSize,  // RetentionPolicy::max_bytes (with OutboxFullPolicy::kDropOldest)
  kQuota,    // RetentionPolicy::outbox_quota_bytes (with OutboxFullPolicy::kDropOldest)
};

// Unacknowledged records of one stream deleted by one EnforceRetention call for one cause.
struct OutboxDrop {
  std::string stream;
  OutboxDropCause cause = OutboxDropCause::kMaxAge;
  uint64_t records = 0;
  // The lowest and highest seq dropped; seqs in between may have been acknowledged or
  // dropped before.
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
};

struct RetentionResult {
  uint64_t observations_deleted = 0;
  uint64_t dead_letters_deleted = 0;
  uint64_t events_deleted = 0;
  uint64_t records_deleted = 0;
  // Records deleted by retention while still waiting in the outbox (never acknowledged by a
  // hub). Callers must raise these as events: this is data the hub will never get.
  uint64_t outbox_dropped = 0;
  std::vector<OutboxDrop> outbox_drops;  // the same, by stream and cause; sums to the above
  bool more = false;  // stopped early to bound the time spent; call again
};

// A committed range of one stream not yet acknowledged by the hub.
struct OutboxRange {
  std::string stream;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;  // inclusive
};

// Records of one stream read by seq; the vector of the stream is used (see ReadStream).
struct StreamRecords {
  std::vector<ObservationRow> observations;  // "obs"
  std::vector<DeadLetter> dead_letters;      // "dlq"
  std::vector<Record> records;               // record streams

  size_t size() const { return observations.size() + dead_letters.size() + records.size(); }
};

class Store {
 public:
  virtual ~Store() = default;

  // Writes the batch in one durable transaction and assigns seq numbers. On error nothing of
  // the batch is stored and seq numbers are not consumed.
  virtual Status Append(WriteBatch& batch, AppendResult* result) = 0;

  // Observations of one asset (optionally one signal) in [from, to), ordered by ts.
  virtual StatusOr<std::vector<ObservationRow>> QueryObservations(const ObservationQuery& q) = 0;
  // Dead letters in [from, to) of rejection time, newest first.
  virtual StatusOr<std::vector<DeadLetter>> QueryDeadLetters(const DeadLetterQuery& q) = 0;
  // Events in [from, to), newest first.
  virtual StatusOr<std::vector<Event>> QueryEvents(int64_t from_ns, int64_t to_ns,
                                                   size_t limit) = 0;

  // Records of one stream in [from, to) of record time, newest first.
  virtual StatusOr<std::vector<Record>> QueryRecords(const RecordQuery& q) = 0;

  virtual StatusOr<StoreStats> Stats() = 0;

  // StoreStats::outbox_bytes alone. The SQLite writer keeps it up to date in memory (one scan
  // of the outbox on first use), so this is cheap where Stats is not; a reader scans.
  virtual StatusOr<int64_t> OutboxBytes() {
    StatusOr<StoreStats> stats = Stats();
    if (!stats.ok()) return stats.status();
    return stats->outbox_bytes;
  }

  // Deletes the oldest data until the policy holds, in bounded steps (see RetentionResult).
  virtual StatusOr<RetentionResult> EnforceRetention(const RetentionPolicy& policy,
                                                     int64_t now_ns) = 0;

  // Oldest first. An empty result means the hub has everything.
  virtual StatusOr<std::vector<OutboxRange>> PendingOutbox(size_t max_ranges) = 0;
  // The hub has durably stored `stream` up to and including `through_seq`.
  virtual Status AckOutbox(std::string_view stream, uint64_t through_seq) = 0;
  // Up to `max_records` stored records of `stream` with seq in [from_seq, to_seq], in seq
  // order, complete (blocks with their samples, sources): what the uplink sends.
  virtual StatusOr<StreamRecords> ReadStream(std::string_view stream, uint64_t from_seq,
                                             uint64_t to_seq, size_t max_records) = 0;
};

enum class Durability {
  kNormal,  // survives a process crash (kill -9); may lose the last commits on power loss
  kFull,    // fsync on every commit: survives power loss
};

struct SqliteStoreOptions {
  std::string path;
  bool read_only = false;
  Durability durability = Durability::kFull;
  bool outbox = true;             // record committed ranges in the outbox for the uplink
  int64_t cache_bytes = 4 << 20;  // SQLite page cache per connection
  // Needed to write: names of the signals and sources that observations refer to.
  std::shared_ptr<const AssetModel> model;
  std::shared_ptr<const SourceCatalog> sources;
};

// Opens (creating if needed, unless read_only) an SQLite store in WAL mode.
// Errors name the file and what to do (e.g. "is another strata edge using it?").
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options);

}  // namespace strata
