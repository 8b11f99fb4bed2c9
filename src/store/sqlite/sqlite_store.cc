// The embedded SQLite implementation of Store (see store/store.h for the contract).
//
// Layout (schema version 3, recorded in meta; version 2 is migrated on open by a writer):
//   `streams`  the last seq of each stream, so that seqs never go back even when retention
//              deletes every row;
//   `signals`  interns (asset, signal, unit): a unit change in the asset model makes a new
//              signal row, so old data keeps its unit. `max_span` is the longest
//              last_ts - first_ts of any chunk ever written for the signal (see below);
//   `sources`  interns where readings came from;
//   `chunks`   the observations. One row per (signal, commit) holding that commit's scalar
//              observations of the signal (kind 0; `data` in the format of chunk_codec.h), or
//              one waveform block (kind 1; count 1, `data` in the format of block_codec.h).
//              The rowid is the first seq: within one Append observations are ordered by
//              (signal, ts) and get their seqs in that order, so a chunk's observations hold
//              the contiguous seqs first_seq..last_seq, seq order is rowid order, and a seq
//              range is a rowid range. `quality` and `source` hold what every observation of
//              the chunk shares (NULL quality: per observation in `data`; NULL source: none,
//              or per observation when `data` says so). `max_ingest_ts` serves retention by
//              age. The one index, (signal, first_ts), serves queries and duplicate checks;
//   `records`  derived records (decisions, alert events): one JSON body per (stream, seq);
//   `outbox`   the committed, unacknowledged seq ranges. Its bytes (StoreStats::outbox_bytes)
//              are those of the rows whose last seq lies in a range (see kChunkBytes): the
//              writer counts them once and then keeps the sum up to date on append, ack and
//              delete.
//
// Chunks are bounded (kMaxChunkObservations, kMaxChunkSpanNs). Observations older than what
// a signal already has ("late": ts <= the highest stored ts) but not stored yet go to chunks
// of their own, so that an ordinary chunk never spans older data. Chunks of one signal may
// still overlap in time (late data falls between earlier chunks); every chunk that holds a
// ts t has first_ts in [t - max_span, t], which bounds each index scan below.
//
// Duplicates (same signal row and ts) are recognised without an index on them: the writer
// keeps the highest stored ts of each signal in memory (loaded at open); a ts above it is new.
// Only a ts at or below it is looked up in the stored chunks that may hold it (the rare path:
// late data and redeliveries).
//
// Writers hold an exclusive flock on "<path>.lock" for their lifetime; readers open the file
// read-only and rely on WAL for consistent snapshots while the writer writes.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/time_util.h"
#include "store/sqlite/block_codec.h"
#include "store/sqlite/chunk_codec.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace strata {
namespace {

using sqlite::Db;
using sqlite::Null;
using sqlite::Statement;
using sqlite::StaticBlob;
using sqlite::StaticText;
using sqlite::Transaction;

constexpr int64_t kSchemaVersion = 3;

// chunks.kind
constexpr int64_t kKindScalars = 0;
constexpr int64_t kKindBlock = 1;

// Bounds of one scalar chunk. Past ~100 observations the row's own overhead (~60 bytes with
// its index entry) no longer matters; the bounds keep a query of a short range from decoding
// much more than it returns, and kMaxChunkSpanNs bounds max_span, hence the index range a
// duplicate check or a query scans, even after a backfill.
constexpr size_t kMaxChunkObservations = 1024;
constexpr int64_t kMaxChunkSpanNs = 60'000'000'000;  // 1 min of source time

// Retention works in steps, each in its own transaction, so the writer is never blocked for
// long, and bounds the observations deleted per call (RetentionResult::more says when it
// stopped). Chunks are deleted whole, so a step may exceed its bound by one chunk.
constexpr int64_t kRetentionChunkRows = 20'000;
constexpr int64_t kRetentionRowsPerCall = 100'000;
// Retention by size deletes down to this share of max_bytes, so that it does not run again
// on the very next batch.
constexpr double kRetentionSizeTarget = 0.95;
// Pages returned to the file system per EnforceRetention call (64 MiB at 4 KiB pages).
constexpr int64_t kVacuumPagesPerCall = 16'384;
// Retention by the outbox quota deletes down to this share of the quota.
constexpr double kOutboxQuotaTarget = 0.95;

// What one stored row counts toward the outbox's bytes: its data as stored plus a fixed
// estimate of its other columns and index entries. Measured on a store holding only
// unacknowledged scalar chunks, dead letters and records: 90% of its used pages (the rest is
// page slack and interior pages). Append adds the same in C++ from the bytes it binds. Text
// is measured in bytes (CAST AS BLOB), as std::string::size() does.
constexpr int64_t kChunkRowOverhead = 64;
constexpr int64_t kDeadLetterRowOverhead = 48;
constexpr int64_t kRecordRowOverhead = 48;
const std::string kChunkBytes = fmt::format("(length(data) + {})", kChunkRowOverhead);
const std::string kDeadLetterBytes = fmt::format(
    "(length(CAST(reason AS BLOB)) + length(CAST(source AS BLOB)) + "
    "length(CAST(detail AS BLOB)) + COALESCE(length(payload), 0) + {})",
    kDeadLetterRowOverhead);
const std::string kRecordBytes = fmt::format(
    "(length(CAST(stream AS BLOB)) + length(CAST(subject AS BLOB)) + "
    "length(CAST(body AS BLOB)) + {})",
    kRecordRowOverhead);

// The WAL is truncated back to this size after a checkpoint.
constexpr int64_t kJournalSizeLimit = 64 << 20;
// WAL pages between automatic checkpoints (SQLite default: 1000). 10,000 (~40 MiB at 4 KiB
// pages) measured 1.4x the durable append rate of the default in bench/pipeline_bench (fewer,
// larger checkpoints rewrite each hot page less often); the WAL still stays under
// kJournalSizeLimit.
constexpr int64_t kWalAutocheckpointPages = 10'000;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE streams(name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE signals(id INTEGER PRIMARY KEY, asset TEXT NOT NULL, signal TEXT NOT NULL,
                     unit TEXT NOT NULL, max_span INTEGER NOT NULL DEFAULT 0,
                     UNIQUE(asset, signal, unit));
CREATE TABLE sources(id INTEGER PRIMARY KEY, protocol TEXT NOT NULL, endpoint TEXT NOT NULL,
                     address TEXT NOT NULL, UNIQUE(protocol, endpoint, address));
CREATE TABLE chunks(first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL,
                    signal INTEGER NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,
                    count INTEGER NOT NULL, max_ingest_ts INTEGER NOT NULL,
                    kind INTEGER NOT NULL, quality INTEGER, source INTEGER, data BLOB NOT NULL);
CREATE INDEX chunks_signal_ts ON chunks(signal, first_ts);
CREATE TABLE dead_letters(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, reason TEXT NOT NULL,
                          source TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB,
                          truncated INTEGER NOT NULL);
CREATE INDEX dead_letters_ts ON dead_letters(ts);
CREATE TABLE events(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL,
                    subject TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX events_ts ON events(ts);
CREATE TABLE outbox(stream TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
                    PRIMARY KEY(stream, first_seq)) WITHOUT ROWID;
)sql";

// Added by schema 3 (and by the migration from 2).
constexpr std::string_view kRecordsSchema = R"sql(
CREATE TABLE records(stream TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
                     subject TEXT NOT NULL, body TEXT NOT NULL,
                     PRIMARY KEY(stream, seq)) WITHOUT ROWID;
CREATE INDEX records_ts ON records(stream, ts);
)sql";

constexpr std::string_view kRecordStreams[] = {kDecisionStream, kAlertStream};

// --- writer lock ---

// An exclusive flock on "<db path>.lock", held while the object lives. flock locks belong to
// the open file description, so a second writer in the same process is refused too.
class WriterLock {
 public:
  static StatusOr<WriterLock> Acquire(const std::string& db_path) {
    const std::string lock_path = db_path + ".lock";
    WriterLock lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (lock.fd_ < 0) {
      const int err = errno;
      std::string message = fmt::format("store '{}': cannot create its lock file '{}': {}", db_path,
                                        lock_path, std::strerror(err));
      if (err == ENOENT) return NotFoundError(message + " (does the directory exist?)");
      return FailedPreconditionError(std::move(message));
    }
    if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (err == EWOULDBLOCK) {
        return FailedPreconditionError(fmt::format(
            "store '{}' is in use by another writer (is another `strata edge` running with "
            "this store?)",
            db_path));
      }
      return UnavailableError(
          fmt::format("store '{}': cannot lock '{}': {}", db_path, lock_path, std::strerror(err)));
    }
    return lock;
  }

  WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WriterLock& operator=(WriterLock&&) = delete;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

int64_t ToInt64(uint64_t v) {
  return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

// a - b and a + b for b >= 0, clamped to the int64 range.
int64_t SubClamped(int64_t a, int64_t b) {
  return a < std::numeric_limits<int64_t>::min() + b ? std::numeric_limits<int64_t>::min() : a - b;
}
int64_t AddClamped(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}

// Record counts, as Stats reports them.
struct Counts {
  uint64_t observations = 0;
  uint64_t blocks = 0;
  uint64_t dead_letters = 0;
  uint64_t events = 0;
  uint64_t records = 0;
};

// An inclusive range of seqs; for a deleted row, with what it counted toward the outbox.
struct SeqRange {
  int64_t first = 0;
  int64_t last = 0;
  int64_t bytes = 0;
};

// Unacknowledged records of one stream that one delete took from the outbox.
struct Dropped {
  uint64_t records = 0;
  uint64_t first_seq = 0;  // lowest and highest seq dropped (valid when records > 0)
  uint64_t last_seq = 0;
  int64_t bytes = 0;  // what they took from StoreStats::outbox_bytes
};

// What one retention step deleted.
struct Deleted {
  uint64_t rows = 0;  // observations or dead letters
  uint64_t blocks = 0;
  Dropped dropped;
};

// The writer's view of one signal of the asset model.
struct SignalState {
  int64_t row = 0;       // signals.id; 0 = not looked up yet
  int64_t max_span = 0;  // signals.max_span
  bool has_data = false;
  int64_t max_ts = 0;  // the highest ts stored, when has_data
};

// One observation of a batch, as Append orders them: by (signal, ts), then batch position.
struct BatchKey {
  SignalId signal;
  uint32_t index;  // in WriteBatch::observations
  int64_t ts;

  friend bool operator<(const BatchKey& a, const BatchKey& b) {
    return std::tie(a.signal, a.ts, a.index) < std::tie(b.signal, b.ts, b.index);
  }
};

// What Append does with one observation.
enum class Fate : uint8_t {
  kNew,        // ts above everything stored for its signal
  kLate,       // ts at or below that, but not stored: goes to a chunk of its own
  kDuplicate,  // stored already, or earlier in the same batch
};

// A dead letter from a row of (seq, ts, reason, source, detail, payload, truncated).
DeadLetter DeadLetterFromRow(Statement& st) {
  DeadLetter d;
  d.seq = static_cast<uint64_t>(st.ColumnInt64(0));
  d.ts_ns = st.ColumnInt64(1);
  const std::string_view reason = st.ColumnText(2);
  d.source = st.ColumnText(3);
  d.detail = st.ColumnText(4);
  d.payload = st.ColumnBlob(5);
  d.payload_truncated = st.ColumnInt64(6) != 0;
  if (std::optional<RejectReason> parsed = ParseRejectReason(reason)) {
    d.reason = *parsed;
  } else {
    // A reason added by a newer strata: keep its name where a person will see it.
    d.reason = RejectReason::kMalformedPayload;
    d.detail = fmt::format("[reason '{}'] {}", reason, d.detail);
  }
  return d;
}

// A record of `stream` from a row of (seq, ts, subject, body).
Record RecordFromRow(std::string_view stream, Statement& st) {
  Record r;
  r.stream = stream;
  r.seq = static_cast<uint64_t>(st.ColumnInt64(0));
  r.ts_ns = st.ColumnInt64(1);
  r.subject = std::string(st.ColumnText(2));
  r.body = std::string(st.ColumnText(3));
  return r;
}

struct PendingRow {
  int64_t ts = 0;
  uint64_t seq = 0;
  size_t series = 0;  // index of its signal row in the query
  int64_t ingest_ts = 0;
  double value = 0;
  Quality quality = Quality::kGood;
  int64_t source = 0;
  bool is_block = false;
  std::string block;  // stored form, when the query wants samples

  // For a min-heap: the "greatest" row is the one returned first.
  friend bool operator<(const PendingRow& a, const PendingRow& b) {
    return std::tie(a.ts, a.seq) > std::tie(b.ts, b.seq);
  }
};

// Sources looked up while building rows, by sources.id.
using SourceCache = std::unordered_map<int64_t, Source>;

class SqliteStore final : public Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const SqliteStoreOptions& options);

  Status Append(WriteBatch& batch, AppendResult* result) override;
  StatusOr<std::vector<ObservationRow>> QueryObservations(const ObservationQuery& q) override;
  StatusOr<std::vector<DeadLetter>> QueryDeadLetters(const DeadLetterQuery& q) override;
  StatusOr<std::vector<Event>> QueryEvents(int64_t from_ns, int64_t to_ns, size_t limit) override;
  StatusOr<std::vector<Record>> QueryRecords(const RecordQuery& q) override;
  StatusOr<StoreStats> Stats() override;
  StatusOr<int64_t> OutboxBytes() override;
  StatusOr<RetentionResult> EnforceRetention(const RetentionPolicy& policy,
                                             int64_t now_ns) override;
  StatusOr<std::vector<OutboxRange>> PendingOutbox(size_t max_ranges) override;
  Status AckOutbox(std::string_view stream, uint64_t through_seq) override;
  StatusOr<StreamRecords> ReadStream(std::string_view stream, uint64_t from_seq, uint64_t to_seq,
                                     size_t max_records) override;

 private:
  SqliteStore(SqliteStoreOptions options, std::optional<WriterLock> lock, std::unique_ptr<Db> db)
      : options_(std::move(options)), lock_(std::move(lock)), db_(std::move(db)) {}

  bool writer() const { return lock_.has_value(); }
  Status RequireWriter(std::string_view what) const;

  Status InitSchema();
  Status CheckSchema();
  Status PrepareStatements();
  Status LoadSeqs();
  Status LoadSignals();
  Status LoadMaxTs(SignalState* state);

  Status Validate(const WriteBatch& batch) const;
  Status WriteRows(WriteBatch& batch, uint64_t* obs_seq, uint64_t* dlq_seq,
                   std::map<std::string, uint64_t, std::less<>>* record_seqs, AppendResult* r,
                   uint64_t* blocks);
  Status MigrateFrom2();
  Status InsertObservations(std::vector<Observation>& obs, uint64_t* seq, AppendResult* r,
                            uint64_t* blocks);
  Status InsertSignal(std::span<const BatchKey> keys, std::vector<Observation>& obs, uint64_t* seq,
                      AppendResult* r, uint64_t* blocks);
  Status FindStored(int64_t row, int64_t max_span, std::span<const BatchKey> keys,
                    std::span<const size_t> late);
  Status InsertScalarChunk(int64_t row, uint64_t first_seq, int64_t* span);
  Status InsertBlock(int64_t row, const Observation& o, uint64_t seq);
  Status EndStream(std::string_view stream, uint64_t before, uint64_t after);
  StatusOr<int64_t> SignalRow(SignalId id);
  Status ExpandChunk(Statement& st, size_t series, std::string_view asset, std::string_view signal,
                     bool with_blocks, const std::function<bool(int64_t, uint64_t)>& keep,
                     std::vector<PendingRow>* out);
  Status MakeRow(PendingRow& p, std::string_view asset, std::string_view signal,
                 std::string_view unit, bool with_blocks, SourceCache& sources,
                 ObservationRow* row);
  Status ReadObservationsFrom(uint64_t from_seq, uint64_t to_seq, size_t max_records,
                              std::vector<ObservationRow>* out);
  StatusOr<int64_t> SourceRow(SourceId id);

  StatusOr<Counts> CountRows();
  StatusOr<Counts*> WriterCounts();
  StatusOr<int64_t> UsedBytes();
  StatusOr<int64_t> ComputeOutboxBytes();
  StatusOr<int64_t*> WriterOutboxBytes();
  StatusOr<int64_t> RowBytesWithLastSeqIn(std::string_view stream, int64_t first, int64_t last);
  StatusOr<uint64_t> OutboxStart(std::string_view stream);
  StatusOr<uint64_t> ChunkHolding(uint64_t seq);

  StatusOr<uint64_t> ChunkBoundary(std::optional<int64_t> cutoff, int64_t max_observations,
                                   uint64_t from_seq = 0,
                                   uint64_t below_seq = std::numeric_limits<int64_t>::max());
  StatusOr<Deleted> DeleteObservations(uint64_t from_first_seq, uint64_t through_first_seq);
  StatusOr<Deleted> DeleteDeadLetters(std::optional<int64_t> before_ts, int64_t max_rows,
                                      uint64_t below_seq = std::numeric_limits<int64_t>::max());
  StatusOr<Deleted> DeleteUnacknowledgedDeadLetters(uint64_t from_seq, int64_t max_rows);
  StatusOr<uint64_t> DeleteEvents(int64_t before_ts, int64_t max_rows);
  StatusOr<Deleted> DeleteRecords(std::string_view stream, int64_t before_ts, int64_t max_rows);
  StatusOr<Deleted> DeleteReturningSeqs(std::string_view stream, Statement& st);
  StatusOr<Dropped> DropFromOutbox(std::string_view stream, std::vector<SeqRange>& deleted);
  StatusOr<std::optional<int64_t>> OldestStored(std::string_view stream, int64_t first,
                                                int64_t last);
  StatusOr<bool> ShrinkFile(int64_t max_bytes);

  const std::string& path() const { return options_.path; }

  SqliteStoreOptions options_;
  // Declared in this order so that statements are finalized before the connection closes and
  // the lock is released only after that.
  std::optional<WriterLock> lock_;
  std::unique_ptr<Db> db_;

  struct Statements {
    Statement insert_chunk, chunks_of_signal_desc, chunks_holding, update_max_span, insert_dlq,
        insert_event, insert_record, upsert_stream, insert_outbox;
    Statement insert_signal, select_signal, insert_source, select_source;
    Statement query_signals, source_by_id, query_dlq, query_events, query_records, outbox_of_stream;
  } st_;
  // False for a schema 2 store opened read-only (not migrated): it has no records.
  bool has_records_ = true;

  // Writer state. Seqs are the last committed ones; they only move on commit.
  uint64_t last_obs_seq_ = 0;
  uint64_t last_dlq_seq_ = 0;
  std::map<std::string, uint64_t, std::less<>> last_record_seqs_;  // by record stream
  std::optional<Counts> counts_;  // loaded on first use, then kept up to date on commit
  // StoreStats::outbox_bytes: loaded on first use, then kept up to date on commit.
  std::optional<int64_t> outbox_bytes_;
  int64_t append_outbox_bytes_ = 0;  // what the current Append adds to it
  // By SignalId; committed state only (an Append stages its changes in pending_states_).
  std::vector<SignalState> signals_;
  // sources.id by SourceId; 0 = not looked up yet.
  std::vector<int64_t> source_rows_;
  // Rows looked up during the current Append; forgotten if it rolls back, because the rows it
  // inserted are gone and their ids may be handed out again.
  std::vector<SignalId> new_signals_;
  std::vector<SourceId> new_sources_;
  // Signal states the current Append will have made true once it commits.
  std::vector<std::pair<SignalId, SignalState>> pending_states_;

  // Buffers reused by every Append.
  std::vector<BatchKey> keys_;
  std::vector<Fate> fates_;  // parallel to the keys of the signal being written
  std::vector<size_t> late_;
  std::vector<ChunkPoint> points_;
  std::vector<ChunkPoint> decoded_;
  std::string chunk_buf_;
  BlockEncoder encoder_;
  BlockDecoder decoder_;
  std::string block_buf_;
};

// --- open ---

StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const SqliteStoreOptions& options) {
  const std::string& path = options.path;
  if (path.empty()) return InvalidArgumentError("store: no database path given");
  std::optional<WriterLock> lock;
  int flags = 0;
  if (options.read_only) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return NotFoundError(fmt::format(
          "store '{}' does not exist ({}); check --db or the store path in the edge config", path,
          std::strerror(errno)));
    }
    flags = SQLITE_OPEN_READONLY;
  } else {
    STRATA_ASSIGN_OR_RETURN(WriterLock l, WriterLock::Acquire(path));
    lock.emplace(std::move(l));
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path, flags));
  std::unique_ptr<SqliteStore> store(new SqliteStore(options, std::move(lock), std::move(db)));
  Db& d = *store->db_;

  // Connection settings first: they touch no file, and the busy timeout must cover the first
  // read (which may wait for a checkpoint or WAL recovery of another connection).
  sqlite3_busy_timeout(d.get(), 5000);
  STRATA_RETURN_IF_ERROR(
      d.Exec(fmt::format("PRAGMA synchronous={}; PRAGMA cache_size=-{}",
                         options.durability == Durability::kFull ? "FULL" : "NORMAL",
                         std::max<int64_t>(options.cache_bytes / 1024, 64))));

  // The first read of the file: tells an empty (new) database from a strata store, and
  // anything else (not SQLite, corrupt) from both.
  StatusOr<int64_t> objects = d.QueryInt64("SELECT COUNT(*) FROM sqlite_master");
  if (!objects.ok()) {
    if (objects.status().code() == StatusCode::kDataLoss) {
      return DataLossError(fmt::format(
          "store '{}' is not an SQLite database or is corrupt ({}); restore it from a backup or "
          "use another path",
          path, objects.status().message()));
    }
    return objects.status();
  }
  if (*objects == 0) {
    if (options.read_only) {
      return FailedPreconditionError(fmt::format(
          "store '{}' is empty: no strata edge has written to it yet; check --db or the store "
          "path in the edge config",
          path));
    }
    STRATA_RETURN_IF_ERROR(store->InitSchema());
  } else {
    STRATA_RETURN_IF_ERROR(store->CheckSchema());
  }
  if (!options.read_only) {
    STRATA_RETURN_IF_ERROR(
        d.Exec(fmt::format("PRAGMA journal_size_limit={}; "
                           "PRAGMA wal_autocheckpoint={}",
                           kJournalSizeLimit, kWalAutocheckpointPages)));
  }
  STRATA_RETURN_IF_ERROR(store->PrepareStatements());
  if (!options.read_only) {
    STRATA_RETURN_IF_ERROR(store->LoadSeqs());
    STRATA_RETURN_IF_ERROR(store->LoadSignals());
  }
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::InitSchema() {
  // auto_vacuum must be chosen before the first table exists; WAL lets readers read while the
  // writer writes.
  STRATA_RETURN_IF_ERROR(db_->Exec("PRAGMA auto_vacuum=INCREMENTAL"));
  STRATA_ASSIGN_OR_RETURN(std::string mode, db_->QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return FailedPreconditionError(fmt::format(
        "store '{}': SQLite refused WAL mode (journal_mode is '{}'); is it on a network file "
        "system? Put the store on a local disk",
        path(), mode));
  }
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  STRATA_RETURN_IF_ERROR(db_->Exec(kSchema));
  STRATA_RETURN_IF_ERROR(db_->Exec(kRecordsSchema));
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  STRATA_RETURN_IF_ERROR(db_->Exec(fmt::format(
      "INSERT INTO meta(key, value) VALUES('schema_version', '{}'), ('created_at', '{}')",
      kSchemaVersion, FormatTimestamp(now))));
  return txn.Commit();
}

Status SqliteStore::CheckSchema() {
  StatusOr<Statement> stmt = db_->Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!stmt.ok()) {
    return FailedPreconditionError(fmt::format(
        "'{}' is an SQLite database but not a strata store (no meta table); use another path",
        path()));
  }
  STRATA_ASSIGN_OR_RETURN(bool row, stmt->Step());
  const std::string text = row ? std::string(stmt->ColumnText(0)) : std::string();
  int64_t version = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || std::from_chars(text.data(), end, version).ptr != end || version < 1) {
    return DataLossError(fmt::format(
        "store '{}': meta has no valid schema_version ('{}'); the file is damaged or was not "
        "written by strata",
        path(), text));
  }
  if (version > kSchemaVersion) {
    return FailedPreconditionError(fmt::format(
        "store '{}' was written by a newer strata (schema {}); upgrade strata or use another "
        "path",
        path(), version));
  }
  if (version == 2) {
    if (writer()) {
      STRATA_RETURN_IF_ERROR(MigrateFrom2());
    } else {
      has_records_ = false;
    }
  } else if (version < kSchemaVersion) {
    // Schema 1 (a row per observation) only ever existed in development builds: no migration.
    return FailedPreconditionError(fmt::format(
        "store '{}' was created by an older strata development build (schema {}); move it "
        "aside or use another path",
        path(), version));
  }
  if (writer()) {
    STRATA_ASSIGN_OR_RETURN(std::string mode, db_->QueryText("PRAGMA journal_mode=WAL"));
    if (mode != "wal") {
      return FailedPreconditionError(
          fmt::format("store '{}': SQLite refused WAL mode (journal_mode is '{}')", path(), mode));
    }
  }
  return Status::Ok();
}

// Schema 2 → 3 adds the records table; nothing else changes.
Status SqliteStore::MigrateFrom2() {
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  STRATA_RETURN_IF_ERROR(db_->Exec(kRecordsSchema));
  STRATA_RETURN_IF_ERROR(db_->Exec(
      fmt::format("UPDATE meta SET value = '{}' WHERE key = 'schema_version'", kSchemaVersion)));
  return txn.Commit();
}

// The columns a chunk reader gets, in this order (see ChunkRow).
constexpr std::string_view kChunkColumns =
    "first_seq, last_seq, first_ts, last_ts, count, max_ingest_ts, kind, quality, source, data";

Status SqliteStore::PrepareStatements() {
  auto prepare = [this](Statement* stmt, std::string_view sql) -> Status {
    STRATA_ASSIGN_OR_RETURN(*stmt, db_->Prepare(sql));
    return Status::Ok();
  };
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_signals,
                                 "SELECT id, signal, unit, max_span FROM signals "
                                 "WHERE asset = ?1 AND (?2 = '' OR signal = ?2) ORDER BY id"));
  STRATA_RETURN_IF_ERROR(
      prepare(&st_.source_by_id, "SELECT protocol, endpoint, address FROM sources WHERE id = ?1"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_dlq,
                                 "SELECT seq, ts, reason, source, detail, payload, truncated "
                                 "FROM dead_letters WHERE ts >= ?1 AND ts < ?2 "
                                 "ORDER BY ts DESC, seq DESC LIMIT ?3"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_events,
                                 "SELECT ts, kind, subject, detail FROM events "
                                 "WHERE ts >= ?1 AND ts < ?2 ORDER BY ts DESC, id DESC LIMIT ?3"));
  if (has_records_) {
    STRATA_RETURN_IF_ERROR(prepare(&st_.query_records,
                                   "SELECT seq, ts, subject, body FROM records WHERE stream = ?1 "
                                   "AND ts >= ?2 AND ts < ?3 AND (?4 = '' OR subject = ?4) "
                                   "ORDER BY ts DESC, seq DESC LIMIT ?5"));
  }
  STRATA_RETURN_IF_ERROR(prepare(&st_.outbox_of_stream,
                                 "SELECT first_seq, last_seq FROM outbox WHERE stream = ?1 "
                                 "ORDER BY first_seq LIMIT ?2"));
  if (!writer()) return Status::Ok();
  // A conflict on first_seq is an error (a bug), never a silently skipped chunk.
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_chunk,
                                 "INSERT INTO chunks(first_seq, last_seq, signal, first_ts, "
                                 "last_ts, count, max_ingest_ts, kind, quality, source, data) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.chunks_of_signal_desc,
                                 "SELECT first_ts, last_ts FROM chunks WHERE signal = ?1 "
                                 "ORDER BY first_ts DESC"));
  // The chunks of signal ?1 that may hold a ts in [?3, ?4]; ?2 = ?3 - max_span.
  STRATA_RETURN_IF_ERROR(
      prepare(&st_.chunks_holding,
              fmt::format("SELECT {} FROM chunks WHERE signal = ?1 AND first_ts BETWEEN ?2 AND ?4 "
                          "AND last_ts >= ?3",
                          kChunkColumns)));
  STRATA_RETURN_IF_ERROR(
      prepare(&st_.update_max_span, "UPDATE signals SET max_span = ?2 WHERE id = ?1"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_dlq,
                                 "INSERT INTO dead_letters(seq, ts, reason, source, detail, "
                                 "payload, truncated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  STRATA_RETURN_IF_ERROR(prepare(
      &st_.insert_event, "INSERT INTO events(ts, kind, subject, detail) VALUES(?1, ?2, ?3, ?4)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_record,
                                 "INSERT INTO records(stream, seq, ts, subject, body) "
                                 "VALUES(?1, ?2, ?3, ?4, ?5)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.upsert_stream,
                                 "INSERT INTO streams(name, last_seq) VALUES(?1, ?2) "
                                 "ON CONFLICT(name) DO UPDATE SET last_seq = excluded.last_seq"));
  STRATA_RETURN_IF_ERROR(prepare(
      &st_.insert_outbox, "INSERT INTO outbox(stream, first_seq, last_seq) VALUES(?1, ?2, ?3)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_signal,
                                 "INSERT INTO signals(asset, signal, unit) VALUES(?1, ?2, ?3) "
                                 "ON CONFLICT DO NOTHING"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.select_signal,
                                 "SELECT id, max_span FROM signals WHERE asset = ?1 AND "
                                 "signal = ?2 AND unit = ?3"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_source,
                                 "INSERT INTO sources(protocol, endpoint, address) "
                                 "VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.select_source,
                                 "SELECT id FROM sources WHERE protocol = ?1 AND endpoint = ?2 "
                                 "AND address = ?3"));
  return Status::Ok();
}

Status SqliteStore::LoadSeqs() {
  // The streams table is authoritative (it survives retention deleting every row); the
  // tables' own maxima guard against a streams row that is behind, so that a seq is never
  // handed out twice. Chunks do not overlap in seqs, so the last chunk holds the last seq.
  STRATA_ASSIGN_OR_RETURN(
      int64_t obs, db_->QueryInt64("SELECT MAX(COALESCE((SELECT last_seq FROM streams WHERE "
                                   "name = 'obs'), 0), COALESCE((SELECT last_seq FROM chunks "
                                   "ORDER BY first_seq DESC LIMIT 1), 0))"));
  STRATA_ASSIGN_OR_RETURN(int64_t dlq,
                          db_->QueryInt64("SELECT MAX(COALESCE((SELECT last_seq FROM streams WHERE "
                                          "name = 'dlq'), 0), COALESCE((SELECT MAX(seq) FROM "
                                          "dead_letters), 0))"));
  last_obs_seq_ = static_cast<uint64_t>(obs);
  last_dlq_seq_ = static_cast<uint64_t>(dlq);
  for (std::string_view stream : kRecordStreams) {
    STRATA_ASSIGN_OR_RETURN(
        int64_t last,
        db_->QueryInt64(fmt::format(
            "SELECT MAX(COALESCE((SELECT last_seq FROM streams WHERE name = '{0}'), 0), "
            "COALESCE((SELECT MAX(seq) FROM records WHERE stream = '{0}'), 0))",
            stream)));
    last_record_seqs_[std::string(stream)] = static_cast<uint64_t>(last);
  }
  return Status::Ok();
}

// Finds the signal rows of the model's signals and the highest ts each has stored: a few
// index steps per signal (see LoadMaxTs), so that opening a large store stays fast.
Status SqliteStore::LoadSignals() {
  if (!options_.model) return Status::Ok();
  signals_.assign(options_.model->signal_count(), SignalState{});
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("SELECT id, asset, signal, unit, max_span FROM signals"));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const SignalId id = options_.model->Find(st.ColumnText(1), st.ColumnText(2));
    if (id == kInvalidSignal || options_.model->signal(id).spec->unit != st.ColumnText(3)) {
      continue;  // not in this model, or the model's unit changed: never written again
    }
    SignalState& state = signals_[id];
    state.row = st.ColumnInt64(0);
    state.max_span = std::max<int64_t>(st.ColumnInt64(4), 0);
    STRATA_RETURN_IF_ERROR(LoadMaxTs(&state));
  }
  return txn.Commit();
}

// Sets the highest stored ts of `state->row`. Walks the signal's chunks from the highest
// first_ts down: a chunk starting at f ends by f + max_span, so once f + max_span is no
// higher than the best last_ts seen, no older chunk can beat it. Usually one step; more only
// where late chunks fall among the newest ones.
Status SqliteStore::LoadMaxTs(SignalState* state) {
  state->has_data = false;
  Statement& st = st_.chunks_of_signal_desc;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(state->row));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const int64_t first_ts = st.ColumnInt64(0);
    const int64_t last_ts = st.ColumnInt64(1);
    if (!state->has_data || last_ts > state->max_ts) state->max_ts = last_ts;
    state->has_data = true;
    if (AddClamped(first_ts, state->max_span) <= state->max_ts) break;
  }
  return Status::Ok();
}

Status SqliteStore::RequireWriter(std::string_view what) const {
  if (writer()) return Status::Ok();
  return FailedPreconditionError(
      fmt::format("store '{}' is open read-only: cannot {}", path(), what));
}

// --- append ---

Status SqliteStore::Validate(const WriteBatch& batch) const {
  if (!batch.observations.empty() && !options_.model) {
    return FailedPreconditionError(fmt::format(
        "store '{}' was opened without an asset model: cannot write observations", path()));
  }
  if (batch.observations.size() > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError(fmt::format("a batch of {} observations is too large; split it",
                                            batch.observations.size()));
  }
  const size_t signal_count = options_.model ? options_.model->signal_count() : 0;
  const size_t source_count = options_.sources ? options_.sources->size() : 0;
  for (size_t i = 0; i < batch.observations.size(); ++i) {
    const Observation& o = batch.observations[i];
    if (o.signal >= signal_count) {
      return InvalidArgumentError(fmt::format(
          "observation {} of the batch: signal id {} is not in the asset model ({} signals)", i,
          o.signal, signal_count));
    }
    if (o.source != kInvalidSource && o.source >= source_count) {
      return InvalidArgumentError(fmt::format(
          "observation {} of the batch: source id {} is not in the source catalog ({} sources)", i,
          o.source, source_count));
    }
    if (static_cast<int>(o.quality) > static_cast<int>(Quality::kBad)) {
      return InvalidArgumentError(fmt::format("observation {} of the batch: quality {} is not 0-2",
                                              i, static_cast<int>(o.quality)));
    }
    if (o.block) {
      if (!std::isfinite(o.block->sample_rate_hz) || o.block->sample_rate_hz <= 0 ||
          o.block->samples.size() > kMaxBlockSamples) {
        return InvalidArgumentError(fmt::format(
            "observation {} of the batch ({}): waveform block with sample rate {} Hz and {} "
            "samples; the rate must be finite and > 0, the samples at most {}",
            i, options_.model->signal(o.signal).spec->name, o.block->sample_rate_hz,
            o.block->samples.size(), kMaxBlockSamples));
      }
    }
  }
  for (size_t i = 0; i < batch.records.size(); ++i) {
    if (!IsRecordStream(batch.records[i].stream)) {
      return InvalidArgumentError(
          fmt::format("record {} of the batch: '{}' is not a record "
                      "stream (streams: {}, {})",
                      i, batch.records[i].stream, kDecisionStream, kAlertStream));
    }
  }
  for (size_t i = 0; i < batch.dead_letters.size(); ++i) {
    if (static_cast<int>(batch.dead_letters[i].reason) >= kRejectReasonCount) {
      return InvalidArgumentError(fmt::format("dead letter {} of the batch: reason {} is unknown",
                                              i, static_cast<int>(batch.dead_letters[i].reason)));
    }
  }
  return Status::Ok();
}

Status SqliteStore::Append(WriteBatch& batch, AppendResult* result) {
  if (result != nullptr) *result = AppendResult{};
  STRATA_RETURN_IF_ERROR(RequireWriter("append"));
  if (batch.empty()) return Status::Ok();
  STRATA_RETURN_IF_ERROR(Validate(batch));

  AppendResult r;
  uint64_t obs_seq = last_obs_seq_;
  uint64_t dlq_seq = last_dlq_seq_;
  auto record_seqs = last_record_seqs_;
  uint64_t blocks = 0;
  new_signals_.clear();
  new_sources_.clear();
  pending_states_.clear();
  append_outbox_bytes_ = 0;
  const Status status = WriteRows(batch, &obs_seq, &dlq_seq, &record_seqs, &r, &blocks);
  if (!status.ok()) {
    // Rolled back: nothing of the batch is stored and no seq was consumed.
    for (SignalId id : new_signals_) signals_[id] = SignalState{};
    for (SourceId id : new_sources_) source_rows_[id] = 0;
    for (Observation& o : batch.observations) o.seq = 0;
    for (DeadLetter& d : batch.dead_letters) d.seq = 0;
    for (Record& rec : batch.records) rec.seq = 0;
    return status.WithContext(fmt::format(
        "store '{}': appending {} observations, {} dead letters, {} events and {} records "
        "failed; nothing was written",
        path(), batch.observations.size(), batch.dead_letters.size(), batch.events.size(),
        batch.records.size()));
  }
  last_obs_seq_ = obs_seq;
  last_dlq_seq_ = dlq_seq;
  last_record_seqs_ = std::move(record_seqs);
  for (const auto& [id, state] : pending_states_) signals_[id] = state;
  if (counts_) {
    counts_->observations += r.observations_written;
    counts_->blocks += blocks;
    counts_->dead_letters += r.dead_letters_written;
    counts_->events += r.events_written;
    counts_->records += r.records_written;
  }
  if (outbox_bytes_ && options_.outbox) *outbox_bytes_ += append_outbox_bytes_;
  if (result != nullptr) *result = r;
  return Status::Ok();
}

Status SqliteStore::WriteRows(WriteBatch& batch, uint64_t* obs_seq, uint64_t* dlq_seq,
                              std::map<std::string, uint64_t, std::less<>>* record_seqs,
                              AppendResult* r, uint64_t* blocks) {
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  STRATA_RETURN_IF_ERROR(InsertObservations(batch.observations, obs_seq, r, blocks));
  for (DeadLetter& d : batch.dead_letters) {
    Statement& st = st_.insert_dlq;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(*dlq_seq + 1, d.ts_ns, StaticText{RejectReasonName(d.reason)},
                                      StaticText{d.source}, StaticText{d.detail},
                                      StaticBlob{d.payload}, d.payload_truncated ? 1 : 0));
    STRATA_RETURN_IF_ERROR(st.Run());
    d.seq = ++*dlq_seq;
    ++r->dead_letters_written;
    append_outbox_bytes_ += ToInt64(RejectReasonName(d.reason).size() + d.source.size() +
                                    d.detail.size() + d.payload.size()) +
                            kDeadLetterRowOverhead;
  }
  for (const Event& e : batch.events) {
    Statement& st = st_.insert_event;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(
        st.BindAll(e.ts_ns, StaticText{e.kind}, StaticText{e.subject}, StaticText{e.detail}));
    STRATA_RETURN_IF_ERROR(st.Run());
    ++r->events_written;
  }
  STRATA_RETURN_IF_ERROR(EndStream(kObservationStream, last_obs_seq_, *obs_seq));
  for (Record& rec : batch.records) {
    uint64_t& seq = (*record_seqs)[rec.stream];
    Statement& st = st_.insert_record;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{rec.stream}, seq + 1, rec.ts_ns,
                                      StaticText{rec.subject}, StaticText{rec.body}));
    STRATA_RETURN_IF_ERROR(st.Run());
    rec.seq = ++seq;
    ++r->records_written;
    append_outbox_bytes_ +=
        ToInt64(rec.stream.size() + rec.subject.size() + rec.body.size()) + kRecordRowOverhead;
  }
  STRATA_RETURN_IF_ERROR(EndStream(kDeadLetterStream, last_dlq_seq_, *dlq_seq));
  for (std::string_view stream : kRecordStreams) {
    const auto before = last_record_seqs_.find(stream);
    const auto after = record_seqs->find(stream);
    STRATA_RETURN_IF_ERROR(EndStream(stream, before->second, after->second));
  }
  return txn.Commit();
}

// Orders the batch by (signal, ts) (the caller's vector stays as it is) and writes each
// signal's observations in turn, so that seqs follow that order.
Status SqliteStore::InsertObservations(std::vector<Observation>& obs, uint64_t* seq,
                                       AppendResult* r, uint64_t* blocks) {
  keys_.resize(obs.size());
  for (size_t i = 0; i < obs.size(); ++i) {
    keys_[i] = BatchKey{obs[i].signal, static_cast<uint32_t>(i), obs[i].ts_ns};
  }
  std::sort(keys_.begin(), keys_.end());
  for (size_t begin = 0; begin < keys_.size();) {
    size_t end = begin + 1;
    while (end < keys_.size() && keys_[end].signal == keys_[begin].signal) ++end;
    STRATA_RETURN_IF_ERROR(
        InsertSignal(std::span(keys_).subspan(begin, end - begin), obs, seq, r, blocks));
    begin = end;
  }
  return Status::Ok();
}

// Writes the observations of one signal (`keys`, in ts order): decides each one's fate, then
// writes the new ones and the late ones in chunks of their own, and blocks one per chunk.
Status SqliteStore::InsertSignal(std::span<const BatchKey> keys, std::vector<Observation>& obs,
                                 uint64_t* seq, AppendResult* r, uint64_t* blocks) {
  const SignalId id = keys.front().signal;
  STRATA_ASSIGN_OR_RETURN(const int64_t row, SignalRow(id));
  SignalState state = signals_[id];

  fates_.assign(keys.size(), Fate::kNew);
  late_.clear();
  for (size_t k = 0; k < keys.size(); ++k) {
    if (k > 0 && keys[k].ts == keys[k - 1].ts) {
      fates_[k] = Fate::kDuplicate;  // the first of the batch (in batch order) wins
    } else if (state.has_data && keys[k].ts <= state.max_ts) {
      fates_[k] = Fate::kLate;
      late_.push_back(k);
    }
  }
  if (!late_.empty()) STRATA_RETURN_IF_ERROR(FindStored(row, state.max_span, keys, late_));

  int64_t max_span = state.max_span;
  for (size_t k = 0; k < keys.size();) {
    Observation& first = obs[keys[k].index];
    if (fates_[k] == Fate::kDuplicate) {
      first.seq = 0;
      ++r->duplicates;
      ++k;
      continue;
    }
    if (first.block) {
      STRATA_RETURN_IF_ERROR(InsertBlock(row, first, *seq + 1));
      first.seq = ++*seq;
      ++r->observations_written;
      ++*blocks;
    } else {
      // A chunk: the scalars from here that share this one's fate, within the bounds.
      const Fate fate = fates_[k];
      const uint64_t first_seq = *seq + 1;
      points_.clear();
      size_t j = k;
      for (; j < keys.size(); ++j) {
        Observation& o = obs[keys[j].index];
        if (fates_[j] == Fate::kDuplicate) {
          o.seq = 0;
          ++r->duplicates;
          continue;
        }
        if (o.block || fates_[j] != fate || points_.size() == kMaxChunkObservations ||
            static_cast<uint64_t>(o.ts_ns) - static_cast<uint64_t>(first.ts_ns) >
                static_cast<uint64_t>(kMaxChunkSpanNs)) {
          break;
        }
        STRATA_ASSIGN_OR_RETURN(const int64_t source, o.source == kInvalidSource
                                                          ? StatusOr<int64_t>(int64_t{0})
                                                          : SourceRow(o.source));
        points_.push_back(ChunkPoint{o.ts_ns, o.ingest_ts_ns, o.value, o.quality, source});
        o.seq = ++*seq;
      }
      int64_t span = 0;
      STRATA_RETURN_IF_ERROR(InsertScalarChunk(row, first_seq, &span));
      r->observations_written += points_.size();
      max_span = std::max(max_span, span);
      k = j;
      continue;
    }
    ++k;
  }

  // Late observations are below max_ts already; only new ones raise it.
  for (size_t k = keys.size(); k-- > 0;) {
    if (fates_[k] == Fate::kNew) {
      state.max_ts = state.has_data ? std::max(state.max_ts, keys[k].ts) : keys[k].ts;
      state.has_data = true;
      break;
    }
  }
  if (max_span > state.max_span) {
    Statement& st = st_.update_max_span;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(row, max_span));
    STRATA_RETURN_IF_ERROR(st.Run());
    state.max_span = max_span;
  }
  pending_states_.emplace_back(id, state);
  return Status::Ok();
}

// The rare path: which of the late observations (`late`: indexes into `keys`, in ts order,
// fates kLate) are stored already; marks those kDuplicate. Candidates are looked up in
// clusters whose index ranges [ts - max_span, ts] touch, one range scan per cluster.
Status SqliteStore::FindStored(int64_t row, int64_t max_span, std::span<const BatchKey> keys,
                               std::span<const size_t> late) {
  auto mark = [&](std::span<const size_t> cluster, int64_t ts) {
    const auto it = std::lower_bound(cluster.begin(), cluster.end(), ts,
                                     [&](size_t k, int64_t t) { return keys[k].ts < t; });
    if (it != cluster.end() && keys[*it].ts == ts) fates_[*it] = Fate::kDuplicate;
  };
  for (size_t i = 0; i < late.size();) {
    size_t j = i + 1;
    while (j < late.size() && SubClamped(keys[late[j]].ts, max_span) <= keys[late[j - 1]].ts) ++j;
    const std::span<const size_t> cluster = late.subspan(i, j - i);
    const int64_t lo = keys[cluster.front()].ts;
    const int64_t hi = keys[cluster.back()].ts;
    i = j;

    Statement& st = st_.chunks_holding;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(row, SubClamped(lo, max_span), lo, hi));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool has_row, st.Step());
      if (!has_row) break;
      const int64_t first_seq = st.ColumnInt64(0);
      if (st.ColumnInt64(6) == kKindBlock) {
        mark(cluster, st.ColumnInt64(2));
        continue;
      }
      ChunkSummary summary;
      summary.first_ts_ns = st.ColumnInt64(2);
      summary.last_ts_ns = st.ColumnInt64(3);
      const int64_t count = st.ColumnInt64(4);
      summary.count = count > 0 && count <= std::numeric_limits<uint32_t>::max()
                          ? static_cast<uint32_t>(count)
                          : 0;
      summary.max_ingest_ts_ns = st.ColumnInt64(5);
      if (!st.ColumnIsNull(7)) summary.shared_quality = st.ColumnInt64(7);
      summary.shared_source = st.ColumnIsNull(8) ? 0 : st.ColumnInt64(8);
      if (Status s = DecodeChunk(summary, st.ColumnBlob(9), &decoded_); !s.ok()) {
        return s.WithContext(fmt::format(
            "store '{}': checking for duplicates in the chunk of observations from seq {}", path(),
            first_seq));
      }
      for (const ChunkPoint& p : decoded_) {
        if (p.ts_ns >= lo && p.ts_ns <= hi) mark(cluster, p.ts_ns);
      }
    }
  }
  return Status::Ok();
}

// Inserts `points_` as a chunk of `row` with seqs from `first_seq`; sets *span to its
// last_ts - first_ts.
Status SqliteStore::InsertScalarChunk(int64_t row, uint64_t first_seq, int64_t* span) {
  STRATA_ASSIGN_OR_RETURN(const ChunkSummary summary, EncodeChunk(points_, &chunk_buf_));
  *span = summary.last_ts_ns - summary.first_ts_ns;  // < kMaxChunkSpanNs: no overflow
  std::optional<int64_t> source;
  if (summary.shared_source != 0) source = summary.shared_source;
  Statement& st = st_.insert_chunk;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(first_seq, first_seq + summary.count - 1, row,
                                    summary.first_ts_ns, summary.last_ts_ns, summary.count,
                                    summary.max_ingest_ts_ns, kKindScalars, summary.shared_quality,
                                    source, StaticBlob{chunk_buf_}));
  STRATA_RETURN_IF_ERROR(st.Run());
  append_outbox_bytes_ += ToInt64(chunk_buf_.size()) + kChunkRowOverhead;
  return Status::Ok();
}

Status SqliteStore::InsertBlock(int64_t row, const Observation& o, uint64_t seq) {
  std::optional<int64_t> source;
  if (o.source != kInvalidSource) {
    STRATA_ASSIGN_OR_RETURN(source, SourceRow(o.source));
  }
  STRATA_RETURN_IF_ERROR(encoder_.Encode(*o.block, &block_buf_));
  Statement& st = st_.insert_chunk;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(seq, seq, row, o.ts_ns, o.ts_ns, 1, o.ingest_ts_ns, kKindBlock,
                                    static_cast<int>(o.quality), source, StaticBlob{block_buf_}));
  STRATA_RETURN_IF_ERROR(st.Run());
  append_outbox_bytes_ += ToInt64(block_buf_.size()) + kChunkRowOverhead;
  return Status::Ok();
}

// Records the new last seq of `stream` and, with the outbox on, the range this batch added.
Status SqliteStore::EndStream(std::string_view stream, uint64_t before, uint64_t after) {
  if (after == before) return Status::Ok();
  {
    Statement& st = st_.upsert_stream;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, after));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  if (!options_.outbox) return Status::Ok();
  Statement& st = st_.insert_outbox;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, before + 1, after));
  return st.Run();
}

// The signal row of `id`, created if needed. Rows of signals that had data when the store was
// opened were found by LoadSignals; a row found here is new (or, defensively, loaded now).
StatusOr<int64_t> SqliteStore::SignalRow(SignalId id) {
  if (signals_[id].row != 0) return signals_[id].row;
  const SignalInfo& info = options_.model->signal(id);
  const auto key = std::make_tuple(StaticText{info.asset->path}, StaticText{info.spec->name},
                                   StaticText{info.spec->unit});
  {
    Statement& st = st_.insert_signal;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  SignalState state;
  {
    Statement& st = st_.select_signal;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) {
      return InternalError(fmt::format("store '{}': signal row of {} {} [{}] vanished", path(),
                                       info.asset->path, info.spec->name, info.spec->unit));
    }
    state.row = st.ColumnInt64(0);
    state.max_span = std::max<int64_t>(st.ColumnInt64(1), 0);
  }
  STRATA_RETURN_IF_ERROR(LoadMaxTs(&state));
  signals_[id] = state;
  new_signals_.push_back(id);
  return state.row;
}

StatusOr<int64_t> SqliteStore::SourceRow(SourceId id) {
  if (id < source_rows_.size() && source_rows_[id] != 0) return source_rows_[id];
  if (id >= source_rows_.size())
    source_rows_.resize(std::max<size_t>(id + 1, options_.sources->size()), 0);
  const Source source = options_.sources->Get(id);
  const auto key = std::make_tuple(StaticText{source.protocol}, StaticText{source.endpoint},
                                   StaticText{source.address});
  {
    Statement& st = st_.insert_source;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  Statement& st = st_.select_source;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    return InternalError(fmt::format("store '{}': source row of {} {} {} vanished", path(),
                                     source.protocol, source.endpoint, source.address));
  }
  source_rows_[id] = st.ColumnInt64(0);
  new_sources_.push_back(id);
  return source_rows_[id];
}

// --- queries ---

// One observation read from a chunk, waiting to be returned in (ts, seq) order.

// Decodes the chunk row `st` is on (columns in kChunkColumns order) and appends the rows
// `keep(ts, seq)` accepts to `out`, in seq order, tagged with `series`.
Status SqliteStore::ExpandChunk(Statement& st, size_t series, std::string_view asset,
                                std::string_view signal, bool with_blocks,
                                const std::function<bool(int64_t, uint64_t)>& keep,
                                std::vector<PendingRow>* out) {
  const int64_t first_seq = st.ColumnInt64(0);
  const int64_t last_seq = st.ColumnInt64(1);
  const int64_t count = st.ColumnInt64(4);
  const int64_t kind = st.ColumnInt64(6);
  auto corrupt = [&](std::string_view what) {
    return DataLossError(fmt::format(
        "store '{}': the chunk of observations from seq {} ({} {}) is corrupt: {}; restore "
        "the store from a backup or delete the chunk",
        path(), first_seq, asset, signal, what));
  };
  if (count < 1 || count > std::numeric_limits<uint32_t>::max() ||
      last_seq - first_seq + 1 != count) {
    return corrupt(fmt::format("seqs {}-{} but a count of {}", first_seq, last_seq, count));
  }
  if (kind == kKindBlock) {
    const int64_t quality = st.ColumnInt64(7);
    if (count != 1 || quality < 0 || quality > static_cast<int>(Quality::kBad)) {
      return DataLossError(fmt::format(
          "store '{}': observation seq {} is corrupt: a block with count {} and quality {}", path(),
          first_seq, count, quality));
    }
    const int64_t ts = st.ColumnInt64(2);
    if (keep(ts, static_cast<uint64_t>(first_seq))) {
      PendingRow& p = out->emplace_back();
      p.ts = ts;
      p.seq = static_cast<uint64_t>(first_seq);
      p.series = series;
      p.ingest_ts = st.ColumnInt64(5);
      p.value = std::numeric_limits<double>::quiet_NaN();
      p.quality = static_cast<Quality>(quality);
      p.source = st.ColumnIsNull(8) ? 0 : st.ColumnInt64(8);
      p.is_block = true;
      if (with_blocks) p.block = st.ColumnBlob(9);
    }
    return Status::Ok();
  }
  if (kind != kKindScalars) return corrupt(fmt::format("unknown kind {}", kind));
  ChunkSummary summary;
  summary.first_ts_ns = st.ColumnInt64(2);
  summary.last_ts_ns = st.ColumnInt64(3);
  summary.count = static_cast<uint32_t>(count);
  summary.max_ingest_ts_ns = st.ColumnInt64(5);
  if (!st.ColumnIsNull(7)) summary.shared_quality = st.ColumnInt64(7);
  summary.shared_source = st.ColumnIsNull(8) ? 0 : st.ColumnInt64(8);
  if (Status s = DecodeChunk(summary, st.ColumnBlob(9), &points_); !s.ok()) {
    return corrupt(s.message());
  }
  for (size_t k = 0; k < points_.size(); ++k) {
    const ChunkPoint& cp = points_[k];
    const uint64_t seq = static_cast<uint64_t>(first_seq) + k;
    if (!keep(cp.ts_ns, seq)) continue;
    PendingRow& p = out->emplace_back();
    p.ts = cp.ts_ns;
    p.seq = seq;
    p.series = series;
    p.ingest_ts = cp.ingest_ts_ns;
    p.value = cp.value;
    p.quality = cp.quality;
    p.source = cp.source;
  }
  return Status::Ok();
}

// Turns a decoded row into what callers get: names, the block's samples, the source.
Status SqliteStore::MakeRow(PendingRow& p, std::string_view asset, std::string_view signal,
                            std::string_view unit, bool with_blocks, SourceCache& sources,
                            ObservationRow* row) {
  row->seq = p.seq;
  row->asset = asset;
  row->signal = signal;
  row->unit = unit;
  row->ts_ns = p.ts;
  row->ingest_ts_ns = p.ingest_ts;
  if (!p.is_block && !std::isnan(p.value)) row->value = p.value;
  row->quality = p.quality;
  row->is_block = p.is_block;
  if (p.is_block && with_blocks) {
    StatusOr<WaveformBlock> block = decoder_.Decode(p.block);
    if (!block.ok()) {
      return block.status().WithContext(
          fmt::format("store '{}': observation seq {}", path(), row->seq));
    }
    row->block = std::move(*block);
  }
  if (p.source != 0) {
    auto it = sources.find(p.source);
    if (it == sources.end()) {
      Source source;
      Statement& st = st_.source_by_id;
      Statement::ResetGuard reset(st);
      STRATA_RETURN_IF_ERROR(st.BindAll(p.source));
      STRATA_ASSIGN_OR_RETURN(bool found, st.Step());
      if (found) {
        source.protocol = st.ColumnText(0);
        source.endpoint = st.ColumnText(1);
        source.address = st.ColumnText(2);
      }
      it = sources.emplace(p.source, std::move(source)).first;
    }
    row->source = it->second;
  }
  return Status::Ok();
}

// Reads the chunks of every matching signal row in first_ts order, signal rows merged, and
// returns rows by (ts, seq): a decoded row is returned once no chunk still unread can hold an
// earlier one (its first_ts is higher), so that a small limit reads few chunks.
StatusOr<std::vector<ObservationRow>> SqliteStore::QueryObservations(const ObservationQuery& q) {
  std::vector<ObservationRow> rows;
  if (q.to_ns <= q.from_ns || q.limit == 0) return rows;
  // One snapshot for the signal rows (their max_span) and their chunks.
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Mode::kDeferred));

  struct Series {
    int64_t row = 0;
    std::string signal, unit;
    Statement chunks;
    bool has_chunk = false;  // `chunks` is on a row not read yet
  };
  std::vector<Series> series;
  std::vector<int64_t> max_spans;
  {
    Statement& st = st_.query_signals;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{q.asset}, StaticText{q.signal}));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Series& s = series.emplace_back();
      s.row = st.ColumnInt64(0);
      s.signal = st.ColumnText(1);
      s.unit = st.ColumnText(2);
      max_spans.push_back(std::max<int64_t>(st.ColumnInt64(3), 0));
    }
  }
  // Blocks' data is not even read from the file when the samples are not wanted.
  const std::string sql = fmt::format(
      "SELECT first_seq, last_seq, first_ts, last_ts, count, max_ingest_ts, kind, quality, "
      "source, {} FROM chunks WHERE signal = ?1 AND first_ts >= ?2 AND first_ts < ?3 AND "
      "last_ts >= ?4 ORDER BY first_ts",
      q.with_blocks ? "data" : "CASE WHEN kind = 1 THEN NULL ELSE data END");
  for (size_t i = 0; i < series.size(); ++i) {
    Series& s = series[i];
    STRATA_ASSIGN_OR_RETURN(s.chunks, db_->Prepare(sql));
    STRATA_RETURN_IF_ERROR(
        s.chunks.BindAll(s.row, SubClamped(q.from_ns, max_spans[i]), q.to_ns, q.from_ns));
    STRATA_ASSIGN_OR_RETURN(s.has_chunk, s.chunks.Step());
  }

  std::vector<PendingRow> pending;  // a heap
  SourceCache sources;
  // Reads the chunk `s.chunks` is on into `pending`, then steps to the next one.
  auto read_chunk = [&](size_t index) -> Status {
    Statement& st = series[index].chunks;
    const size_t before = pending.size();
    STRATA_RETURN_IF_ERROR(ExpandChunk(
        st, index, q.asset, series[index].signal, q.with_blocks,
        [&](int64_t ts, uint64_t) { return ts >= q.from_ns && ts < q.to_ns; }, &pending));
    for (size_t k = before; k < pending.size(); ++k) {
      std::push_heap(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(k) + 1);
    }
    STRATA_ASSIGN_OR_RETURN(series[index].has_chunk, st.Step());
    return Status::Ok();
  };
  auto emit = [&](PendingRow& p) -> Status {
    return MakeRow(p, q.asset, series[p.series].signal, series[p.series].unit, q.with_blocks,
                   sources, &rows.emplace_back());
  };

  while (rows.size() < q.limit) {
    // The unread chunk that starts first: nothing earlier than its first_ts is still unread.
    std::optional<size_t> next;
    for (size_t i = 0; i < series.size(); ++i) {
      if (series[i].has_chunk &&
          (!next || series[i].chunks.ColumnInt64(2) < series[*next].chunks.ColumnInt64(2))) {
        next = i;
      }
    }
    const int64_t unread_from =
        next ? series[*next].chunks.ColumnInt64(2) : std::numeric_limits<int64_t>::max();
    if (!pending.empty() && (pending.front().ts < unread_from || !next)) {
      std::pop_heap(pending.begin(), pending.end());
      STRATA_RETURN_IF_ERROR(emit(pending.back()));
      pending.pop_back();
      continue;
    }
    if (!next) break;
    STRATA_RETURN_IF_ERROR(read_chunk(*next));
  }
  for (Series& s : series) s.chunks = Statement();  // before the snapshot ends
  STRATA_RETURN_IF_ERROR(txn.Commit());
  return rows;
}

StatusOr<std::vector<DeadLetter>> SqliteStore::QueryDeadLetters(const DeadLetterQuery& q) {
  std::vector<DeadLetter> out;
  if (q.to_ns <= q.from_ns || q.limit == 0) return out;
  Statement& st = st_.query_dlq;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(q.from_ns, q.to_ns, ToInt64(q.limit)));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) break;
    out.push_back(DeadLetterFromRow(st));
  }
  return out;
}

StatusOr<std::vector<Event>> SqliteStore::QueryEvents(int64_t from_ns, int64_t to_ns,
                                                      size_t limit) {
  std::vector<Event> out;
  if (to_ns <= from_ns || limit == 0) return out;
  Statement& st = st_.query_events;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(from_ns, to_ns, ToInt64(limit)));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) break;
    Event& e = out.emplace_back();
    e.ts_ns = st.ColumnInt64(0);
    e.kind = st.ColumnText(1);
    e.subject = st.ColumnText(2);
    e.detail = st.ColumnText(3);
  }
  return out;
}

// --- reading a stream by seq (the uplink) ---

StatusOr<StreamRecords> SqliteStore::ReadStream(std::string_view stream, uint64_t from_seq,
                                                uint64_t to_seq, size_t max_records) {
  StreamRecords out;
  if (from_seq == 0 || to_seq < from_seq || max_records == 0) return out;
  const int64_t from = ToInt64(from_seq);
  const int64_t to = ToInt64(to_seq);
  const int64_t limit = ToInt64(max_records);
  if (stream == kObservationStream) {
    STRATA_ASSIGN_OR_RETURN(Transaction txn,
                            Transaction::Begin(*db_, Transaction::Mode::kDeferred));
    STRATA_RETURN_IF_ERROR(ReadObservationsFrom(from_seq, to_seq, max_records, &out.observations));
    STRATA_RETURN_IF_ERROR(txn.Commit());
    return out;
  }
  if (stream == kDeadLetterStream) {
    STRATA_ASSIGN_OR_RETURN(
        Statement st, db_->Prepare("SELECT seq, ts, reason, source, detail, payload, truncated "
                                   "FROM dead_letters WHERE seq BETWEEN ?1 AND ?2 "
                                   "ORDER BY seq LIMIT ?3"));
    STRATA_RETURN_IF_ERROR(st.BindAll(from, to, limit));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.dead_letters.push_back(DeadLetterFromRow(st));
    }
    return out;
  }
  if (!IsRecordStream(stream)) {
    return InvalidArgumentError(fmt::format("store '{}': unknown stream '{}'", path(), stream));
  }
  if (!has_records_) return out;
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("SELECT seq, ts, subject, body FROM records WHERE "
                                       "stream = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq "
                                       "LIMIT ?4"));
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, from, to, limit));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.records.push_back(RecordFromRow(stream, st));
  }
  return out;
}

// Chunks are rowid (first seq) ordered, so a seq range is read by walking rowids from the chunk
// that holds from_seq.
Status SqliteStore::ReadObservationsFrom(uint64_t from_seq, uint64_t to_seq, size_t max_records,
                                         std::vector<ObservationRow>* out) {
  int64_t start = ToInt64(from_seq);
  {
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("SELECT first_seq FROM chunks WHERE first_seq <= ?1 "
                                         "ORDER BY first_seq DESC LIMIT 1"));
    STRATA_RETURN_IF_ERROR(st.BindAll(start));
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) start = st.ColumnInt64(0);
  }
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(fmt::format("SELECT {}, s.asset, s.signal, s.unit FROM chunks c JOIN signals "
                               "s ON s.id = c.signal WHERE c.first_seq BETWEEN ?1 AND ?2 "
                               "ORDER BY c.first_seq",
                               "c.first_seq, c.last_seq, c.first_ts, c.last_ts, c.count, "
                               "c.max_ingest_ts, c.kind, c.quality, c.source, c.data")));
  STRATA_RETURN_IF_ERROR(st.BindAll(start, ToInt64(to_seq)));
  SourceCache sources;
  std::vector<PendingRow> rows;
  while (out->size() < max_records) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const std::string asset(st.ColumnText(10));
    const std::string signal(st.ColumnText(11));
    const std::string unit(st.ColumnText(12));
    rows.clear();
    STRATA_RETURN_IF_ERROR(ExpandChunk(
        st, 0, asset, signal, /*with_blocks=*/true,
        [&](int64_t, uint64_t seq) { return seq >= from_seq && seq <= to_seq; }, &rows));
    for (PendingRow& p : rows) {
      if (out->size() == max_records) break;
      STRATA_RETURN_IF_ERROR(
          MakeRow(p, asset, signal, unit, /*with_blocks=*/true, sources, &out->emplace_back()));
    }
  }
  return Status::Ok();
}

// --- stats ---

StatusOr<std::vector<Record>> SqliteStore::QueryRecords(const RecordQuery& q) {
  std::vector<Record> out;
  if (!IsRecordStream(q.stream)) {
    return InvalidArgumentError(
        fmt::format("store '{}': '{}' is not a record stream (streams: "
                    "{}, {})",
                    path(), q.stream, kDecisionStream, kAlertStream));
  }
  if (!has_records_) return out;  // a schema 2 store, not migrated yet: it has none
  Statement& st = st_.query_records;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{q.stream}, q.from_ns, q.to_ns, StaticText{q.subject},
                                    ToInt64(q.limit)));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(RecordFromRow(q.stream, st));
  }
  return out;
}

StatusOr<Counts> SqliteStore::CountRows() {
  Counts c;
  const std::string sql = fmt::format(
      "SELECT (SELECT TOTAL(count) FROM chunks), (SELECT COUNT(*) FROM chunks WHERE kind = 1), "
      "(SELECT COUNT(*) FROM dead_letters), (SELECT COUNT(*) FROM events), {}",
      has_records_ ? "(SELECT COUNT(*) FROM records)" : "0");
  STRATA_ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return InternalError("store: row counts returned no row");
  c.observations = static_cast<uint64_t>(st.ColumnInt64(0));
  c.blocks = static_cast<uint64_t>(st.ColumnInt64(1));
  c.dead_letters = static_cast<uint64_t>(st.ColumnInt64(2));
  c.events = static_cast<uint64_t>(st.ColumnInt64(3));
  c.records = static_cast<uint64_t>(st.ColumnInt64(4));
  return c;
}

// The writer counts once (a full scan) and then keeps the counts up to date itself.
StatusOr<Counts*> SqliteStore::WriterCounts() {
  if (!counts_) {
    STRATA_ASSIGN_OR_RETURN(Counts c, CountRows());
    counts_ = c;
  }
  return &*counts_;
}

StatusOr<int64_t> SqliteStore::UsedBytes() {
  STRATA_ASSIGN_OR_RETURN(int64_t pages, db_->QueryInt64("PRAGMA page_count"));
  STRATA_ASSIGN_OR_RETURN(int64_t free_pages, db_->QueryInt64("PRAGMA freelist_count"));
  STRATA_ASSIGN_OR_RETURN(int64_t page_size, db_->QueryInt64("PRAGMA page_size"));
  return (pages - free_pages) * page_size;
}

StatusOr<StoreStats> SqliteStore::Stats() {
  StoreStats s;
  // One read transaction: every number comes from the same snapshot.
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  Counts counts;
  if (writer()) {
    STRATA_ASSIGN_OR_RETURN(Counts * c, WriterCounts());
    counts = *c;
    s.last_obs_seq = last_obs_seq_;
    s.last_dlq_seq = last_dlq_seq_;
  } else {
    STRATA_ASSIGN_OR_RETURN(counts, CountRows());
    STRATA_ASSIGN_OR_RETURN(int64_t obs, db_->QueryInt64("SELECT COALESCE((SELECT last_seq FROM "
                                                         "streams WHERE name = 'obs'), 0)"));
    STRATA_ASSIGN_OR_RETURN(int64_t dlq, db_->QueryInt64("SELECT COALESCE((SELECT last_seq FROM "
                                                         "streams WHERE name = 'dlq'), 0)"));
    s.last_obs_seq = static_cast<uint64_t>(obs);
    s.last_dlq_seq = static_cast<uint64_t>(dlq);
  }
  s.observations = counts.observations;
  s.blocks = counts.blocks;
  s.dead_letters = counts.dead_letters;
  s.events = counts.events;
  s.records = counts.records;
  STRATA_ASSIGN_OR_RETURN(s.used_bytes, UsedBytes());
  STRATA_ASSIGN_OR_RETURN(
      int64_t outbox,
      db_->QueryInt64("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM outbox"));
  s.outbox_records = static_cast<uint64_t>(outbox);
  if (writer()) {
    STRATA_ASSIGN_OR_RETURN(int64_t * bytes, WriterOutboxBytes());
    s.outbox_bytes = *bytes;
  } else {
    STRATA_ASSIGN_OR_RETURN(s.outbox_bytes, ComputeOutboxBytes());
  }
  STRATA_RETURN_IF_ERROR(txn.Commit());
  s.file_bytes = FileSize(path()) + FileSize(path() + "-wal");
  return s;
}

StatusOr<int64_t> SqliteStore::OutboxBytes() {
  if (writer()) {
    STRATA_ASSIGN_OR_RETURN(int64_t * bytes, WriterOutboxBytes());
    return *bytes;
  }
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  STRATA_ASSIGN_OR_RETURN(int64_t bytes, ComputeOutboxBytes());
  STRATA_RETURN_IF_ERROR(txn.Commit());
  return bytes;
}

// The writer computes once (a scan of the outbox's rows) and then keeps the sum up to date.
StatusOr<int64_t*> SqliteStore::WriterOutboxBytes() {
  if (!outbox_bytes_) {
    STRATA_ASSIGN_OR_RETURN(int64_t bytes, ComputeOutboxBytes());
    outbox_bytes_ = bytes;
  }
  return &*outbox_bytes_;
}

// Sums the bytes of the rows whose last seq lies in an outbox range: the ranges of each stream
// are merged where they touch (one range per commit), then each run is one index range scan.
// Blob lengths come from the row headers, without reading the blobs.
StatusOr<int64_t> SqliteStore::ComputeOutboxBytes() {
  STRATA_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT stream, first_seq, last_seq FROM "
                                                     "outbox ORDER BY stream, first_seq"));
  int64_t total = 0;
  std::string stream;
  std::optional<SeqRange> run;
  auto flush = [&]() -> Status {
    if (!run) return Status::Ok();
    STRATA_ASSIGN_OR_RETURN(int64_t bytes, RowBytesWithLastSeqIn(stream, run->first, run->last));
    total += bytes;
    run.reset();
    return Status::Ok();
  };
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const std::string_view name = st.ColumnText(0);
    const int64_t first = st.ColumnInt64(1);
    const int64_t last = st.ColumnInt64(2);
    if (run && name == stream && first <= run->last + 1) {
      run->last = std::max(run->last, last);
      continue;
    }
    STRATA_RETURN_IF_ERROR(flush());
    stream = name;
    run = SeqRange{first, last};
  }
  STRATA_RETURN_IF_ERROR(flush());
  return total;
}

// What the rows of `stream` whose last seq is in [first, last] count toward the outbox.
StatusOr<int64_t> SqliteStore::RowBytesWithLastSeqIn(std::string_view stream, int64_t first,
                                                     int64_t last) {
  if (stream == kObservationStream) {
    // The chunk starting last at or before `first` may end inside the range.
    STRATA_ASSIGN_OR_RETURN(uint64_t from, ChunkHolding(static_cast<uint64_t>(first)));
    if (from == 0) from = static_cast<uint64_t>(first);
    STRATA_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare(fmt::format("SELECT COALESCE(SUM({}), 0) FROM chunks WHERE first_seq "
                                 "BETWEEN ?1 AND ?2 AND last_seq BETWEEN ?3 AND ?2",
                                 kChunkBytes)));
    STRATA_RETURN_IF_ERROR(st.BindAll(from, last, first));
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.ColumnInt64(0) : 0;
  }
  if (stream == kDeadLetterStream) {
    STRATA_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare(
            fmt::format("SELECT COALESCE(SUM({}), 0) FROM dead_letters WHERE seq BETWEEN ?1 AND ?2",
                        kDeadLetterBytes)));
    STRATA_RETURN_IF_ERROR(st.BindAll(first, last));
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.ColumnInt64(0) : 0;
  }
  if (!has_records_) return 0;
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(fmt::format("SELECT COALESCE(SUM({}), 0) FROM records WHERE stream = ?1 AND "
                               "seq BETWEEN ?2 AND ?3",
                               kRecordBytes)));
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, first, last));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.ColumnInt64(0) : 0;
}

// The lowest seq of `stream` still in the outbox; max int64 when it has none.
StatusOr<uint64_t> SqliteStore::OutboxStart(std::string_view stream) {
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("SELECT COALESCE(MIN(first_seq), 9223372036854775807) FROM "
                                       "outbox WHERE stream = ?1"));
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  return static_cast<uint64_t>(row ? st.ColumnInt64(0) : std::numeric_limits<int64_t>::max());
}

// The first_seq of the chunk that holds observation `seq`; 0 when no stored chunk does.
StatusOr<uint64_t> SqliteStore::ChunkHolding(uint64_t seq) {
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("SELECT first_seq, last_seq FROM chunks WHERE first_seq <= "
                                       "?1 ORDER BY first_seq DESC LIMIT 1"));
  STRATA_RETURN_IF_ERROR(st.BindAll(seq));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row && static_cast<uint64_t>(st.ColumnInt64(1)) >= seq) {
    return static_cast<uint64_t>(st.ColumnInt64(0));
  }
  return uint64_t{0};
}

// --- retention ---

// The first_seq of the last chunk of the oldest chunks (first_seq order) from `from_seq` on
// that hold at most `max_observations` together (but at least one chunk), that end below
// `below_seq` and, with a cutoff, that were ingested before it; 0 when the first chunk does
// not qualify. Stops at the first chunk ingested at or after the cutoff: seq order is ingest
// order up to a commit's spread and clock steps on the edge, so a few chunks may be kept a
// little longer than the policy says, never deleted early.
StatusOr<uint64_t> SqliteStore::ChunkBoundary(std::optional<int64_t> cutoff,
                                              int64_t max_observations, uint64_t from_seq,
                                              uint64_t below_seq) {
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("SELECT first_seq, count, max_ingest_ts, last_seq FROM "
                                       "chunks WHERE first_seq >= ?1 ORDER BY first_seq"));
  STRATA_RETURN_IF_ERROR(st.BindAll(from_seq));
  int64_t total = 0;
  uint64_t boundary = 0;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const int64_t count = std::max<int64_t>(st.ColumnInt64(1), 1);
    if (cutoff && st.ColumnInt64(2) >= *cutoff) break;
    if (static_cast<uint64_t>(st.ColumnInt64(3)) >= below_seq) break;
    if (total > 0 && total + count > max_observations) break;
    total += count;
    boundary = static_cast<uint64_t>(st.ColumnInt64(0));
    if (total >= max_observations) break;
  }
  return boundary;
}

// Deletes the chunks with first_seq in [from_first_seq, through_first_seq], in one
// transaction.
StatusOr<Deleted> SqliteStore::DeleteObservations(uint64_t from_first_seq,
                                                  uint64_t through_first_seq) {
  Deleted d;
  std::vector<SeqRange> seqs;
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  {
    STRATA_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare(fmt::format("DELETE FROM chunks WHERE first_seq BETWEEN ?1 AND ?2 "
                                 "RETURNING first_seq, last_seq, count, kind, {}",
                                 kChunkBytes)));
    STRATA_RETURN_IF_ERROR(st.BindAll(from_first_seq, through_first_seq));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      seqs.push_back({st.ColumnInt64(0), st.ColumnInt64(1), st.ColumnInt64(4)});
      d.rows += static_cast<uint64_t>(std::max<int64_t>(st.ColumnInt64(2), 0));
      if (st.ColumnInt64(3) == kKindBlock) ++d.blocks;
    }
  }
  STRATA_ASSIGN_OR_RETURN(d.dropped, DropFromOutbox(kObservationStream, seqs));
  STRATA_RETURN_IF_ERROR(txn.Commit());
  if (outbox_bytes_) *outbox_bytes_ -= d.dropped.bytes;
  return d;
}

// Deletes up to `max_rows` of the oldest dead letters (by rejection time) with seq below
// `below_seq`, only those older than `before_ts` if given, in one transaction.
StatusOr<Deleted> SqliteStore::DeleteDeadLetters(std::optional<int64_t> before_ts, int64_t max_rows,
                                                 uint64_t below_seq) {
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(fmt::format("DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM "
                               "dead_letters WHERE ts < ?1 AND seq < ?3 ORDER BY ts LIMIT ?2) "
                               "RETURNING seq, {}",
                               kDeadLetterBytes)));
  STRATA_RETURN_IF_ERROR(st.BindAll(before_ts.value_or(std::numeric_limits<int64_t>::max()),
                                    max_rows, ToInt64(below_seq)));
  return DeleteReturningSeqs(kDeadLetterStream, st);
}

// Deletes up to `max_rows` dead letters from seq `from_seq` on, lowest seq first, in one
// transaction.
StatusOr<Deleted> SqliteStore::DeleteUnacknowledgedDeadLetters(uint64_t from_seq,
                                                               int64_t max_rows) {
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(fmt::format("DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM "
                               "dead_letters WHERE seq >= ?1 ORDER BY seq LIMIT ?2) "
                               "RETURNING seq, {}",
                               kDeadLetterBytes)));
  STRATA_RETURN_IF_ERROR(st.BindAll(from_seq, max_rows));
  return DeleteReturningSeqs(kDeadLetterStream, st);
}

// Runs `st`, a bound "DELETE … RETURNING seq, <row bytes>" of rows of `stream`, in one
// transaction with the outbox accounting of what it deleted.
StatusOr<Deleted> SqliteStore::DeleteReturningSeqs(std::string_view stream, Statement& st) {
  Deleted d;
  std::vector<SeqRange> seqs;
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    seqs.push_back({st.ColumnInt64(0), st.ColumnInt64(0), st.ColumnInt64(1)});
  }
  d.rows = seqs.size();
  STRATA_ASSIGN_OR_RETURN(d.dropped, DropFromOutbox(stream, seqs));
  STRATA_RETURN_IF_ERROR(txn.Commit());
  if (outbox_bytes_) *outbox_bytes_ -= d.dropped.bytes;
  return d;
}

StatusOr<uint64_t> SqliteStore::DeleteEvents(int64_t before_ts, int64_t max_rows) {
  STRATA_ASSIGN_OR_RETURN(Statement st,
                          db_->Prepare("DELETE FROM events WHERE id IN (SELECT id FROM events "
                                       "WHERE ts < ?1 ORDER BY ts LIMIT ?2)"));
  STRATA_RETURN_IF_ERROR(st.BindAll(before_ts, max_rows));
  STRATA_RETURN_IF_ERROR(st.Run());
  return static_cast<uint64_t>(db_->changes());
}

// Deletes up to `max_rows` of the oldest records of `stream` older than `before_ts`.
StatusOr<Deleted> SqliteStore::DeleteRecords(std::string_view stream, int64_t before_ts,
                                             int64_t max_rows) {
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(fmt::format("DELETE FROM records WHERE stream = ?1 AND seq IN "
                               "(SELECT seq FROM records WHERE stream = ?1 AND ts < ?2 "
                               "ORDER BY ts LIMIT ?3) RETURNING seq, {}",
                               kRecordBytes)));
  STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, before_ts, max_rows));
  return DeleteReturningSeqs(stream, st);
}

// The lowest seq of `stream` still stored in [first, last], if any.
StatusOr<std::optional<int64_t>> SqliteStore::OldestStored(std::string_view stream, int64_t first,
                                                           int64_t last) {
  std::optional<int64_t> oldest;
  if (stream == kObservationStream) {
    // Chunks do not overlap in seqs: only the one starting last at or before `first` may
    // straddle it.
    STRATA_ASSIGN_OR_RETURN(Statement straddling,
                            db_->Prepare("SELECT last_seq FROM chunks WHERE first_seq <= ?1 "
                                         "ORDER BY first_seq DESC LIMIT 1"));
    STRATA_RETURN_IF_ERROR(straddling.BindAll(first));
    STRATA_ASSIGN_OR_RETURN(bool row, straddling.Step());
    if (row && straddling.ColumnInt64(0) >= first) return std::optional<int64_t>(first);
  }
  STRATA_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(stream == kObservationStream
                       ? "SELECT MIN(first_seq) FROM chunks WHERE first_seq BETWEEN ?1 AND ?2"
                   : stream == kDeadLetterStream
                       ? "SELECT MIN(seq) FROM dead_letters WHERE seq BETWEEN ?1 AND ?2"
                       : "SELECT MIN(seq) FROM records WHERE seq BETWEEN ?1 AND ?2 AND "
                         "stream = ?3"));
  STRATA_RETURN_IF_ERROR(stream == kObservationStream || stream == kDeadLetterStream
                             ? st.BindAll(first, last)
                             : st.BindAll(first, last, StaticText{stream}));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row && !st.ColumnIsNull(0)) oldest = st.ColumnInt64(0);
  return oldest;
}

// Called inside the deleting transaction with the seq ranges of `stream` just deleted:
// counts the seqs that were still waiting in the outbox (data the hub will never get), and
// trims the outbox ranges that held them, moving first_seq up to the oldest seq still stored
// or deleting the range. A deleted chunk may straddle the start of a range (after a partial
// acknowledgement): only its seqs inside the range count, and its bytes count if its last seq
// is inside (see ComputeOutboxBytes).
StatusOr<Dropped> SqliteStore::DropFromOutbox(std::string_view stream,
                                              std::vector<SeqRange>& deleted) {
  Dropped dropped;
  if (deleted.empty()) return dropped;
  std::sort(deleted.begin(), deleted.end(),
            [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
  std::vector<SeqRange> ranges;
  {
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("SELECT first_seq, last_seq FROM outbox WHERE stream = ?1 "
                                         "AND first_seq <= ?2 AND last_seq >= ?3 "
                                         "ORDER BY first_seq"));
    int64_t highest = deleted.front().last;
    for (const SeqRange& r : deleted) highest = std::max(highest, r.last);
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, highest, deleted.front().first));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ranges.push_back({st.ColumnInt64(0), st.ColumnInt64(1)});
    }
  }
  if (ranges.empty()) return dropped;
  STRATA_ASSIGN_OR_RETURN(Statement remove,
                          db_->Prepare("DELETE FROM outbox WHERE stream = ?1 AND first_seq = ?2"));
  STRATA_ASSIGN_OR_RETURN(
      Statement move,
      db_->Prepare("UPDATE outbox SET first_seq = ?3 WHERE stream = ?1 AND first_seq = ?2"));
  size_t d = 0;  // the first deleted range that may overlap the current outbox range
  for (const SeqRange& range : ranges) {
    while (d < deleted.size() && deleted[d].last < range.first) ++d;
    uint64_t in_range = 0;
    for (size_t k = d; k < deleted.size() && deleted[k].first <= range.last; ++k) {
      const auto lo = static_cast<uint64_t>(std::max(deleted[k].first, range.first));
      const auto hi = static_cast<uint64_t>(std::min(deleted[k].last, range.last));
      in_range += hi - lo + 1;
      dropped.first_seq = dropped.first_seq == 0 ? lo : std::min(dropped.first_seq, lo);
      dropped.last_seq = std::max(dropped.last_seq, hi);
      if (deleted[k].last <= range.last) dropped.bytes += deleted[k].bytes;
    }
    if (in_range == 0) continue;
    dropped.records += in_range;
    STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> oldest,
                            OldestStored(stream, range.first, range.last));
    if (!oldest) {
      Statement::ResetGuard reset(remove);
      STRATA_RETURN_IF_ERROR(remove.BindAll(StaticText{stream}, range.first));
      STRATA_RETURN_IF_ERROR(remove.Run());
    } else if (*oldest != range.first) {
      Statement::ResetGuard reset(move);
      STRATA_RETURN_IF_ERROR(move.BindAll(StaticText{stream}, range.first, *oldest));
      STRATA_RETURN_IF_ERROR(move.Run());
    }
  }
  return dropped;
}

// Returns free pages to the file system until the file is no larger than `max_bytes` (or the
// per-call bound is reached: then true, "more to do").
StatusOr<bool> SqliteStore::ShrinkFile(int64_t max_bytes) {
  STRATA_ASSIGN_OR_RETURN(int64_t pages, db_->QueryInt64("PRAGMA page_count"));
  STRATA_ASSIGN_OR_RETURN(int64_t free_pages, db_->QueryInt64("PRAGMA freelist_count"));
  STRATA_ASSIGN_OR_RETURN(int64_t page_size, db_->QueryInt64("PRAGMA page_size"));
  const int64_t excess = std::min(free_pages, pages - max_bytes / page_size);
  if (excess <= 0) return false;
  const int64_t n = std::min(excess, kVacuumPagesPerCall);
  STRATA_RETURN_IF_ERROR(db_->Exec(fmt::format("PRAGMA incremental_vacuum({})", n)));
  // Copy the WAL into the (now shorter) database file so that the file shrinks on disk. Does
  // not wait for readers: what they still need is copied by a later checkpoint.
  STRATA_RETURN_IF_ERROR(db_->Exec("PRAGMA wal_checkpoint(PASSIVE)"));
  return n < excess;
}

StatusOr<RetentionResult> SqliteStore::EnforceRetention(const RetentionPolicy& policy,
                                                        int64_t now_ns) {
  STRATA_RETURN_IF_ERROR(RequireWriter("enforce retention"));
  RetentionResult res;
  STRATA_ASSIGN_OR_RETURN(Counts * counts, WriterCounts());
  int64_t budget = kRetentionRowsPerCall;
  auto drop = [&](std::string_view stream, OutboxDropCause cause, const Dropped& dropped) {
    if (dropped.records == 0) return;
    res.outbox_dropped += dropped.records;
    for (OutboxDrop& o : res.outbox_drops) {
      if (o.stream == stream && o.cause == cause) {
        o.records += dropped.records;
        o.first_seq = std::min(o.first_seq, dropped.first_seq);
        o.last_seq = std::max(o.last_seq, dropped.last_seq);
        return;
      }
    }
    res.outbox_drops.push_back(OutboxDrop{std::string(stream), cause, dropped.records,
                                          dropped.first_seq, dropped.last_seq});
  };
  auto account = [&](const Deleted& d, bool observations, OutboxDropCause cause) {
    if (observations) {
      res.observations_deleted += d.rows;
      counts->observations -= std::min(counts->observations, d.rows);
      counts->blocks -= std::min(counts->blocks, d.blocks);
    } else {
      res.dead_letters_deleted += d.rows;
      counts->dead_letters -= std::min(counts->dead_letters, d.rows);
    }
    drop(observations ? kObservationStream : kDeadLetterStream, cause, d.dropped);
    budget -= static_cast<int64_t>(d.rows);
  };
  auto fail = [this](const Status& s) {
    return s.WithContext(fmt::format("store '{}': retention", path()));
  };
  // With reject_new nothing unacknowledged is deleted for room: retention by size stops at the
  // outbox (only rows wholly below its start go).
  const bool keep_unacknowledged = policy.when_full == OutboxFullPolicy::kRejectNew;
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();  // no such row

  if (policy.max_age_ns > 0) {
    const int64_t cutoff = SubClamped(now_ns, policy.max_age_ns);
    while (budget > 0) {
      StatusOr<uint64_t> through = ChunkBoundary(cutoff, std::min(budget, kRetentionChunkRows));
      if (!through.ok()) return fail(through.status());
      if (*through == 0) break;
      StatusOr<Deleted> d = DeleteObservations(0, *through);
      if (!d.ok()) return fail(d.status());
      account(*d, true, OutboxDropCause::kMaxAge);
    }
    while (budget > 0) {
      StatusOr<Deleted> d = DeleteDeadLetters(cutoff, std::min(budget, kRetentionChunkRows));
      if (!d.ok()) return fail(d.status());
      if (d->rows == 0) break;
      account(*d, false, OutboxDropCause::kMaxAge);
    }
    for (std::string_view stream : kRecordStreams) {
      while (budget > 0) {
        StatusOr<Deleted> d = DeleteRecords(stream, cutoff, std::min(budget, kRetentionChunkRows));
        if (!d.ok()) return fail(d.status());
        if (d->rows == 0) break;
        res.records_deleted += d->rows;
        drop(stream, OutboxDropCause::kMaxAge, d->dropped);
        counts->records -= std::min(counts->records, d->rows);
        budget -= static_cast<int64_t>(d->rows);
      }
    }
    while (budget > 0) {
      StatusOr<uint64_t> n = DeleteEvents(cutoff, std::min(budget, kRetentionChunkRows));
      if (!n.ok()) return fail(n.status());
      if (*n == 0) break;
      res.events_deleted += *n;
      counts->events -= std::min(counts->events, *n);
      budget -= static_cast<int64_t>(*n);
    }
    if (budget <= 0) res.more = true;
  }

  if (policy.max_bytes > 0 && budget > 0) {
    StatusOr<int64_t> used = UsedBytes();
    if (!used.ok()) return fail(used.status());
    if (*used > policy.max_bytes) {
      const auto target =
          static_cast<int64_t>(static_cast<double>(policy.max_bytes) * kRetentionSizeTarget);
      uint64_t obs_below = std::numeric_limits<int64_t>::max();
      uint64_t dlq_below = std::numeric_limits<int64_t>::max();
      if (keep_unacknowledged) {
        StatusOr<uint64_t> obs = OutboxStart(kObservationStream);
        if (!obs.ok()) return fail(obs.status());
        StatusOr<uint64_t> dlq = OutboxStart(kDeadLetterStream);
        if (!dlq.ok()) return fail(dlq.status());
        obs_below = *obs;
        dlq_below = *dlq;
      }
      // Oldest first across observations and dead letters (events are small and kept until
      // they age out). Steps are sized from the average record size, so that blocks of
      // hundreds of KiB and scalars of ten bytes both converge in a few steps.
      while (*used > target && budget > 0) {
        const uint64_t records = counts->observations + counts->dead_letters + counts->events;
        if (counts->observations + counts->dead_letters == 0) break;
        const double record_bytes =
            static_cast<double>(*used) / static_cast<double>(std::max<uint64_t>(records, 1));
        const int64_t step = std::clamp<int64_t>(
            static_cast<int64_t>(std::ceil(static_cast<double>(*used - target) / record_bytes)), 1,
            std::min(budget, kRetentionChunkRows));
        StatusOr<int64_t> oldest_obs = db_->QueryInt64(fmt::format(
            "SELECT COALESCE((SELECT CASE WHEN last_seq < {0} THEN max_ingest_ts ELSE {1} END "
            "FROM chunks ORDER BY first_seq LIMIT 1), {1})",
            ToInt64(obs_below), kNone));
        if (!oldest_obs.ok()) return fail(oldest_obs.status());
        // The lowest seq first: where every dead letter is unacknowledged the MIN(ts) below
        // would scan them all.
        StatusOr<int64_t> oldest_dlq = db_->QueryInt64(fmt::format(
            "SELECT CASE WHEN COALESCE((SELECT MIN(seq) FROM dead_letters), {1}) < {0} THEN "
            "(SELECT MIN(ts) FROM dead_letters WHERE seq < {0}) ELSE {1} END",
            ToInt64(dlq_below), kNone));
        if (!oldest_dlq.ok()) return fail(oldest_dlq.status());
        if (*oldest_obs == kNone && *oldest_dlq == kNone) break;  // only unacknowledged left
        if (*oldest_dlq < *oldest_obs) {
          StatusOr<Deleted> d = DeleteDeadLetters(std::nullopt, step, dlq_below);
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, false, OutboxDropCause::kMaxSize);
        } else {
          StatusOr<uint64_t> through = ChunkBoundary(std::nullopt, step, 0, obs_below);
          if (!through.ok()) return fail(through.status());
          if (*through == 0) break;
          StatusOr<Deleted> d = DeleteObservations(0, *through);
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, true, OutboxDropCause::kMaxSize);
        }
        used = UsedBytes();
        if (!used.ok()) return fail(used.status());
      }
      if (*used > target && budget <= 0) res.more = true;
    }
    StatusOr<bool> more = ShrinkFile(policy.max_bytes);
    if (!more.ok()) return fail(more.status());
    if (*more) res.more = true;
  } else if (policy.max_bytes > 0) {
    res.more = true;  // the budget went to retention by age; size is checked on the next call
  }

  if (policy.outbox_quota_bytes > 0 && !keep_unacknowledged && budget > 0) {
    StatusOr<int64_t*> bytes = WriterOutboxBytes();
    if (!bytes.ok()) return fail(bytes.status());
    const auto target =
        static_cast<int64_t>(static_cast<double>(policy.outbox_quota_bytes) * kOutboxQuotaTarget);
    if (**bytes > policy.outbox_quota_bytes) {
      // The oldest unacknowledged observations and dead letters go first (by ingest time);
      // decisions and alert events are small and kept. Steps are sized from the outbox's
      // average record size.
      while (**bytes > target && budget > 0) {
        StatusOr<uint64_t> obs_start = OutboxStart(kObservationStream);
        if (!obs_start.ok()) return fail(obs_start.status());
        StatusOr<uint64_t> dlq_start = OutboxStart(kDeadLetterStream);
        if (!dlq_start.ok()) return fail(dlq_start.status());
        StatusOr<uint64_t> first_chunk = ChunkHolding(*obs_start);
        if (!first_chunk.ok()) return fail(first_chunk.status());
        const uint64_t obs_from = *first_chunk != 0 ? *first_chunk : *obs_start;
        StatusOr<int64_t> oldest_obs = db_->QueryInt64(
            fmt::format("SELECT COALESCE((SELECT max_ingest_ts FROM chunks WHERE first_seq >= {} "
                        "ORDER BY first_seq LIMIT 1), {})",
                        ToInt64(obs_from), kNone));
        if (!oldest_obs.ok()) return fail(oldest_obs.status());
        StatusOr<int64_t> oldest_dlq = db_->QueryInt64(
            fmt::format("SELECT COALESCE((SELECT ts FROM dead_letters WHERE seq >= {} "
                        "ORDER BY seq LIMIT 1), {})",
                        ToInt64(*dlq_start), kNone));
        if (!oldest_dlq.ok()) return fail(oldest_dlq.status());
        if (*oldest_obs == kNone && *oldest_dlq == kNone) break;  // records only
        StatusOr<int64_t> pending =
            db_->QueryInt64("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM outbox");
        if (!pending.ok()) return fail(pending.status());
        const double record_bytes =
            static_cast<double>(**bytes) / static_cast<double>(std::max<int64_t>(*pending, 1));
        const int64_t step = std::clamp<int64_t>(
            static_cast<int64_t>(std::ceil(static_cast<double>(**bytes - target) / record_bytes)),
            1, std::min(budget, kRetentionChunkRows));
        if (*oldest_dlq < *oldest_obs) {
          StatusOr<Deleted> d = DeleteUnacknowledgedDeadLetters(*dlq_start, step);
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, false, OutboxDropCause::kQuota);
        } else {
          StatusOr<uint64_t> through = ChunkBoundary(std::nullopt, step, obs_from);
          if (!through.ok()) return fail(through.status());
          if (*through == 0) break;
          StatusOr<Deleted> d = DeleteObservations(obs_from, *through);
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, true, OutboxDropCause::kQuota);
        }
      }
      if (**bytes > target && budget <= 0) res.more = true;
    }
  } else if (policy.outbox_quota_bytes > 0 && !keep_unacknowledged) {
    res.more = true;
  }
  return res;
}

// --- outbox ---

StatusOr<std::vector<OutboxRange>> SqliteStore::PendingOutbox(size_t max_ranges) {
  std::vector<OutboxRange> out;
  if (max_ranges == 0) return out;
  // Oldest first within each stream; streams take turns, so that a backlog of one never
  // starves the other.
  std::vector<std::vector<OutboxRange>> per_stream;
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, Transaction::Mode::kDeferred));
  STRATA_ASSIGN_OR_RETURN(Statement names, db_->Prepare("SELECT name FROM streams ORDER BY name"));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, names.Step());
    if (!row) break;
    const std::string stream(names.ColumnText(0));
    std::vector<OutboxRange>& ranges = per_stream.emplace_back();
    Statement& st = st_.outbox_of_stream;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, ToInt64(max_ranges)));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool r, st.Step());
      if (!r) break;
      ranges.push_back(OutboxRange{stream, static_cast<uint64_t>(st.ColumnInt64(0)),
                                   static_cast<uint64_t>(st.ColumnInt64(1))});
    }
  }
  STRATA_RETURN_IF_ERROR(txn.Commit());
  for (size_t i = 0; out.size() < max_ranges; ++i) {
    bool any = false;
    for (auto& ranges : per_stream) {
      if (i < ranges.size() && out.size() < max_ranges) {
        out.push_back(std::move(ranges[i]));
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}

Status SqliteStore::AckOutbox(std::string_view stream, uint64_t through_seq) {
  STRATA_RETURN_IF_ERROR(RequireWriter("acknowledge the outbox"));
  uint64_t last = 0;
  if (stream == kObservationStream) {
    last = last_obs_seq_;
  } else if (stream == kDeadLetterStream) {
    last = last_dlq_seq_;
  } else if (auto it = last_record_seqs_.find(stream); it != last_record_seqs_.end()) {
    last = it->second;
  } else {
    return InvalidArgumentError(fmt::format(
        "store '{}': cannot acknowledge unknown stream '{}' "
        "(streams: {}, {}, {}, {})",
        path(), stream, kObservationStream, kDeadLetterStream, kDecisionStream, kAlertStream));
  }
  if (through_seq > last) {
    return InvalidArgumentError(fmt::format(
        "store '{}': cannot acknowledge stream '{}' through seq {}: the last committed seq is "
        "{} (does the hub hold data of another edge or an older store?)",
        path(), stream, through_seq, last));
  }
  if (through_seq == 0) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  // The rows whose last seq leaves the outbox stop counting toward its bytes.
  int64_t leaving = 0;
  if (outbox_bytes_) {
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("SELECT first_seq, MIN(last_seq, ?2) FROM outbox WHERE "
                                         "stream = ?1 AND first_seq <= ?2 ORDER BY first_seq"));
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, through_seq));
    std::vector<SeqRange> spans;
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      const SeqRange r{st.ColumnInt64(0), st.ColumnInt64(1)};
      if (!spans.empty() && r.first <= spans.back().last + 1) {
        spans.back().last = std::max(spans.back().last, r.last);
      } else {
        spans.push_back(r);
      }
    }
    for (const SeqRange& span : spans) {
      STRATA_ASSIGN_OR_RETURN(int64_t bytes, RowBytesWithLastSeqIn(stream, span.first, span.last));
      leaving += bytes;
    }
  }
  {
    STRATA_ASSIGN_OR_RETURN(
        Statement st, db_->Prepare("DELETE FROM outbox WHERE stream = ?1 AND last_seq <= ?2"));
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, through_seq));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  {
    // Ranges do not overlap, so at most one straddles through_seq.
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("UPDATE outbox SET first_seq = ?2 + 1 WHERE stream = ?1 "
                                         "AND first_seq <= ?2 AND last_seq > ?2"));
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, through_seq));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  STRATA_RETURN_IF_ERROR(txn.Commit());
  if (outbox_bytes_) *outbox_bytes_ -= leaving;
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  return SqliteStore::Open(options);
}

}  // namespace strata
