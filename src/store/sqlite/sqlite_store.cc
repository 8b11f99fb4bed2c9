// The embedded SQLite implementation of Store (see store/store.h for the contract).
//
// Layout (schema version 1, recorded in meta): `streams` keeps the last seq of each stream,
// so seqs never go back even when retention deletes every row; `signals` and `sources` intern
// the names observations refer to (a unit change in the asset model makes a new signal row,
// so old rows keep their unit); `observations` is keyed by seq with a unique (signal, ts)
// index that rejects duplicates; `outbox` holds the committed, unacknowledged seq ranges.
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
#include <limits>
#include <optional>
#include <tuple>
#include <utility>

#include "core/time_util.h"
#include "store/sqlite/block_codec.h"
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

constexpr int64_t kSchemaVersion = 1;

// Scalar observations are inserted this many per statement: one multi-row INSERT costs much
// less than as many single-row ones (measured: ~1.5x the rows per CPU second).
constexpr size_t kRowsPerInsert = 32;

// Retention works in chunks, each in its own transaction, so the writer is never blocked for
// long, and bounds the rows deleted per call (RetentionResult::more says when it stopped).
constexpr int64_t kRetentionChunkRows = 20'000;
constexpr int64_t kRetentionRowsPerCall = 100'000;
// Retention by size deletes down to this share of max_bytes, so that it does not run again
// on the very next batch.
constexpr double kRetentionSizeTarget = 0.95;
// Pages returned to the file system per EnforceRetention call (64 MiB at 4 KiB pages).
constexpr int64_t kVacuumPagesPerCall = 16'384;
// The WAL is truncated back to this size after a checkpoint.
constexpr int64_t kJournalSizeLimit = 64 << 20;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE streams(name TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE signals(id INTEGER PRIMARY KEY, asset TEXT NOT NULL, signal TEXT NOT NULL,
                     unit TEXT NOT NULL, UNIQUE(asset, signal, unit));
CREATE TABLE sources(id INTEGER PRIMARY KEY, protocol TEXT NOT NULL, endpoint TEXT NOT NULL,
                     address TEXT NOT NULL, UNIQUE(protocol, endpoint, address));
CREATE TABLE observations(seq INTEGER PRIMARY KEY, signal INTEGER NOT NULL, ts INTEGER NOT NULL,
                          ingest_ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL,
                          source INTEGER, block BLOB);
CREATE UNIQUE INDEX observations_signal_ts ON observations(signal, ts);
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

std::optional<RejectReason> ParseRejectReason(std::string_view name) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    if (RejectReasonName(reason) == name) return reason;
  }
  return std::nullopt;
}

// Row counts, as Stats reports them.
struct Counts {
  uint64_t observations = 0;
  uint64_t blocks = 0;
  uint64_t dead_letters = 0;
  uint64_t events = 0;
};

// What one retention chunk deleted.
struct Deleted {
  uint64_t rows = 0;
  uint64_t blocks = 0;
  uint64_t outbox_dropped = 0;
};

class SqliteStore final : public Store {
 public:
  static StatusOr<std::unique_ptr<Store>> Open(const SqliteStoreOptions& options);

  Status Append(WriteBatch& batch, AppendResult* result) override;
  StatusOr<std::vector<ObservationRow>> QueryObservations(const ObservationQuery& q) override;
  StatusOr<std::vector<DeadLetter>> QueryDeadLetters(const DeadLetterQuery& q) override;
  StatusOr<std::vector<Event>> QueryEvents(int64_t from_ns, int64_t to_ns, size_t limit) override;
  StatusOr<StoreStats> Stats() override;
  StatusOr<RetentionResult> EnforceRetention(const RetentionPolicy& policy,
                                             int64_t now_ns) override;
  StatusOr<std::vector<OutboxRange>> PendingOutbox(size_t max_ranges) override;
  Status AckOutbox(std::string_view stream, uint64_t through_seq) override;

 private:
  SqliteStore(SqliteStoreOptions options, std::optional<WriterLock> lock, std::unique_ptr<Db> db)
      : options_(std::move(options)), lock_(std::move(lock)), db_(std::move(db)) {}

  bool writer() const { return lock_.has_value(); }
  Status RequireWriter(std::string_view what) const;

  Status InitSchema();
  Status CheckSchema();
  Status PrepareStatements();
  Status LoadSeqs();

  Status Validate(const WriteBatch& batch) const;
  Status WriteRows(WriteBatch& batch, uint64_t* obs_seq, uint64_t* dlq_seq, AppendResult* r,
                   uint64_t* blocks);
  Status InsertObservations(std::vector<Observation>& obs, uint64_t* seq, AppendResult* r,
                            uint64_t* blocks);
  Status InsertScalarChunk(Observation* o, uint64_t* seq, AppendResult* r, bool* had_duplicate);
  Status InsertObservation(Observation& o, uint64_t* seq, AppendResult* r, uint64_t* blocks);
  Status EndStream(std::string_view stream, uint64_t before, uint64_t after);
  StatusOr<int64_t> SignalRow(SignalId id);
  StatusOr<int64_t> SourceRow(SourceId id);

  StatusOr<Counts> CountRows();
  StatusOr<Counts*> WriterCounts();
  StatusOr<int64_t> UsedBytes();

  StatusOr<uint64_t> ObservationAgeBoundary(int64_t cutoff, int64_t max_rows);
  StatusOr<Deleted> DeleteObservationsThrough(uint64_t seq);
  StatusOr<Deleted> DeleteDeadLetters(std::optional<int64_t> before_ts, int64_t max_rows);
  StatusOr<uint64_t> DeleteEvents(int64_t before_ts, int64_t max_rows);
  StatusOr<uint64_t> DropFromOutbox(std::string_view stream, std::string_view table,
                                    std::vector<int64_t>& seqs);
  StatusOr<bool> ShrinkFile(int64_t max_bytes);

  const std::string& path() const { return options_.path; }

  SqliteStoreOptions options_;
  // Declared in this order so that statements are finalized before the connection closes and
  // the lock is released only after that.
  std::optional<WriterLock> lock_;
  std::unique_ptr<Db> db_;

  struct Statements {
    Statement insert_obs, insert_obs_chunk, delete_obs_after, insert_dlq, insert_event,
        upsert_stream, insert_outbox;
    Statement insert_signal, select_signal, insert_source, select_source;
    Statement query_obs, query_obs_no_blocks, query_dlq, query_events, outbox_of_stream;
  } st_;

  // Writer state. Seqs are the last committed ones; they only move on commit.
  uint64_t last_obs_seq_ = 0;
  uint64_t last_dlq_seq_ = 0;
  std::optional<Counts> counts_;  // loaded on first use, then kept up to date on commit
  // signals.id / sources.id by SignalId / SourceId; 0 = not looked up yet.
  std::vector<int64_t> signal_rows_;
  std::vector<int64_t> source_rows_;
  // Ids cached during the current Append; forgotten if it rolls back, because the rows it
  // inserted are gone and their ids may be handed out again.
  std::vector<SignalId> new_signals_;
  std::vector<SourceId> new_sources_;
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
    STRATA_RETURN_IF_ERROR(d.Exec(fmt::format("PRAGMA journal_size_limit={}", kJournalSizeLimit)));
  }
  STRATA_RETURN_IF_ERROR(store->PrepareStatements());
  if (!options.read_only) STRATA_RETURN_IF_ERROR(store->LoadSeqs());
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
  if (writer()) {
    STRATA_ASSIGN_OR_RETURN(std::string mode, db_->QueryText("PRAGMA journal_mode=WAL"));
    if (mode != "wal") {
      return FailedPreconditionError(
          fmt::format("store '{}': SQLite refused WAL mode (journal_mode is '{}')", path(), mode));
    }
  }
  return Status::Ok();
}

Status SqliteStore::PrepareStatements() {
  auto prepare = [this](Statement* stmt, std::string_view sql) -> Status {
    STRATA_ASSIGN_OR_RETURN(*stmt, db_->Prepare(sql));
    return Status::Ok();
  };
  constexpr std::string_view kQueryObs =
      "SELECT o.seq, s.signal, s.unit, o.ts, o.ingest_ts, o.value, o.quality, {}, "
      "src.protocol, src.endpoint, src.address "
      "FROM signals s JOIN observations o ON o.signal = s.id "
      "LEFT JOIN sources src ON src.id = o.source "
      "WHERE s.asset = ?1 AND (?2 = '' OR s.signal = ?2) AND o.ts >= ?3 AND o.ts < ?4 "
      "ORDER BY o.ts, o.seq LIMIT ?5";
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_obs, fmt::format(kQueryObs, "o.block")));
  STRATA_RETURN_IF_ERROR(
      prepare(&st_.query_obs_no_blocks, fmt::format(kQueryObs, "o.block IS NOT NULL")));
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_dlq,
                                 "SELECT seq, ts, reason, source, detail, payload, truncated "
                                 "FROM dead_letters WHERE ts >= ?1 AND ts < ?2 "
                                 "ORDER BY ts DESC, seq DESC LIMIT ?3"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.query_events,
                                 "SELECT ts, kind, subject, detail FROM events "
                                 "WHERE ts >= ?1 AND ts < ?2 ORDER BY ts DESC, id DESC LIMIT ?3"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.outbox_of_stream,
                                 "SELECT first_seq, last_seq FROM outbox WHERE stream = ?1 "
                                 "ORDER BY first_seq LIMIT ?2"));
  if (!writer()) return Status::Ok();
  // Duplicates are recognised by the (signal, ts) index only; any other conflict (e.g. on
  // seq) is an error, not a silently skipped row.
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_obs,
                                 "INSERT INTO observations(seq, signal, ts, ingest_ts, value, "
                                 "quality, source, block) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                                 "ON CONFLICT(signal, ts) DO NOTHING"));
  // The fast path for scalars. OR IGNORE skips duplicates on (signal, ts); the caller tells
  // them by the row count and redoes such a chunk row by row (see InsertObservations).
  std::string chunk_sql =
      "INSERT OR IGNORE INTO observations(seq, signal, ts, ingest_ts, value, quality, source) "
      "VALUES ";
  for (size_t i = 0; i < kRowsPerInsert; ++i)
    chunk_sql += i == 0 ? "(?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?)";
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_obs_chunk, chunk_sql));
  STRATA_RETURN_IF_ERROR(prepare(&st_.delete_obs_after, "DELETE FROM observations WHERE seq > ?1"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_dlq,
                                 "INSERT INTO dead_letters(seq, ts, reason, source, detail, "
                                 "payload, truncated) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  STRATA_RETURN_IF_ERROR(prepare(
      &st_.insert_event, "INSERT INTO events(ts, kind, subject, detail) VALUES(?1, ?2, ?3, ?4)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.upsert_stream,
                                 "INSERT INTO streams(name, last_seq) VALUES(?1, ?2) "
                                 "ON CONFLICT(name) DO UPDATE SET last_seq = excluded.last_seq"));
  STRATA_RETURN_IF_ERROR(prepare(
      &st_.insert_outbox, "INSERT INTO outbox(stream, first_seq, last_seq) VALUES(?1, ?2, ?3)"));
  STRATA_RETURN_IF_ERROR(prepare(&st_.insert_signal,
                                 "INSERT INTO signals(asset, signal, unit) VALUES(?1, ?2, ?3) "
                                 "ON CONFLICT DO NOTHING"));
  STRATA_RETURN_IF_ERROR(prepare(
      &st_.select_signal, "SELECT id FROM signals WHERE asset = ?1 AND signal = ?2 AND unit = ?3"));
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
  // handed out twice.
  STRATA_ASSIGN_OR_RETURN(int64_t obs,
                          db_->QueryInt64("SELECT MAX(COALESCE((SELECT last_seq FROM streams WHERE "
                                          "name = 'obs'), 0), COALESCE((SELECT MAX(seq) FROM "
                                          "observations), 0))"));
  STRATA_ASSIGN_OR_RETURN(int64_t dlq,
                          db_->QueryInt64("SELECT MAX(COALESCE((SELECT last_seq FROM streams WHERE "
                                          "name = 'dlq'), 0), COALESCE((SELECT MAX(seq) FROM "
                                          "dead_letters), 0))"));
  last_obs_seq_ = static_cast<uint64_t>(obs);
  last_dlq_seq_ = static_cast<uint64_t>(dlq);
  if (options_.model) signal_rows_.assign(options_.model->signal_count(), 0);
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
  uint64_t blocks = 0;
  new_signals_.clear();
  new_sources_.clear();
  const Status status = WriteRows(batch, &obs_seq, &dlq_seq, &r, &blocks);
  if (!status.ok()) {
    // Rolled back: nothing of the batch is stored and no seq was consumed.
    for (SignalId id : new_signals_) signal_rows_[id] = 0;
    for (SourceId id : new_sources_) source_rows_[id] = 0;
    for (Observation& o : batch.observations) o.seq = 0;
    for (DeadLetter& d : batch.dead_letters) d.seq = 0;
    return status.WithContext(fmt::format(
        "store '{}': appending {} observations, {} dead letters and {} events failed; nothing "
        "was written",
        path(), batch.observations.size(), batch.dead_letters.size(), batch.events.size()));
  }
  last_obs_seq_ = obs_seq;
  last_dlq_seq_ = dlq_seq;
  if (counts_) {
    counts_->observations += r.observations_written;
    counts_->blocks += blocks;
    counts_->dead_letters += r.dead_letters_written;
    counts_->events += r.events_written;
  }
  if (result != nullptr) *result = r;
  return Status::Ok();
}

Status SqliteStore::WriteRows(WriteBatch& batch, uint64_t* obs_seq, uint64_t* dlq_seq,
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
  STRATA_RETURN_IF_ERROR(EndStream(kDeadLetterStream, last_dlq_seq_, *dlq_seq));
  return txn.Commit();
}

// Runs of kRowsPerInsert scalars go through the multi-row INSERT; blocks, the rest of a run,
// and chunks that held a duplicate go row by row, so that every row's fate (and seq) is known.
Status SqliteStore::InsertObservations(std::vector<Observation>& obs, uint64_t* seq,
                                       AppendResult* r, uint64_t* blocks) {
  size_t i = 0;
  while (i < obs.size()) {
    size_t run = 0;
    while (run < kRowsPerInsert && i + run < obs.size() && !obs[i + run].block) ++run;
    if (run == kRowsPerInsert) {
      bool had_duplicate = false;
      STRATA_RETURN_IF_ERROR(InsertScalarChunk(&obs[i], seq, r, &had_duplicate));
      if (!had_duplicate) {
        i += kRowsPerInsert;
        continue;
      }
      for (size_t end = i + kRowsPerInsert; i < end; ++i) {
        STRATA_RETURN_IF_ERROR(InsertObservation(obs[i], seq, r, blocks));
      }
      continue;
    }
    STRATA_RETURN_IF_ERROR(InsertObservation(obs[i], seq, r, blocks));
    ++i;
  }
  return Status::Ok();
}

// Inserts kRowsPerInsert scalars starting at `o` with seqs *seq + 1, *seq + 2, ... If one was
// a duplicate (fewer rows inserted), undoes the chunk and sets *had_duplicate: the caller then
// inserts the rows one by one, so that seqs stay dense.
Status SqliteStore::InsertScalarChunk(Observation* o, uint64_t* seq, AppendResult* r,
                                      bool* had_duplicate) {
  Statement& st = st_.insert_obs_chunk;
  Statement::ResetGuard reset(st);
  for (size_t k = 0; k < kRowsPerInsert; ++k) {
    const Observation& ob = o[k];
    STRATA_ASSIGN_OR_RETURN(const int64_t signal, SignalRow(ob.signal));
    std::optional<int64_t> source;
    if (ob.source != kInvalidSource) {
      STRATA_ASSIGN_OR_RETURN(source, SourceRow(ob.source));
    }
    std::optional<double> value;
    if (!std::isnan(ob.value)) value = ob.value;
    const int p = static_cast<int>(k) * 7;
    Status bound = st.BindInt64(p + 1, static_cast<int64_t>(*seq + 1 + k));
    if (bound.ok()) bound = st.BindInt64(p + 2, signal);
    if (bound.ok()) bound = st.BindInt64(p + 3, ob.ts_ns);
    if (bound.ok()) bound = st.BindInt64(p + 4, ob.ingest_ts_ns);
    if (bound.ok()) bound = st.BindValue(p + 5, value);
    if (bound.ok()) bound = st.BindInt64(p + 6, static_cast<int>(ob.quality));
    if (bound.ok()) bound = st.BindValue(p + 7, source);
    STRATA_RETURN_IF_ERROR(bound);
  }
  STRATA_RETURN_IF_ERROR(st.Run());
  if (db_->changes() == static_cast<int64_t>(kRowsPerInsert)) {
    for (size_t k = 0; k < kRowsPerInsert; ++k) o[k].seq = ++*seq;
    r->observations_written += kRowsPerInsert;
    return Status::Ok();
  }
  *had_duplicate = true;
  Statement& undo = st_.delete_obs_after;
  Statement::ResetGuard reset_undo(undo);
  STRATA_RETURN_IF_ERROR(undo.BindAll(*seq));
  return undo.Run();
}

Status SqliteStore::InsertObservation(Observation& o, uint64_t* seq, AppendResult* r,
                                      uint64_t* blocks) {
  STRATA_ASSIGN_OR_RETURN(const int64_t signal, SignalRow(o.signal));
  std::optional<int64_t> source;
  if (o.source != kInvalidSource) {
    STRATA_ASSIGN_OR_RETURN(source, SourceRow(o.source));
  }
  Statement& st = st_.insert_obs;
  Statement::ResetGuard reset(st);
  Status bound;
  if (o.block) {
    STRATA_RETURN_IF_ERROR(encoder_.Encode(*o.block, &block_buf_));
    bound = st.BindAll(*seq + 1, signal, o.ts_ns, o.ingest_ts_ns, Null{},
                       static_cast<int>(o.quality), source, StaticBlob{block_buf_});
  } else if (std::isnan(o.value)) {
    bound = st.BindAll(*seq + 1, signal, o.ts_ns, o.ingest_ts_ns, Null{},
                       static_cast<int>(o.quality), source, Null{});
  } else {
    bound = st.BindAll(*seq + 1, signal, o.ts_ns, o.ingest_ts_ns, o.value,
                       static_cast<int>(o.quality), source, Null{});
  }
  STRATA_RETURN_IF_ERROR(bound);
  STRATA_RETURN_IF_ERROR(st.Run());
  if (db_->changes() == 1) {
    o.seq = ++*seq;
    ++r->observations_written;
    if (o.block) ++*blocks;
  } else {
    o.seq = 0;
    ++r->duplicates;
  }
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

StatusOr<int64_t> SqliteStore::SignalRow(SignalId id) {
  if (signal_rows_[id] != 0) return signal_rows_[id];
  const SignalInfo& info = options_.model->signal(id);
  const auto key = std::make_tuple(StaticText{info.asset->path}, StaticText{info.spec->name},
                                   StaticText{info.spec->unit});
  {
    Statement& st = st_.insert_signal;
    Statement::ResetGuard reset(st);
    STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
    STRATA_RETURN_IF_ERROR(st.Run());
  }
  Statement& st = st_.select_signal;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(std::apply([&st](auto... v) { return st.BindAll(v...); }, key));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    return InternalError(fmt::format("store '{}': signal row of {} {} [{}] vanished", path(),
                                     info.asset->path, info.spec->name, info.spec->unit));
  }
  signal_rows_[id] = st.ColumnInt64(0);
  new_signals_.push_back(id);
  return signal_rows_[id];
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

StatusOr<std::vector<ObservationRow>> SqliteStore::QueryObservations(const ObservationQuery& q) {
  std::vector<ObservationRow> rows;
  if (q.to_ns <= q.from_ns || q.limit == 0) return rows;
  Statement& st = q.with_blocks ? st_.query_obs : st_.query_obs_no_blocks;
  Statement::ResetGuard reset(st);
  STRATA_RETURN_IF_ERROR(
      st.BindAll(StaticText{q.asset}, StaticText{q.signal}, q.from_ns, q.to_ns, ToInt64(q.limit)));
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) break;
    ObservationRow& row = rows.emplace_back();
    row.seq = static_cast<uint64_t>(st.ColumnInt64(0));
    row.asset = q.asset;
    row.signal = st.ColumnText(1);
    row.unit = st.ColumnText(2);
    row.ts_ns = st.ColumnInt64(3);
    row.ingest_ts_ns = st.ColumnInt64(4);
    if (!st.ColumnIsNull(5)) row.value = st.ColumnDouble(5);
    const int64_t quality = st.ColumnInt64(6);
    if (quality < 0 || quality > static_cast<int>(Quality::kBad)) {
      return DataLossError(fmt::format("store '{}': observation seq {} has quality {} (not 0-2)",
                                       path(), row.seq, quality));
    }
    row.quality = static_cast<Quality>(quality);
    if (q.with_blocks) {
      row.is_block = !st.ColumnIsNull(7);
      if (row.is_block) {
        StatusOr<WaveformBlock> block = decoder_.Decode(st.ColumnBlob(7));
        if (!block.ok()) {
          return block.status().WithContext(
              fmt::format("store '{}': observation seq {}", path(), row.seq));
        }
        row.block = std::move(*block);
      }
    } else {
      row.is_block = st.ColumnInt64(7) != 0;
    }
    if (!st.ColumnIsNull(8)) {
      row.source.protocol = st.ColumnText(8);
      row.source.endpoint = st.ColumnText(9);
      row.source.address = st.ColumnText(10);
    }
  }
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
    DeadLetter& d = out.emplace_back();
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

// --- stats ---

StatusOr<Counts> SqliteStore::CountRows() {
  Counts c;
  STRATA_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT (SELECT COUNT(*) FROM observations), "
                                                     "(SELECT COUNT(block) FROM observations), "
                                                     "(SELECT COUNT(*) FROM dead_letters), "
                                                     "(SELECT COUNT(*) FROM events)"));
  STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return InternalError("store: row counts returned no row");
  c.observations = static_cast<uint64_t>(st.ColumnInt64(0));
  c.blocks = static_cast<uint64_t>(st.ColumnInt64(1));
  c.dead_letters = static_cast<uint64_t>(st.ColumnInt64(2));
  c.events = static_cast<uint64_t>(st.ColumnInt64(3));
  return c;
}

// The writer counts rows once (a full scan) and then keeps the counts up to date itself.
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
  STRATA_ASSIGN_OR_RETURN(s.used_bytes, UsedBytes());
  STRATA_ASSIGN_OR_RETURN(
      int64_t outbox,
      db_->QueryInt64("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM outbox"));
  s.outbox_records = static_cast<uint64_t>(outbox);
  STRATA_RETURN_IF_ERROR(txn.Commit());
  s.file_bytes = FileSize(path()) + FileSize(path() + "-wal");
  return s;
}

// --- retention ---

// The highest seq such that every observation up to it (at most `max_rows` of them, oldest
// first) was ingested before `cutoff`; 0 when the oldest is not that old. Relies on seq order
// being ingest order, which holds up to clock steps on the edge: around a step backwards, a
// few rows may be kept a little longer than the policy says, never deleted early.
StatusOr<uint64_t> SqliteStore::ObservationAgeBoundary(int64_t cutoff, int64_t max_rows) {
  STRATA_ASSIGN_OR_RETURN(
      Statement first,
      db_->Prepare("SELECT seq, ingest_ts FROM observations ORDER BY seq LIMIT 1"));
  STRATA_ASSIGN_OR_RETURN(bool any, first.Step());
  if (!any || first.ColumnInt64(1) >= cutoff) return uint64_t{0};
  int64_t lo = first.ColumnInt64(0);  // ingested before cutoff

  // The last row with seq <= s: as seqs are dense except where retention already deleted,
  // lo + max_rows - 1 bounds the chunk to about max_rows rows.
  STRATA_ASSIGN_OR_RETURN(Statement at_or_before,
                          db_->Prepare("SELECT seq, ingest_ts FROM observations WHERE seq <= ?1 "
                                       "ORDER BY seq DESC LIMIT 1"));
  auto probe = [&at_or_before](int64_t s) -> StatusOr<std::pair<int64_t, int64_t>> {
    Statement::ResetGuard reset(at_or_before);
    STRATA_RETURN_IF_ERROR(at_or_before.BindAll(s));
    STRATA_ASSIGN_OR_RETURN(bool row, at_or_before.Step());
    if (!row) return InternalError("store: retention probe found no row");
    return std::pair{at_or_before.ColumnInt64(0), at_or_before.ColumnInt64(1)};
  };
  STRATA_ASSIGN_OR_RETURN(auto end, probe(lo + max_rows - 1));
  if (end.second < cutoff) return static_cast<uint64_t>(end.first);
  // Binary search for the last row ingested before cutoff: old(lo) holds, old(hi) does not.
  int64_t hi = end.first;
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    STRATA_ASSIGN_OR_RETURN(auto row, probe(mid));
    if (row.second < cutoff) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  STRATA_ASSIGN_OR_RETURN(auto last, probe(lo));
  return static_cast<uint64_t>(last.first);
}

// Deletes the observations with seq <= `seq`, in one transaction.
StatusOr<Deleted> SqliteStore::DeleteObservationsThrough(uint64_t seq) {
  Deleted d;
  std::vector<int64_t> seqs;
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  {
    STRATA_ASSIGN_OR_RETURN(
        Statement st,
        db_->Prepare("DELETE FROM observations WHERE seq <= ?1 RETURNING seq, block IS NOT NULL"));
    STRATA_RETURN_IF_ERROR(st.BindAll(seq));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      seqs.push_back(st.ColumnInt64(0));
      if (st.ColumnInt64(1) != 0) ++d.blocks;
    }
  }
  d.rows = seqs.size();
  STRATA_ASSIGN_OR_RETURN(d.outbox_dropped,
                          DropFromOutbox(kObservationStream, "observations", seqs));
  STRATA_RETURN_IF_ERROR(txn.Commit());
  return d;
}

// Deletes up to `max_rows` of the oldest dead letters (by rejection time), only those older
// than `before_ts` if given, in one transaction.
StatusOr<Deleted> SqliteStore::DeleteDeadLetters(std::optional<int64_t> before_ts,
                                                 int64_t max_rows) {
  Deleted d;
  std::vector<int64_t> seqs;
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  {
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM "
                                         "dead_letters WHERE ts < ?1 ORDER BY ts LIMIT ?2) "
                                         "RETURNING seq"));
    STRATA_RETURN_IF_ERROR(
        st.BindAll(before_ts.value_or(std::numeric_limits<int64_t>::max()), max_rows));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      seqs.push_back(st.ColumnInt64(0));
    }
  }
  d.rows = seqs.size();
  STRATA_ASSIGN_OR_RETURN(d.outbox_dropped,
                          DropFromOutbox(kDeadLetterStream, "dead_letters", seqs));
  STRATA_RETURN_IF_ERROR(txn.Commit());
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

// Called inside the deleting transaction with the seqs of `stream` just deleted from `table`:
// counts those still waiting in the outbox (data the hub will never get) and trims the outbox
// ranges that held them, moving first_seq up to the oldest remaining row or deleting the range.
StatusOr<uint64_t> SqliteStore::DropFromOutbox(std::string_view stream, std::string_view table,
                                               std::vector<int64_t>& seqs) {
  if (seqs.empty()) return uint64_t{0};
  std::sort(seqs.begin(), seqs.end());
  struct Range {
    int64_t first, last;
  };
  std::vector<Range> ranges;
  {
    STRATA_ASSIGN_OR_RETURN(Statement st,
                            db_->Prepare("SELECT first_seq, last_seq FROM outbox WHERE stream = ?1 "
                                         "AND first_seq <= ?2 AND last_seq >= ?3 "
                                         "ORDER BY first_seq"));
    STRATA_RETURN_IF_ERROR(st.BindAll(StaticText{stream}, seqs.back(), seqs.front()));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ranges.push_back({st.ColumnInt64(0), st.ColumnInt64(1)});
    }
  }
  if (ranges.empty()) return uint64_t{0};
  STRATA_ASSIGN_OR_RETURN(
      Statement oldest,
      db_->Prepare(fmt::format("SELECT MIN(seq) FROM {} WHERE seq BETWEEN ?1 AND ?2", table)));
  STRATA_ASSIGN_OR_RETURN(Statement remove,
                          db_->Prepare("DELETE FROM outbox WHERE stream = ?1 AND first_seq = ?2"));
  STRATA_ASSIGN_OR_RETURN(
      Statement move,
      db_->Prepare("UPDATE outbox SET first_seq = ?3 WHERE stream = ?1 AND first_seq = ?2"));
  uint64_t dropped = 0;
  auto it = seqs.begin();
  for (const Range& range : ranges) {
    it = std::lower_bound(it, seqs.end(), range.first);
    const auto end = std::upper_bound(it, seqs.end(), range.last);
    if (it == end) continue;
    dropped += static_cast<uint64_t>(end - it);
    it = end;
    Statement::ResetGuard reset_oldest(oldest);
    STRATA_RETURN_IF_ERROR(oldest.BindAll(range.first, range.last));
    STRATA_ASSIGN_OR_RETURN(bool row, oldest.Step());
    if (!row || oldest.ColumnIsNull(0)) {
      Statement::ResetGuard reset(remove);
      STRATA_RETURN_IF_ERROR(remove.BindAll(StaticText{stream}, range.first));
      STRATA_RETURN_IF_ERROR(remove.Run());
    } else if (oldest.ColumnInt64(0) != range.first) {
      Statement::ResetGuard reset(move);
      STRATA_RETURN_IF_ERROR(move.BindAll(StaticText{stream}, range.first, oldest.ColumnInt64(0)));
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
  auto account = [&](const Deleted& d, bool observations) {
    if (observations) {
      res.observations_deleted += d.rows;
      counts->observations -= std::min(counts->observations, d.rows);
      counts->blocks -= std::min(counts->blocks, d.blocks);
    } else {
      res.dead_letters_deleted += d.rows;
      counts->dead_letters -= std::min(counts->dead_letters, d.rows);
    }
    res.outbox_dropped += d.outbox_dropped;
    budget -= static_cast<int64_t>(d.rows);
  };
  auto fail = [this](const Status& s) {
    return s.WithContext(fmt::format("store '{}': retention", path()));
  };

  if (policy.max_age_ns > 0) {
    const int64_t cutoff = now_ns > std::numeric_limits<int64_t>::min() + policy.max_age_ns
                               ? now_ns - policy.max_age_ns
                               : std::numeric_limits<int64_t>::min();
    while (budget > 0) {
      StatusOr<uint64_t> through =
          ObservationAgeBoundary(cutoff, std::min(budget, kRetentionChunkRows));
      if (!through.ok()) return fail(through.status());
      if (*through == 0) break;
      StatusOr<Deleted> d = DeleteObservationsThrough(*through);
      if (!d.ok()) return fail(d.status());
      account(*d, true);
    }
    while (budget > 0) {
      StatusOr<Deleted> d = DeleteDeadLetters(cutoff, std::min(budget, kRetentionChunkRows));
      if (!d.ok()) return fail(d.status());
      if (d->rows == 0) break;
      account(*d, false);
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
      // Oldest first across observations and dead letters (events are small and kept until
      // they age out). Chunks are sized from the average row size, so that blocks of
      // hundreds of KiB and scalars of tens of bytes both converge in a few steps.
      while (*used > target && budget > 0) {
        const uint64_t rows = counts->observations + counts->dead_letters + counts->events;
        if (counts->observations + counts->dead_letters == 0) break;
        const double row_bytes =
            static_cast<double>(*used) / static_cast<double>(std::max<uint64_t>(rows, 1));
        const int64_t chunk = std::clamp<int64_t>(
            static_cast<int64_t>(std::ceil(static_cast<double>(*used - target) / row_bytes)), 1,
            std::min(budget, kRetentionChunkRows));
        StatusOr<int64_t> oldest_obs = db_->QueryInt64(
            "SELECT COALESCE((SELECT ingest_ts FROM observations ORDER BY seq LIMIT 1), "
            "9223372036854775807)");
        if (!oldest_obs.ok()) return fail(oldest_obs.status());
        StatusOr<int64_t> oldest_dlq = db_->QueryInt64(
            "SELECT COALESCE((SELECT MIN(ts) FROM dead_letters), 9223372036854775807)");
        if (!oldest_dlq.ok()) return fail(oldest_dlq.status());
        if (counts->dead_letters > 0 && (*oldest_dlq < *oldest_obs || counts->observations == 0)) {
          StatusOr<Deleted> d = DeleteDeadLetters(std::nullopt, chunk);
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, false);
        } else {
          StatusOr<int64_t> through = db_->QueryInt64(fmt::format(
              "SELECT COALESCE((SELECT seq FROM observations ORDER BY seq LIMIT 1 OFFSET {}), "
              "(SELECT MAX(seq) FROM observations), 0)",
              chunk - 1));
          if (!through.ok()) return fail(through.status());
          if (*through == 0) break;
          StatusOr<Deleted> d = DeleteObservationsThrough(static_cast<uint64_t>(*through));
          if (!d.ok()) return fail(d.status());
          if (d->rows == 0) break;
          account(*d, true);
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
  } else {
    return InvalidArgumentError(
        fmt::format("store '{}': cannot acknowledge unknown stream '{}' "
                    "(streams: {}, {})",
                    path(), stream, kObservationStream, kDeadLetterStream));
  }
  if (through_seq > last) {
    return InvalidArgumentError(fmt::format(
        "store '{}': cannot acknowledge stream '{}' through seq {}: the last committed seq is "
        "{} (does the hub hold data of another edge or an older store?)",
        path(), stream, through_seq, last));
  }
  if (through_seq == 0) return Status::Ok();
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
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
  return txn.Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteStoreOptions& options) {
  return SqliteStore::Open(options);
}

}  // namespace strata
