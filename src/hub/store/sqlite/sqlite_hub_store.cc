#include "hub/store/sqlite/sqlite_hub_store.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hub/store/ingest_plan.h"
#include "hub/store/ingest_rows.h"
#include "store/sqlite/sqlite_db.h"

namespace strata {
namespace {

using sqlite::Db;
using sqlite::Null;
using sqlite::Statement;
using sqlite::StaticBlob;
using sqlite::StaticText;
using sqlite::Transaction;

// Bump with a migration in InitOrCheckSchema when the schema below changes.
constexpr int64_t kSchemaVersion = 2;
// meta 'store': tells a hub store from an edge store (both have a meta table).
constexpr std::string_view kStoreKind = "strata-hub";
// How long a writer waits for another connection's write transaction (another store object on
// the same file) before giving up with Unavailable.
constexpr int kBusyTimeoutMs = 10'000;
// Read connections kept open between queries.
constexpr size_t kMaxIdleReaders = 8;

// streams: one row per (edge, stream) seen, with its progress; the other tables refer to it by
//   id, so an observation's key (stream_id, seq) is (edge, seq) within the stream "obs".
// pending: stored seq ranges above `through` (see ingest_plan.h).
// series, sources: interned (asset, signal, unit) and (protocol, endpoint, address).
// observations: scalars and blocks; a block's float32 samples are in `blocks` (rows of
//   kilobytes do not belong in the b-tree that range queries walk).
// latest: the newest observation per (asset, signal), upserted at ingest.
// Schema 1; a new store gets it and then every migration (kSchemaTo2, ...).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE streams(id INTEGER PRIMARY KEY, edge_id TEXT NOT NULL, stream TEXT NOT NULL,
  through INTEGER NOT NULL DEFAULT 0, updated_ns INTEGER NOT NULL DEFAULT 0,
  records INTEGER NOT NULL DEFAULT 0, UNIQUE(edge_id, stream));
CREATE TABLE pending(stream_id INTEGER NOT NULL, first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, PRIMARY KEY(stream_id, first_seq)) WITHOUT ROWID;
CREATE TABLE series(id INTEGER PRIMARY KEY, asset TEXT NOT NULL, signal TEXT NOT NULL,
  unit TEXT NOT NULL, UNIQUE(asset, signal, unit));
CREATE TABLE sources(id INTEGER PRIMARY KEY, protocol TEXT NOT NULL, endpoint TEXT NOT NULL,
  address TEXT NOT NULL, UNIQUE(protocol, endpoint, address));
CREATE TABLE observations(stream_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  series_id INTEGER NOT NULL, ts INTEGER NOT NULL, ingest_ts INTEGER NOT NULL, value REAL,
  quality INTEGER NOT NULL, source_id INTEGER NOT NULL, sample_rate REAL, block_id INTEGER,
  PRIMARY KEY(stream_id, seq)) WITHOUT ROWID;
CREATE INDEX observations_by_series_ts ON observations(series_id, ts);
CREATE TABLE blocks(id INTEGER PRIMARY KEY, samples BLOB NOT NULL);
CREATE TABLE dead_letters(stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
  reason TEXT NOT NULL, source TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL,
  truncated INTEGER NOT NULL, PRIMARY KEY(stream_id, seq)) WITHOUT ROWID;
CREATE INDEX dead_letters_by_ts ON dead_letters(ts);
CREATE TABLE records(stream_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,
  subject TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY(stream_id, seq)) WITHOUT ROWID;
CREATE INDEX records_by_ts ON records(ts);
CREATE INDEX records_by_subject_ts ON records(subject, ts);
CREATE TABLE latest(asset TEXT NOT NULL, signal TEXT NOT NULL, unit TEXT NOT NULL,
  edge_id TEXT NOT NULL, ts INTEGER NOT NULL, ingest_ts INTEGER NOT NULL,
  stored_ns INTEGER NOT NULL, value REAL, is_block INTEGER NOT NULL, quality INTEGER NOT NULL,
  PRIMARY KEY(asset, signal)) WITHOUT ROWID;
CREATE TABLE edges(edge_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, enrolled_ns INTEGER NOT NULL,
  credential_hash TEXT NOT NULL, last_seen_ns INTEGER NOT NULL, heartbeat TEXT NOT NULL,
  reported TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tokens(id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE, created_ns INTEGER NOT NULL, revoked INTEGER NOT NULL)
  WITHOUT ROWID;
)sql";

// Schema 2 adds desired: the desired state of each edge, its version +1 per change.
// IF NOT EXISTS: a schema-1 store that already has the table (made by hand) migrates too.
constexpr std::string_view kSchemaTo2 = R"sql(
CREATE TABLE IF NOT EXISTS desired(edge_id TEXT PRIMARY KEY, version INTEGER NOT NULL,
  document TEXT NOT NULL, updated_ns INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Heterogeneous lookup: the intern maps are probed with a reused key buffer.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using InternMap = std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>;

// Length-prefixed parts: unambiguous whatever bytes the parts hold.
void BuildKey(std::string& key, std::string_view a, std::string_view b, std::string_view c) {
  key.clear();
  for (std::string_view part : {a, b, c}) {
    const auto n = static_cast<uint32_t>(part.size());
    key.append(reinterpret_cast<const char*>(&n), sizeof(n));
    key.append(part);
  }
}

Quality QualityFromColumn(int64_t v) {
  return v >= 0 && v <= 2 ? static_cast<Quality>(v) : Quality::kBad;
}

class SqliteHubStore final : public HubStore {
 public:
  static StatusOr<std::unique_ptr<HubStore>> Open(const HubStoreOptions& options);

  StatusOr<IngestOutcome> IngestBatch(const UplinkBatch& batch, int64_t now_ns) override;
  StatusOr<std::vector<StreamProgress>> ListProgress() override;
  StatusOr<std::vector<ObservationRow>> QueryObservations(const HubObservationQuery& q) override;
  StatusOr<std::vector<SeriesBucket>> QuerySeries(const SeriesQuery& q) override;
  StatusOr<std::vector<SignalState>> LatestSignals(std::string_view asset) override;
  StatusOr<std::vector<HubDeadLetter>> QueryDeadLetters(const HubDeadLetterQuery& q) override;
  StatusOr<std::vector<HubRecord>> QueryRecords(const HubRecordQuery& q) override;
  Status UpsertEdge(const EdgeEntry& edge) override;
  StatusOr<std::optional<EdgeEntry>> GetEdge(std::string_view edge_id) override;
  StatusOr<std::vector<EdgeEntry>> ListEdges() override;
  Status RecordHeartbeat(std::string_view edge_id, std::string_view heartbeat_json,
                         int64_t now_ns) override;
  Status RecordReported(std::string_view edge_id, std::string_view reported_json,
                        int64_t now_ns) override;
  StatusOr<DesiredState> SetDesired(std::string_view edge_id, std::string_view document,
                                    int64_t now_ns) override;
  StatusOr<std::optional<DesiredState>> GetDesired(std::string_view edge_id) override;
  StatusOr<std::vector<DesiredState>> ListDesired() override;
  Status CreateToken(const ApiToken& token) override;
  StatusOr<std::optional<ApiToken>> FindTokenByHash(std::string_view hash) override;
  StatusOr<std::vector<ApiToken>> ListTokens() override;
  Status RevokeToken(std::string_view id) override;
  StatusOr<HubStoreStats> Stats() override;

 private:
  // The writer connection and its prepared statements; guarded by write_mu_.
  struct Writer {
    std::unique_ptr<Db> db;
    Statement find_stream, insert_stream, load_pending, delete_pending, insert_pending,
        update_stream, find_series, insert_series, find_source, insert_source, insert_obs,
        insert_block, insert_dlq, insert_record, upsert_latest, touch_edge;
    // Ids of series and sources; rows are never deleted, so ids stay valid across
    // transactions. Cleared when a transaction fails (it may have added rows rolled back).
    InternMap series_ids, source_ids;
    std::string key;
  };

  // A read connection borrowed from the pool; returned on destruction.
  class Reader {
   public:
    Reader(SqliteHubStore* store, std::unique_ptr<Db> db) : store_(store), db_(std::move(db)) {}
    Reader(Reader&&) = default;
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
      if (db_) store_->ReturnReader(std::move(db_));
    }
    Db& db() { return *db_; }

   private:
    SqliteHubStore* store_;
    std::unique_ptr<Db> db_;
  };

  explicit SqliteHubStore(std::string path) : path_(std::move(path)) {}

  Status InitOrCheckSchema();
  Status PrepareWriter();
  StatusOr<Reader> AcquireReader();
  void ReturnReader(std::unique_ptr<Db> db);

  StatusOr<IngestOutcome> IngestLocked(const UplinkBatch& batch, int64_t now_ns);
  Status InsertObservations(const UplinkBatch& batch, const IngestPlan& plan, int64_t stream_id,
                            int64_t now_ns);
  Status InsertDeadLetters(const UplinkBatch& batch, const IngestPlan& plan, int64_t stream_id);
  Status InsertRecords(const UplinkBatch& batch, const IngestPlan& plan, int64_t stream_id);
  StatusOr<int64_t> InternId(InternMap& ids, Statement& find, Statement& insert, std::string_view a,
                             std::string_view b, std::string_view c);
  Status UpdateEdgeDocument(std::string_view column, std::string_view edge_id,
                            std::string_view json, int64_t now_ns);

  const std::string path_;
  std::mutex write_mu_;
  Writer w_;  // guarded by write_mu_
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<Db>> idle_readers_;  // guarded by readers_mu_
};

StatusOr<std::unique_ptr<HubStore>> SqliteHubStore::Open(const HubStoreOptions& options) {
  const std::string& path = options.sqlite_path;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec)) {
    return NotFoundError(fmt::format(
        "hub store '{}': directory '{}' does not exist; create it or change store.path in "
        "hub.yaml",
        path, parent.string()));
  }
  std::unique_ptr<SqliteHubStore> store(new SqliteHubStore(path));
  STRATA_ASSIGN_OR_RETURN(store->w_.db, Db::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  Db& db = *store->w_.db;
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  // The WAL file is cut back to 64 MiB after a checkpoint (it would keep its largest size).
  STRATA_RETURN_IF_ERROR(db.Exec(
      "PRAGMA synchronous=FULL; PRAGMA cache_size=-16384; PRAGMA journal_size_limit=67108864"));
  STRATA_RETURN_IF_ERROR(store->InitOrCheckSchema());
  STRATA_RETURN_IF_ERROR(store->PrepareWriter());
  return std::unique_ptr<HubStore>(std::move(store));
}

Status SqliteHubStore::InitOrCheckSchema() {
  Db& db = *w_.db;
  StatusOr<std::string> mode = db.QueryText("PRAGMA journal_mode=WAL");
  if (!mode.ok()) {
    if (mode.status().code() == StatusCode::kDataLoss) {
      return DataLossError(fmt::format(
          "hub store '{}' is not an SQLite database or is corrupt ({}); restore it from a backup "
          "or use another path",
          path_, mode.status().message()));
    }
    return mode.status();
  }
  if (*mode != "wal") {
    return FailedPreconditionError(fmt::format(
        "hub store '{}': SQLite refused WAL mode (journal_mode is '{}'); is it on a network file "
        "system? Put it on a local disk",
        path_, *mode));
  }
  // IMMEDIATE: two hubs opening a new file at once create the schema once.
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  STRATA_ASSIGN_OR_RETURN(int64_t objects, db.QueryInt64("SELECT COUNT(*) FROM sqlite_master"));
  if (objects == 0) {
    STRATA_RETURN_IF_ERROR(db.Exec(kSchema));
    STRATA_RETURN_IF_ERROR(db.Exec(kSchemaTo2));
    STRATA_ASSIGN_OR_RETURN(Statement meta,
                            db.Prepare("INSERT INTO meta(key, value) VALUES('store', ?1), "
                                       "('schema_version', ?2)"));
    STRATA_RETURN_IF_ERROR(meta.BindAll(kStoreKind, std::to_string(kSchemaVersion)));
    STRATA_RETURN_IF_ERROR(meta.Run());
    return txn.Commit();
  }
  StatusOr<Statement> read = db.Prepare("SELECT key, value FROM meta");
  if (!read.ok()) {
    return FailedPreconditionError(fmt::format(
        "'{}' is an SQLite database but not a strata hub store (no meta table); use another "
        "path",
        path_));
  }
  std::string kind, version_text;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, read->Step());
    if (!row) break;
    if (read->ColumnText(0) == "store") kind = read->ColumnText(1);
    if (read->ColumnText(0) == "schema_version") version_text = read->ColumnText(1);
  }
  if (kind != kStoreKind) {
    return FailedPreconditionError(fmt::format(
        "'{}' is not a strata hub store (an edge store?); point store.path in hub.yaml at "
        "another file",
        path_));
  }
  int64_t version = 0;
  const char* end = version_text.data() + version_text.size();
  if (std::from_chars(version_text.data(), end, version).ptr != end || version < 1) {
    return DataLossError(
        fmt::format("hub store '{}': meta has no valid schema_version ('{}'); the file is damaged",
                    path_, version_text));
  }
  if (version > kSchemaVersion) {
    return FailedPreconditionError(fmt::format(
        "hub store '{}' was written by a newer strata (schema {}, this one knows {}); upgrade "
        "strata",
        path_, version, kSchemaVersion));
  }
  // Migrations, in the transaction that read the version: two hubs opening an old store at
  // once migrate it once.
  if (version < 2) {
    STRATA_RETURN_IF_ERROR(db.Exec(kSchemaTo2));
  }
  if (version < kSchemaVersion) {
    STRATA_ASSIGN_OR_RETURN(Statement bump,
                            db.Prepare("UPDATE meta SET value = ?1 WHERE key = 'schema_version'"));
    STRATA_RETURN_IF_ERROR(bump.BindAll(std::to_string(kSchemaVersion)));
    STRATA_RETURN_IF_ERROR(bump.Run());
  }
  return txn.Commit();
}

Status SqliteHubStore::PrepareWriter() {
  Db& db = *w_.db;
  struct {
    Statement* stmt;
    std::string_view sql;
  } const statements[] = {
      {&w_.find_stream,
       "SELECT id, through, records FROM streams WHERE edge_id = ?1 AND stream = ?2"},
      {&w_.insert_stream, "INSERT INTO streams(edge_id, stream) VALUES(?1, ?2)"},
      {&w_.load_pending,
       "SELECT first_seq, last_seq FROM pending WHERE stream_id = ?1 ORDER BY first_seq"},
      {&w_.delete_pending, "DELETE FROM pending WHERE stream_id = ?1"},
      {&w_.insert_pending,
       "INSERT INTO pending(stream_id, first_seq, last_seq) VALUES(?1, ?2, ?3)"},
      {&w_.update_stream,
       "UPDATE streams SET through = ?2, updated_ns = ?3, records = records + ?4 WHERE id = ?1"},
      {&w_.find_series, "SELECT id FROM series WHERE asset = ?1 AND signal = ?2 AND unit = ?3"},
      {&w_.insert_series, "INSERT INTO series(asset, signal, unit) VALUES(?1, ?2, ?3)"},
      {&w_.find_source,
       "SELECT id FROM sources WHERE protocol = ?1 AND endpoint = ?2 AND address = ?3"},
      {&w_.insert_source, "INSERT INTO sources(protocol, endpoint, address) VALUES(?1, ?2, ?3)"},
      {&w_.insert_obs,
       "INSERT INTO observations(stream_id, seq, series_id, ts, ingest_ts, value, quality, "
       "source_id, sample_rate, block_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
      {&w_.insert_block, "INSERT INTO blocks(samples) VALUES(?1)"},
      {&w_.insert_dlq,
       "INSERT INTO dead_letters(stream_id, seq, ts, reason, source, detail, payload, truncated) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&w_.insert_record,
       "INSERT INTO records(stream_id, seq, ts, subject, body) VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&w_.upsert_latest,
       "INSERT INTO latest(asset, signal, unit, edge_id, ts, ingest_ts, stored_ns, value, "
       "is_block, quality) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
       "ON CONFLICT(asset, signal) DO UPDATE SET unit = excluded.unit, "
       "edge_id = excluded.edge_id, ts = excluded.ts, ingest_ts = excluded.ingest_ts, "
       "stored_ns = excluded.stored_ns, value = excluded.value, is_block = excluded.is_block, "
       "quality = excluded.quality WHERE excluded.ts > latest.ts"},
      {&w_.touch_edge,
       "UPDATE edges SET last_seen_ns = ?2 WHERE edge_id = ?1 AND last_seen_ns < ?2"},
  };
  for (const auto& s : statements) {
    STRATA_ASSIGN_OR_RETURN(*s.stmt, db.Prepare(s.sql));
  }
  return Status::Ok();
}

StatusOr<SqliteHubStore::Reader> SqliteHubStore::AcquireReader() {
  {
    std::lock_guard lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Db> db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(db));
    }
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(path_, SQLITE_OPEN_READONLY));
  sqlite3_busy_timeout(db->get(), kBusyTimeoutMs);
  return Reader(this, std::move(db));
}

void SqliteHubStore::ReturnReader(std::unique_ptr<Db> db) {
  std::lock_guard lock(readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(db));
}

// --- ingest ---

StatusOr<IngestOutcome> SqliteHubStore::IngestBatch(const UplinkBatch& batch, int64_t now_ns) {
  STRATA_RETURN_IF_ERROR(hub_store::CheckBatch(batch));
  std::lock_guard lock(write_mu_);
  StatusOr<IngestOutcome> outcome = IngestLocked(batch, now_ns);
  if (!outcome.ok()) {
    w_.series_ids.clear();
    w_.source_ids.clear();
  }
  return outcome;
}

StatusOr<IngestOutcome> SqliteHubStore::IngestLocked(const UplinkBatch& batch, int64_t now_ns) {
  Db& db = *w_.db;
  // IMMEDIATE: the write lock is taken before progress is read, so two store objects on one
  // file cannot plan from the same progress.
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));

  int64_t stream_id = 0;
  uint64_t through = 0;
  {
    Statement& find = w_.find_stream;
    Statement::ResetGuard reset(find);
    STRATA_RETURN_IF_ERROR(find.BindAll(StaticText{batch.edge_id}, StaticText{batch.stream}));
    STRATA_ASSIGN_OR_RETURN(bool row, find.Step());
    if (row) {
      stream_id = find.ColumnInt64(0);
      through = static_cast<uint64_t>(find.ColumnInt64(1));
    }
  }
  if (stream_id == 0) {
    STRATA_RETURN_IF_ERROR(
        w_.insert_stream.BindAll(StaticText{batch.edge_id}, StaticText{batch.stream}));
    STRATA_RETURN_IF_ERROR(w_.insert_stream.Run());
    stream_id = db.last_insert_rowid();
  }

  std::vector<SeqRange> pending;
  {
    Statement& load = w_.load_pending;
    Statement::ResetGuard reset(load);
    STRATA_RETURN_IF_ERROR(load.BindAll(stream_id));
    for (;;) {
      STRATA_ASSIGN_OR_RETURN(bool row, load.Step());
      if (!row) break;
      pending.push_back(
          {static_cast<uint64_t>(load.ColumnInt64(0)), static_cast<uint64_t>(load.ColumnInt64(1))});
    }
  }

  const IngestPlan plan =
      PlanIngest(through, pending, batch.floor_seq, {batch.first_seq, batch.last_seq()});
  const uint64_t inserted = hub_store::InsertedCount(plan);

  if (batch.stream == kObservationStream) {
    STRATA_RETURN_IF_ERROR(InsertObservations(batch, plan, stream_id, now_ns));
  } else if (batch.stream == kDeadLetterStream) {
    STRATA_RETURN_IF_ERROR(InsertDeadLetters(batch, plan, stream_id));
  } else {
    STRATA_RETURN_IF_ERROR(InsertRecords(batch, plan, stream_id));
  }

  if (plan.pending != pending) {
    STRATA_RETURN_IF_ERROR(w_.delete_pending.BindAll(stream_id));
    STRATA_RETURN_IF_ERROR(w_.delete_pending.Run());
    for (const SeqRange& r : plan.pending) {
      STRATA_RETURN_IF_ERROR(w_.insert_pending.BindAll(stream_id, r.first, r.last));
      STRATA_RETURN_IF_ERROR(w_.insert_pending.Run());
    }
  }
  STRATA_RETURN_IF_ERROR(w_.update_stream.BindAll(stream_id, plan.through, now_ns, inserted));
  STRATA_RETURN_IF_ERROR(w_.update_stream.Run());
  STRATA_RETURN_IF_ERROR(w_.touch_edge.BindAll(StaticText{batch.edge_id}, now_ns));
  STRATA_RETURN_IF_ERROR(w_.touch_edge.Run());
  STRATA_RETURN_IF_ERROR(txn.Commit());
  return IngestOutcome{.stored = inserted, .duplicates = plan.duplicates, .through = plan.through};
}

StatusOr<int64_t> SqliteHubStore::InternId(InternMap& ids, Statement& find, Statement& insert,
                                           std::string_view a, std::string_view b,
                                           std::string_view c) {
  BuildKey(w_.key, a, b, c);
  if (auto it = ids.find(std::string_view(w_.key)); it != ids.end()) return it->second;
  int64_t id = 0;
  {
    Statement::ResetGuard reset(find);
    STRATA_RETURN_IF_ERROR(find.BindAll(StaticText{a}, StaticText{b}, StaticText{c}));
    STRATA_ASSIGN_OR_RETURN(bool row, find.Step());
    if (row) id = find.ColumnInt64(0);
  }
  if (id == 0) {
    STRATA_RETURN_IF_ERROR(insert.BindAll(StaticText{a}, StaticText{b}, StaticText{c}));
    STRATA_RETURN_IF_ERROR(insert.Run());
    id = w_.db->last_insert_rowid();
  }
  ids.emplace(w_.key, id);
  return id;
}

Status SqliteHubStore::InsertObservations(const UplinkBatch& batch, const IngestPlan& plan,
                                          int64_t stream_id, int64_t now_ns) {
  Status status;
  Statement& ins = w_.insert_obs;
  hub_store::ForEachInserted(plan, batch, [&](size_t i) {
    if (!status.ok()) return;
    const ObservationRow& o = batch.observations[i];
    StatusOr<int64_t> series =
        InternId(w_.series_ids, w_.find_series, w_.insert_series, o.asset, o.signal, o.unit);
    if (!series.ok()) {
      status = series.status();
      return;
    }
    StatusOr<int64_t> source = InternId(w_.source_ids, w_.find_source, w_.insert_source,
                                        o.source.protocol, o.source.endpoint, o.source.address);
    if (!source.ok()) {
      status = source.status();
      return;
    }
    std::optional<int64_t> block_id;
    std::optional<double> sample_rate;
    if (o.is_block && o.block.has_value()) {
      const std::vector<float>& samples = o.block->samples;
      status = w_.insert_block.BindAll(StaticBlob{std::string_view(
          reinterpret_cast<const char*>(samples.data()), samples.size() * sizeof(float))});
      if (status.ok()) status = w_.insert_block.Run();
      if (!status.ok()) return;
      block_id = w_.db->last_insert_rowid();
      sample_rate = o.block->sample_rate_hz;
    }
    status = ins.BindAll(stream_id, batch.first_seq + i, *series, o.ts_ns, o.ingest_ts_ns,
                         o.is_block ? std::nullopt : o.value, static_cast<int>(o.quality), *source,
                         sample_rate, block_id);
    if (status.ok()) status = ins.Run();
  });
  STRATA_RETURN_IF_ERROR(status);

  Statement& up = w_.upsert_latest;
  for (size_t i : hub_store::NewestPerSignal(plan, batch)) {
    const ObservationRow& o = batch.observations[i];
    STRATA_RETURN_IF_ERROR(up.BindAll(StaticText{o.asset}, StaticText{o.signal}, StaticText{o.unit},
                                      StaticText{batch.edge_id}, o.ts_ns, o.ingest_ts_ns, now_ns,
                                      o.is_block ? std::nullopt : o.value, o.is_block ? 1 : 0,
                                      static_cast<int>(o.quality)));
    STRATA_RETURN_IF_ERROR(up.Run());
  }
  return Status::Ok();
}

Status SqliteHubStore::InsertDeadLetters(const UplinkBatch& batch, const IngestPlan& plan,
                                         int64_t stream_id) {
  Status status;
  Statement& ins = w_.insert_dlq;
  hub_store::ForEachInserted(plan, batch, [&](size_t i) {
    if (!status.ok()) return;
    const DeadLetter& d = batch.dead_letters[i];
    status = ins.BindAll(stream_id, batch.first_seq + i, d.ts_ns,
                         StaticText{RejectReasonName(d.reason)}, StaticText{d.source},
                         StaticText{d.detail}, StaticBlob{d.payload}, d.payload_truncated ? 1 : 0);
    if (status.ok()) status = ins.Run();
  });
  return status;
}

Status SqliteHubStore::InsertRecords(const UplinkBatch& batch, const IngestPlan& plan,
                                     int64_t stream_id) {
  Status status;
  Statement& ins = w_.insert_record;
  hub_store::ForEachInserted(plan, batch, [&](size_t i) {
    if (!status.ok()) return;
    const Record& r = batch.records[i];
    status = ins.BindAll(stream_id, batch.first_seq + i, r.ts_ns, StaticText{r.subject},
                         StaticText{r.body});
    if (status.ok()) status = ins.Run();
  });
  return status;
}

StatusOr<std::vector<StreamProgress>> SqliteHubStore::ListProgress() {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(Statement stmt,
                          reader.db().Prepare("SELECT edge_id, stream, through, updated_ns, "
                                              "records FROM streams ORDER BY edge_id, stream"));
  std::vector<StreamProgress> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({.edge_id = std::string(stmt.ColumnText(0)),
                   .stream = std::string(stmt.ColumnText(1)),
                   .through = static_cast<uint64_t>(stmt.ColumnInt64(2)),
                   .updated_ns = stmt.ColumnInt64(3),
                   .records = static_cast<uint64_t>(stmt.ColumnInt64(4))});
  }
  return out;
}

// --- queries ---

StatusOr<std::vector<ObservationRow>> SqliteHubStore::QueryObservations(
    const HubObservationQuery& q) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  // Series first (a handful of rows by the asset index), then the (series, ts) range of each.
  const std::string_view sql =
      q.signal.empty()
          ? "SELECT o.seq, s.asset, s.signal, s.unit, o.ts, o.ingest_ts, o.value, o.quality, "
            "src.protocol, src.endpoint, src.address, o.sample_rate, b.samples, o.block_id "
            "FROM series s CROSS JOIN observations o ON o.series_id = s.id "
            "JOIN sources src ON src.id = o.source_id LEFT JOIN blocks b ON b.id = o.block_id "
            "WHERE s.asset = ?1 AND o.ts >= ?3 AND o.ts < ?4 "
            "ORDER BY s.signal, o.ts, o.stream_id, o.seq LIMIT ?5"
          : "SELECT o.seq, s.asset, s.signal, s.unit, o.ts, o.ingest_ts, o.value, o.quality, "
            "src.protocol, src.endpoint, src.address, o.sample_rate, b.samples, o.block_id "
            "FROM series s CROSS JOIN observations o ON o.series_id = s.id "
            "JOIN sources src ON src.id = o.source_id LEFT JOIN blocks b ON b.id = o.block_id "
            "WHERE s.asset = ?1 AND s.signal = ?2 AND o.ts >= ?3 AND o.ts < ?4 "
            "ORDER BY s.signal, o.ts, o.stream_id, o.seq LIMIT ?5";
  STRATA_ASSIGN_OR_RETURN(Statement stmt, reader.db().Prepare(sql));
  STRATA_RETURN_IF_ERROR(
      stmt.BindAll(q.asset, q.signal, q.from_ns, q.to_ns, hub_store::ClampLimit(q.limit)));
  std::vector<ObservationRow> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ObservationRow& o = out.emplace_back();
    o.seq = static_cast<uint64_t>(stmt.ColumnInt64(0));
    o.asset = stmt.ColumnText(1);
    o.signal = stmt.ColumnText(2);
    o.unit = stmt.ColumnText(3);
    o.ts_ns = stmt.ColumnInt64(4);
    o.ingest_ts_ns = stmt.ColumnInt64(5);
    if (!stmt.ColumnIsNull(6)) o.value = stmt.ColumnDouble(6);
    o.quality = QualityFromColumn(stmt.ColumnInt64(7));
    o.source.protocol = stmt.ColumnText(8);
    o.source.endpoint = stmt.ColumnText(9);
    o.source.address = stmt.ColumnText(10);
    if (!stmt.ColumnIsNull(13)) {
      o.is_block = true;
      WaveformBlock block;
      block.sample_rate_hz = stmt.ColumnDouble(11);
      STRATA_ASSIGN_OR_RETURN(block.samples, hub_store::SamplesFromBytes(stmt.ColumnBlob(12)));
      o.block = std::move(block);
    }
  }
  return out;
}

StatusOr<std::vector<SeriesBucket>> SqliteHubStore::QuerySeries(const SeriesQuery& q) {
  if (q.bucket_ns <= 0) {
    return InvalidArgumentError(
        fmt::format("hub store: series of '{}': bucket width must be > 0 ns", q.asset));
  }
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  const std::string_view sql =
      q.signal.empty()
          ? "SELECT s.signal, (o.ts - ?3) / ?5 AS bucket, COUNT(*), MIN(o.value), "
            "MAX(o.value), AVG(o.value) FROM series s CROSS JOIN observations o "
            "ON o.series_id = s.id WHERE s.asset = ?1 AND o.ts >= ?3 AND o.ts < ?4 "
            "AND o.value IS NOT NULL GROUP BY s.signal, bucket ORDER BY s.signal, bucket"
          : "SELECT s.signal, (o.ts - ?3) / ?5 AS bucket, COUNT(*), MIN(o.value), "
            "MAX(o.value), AVG(o.value) FROM series s CROSS JOIN observations o "
            "ON o.series_id = s.id WHERE s.asset = ?1 AND s.signal = ?2 AND o.ts >= ?3 "
            "AND o.ts < ?4 AND o.value IS NOT NULL GROUP BY s.signal, bucket "
            "ORDER BY s.signal, bucket";
  STRATA_ASSIGN_OR_RETURN(Statement stmt, reader.db().Prepare(sql));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(q.asset, q.signal, q.from_ns, q.to_ns, q.bucket_ns));
  std::vector<SeriesBucket> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({.signal = std::string(stmt.ColumnText(0)),
                   .start_ns = q.from_ns + stmt.ColumnInt64(1) * q.bucket_ns,
                   .count = static_cast<uint64_t>(stmt.ColumnInt64(2)),
                   .min = stmt.ColumnDouble(3),
                   .max = stmt.ColumnDouble(4),
                   .mean = stmt.ColumnDouble(5)});
  }
  return out;
}

StatusOr<std::vector<SignalState>> SqliteHubStore::LatestSignals(std::string_view asset) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare("SELECT asset, signal, unit, edge_id, ts, ingest_ts, stored_ns, value, "
                          "is_block, quality FROM latest WHERE ?1 = '' OR asset = ?1 "
                          "ORDER BY asset, signal"));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(asset));
  std::vector<SignalState> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    SignalState& s = out.emplace_back();
    s.asset = stmt.ColumnText(0);
    s.signal = stmt.ColumnText(1);
    s.unit = stmt.ColumnText(2);
    s.edge_id = stmt.ColumnText(3);
    s.ts_ns = stmt.ColumnInt64(4);
    s.ingest_ts_ns = stmt.ColumnInt64(5);
    s.stored_ns = stmt.ColumnInt64(6);
    if (!stmt.ColumnIsNull(7)) s.value = stmt.ColumnDouble(7);
    s.is_block = stmt.ColumnInt64(8) != 0;
    s.quality = QualityFromColumn(stmt.ColumnInt64(9));
  }
  return out;
}

StatusOr<std::vector<HubDeadLetter>> SqliteHubStore::QueryDeadLetters(const HubDeadLetterQuery& q) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(
          "SELECT st.edge_id, d.seq, d.ts, d.reason, d.source, d.detail, d.payload, d.truncated "
          "FROM dead_letters d JOIN streams st ON st.id = d.stream_id "
          "WHERE (?1 = '' OR st.edge_id = ?1) AND d.ts >= ?2 AND d.ts < ?3 "
          "ORDER BY d.ts DESC, st.edge_id, d.seq DESC LIMIT ?4"));
  STRATA_RETURN_IF_ERROR(
      stmt.BindAll(q.edge_id, q.from_ns, q.to_ns, hub_store::ClampLimit(q.limit)));
  std::vector<HubDeadLetter> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    HubDeadLetter& h = out.emplace_back();
    h.edge_id = stmt.ColumnText(0);
    DeadLetter& d = h.dead_letter;
    d.seq = static_cast<uint64_t>(stmt.ColumnInt64(1));
    d.ts_ns = stmt.ColumnInt64(2);
    const std::optional<RejectReason> reason = ParseRejectReason(stmt.ColumnText(3));
    if (!reason.has_value()) {
      return DataLossError(
          fmt::format("hub store '{}': dead letter {} of edge '{}' has an unknown reason '{}'",
                      path_, d.seq, h.edge_id, stmt.ColumnText(3)));
    }
    d.reason = *reason;
    d.source = stmt.ColumnText(4);
    d.detail = stmt.ColumnText(5);
    d.payload = stmt.ColumnBlob(6);
    d.payload_truncated = stmt.ColumnInt64(7) != 0;
  }
  return out;
}

StatusOr<std::vector<HubRecord>> SqliteHubStore::QueryRecords(const HubRecordQuery& q) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(
          "SELECT st.edge_id, r.seq, r.ts, r.subject, r.body "
          "FROM records r JOIN streams st ON st.id = r.stream_id "
          "WHERE st.stream = ?1 AND (?2 = '' OR st.edge_id = ?2) AND (?3 = '' OR r.subject = ?3) "
          "AND r.ts >= ?4 AND r.ts < ?5 ORDER BY r.ts DESC, st.edge_id, r.seq DESC LIMIT ?6"));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(q.stream, q.edge_id, q.subject, q.from_ns, q.to_ns,
                                      hub_store::ClampLimit(q.limit)));
  std::vector<HubRecord> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    HubRecord& h = out.emplace_back();
    h.edge_id = stmt.ColumnText(0);
    h.record.stream = q.stream;
    h.record.seq = static_cast<uint64_t>(stmt.ColumnInt64(1));
    h.record.ts_ns = stmt.ColumnInt64(2);
    h.record.subject = stmt.ColumnText(3);
    h.record.body = stmt.ColumnText(4);
  }
  return out;
}

// --- registry ---

Status SqliteHubStore::UpsertEdge(const EdgeEntry& edge) {
  if (edge.edge_id.empty()) return InvalidArgumentError("hub store: an edge needs an id");
  std::lock_guard lock(write_mu_);
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      w_.db->Prepare("INSERT INTO edges(edge_id, tenant, enrolled_ns, credential_hash, "
                     "last_seen_ns, heartbeat, reported) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                     "ON CONFLICT(edge_id) DO UPDATE SET tenant = excluded.tenant, "
                     "enrolled_ns = excluded.enrolled_ns, "
                     "credential_hash = excluded.credential_hash"));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(edge.edge_id, edge.tenant, edge.enrolled_ns,
                                      edge.credential_hash, edge.last_seen_ns, edge.heartbeat,
                                      edge.reported));
  return stmt.Run();
}

constexpr std::string_view kEdgeColumns =
    "edge_id, tenant, enrolled_ns, credential_hash, last_seen_ns, heartbeat, reported";

EdgeEntry EdgeFromRow(const Statement& stmt) {
  return {.edge_id = std::string(stmt.ColumnText(0)),
          .tenant = std::string(stmt.ColumnText(1)),
          .enrolled_ns = stmt.ColumnInt64(2),
          .credential_hash = std::string(stmt.ColumnText(3)),
          .last_seen_ns = stmt.ColumnInt64(4),
          .heartbeat = std::string(stmt.ColumnText(5)),
          .reported = std::string(stmt.ColumnText(6))};
}

constexpr std::string_view kTokenColumns = "id, name, role, hash, created_ns, revoked";

StatusOr<ApiToken> TokenFromRow(const Statement& stmt) {
  ApiToken t;
  t.id = stmt.ColumnText(0);
  t.name = stmt.ColumnText(1);
  const std::optional<Role> role = ParseRole(stmt.ColumnText(2));
  if (!role.has_value()) {
    return DataLossError(
        fmt::format("hub store: token '{}' has an unknown role '{}'", t.id, stmt.ColumnText(2)));
  }
  t.role = *role;
  t.hash = stmt.ColumnText(3);
  t.created_ns = stmt.ColumnInt64(4);
  t.revoked = stmt.ColumnInt64(5) != 0;
  return t;
}

StatusOr<std::optional<EdgeEntry>> SqliteHubStore::GetEdge(std::string_view edge_id) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(fmt::format("SELECT {} FROM edges WHERE edge_id = ?1", kEdgeColumns)));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(edge_id));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<EdgeEntry>();
  return std::optional<EdgeEntry>(EdgeFromRow(stmt));
}

StatusOr<std::vector<EdgeEntry>> SqliteHubStore::ListEdges() {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(fmt::format("SELECT {} FROM edges ORDER BY edge_id", kEdgeColumns)));
  std::vector<EdgeEntry> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(EdgeFromRow(stmt));
  }
  return out;
}

Status SqliteHubStore::UpdateEdgeDocument(std::string_view column, std::string_view edge_id,
                                          std::string_view json, int64_t now_ns) {
  std::lock_guard lock(write_mu_);
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      w_.db->Prepare(fmt::format("UPDATE edges SET {} = ?2, last_seen_ns = max(last_seen_ns, ?3) "
                                 "WHERE edge_id = ?1",
                                 column)));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(edge_id, json, now_ns));
  STRATA_RETURN_IF_ERROR(stmt.Run());
  if (w_.db->changes() == 0) {
    return NotFoundError(
        fmt::format("hub store: edge '{}' is not enrolled; enrol it first", edge_id));
  }
  return Status::Ok();
}

Status SqliteHubStore::RecordHeartbeat(std::string_view edge_id, std::string_view heartbeat_json,
                                       int64_t now_ns) {
  return UpdateEdgeDocument("heartbeat", edge_id, heartbeat_json, now_ns);
}

Status SqliteHubStore::RecordReported(std::string_view edge_id, std::string_view reported_json,
                                      int64_t now_ns) {
  return UpdateEdgeDocument("reported", edge_id, reported_json, now_ns);
}

// --- desired state ---

StatusOr<DesiredState> SqliteHubStore::SetDesired(std::string_view edge_id,
                                                  std::string_view document, int64_t now_ns) {
  std::lock_guard lock(write_mu_);
  // IMMEDIATE: another store object on the file cannot set a version in between.
  STRATA_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*w_.db));
  {
    STRATA_ASSIGN_OR_RETURN(Statement find,
                            w_.db->Prepare("SELECT 1 FROM edges WHERE edge_id = ?1"));
    STRATA_RETURN_IF_ERROR(find.BindAll(edge_id));
    STRATA_ASSIGN_OR_RETURN(bool enrolled, find.Step());
    if (!enrolled) {
      return NotFoundError(fmt::format(
          "hub store: edge '{}' is not enrolled, so it cannot have a desired state; enrol it "
          "first (strata hub edge add)",
          edge_id));
    }
  }
  DesiredState out{
      .edge_id = std::string(edge_id), .document = std::string(document), .updated_ns = now_ns};
  {
    STRATA_ASSIGN_OR_RETURN(
        Statement upsert,
        w_.db->Prepare("INSERT INTO desired(edge_id, version, document, updated_ns) "
                       "VALUES(?1, 1, ?2, ?3) ON CONFLICT(edge_id) DO UPDATE SET "
                       "version = desired.version + 1, document = excluded.document, "
                       "updated_ns = excluded.updated_ns RETURNING version"));
    STRATA_RETURN_IF_ERROR(upsert.BindAll(edge_id, document, now_ns));
    STRATA_ASSIGN_OR_RETURN(bool row, upsert.Step());
    if (!row) {
      return InternalError(
          fmt::format("hub store '{}': setting the desired state of edge '{}' returned no version",
                      path_, edge_id));
    }
    out.version = static_cast<uint64_t>(upsert.ColumnInt64(0));
  }
  STRATA_RETURN_IF_ERROR(txn.Commit());
  return out;
}

constexpr std::string_view kDesiredColumns = "edge_id, version, document, updated_ns";

DesiredState DesiredFromRow(const Statement& stmt) {
  return {.edge_id = std::string(stmt.ColumnText(0)),
          .version = static_cast<uint64_t>(stmt.ColumnInt64(1)),
          .document = std::string(stmt.ColumnText(2)),
          .updated_ns = stmt.ColumnInt64(3)};
}

StatusOr<std::optional<DesiredState>> SqliteHubStore::GetDesired(std::string_view edge_id) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt, reader.db().Prepare(fmt::format("SELECT {} FROM desired WHERE edge_id = ?1",
                                                      kDesiredColumns)));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(edge_id));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<DesiredState>();
  return std::optional<DesiredState>(DesiredFromRow(stmt));
}

StatusOr<std::vector<DesiredState>> SqliteHubStore::ListDesired() {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(fmt::format("SELECT {} FROM desired ORDER BY edge_id", kDesiredColumns)));
  std::vector<DesiredState> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(DesiredFromRow(stmt));
  }
  return out;
}

// --- tokens ---

Status SqliteHubStore::CreateToken(const ApiToken& token) {
  if (token.id.empty() || token.hash.empty()) {
    return InvalidArgumentError("hub store: a token needs an id and a hash");
  }
  std::lock_guard lock(write_mu_);
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt, w_.db->Prepare(fmt::format(
                          "INSERT INTO tokens({}) VALUES(?1, ?2, ?3, ?4, ?5, ?6)", kTokenColumns)));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(token.id, token.name, RoleName(token.role), token.hash,
                                      token.created_ns, token.revoked ? 1 : 0));
  Status status = stmt.Run();
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError(
        fmt::format("hub store: a token with id '{}' or the same secret already exists", token.id));
  }
  return status;
}

StatusOr<std::optional<ApiToken>> SqliteHubStore::FindTokenByHash(std::string_view hash) {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare(fmt::format("SELECT {} FROM tokens WHERE hash = ?1", kTokenColumns)));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(hash));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<ApiToken>();
  STRATA_ASSIGN_OR_RETURN(ApiToken token, TokenFromRow(stmt));
  return std::optional<ApiToken>(std::move(token));
}

StatusOr<std::vector<ApiToken>> SqliteHubStore::ListTokens() {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  STRATA_ASSIGN_OR_RETURN(Statement stmt, reader.db().Prepare(fmt::format(
                                              "SELECT {} FROM tokens ORDER BY id", kTokenColumns)));
  std::vector<ApiToken> out;
  for (;;) {
    STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    STRATA_ASSIGN_OR_RETURN(ApiToken token, TokenFromRow(stmt));
    out.push_back(std::move(token));
  }
  return out;
}

Status SqliteHubStore::RevokeToken(std::string_view id) {
  std::lock_guard lock(write_mu_);
  STRATA_ASSIGN_OR_RETURN(Statement stmt,
                          w_.db->Prepare("UPDATE tokens SET revoked = 1 WHERE id = ?1"));
  STRATA_RETURN_IF_ERROR(stmt.BindAll(id));
  STRATA_RETURN_IF_ERROR(stmt.Run());
  if (w_.db->changes() == 0) {
    return NotFoundError(fmt::format("hub store: no token with id '{}'", id));
  }
  return Status::Ok();
}

StatusOr<HubStoreStats> SqliteHubStore::Stats() {
  STRATA_ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  // Counts from the per-stream totals kept at ingest: no scan of the big tables.
  STRATA_ASSIGN_OR_RETURN(
      Statement stmt,
      reader.db().Prepare("SELECT "
                          "(SELECT COALESCE(SUM(records), 0) FROM streams WHERE stream = 'obs'), "
                          "(SELECT COALESCE(SUM(records), 0) FROM streams WHERE stream = 'dlq'), "
                          "(SELECT COALESCE(SUM(records), 0) FROM streams "
                          "WHERE stream NOT IN ('obs', 'dlq')), "
                          "(SELECT COUNT(*) FROM edges)"));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError("hub store: stats returned no row");
  return HubStoreStats{.observations = static_cast<uint64_t>(stmt.ColumnInt64(0)),
                       .dead_letters = static_cast<uint64_t>(stmt.ColumnInt64(1)),
                       .records = static_cast<uint64_t>(stmt.ColumnInt64(2)),
                       .edges = static_cast<uint64_t>(stmt.ColumnInt64(3))};
}

}  // namespace

StatusOr<std::unique_ptr<HubStore>> OpenSqliteHubStore(const HubStoreOptions& options) {
  return SqliteHubStore::Open(options);
}

}  // namespace strata
