#include "hub/store/postgres/postgres_hub_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "hub/store/ingest_plan.h"
#include "hub/store/ingest_rows.h"

namespace strata {

std::string RedactPostgresUrl(std::string_view url) {
  std::string out(url);
  // URI: postgresql://user:password@host/db
  if (const size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t auth = scheme + 3;
    const size_t end = out.find_first_of("/?", auth);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > auth) {
      const size_t colon = out.find(':', auth);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // key=value (also a URI's ?password=...): the value up to a space or '&'.
  for (size_t pos = out.find("password"); pos != std::string::npos;
       pos = out.find("password", pos + 1)) {
    size_t v = pos + 8;
    while (v < out.size() && out[v] == ' ') ++v;
    if (v >= out.size() || out[v] != '=') continue;
    ++v;
    while (v < out.size() && out[v] == ' ') ++v;
    size_t end = v;
    if (end < out.size() && out[end] == '\'') {
      ++end;
      while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && out[end] != ' ' && out[end] != '&') ++end;
    }
    out.replace(v, end - v, "***");
  }
  return out;
}

namespace {

// Bump with a migration in InitSchema when the schema below changes.
constexpr int64_t kSchemaVersion = 2;
constexpr std::string_view kStoreKind = "strata-hub";
// Advisory lock keys (any bigint; these spell "STRATA" + a purpose).
constexpr int64_t kSchemaLockKey = 0x5354524154410001;
constexpr int64_t kPartitionLockKey = 0x5354524154410002;
constexpr int kMaxAttempts = 4;  // serialization failures and deadlocks are retried

// The database is not one this hub can use (another application's, a newer schema).
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Identifiers compare byte-wise (COLLATE "C"), as in the SQLite engine, whatever the database's
// default collation: the same order from both engines, and indexes that serve equality and
// ORDER BY alike.
// Schema 1; a new database gets it and then every migration (kSchemaTo2, ...).
constexpr std::string_view kSchema = R"sql(
CREATE TABLE strata_meta(key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE streams(edge_id text COLLATE "C" NOT NULL, stream text COLLATE "C" NOT NULL,
  through bigint NOT NULL DEFAULT 0, updated_ns bigint NOT NULL DEFAULT 0,
  records bigint NOT NULL DEFAULT 0, PRIMARY KEY(edge_id, stream));
CREATE TABLE pending(edge_id text COLLATE "C" NOT NULL, stream text COLLATE "C" NOT NULL,
  first_seq bigint NOT NULL, last_seq bigint NOT NULL, PRIMARY KEY(edge_id, stream, first_seq));
CREATE TABLE observations(edge_id text COLLATE "C" NOT NULL, seq bigint NOT NULL,
  asset text COLLATE "C" NOT NULL, signal text COLLATE "C" NOT NULL, unit text NOT NULL,
  ts bigint NOT NULL, ingest_ts bigint NOT NULL, value double precision,
  quality smallint NOT NULL, protocol text NOT NULL, endpoint text NOT NULL,
  address text NOT NULL, sample_rate double precision, samples bytea)
  PARTITION BY RANGE (ts);
CREATE INDEX observations_by_signal_ts ON observations(asset, signal, ts);
CREATE TABLE dead_letters(edge_id text COLLATE "C" NOT NULL, seq bigint NOT NULL,
  ts bigint NOT NULL, reason text NOT NULL, source text NOT NULL, detail text NOT NULL,
  payload bytea NOT NULL, truncated boolean NOT NULL, PRIMARY KEY(edge_id, seq));
CREATE INDEX dead_letters_by_ts ON dead_letters(ts);
CREATE TABLE records(edge_id text COLLATE "C" NOT NULL, stream text COLLATE "C" NOT NULL,
  seq bigint NOT NULL, ts bigint NOT NULL, subject text COLLATE "C" NOT NULL,
  body text NOT NULL, PRIMARY KEY(edge_id, stream, seq));
CREATE INDEX records_by_stream_ts ON records(stream, ts);
CREATE INDEX records_by_subject_ts ON records(stream, subject, ts);
CREATE TABLE latest(asset text COLLATE "C" NOT NULL, signal text COLLATE "C" NOT NULL,
  unit text NOT NULL, edge_id text COLLATE "C" NOT NULL, ts bigint NOT NULL,
  ingest_ts bigint NOT NULL, stored_ns bigint NOT NULL, value double precision,
  is_block boolean NOT NULL, quality smallint NOT NULL, PRIMARY KEY(asset, signal));
CREATE TABLE edges(edge_id text COLLATE "C" PRIMARY KEY, tenant text NOT NULL,
  enrolled_ns bigint NOT NULL, credential_hash text NOT NULL, last_seen_ns bigint NOT NULL,
  heartbeat text NOT NULL, reported text NOT NULL);
CREATE TABLE tokens(id text COLLATE "C" PRIMARY KEY, name text NOT NULL, role text NOT NULL,
  hash text NOT NULL UNIQUE, created_ns bigint NOT NULL, revoked boolean NOT NULL);
)sql";

// Schema 2 adds desired: the desired state of each edge, its version +1 per change.
constexpr std::string_view kSchemaTo2 = R"sql(
CREATE TABLE IF NOT EXISTS desired(edge_id text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL, document text NOT NULL, updated_ns bigint NOT NULL);
)sql";

const std::vector<std::string> kObservationColumns = {
    "edge_id", "seq",     "asset",    "signal",   "unit",    "ts",          "ingest_ts",
    "value",   "quality", "protocol", "endpoint", "address", "sample_rate", "samples"};
const std::vector<std::string> kDeadLetterColumns = {"edge_id", "seq",    "ts",      "reason",
                                                     "source",  "detail", "payload", "truncated"};
const std::vector<std::string> kRecordColumns = {"edge_id", "stream",  "seq",
                                                 "ts",      "subject", "body"};

// bytea in PostgreSQL's hex input format.
std::string ByteaHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 + 2 * bytes.size());
  out += "\\x";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Bytes(const pqxx::field& f) {
  const pqxx::binarystring b(f);
  return b.str();
}

Quality QualityFromColumn(int v) {
  return v >= 0 && v <= 2 ? static_cast<Quality>(v) : Quality::kBad;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

Status StatusFromSqlError(const pqxx::sql_error& e, const std::string& server,
                          std::string_view what) {
  const std::string& state = e.sqlstate();
  std::string message = fmt::format("postgres {}: {}: {}", server, what, e.what());
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (state == "23505") return AlreadyExistsError(std::move(message));
  if (state.rfind("22", 0) == 0) return InvalidArgumentError(std::move(message));
  if (state == "42P01" || state == "42703") {
    return FailedPreconditionError(message + " (was the schema changed by hand?)");
  }
  if (state.rfind("53", 0) == 0) return ResourceExhaustedError(std::move(message));
  if (state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) {
    return UnavailableError(std::move(message));
  }
  if (state.rfind("42501", 0) == 0) {
    return FailedPreconditionError(message + " (grant the hub's user rights on its database)");
  }
  return InternalError(std::move(message));
}

// A fixed set of connections, opened on first use and replaced when lost.
class ConnectionPool {
 public:
  ConnectionPool(std::string url, std::string server, int size)
      : url_(std::move(url)), server_(std::move(server)), size_(std::max(size, 1)) {}

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> c)
        : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), c_(std::move(other.c_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr && c_ != nullptr) pool_->Return(std::move(c_));
    }
    pqxx::connection& connection() { return *c_; }
    // Closes the connection instead of returning it (it is broken or in an unknown state).
    void Discard() {
      if (c_ == nullptr) return;
      c_.reset();
      pool_->Forget();
    }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> c_;
  };

  StatusOr<Lease> Acquire() {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
      if (!idle_.empty()) {
        std::unique_ptr<pqxx::connection> c = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(c));
      }
      ++open_;  // reserved; connect outside the lock
    }
    try {
      auto c = std::make_unique<pqxx::connection>(url_);
      // CREATE ... IF NOT EXISTS and friends send notices that libpqxx would print.
      pqxx::nontransaction tx(*c);
      tx.exec0("SET client_min_messages TO warning");
      return Lease(this, std::move(c));
    } catch (const std::exception& e) {
      Forget();
      std::string why = e.what();
      while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
      return UnavailableError(fmt::format(
          "postgres {}: cannot connect: {}; is PostgreSQL running there, and are store.url's "
          "user, password and database right (hub.yaml)?",
          server_, why));
    }
  }

  // Drops the idle connections: after one was found broken (a server restart), the others are
  // too.
  void DropIdle() {
    std::vector<std::unique_ptr<pqxx::connection>> drop;
    {
      std::lock_guard lock(mu_);
      drop.swap(idle_);
      open_ -= static_cast<int>(drop.size());
    }
    cv_.notify_all();
  }

 private:
  void Return(std::unique_ptr<pqxx::connection> c) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }
  void Forget() {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    cv_.notify_one();
  }

  const std::string url_;
  const std::string server_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mu_
  int open_ = 0;  // idle + leased + being opened; guarded by mu_
};

class PostgresHubStore final : public HubStore {
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
  PostgresHubStore(const HubStoreOptions& options, std::string server)
      : server_(server),
        pool_(options.postgres_url, std::move(server), options.postgres_connections),
        partition_ns_(options.partition_ns) {}

  // Runs fn(connection) -> Status or StatusOr<T>, turning libpqxx's exceptions into a Status
  // naming `what`. Retries on a new connection when the connection was lost (once) and when
  // the server asks for it (serialization failure, deadlock).
  template <typename Fn>
  auto Run(std::string_view what, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>()));

  void InitSchema(pqxx::connection& c);
  void EnsurePartitions(pqxx::connection& c, const UplinkBatch& batch);
  IngestOutcome Ingest(pqxx::connection& c, const UplinkBatch& batch, int64_t now_ns);
  Status UpdateEdgeDocument(std::string_view column, std::string_view edge_id,
                            std::string_view json, int64_t now_ns);

  const std::string server_;  // the URL without its password
  ConnectionPool pool_;
  int64_t partition_ns_;  // set by Open from strata_meta, then constant
  std::mutex partitions_mu_;
  std::set<int64_t> partitions_;  // partition numbers known to exist; guarded by partitions_mu_
};

template <typename Fn>
auto PostgresHubStore::Run(std::string_view what, Fn&& fn)
    -> decltype(fn(std::declval<pqxx::connection&>())) {
  for (int attempt = 1;; ++attempt) {
    StatusOr<ConnectionPool::Lease> lease = pool_.Acquire();
    if (!lease.ok()) return lease.status();
    try {
      return fn(lease->connection());
    } catch (const pqxx::in_doubt_error& e) {
      lease->Discard();
      return UnavailableError(fmt::format(
          "postgres {}: {}: the connection was lost during commit, so whether it was committed "
          "is unknown ({}); retry",
          server_, what, e.what()));
    } catch (const pqxx::broken_connection& e) {
      lease->Discard();
      pool_.DropIdle();
      if (attempt < 2) continue;
      return UnavailableError(fmt::format(
          "postgres {}: {}: connection lost ({}); is the server up?", server_, what, e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      if (attempt < kMaxAttempts) continue;
      return UnavailableError(fmt::format("postgres {}: {}: gave up after {} attempts: {}", server_,
                                          what, attempt, e.what()));
    } catch (const pqxx::sql_error& e) {
      return StatusFromSqlError(e, server_, what);
    } catch (const SchemaError& e) {
      return FailedPreconditionError(fmt::format("postgres {}: {}", server_, e.what()));
    } catch (const std::exception& e) {
      lease->Discard();  // unknown state: do not reuse
      return InternalError(fmt::format("postgres {}: {}: {}", server_, what, e.what()));
    }
  }
}

StatusOr<std::unique_ptr<HubStore>> PostgresHubStore::Open(const HubStoreOptions& options) {
  if (options.partition_ns <= 0) {
    return InvalidArgumentError("hub store: partition_ns must be > 0");
  }
  std::unique_ptr<PostgresHubStore> store(
      new PostgresHubStore(options, RedactPostgresUrl(options.postgres_url)));
  STRATA_RETURN_IF_ERROR(store->Run("creating or checking the schema", [&](pqxx::connection& c) {
    store->InitSchema(c);
    return Status::Ok();
  }));
  return std::unique_ptr<HubStore>(std::move(store));
}

void PostgresHubStore::InitSchema(pqxx::connection& c) {
  pqxx::work tx(c);
  // Two hubs starting on an empty database create the schema once.
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kSchemaLockKey);
  const bool has_meta = tx.exec1("SELECT to_regclass('strata_meta') IS NOT NULL")[0].as<bool>();
  if (!has_meta) {
    if (tx.exec1("SELECT to_regclass('observations') IS NOT NULL")[0].as<bool>()) {
      throw SchemaError(
          "the database has a table 'observations' but no strata_meta: it is not a strata hub "
          "database; use a database of its own (store.url in hub.yaml)");
    }
    tx.exec0(std::string(kSchema));
    tx.exec0(std::string(kSchemaTo2));
    tx.exec_params(
        "INSERT INTO strata_meta(key, value) VALUES('store', $1), "
        "('schema_version', $2), ('partition_ns', $3)",
        std::string(kStoreKind), std::to_string(kSchemaVersion), std::to_string(partition_ns_));
    tx.commit();
    return;
  }
  std::string kind, version, width;
  for (const auto& row : tx.exec("SELECT key, value FROM strata_meta")) {
    const std::string key = row[0].as<std::string>();
    if (key == "store") kind = row[1].as<std::string>();
    if (key == "schema_version") version = row[1].as<std::string>();
    if (key == "partition_ns") width = row[1].as<std::string>();
  }
  if (kind != kStoreKind) {
    throw SchemaError("strata_meta does not name a strata hub store; use another database");
  }
  int64_t v = 0, w = 0;
  try {
    v = std::stoll(version);
    w = std::stoll(width);
  } catch (const std::exception&) {
    throw SchemaError(fmt::format("strata_meta is damaged (schema_version '{}', partition_ns '{}')",
                                  version, width));
  }
  if (v > kSchemaVersion) {
    throw SchemaError(fmt::format(
        "the database was written by a newer strata (schema {}, this one knows {}); upgrade "
        "strata",
        v, kSchemaVersion));
  }
  if (w <= 0) throw SchemaError("strata_meta: partition_ns must be > 0");
  // Migrations, under the schema lock: two hubs opening an old database at once migrate it
  // once.
  if (v < 2) tx.exec0(std::string(kSchemaTo2));
  if (v < kSchemaVersion) {
    tx.exec_params("UPDATE strata_meta SET value = $1 WHERE key = 'schema_version'",
                   std::to_string(kSchemaVersion));
  }
  // The partition width is the database's, fixed when it was created.
  partition_ns_ = w;
  tx.commit();
}

void PostgresHubStore::EnsurePartitions(pqxx::connection& c, const UplinkBatch& batch) {
  std::vector<int64_t> needed;
  for (const ObservationRow& o : batch.observations)
    needed.push_back(FloorDiv(o.ts_ns, partition_ns_));
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  {
    std::lock_guard lock(partitions_mu_);
    std::erase_if(needed, [&](int64_t k) { return partitions_.count(k) == 1; });
  }
  for (const int64_t k : needed) {
    // observations_p<k> covers [k, k+1) × partition_ns; "pm" for negative k (before 1970).
    const std::string name = k < 0 ? fmt::format("observations_pm{}", 0 - static_cast<uint64_t>(k))
                                   : fmt::format("observations_p{}", k);
    // Bounds of the range; past the ends of bigint, MINVALUE / MAXVALUE.
    int64_t lo = 0, hi = 0;
    const bool lo_over = __builtin_mul_overflow(k, partition_ns_, &lo);
    const bool hi_over = __builtin_mul_overflow(k + 1, partition_ns_, &hi);  // only upwards
    const std::string from = lo_over ? std::string("MINVALUE") : std::to_string(lo);
    const std::string to = hi_over ? std::string("MAXVALUE") : std::to_string(hi);
    pqxx::work tx(c);
    // Serialized across hubs: the second one finds the table the first one made.
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kPartitionLockKey);
    if (!tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", name)[0].as<bool>()) {
      // Only numbers computed here are spliced into this statement (DDL takes no parameters).
      tx.exec0(fmt::format("CREATE TABLE {} PARTITION OF observations FOR VALUES FROM ({}) TO ({})",
                           name, from, to));
    }
    tx.commit();
    std::lock_guard lock(partitions_mu_);
    partitions_.insert(k);
  }
}

// --- ingest ---

StatusOr<IngestOutcome> PostgresHubStore::IngestBatch(const UplinkBatch& batch, int64_t now_ns) {
  STRATA_RETURN_IF_ERROR(hub_store::CheckBatch(batch));
  std::optional<UplinkBatch> cleaned;
  if (!hub_store::BatchTextIsValid(batch)) cleaned = hub_store::WithValidText(batch);
  const UplinkBatch& b = cleaned.has_value() ? *cleaned : batch;
  return Run(fmt::format("storing a batch of edge '{}' stream '{}' seqs {}..{}", b.edge_id,
                         b.stream, b.first_seq, b.last_seq()),
             [&](pqxx::connection& c) -> StatusOr<IngestOutcome> {
               if (b.stream == kObservationStream) EnsurePartitions(c, b);
               return Ingest(c, b, now_ns);
             });
}

IngestOutcome PostgresHubStore::Ingest(pqxx::connection& c, const UplinkBatch& batch,
                                       int64_t now_ns) {
  pqxx::work tx(c);
  // The progress row is the lock that serializes batches of one (edge, stream) across hubs.
  tx.exec_params("INSERT INTO streams(edge_id, stream) VALUES($1, $2) ON CONFLICT DO NOTHING",
                 batch.edge_id, batch.stream);
  const pqxx::row progress =
      tx.exec_params1("SELECT through FROM streams WHERE edge_id = $1 AND stream = $2 FOR UPDATE",
                      batch.edge_id, batch.stream);
  const auto through = static_cast<uint64_t>(progress[0].as<int64_t>());
  std::vector<SeqRange> pending;
  for (const auto& row : tx.exec_params("SELECT first_seq, last_seq FROM pending WHERE edge_id = "
                                        "$1 AND stream = $2 ORDER BY first_seq",
                                        batch.edge_id, batch.stream)) {
    pending.push_back(
        {static_cast<uint64_t>(row[0].as<int64_t>()), static_cast<uint64_t>(row[1].as<int64_t>())});
  }

  const IngestPlan plan =
      PlanIngest(through, pending, batch.floor_seq, {batch.first_seq, batch.last_seq()});
  const uint64_t inserted = hub_store::InsertedCount(plan);

  if (inserted > 0 && batch.stream == kObservationStream) {
    pqxx::stream_to copy(tx, "observations", kObservationColumns);
    hub_store::ForEachInserted(plan, batch, [&](size_t i) {
      const ObservationRow& o = batch.observations[i];
      const auto seq = static_cast<int64_t>(batch.first_seq + i);
      // Doubles as text in their shortest form that reads back to the same double.
      std::optional<std::string> value;
      if (!o.is_block && o.value.has_value()) value = fmt::format("{}", *o.value);
      const int quality = static_cast<int>(o.quality);
      std::optional<std::string> rate;
      std::optional<std::string> samples;
      if (o.is_block && o.block.has_value()) {
        rate = fmt::format("{}", o.block->sample_rate_hz);
        samples = ByteaHex(hub_store::SamplesToBytes(o.block->samples));
      }
      copy << std::tie(batch.edge_id, seq, o.asset, o.signal, o.unit, o.ts_ns, o.ingest_ts_ns,
                       value, quality, o.source.protocol, o.source.endpoint, o.source.address, rate,
                       samples);
    });
    copy.complete();

    // The newest reading per signal, one statement for the batch; rows in (asset, signal)
    // order so that concurrent batches lock them in one order.
    nlohmann::json rows = nlohmann::json::array();
    for (const size_t i : hub_store::NewestPerSignal(plan, batch)) {
      const ObservationRow& o = batch.observations[i];
      nlohmann::json row = {{"asset", o.asset},
                            {"signal", o.signal},
                            {"unit", o.unit},
                            {"ts", o.ts_ns},
                            {"ingest_ts", o.ingest_ts_ns},
                            {"is_block", o.is_block},
                            {"quality", static_cast<int>(o.quality)}};
      if (!o.is_block && o.value.has_value()) row["value"] = *o.value;
      rows.push_back(std::move(row));
    }
    tx.exec_params(
        "INSERT INTO latest(asset, signal, unit, edge_id, ts, ingest_ts, stored_ns, value, "
        "is_block, quality) SELECT r.asset, r.signal, r.unit, $1, r.ts, r.ingest_ts, $2, r.value, "
        "r.is_block, r.quality FROM jsonb_to_recordset($3::jsonb) AS r(asset text, signal text, "
        "unit text, ts bigint, ingest_ts bigint, value double precision, is_block boolean, "
        "quality smallint) ORDER BY r.asset COLLATE \"C\", r.signal COLLATE \"C\" "
        "ON CONFLICT (asset, signal) DO UPDATE SET unit = EXCLUDED.unit, "
        "edge_id = EXCLUDED.edge_id, ts = EXCLUDED.ts, ingest_ts = EXCLUDED.ingest_ts, "
        "stored_ns = EXCLUDED.stored_ns, value = EXCLUDED.value, is_block = EXCLUDED.is_block, "
        "quality = EXCLUDED.quality WHERE latest.ts < EXCLUDED.ts",
        batch.edge_id, now_ns, rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (inserted > 0 && batch.stream == kDeadLetterStream) {
    pqxx::stream_to copy(tx, "dead_letters", kDeadLetterColumns);
    hub_store::ForEachInserted(plan, batch, [&](size_t i) {
      const DeadLetter& d = batch.dead_letters[i];
      const auto seq = static_cast<int64_t>(batch.first_seq + i);
      const std::string reason(RejectReasonName(d.reason));
      const std::string payload = ByteaHex(d.payload);
      copy << std::tie(batch.edge_id, seq, d.ts_ns, reason, d.source, d.detail, payload,
                       d.payload_truncated);
    });
    copy.complete();
  } else if (inserted > 0) {
    pqxx::stream_to copy(tx, "records", kRecordColumns);
    hub_store::ForEachInserted(plan, batch, [&](size_t i) {
      const Record& r = batch.records[i];
      const auto seq = static_cast<int64_t>(batch.first_seq + i);
      copy << std::tie(batch.edge_id, batch.stream, seq, r.ts_ns, r.subject, r.body);
    });
    copy.complete();
  }

  if (plan.pending != pending) {
    tx.exec_params("DELETE FROM pending WHERE edge_id = $1 AND stream = $2", batch.edge_id,
                   batch.stream);
    for (const SeqRange& r : plan.pending) {
      tx.exec_params(
          "INSERT INTO pending(edge_id, stream, first_seq, last_seq) VALUES($1, $2, $3, $4)",
          batch.edge_id, batch.stream, static_cast<int64_t>(r.first), static_cast<int64_t>(r.last));
    }
  }
  tx.exec_params(
      "UPDATE streams SET through = $3, updated_ns = $4, records = records + $5 "
      "WHERE edge_id = $1 AND stream = $2",
      batch.edge_id, batch.stream, static_cast<int64_t>(plan.through), now_ns,
      static_cast<int64_t>(inserted));
  tx.exec_params("UPDATE edges SET last_seen_ns = $2 WHERE edge_id = $1 AND last_seen_ns < $2",
                 batch.edge_id, now_ns);
  tx.commit();
  return IngestOutcome{.stored = inserted, .duplicates = plan.duplicates, .through = plan.through};
}

StatusOr<std::vector<StreamProgress>> PostgresHubStore::ListProgress() {
  return Run("listing progress", [&](pqxx::connection& c) -> StatusOr<std::vector<StreamProgress>> {
    pqxx::read_transaction tx(c);
    std::vector<StreamProgress> out;
    for (const auto& row : tx.exec("SELECT edge_id, stream, through, updated_ns, records FROM "
                                   "streams ORDER BY edge_id, stream")) {
      out.push_back({.edge_id = row[0].as<std::string>(),
                     .stream = row[1].as<std::string>(),
                     .through = static_cast<uint64_t>(row[2].as<int64_t>()),
                     .updated_ns = row[3].as<int64_t>(),
                     .records = static_cast<uint64_t>(row[4].as<int64_t>())});
    }
    return out;
  });
}

// --- queries ---

StatusOr<std::vector<ObservationRow>> PostgresHubStore::QueryObservations(
    const HubObservationQuery& q) {
  return Run(
      "querying observations", [&](pqxx::connection& c) -> StatusOr<std::vector<ObservationRow>> {
        pqxx::read_transaction tx(c);
        const std::string sql = fmt::format(
            "SELECT seq, asset, signal, unit, ts, ingest_ts, value, quality, protocol, endpoint, "
            "address, sample_rate, samples FROM observations WHERE asset = $1 {} AND ts >= $3 "
            "AND ts < $4 ORDER BY signal, ts, edge_id, seq LIMIT $5",
            q.signal.empty() ? "AND $2 = ''" : "AND signal = $2");
        const pqxx::result r = tx.exec_params(sql, q.asset, q.signal, q.from_ns, q.to_ns,
                                              hub_store::ClampLimit(q.limit));
        std::vector<ObservationRow> out;
        out.reserve(r.size());
        for (const auto& row : r) {
          ObservationRow& o = out.emplace_back();
          o.seq = static_cast<uint64_t>(row[0].as<int64_t>());
          o.asset = row[1].as<std::string>();
          o.signal = row[2].as<std::string>();
          o.unit = row[3].as<std::string>();
          o.ts_ns = row[4].as<int64_t>();
          o.ingest_ts_ns = row[5].as<int64_t>();
          if (!row[6].is_null()) o.value = row[6].as<double>();
          o.quality = QualityFromColumn(row[7].as<int>());
          o.source.protocol = row[8].as<std::string>();
          o.source.endpoint = row[9].as<std::string>();
          o.source.address = row[10].as<std::string>();
          if (!row[12].is_null()) {
            o.is_block = true;
            WaveformBlock block;
            block.sample_rate_hz = row[11].is_null() ? 0 : row[11].as<double>();
            STRATA_ASSIGN_OR_RETURN(block.samples, hub_store::SamplesFromBytes(Bytes(row[12])));
            o.block = std::move(block);
          }
        }
        return out;
      });
}

StatusOr<std::vector<SeriesBucket>> PostgresHubStore::QuerySeries(const SeriesQuery& q) {
  if (q.bucket_ns <= 0) {
    return InvalidArgumentError(
        fmt::format("hub store: series of '{}': bucket width must be > 0 ns", q.asset));
  }
  return Run("querying a series", [&](pqxx::connection& c) -> StatusOr<std::vector<SeriesBucket>> {
    pqxx::read_transaction tx(c);
    const std::string sql = fmt::format(
        "SELECT signal, (ts - $3::bigint) / $5::bigint AS bucket, count(*), min(value), "
        "max(value), avg(value) FROM observations WHERE asset = $1 {} AND ts >= $3 AND ts < $4 "
        "AND value IS NOT NULL GROUP BY signal, bucket ORDER BY signal, bucket",
        q.signal.empty() ? "AND $2 = ''" : "AND signal = $2");
    std::vector<SeriesBucket> out;
    for (const auto& row :
         tx.exec_params(sql, q.asset, q.signal, q.from_ns, q.to_ns, q.bucket_ns)) {
      out.push_back({.signal = row[0].as<std::string>(),
                     .start_ns = q.from_ns + row[1].as<int64_t>() * q.bucket_ns,
                     .count = static_cast<uint64_t>(row[2].as<int64_t>()),
                     .min = row[3].as<double>(),
                     .max = row[4].as<double>(),
                     .mean = row[5].as<double>()});
    }
    return out;
  });
}

StatusOr<std::vector<SignalState>> PostgresHubStore::LatestSignals(std::string_view asset) {
  return Run(
      "reading the latest signals", [&](pqxx::connection& c) -> StatusOr<std::vector<SignalState>> {
        pqxx::read_transaction tx(c);
        std::vector<SignalState> out;
        for (const auto& row : tx.exec_params(
                 "SELECT asset, signal, unit, edge_id, ts, ingest_ts, stored_ns, value, is_block, "
                 "quality FROM latest WHERE $1 = '' OR asset = $1 ORDER BY asset, signal",
                 std::string(asset))) {
          SignalState& s = out.emplace_back();
          s.asset = row[0].as<std::string>();
          s.signal = row[1].as<std::string>();
          s.unit = row[2].as<std::string>();
          s.edge_id = row[3].as<std::string>();
          s.ts_ns = row[4].as<int64_t>();
          s.ingest_ts_ns = row[5].as<int64_t>();
          s.stored_ns = row[6].as<int64_t>();
          if (!row[7].is_null()) s.value = row[7].as<double>();
          s.is_block = row[8].as<bool>();
          s.quality = QualityFromColumn(row[9].as<int>());
        }
        return out;
      });
}

StatusOr<std::vector<HubDeadLetter>> PostgresHubStore::QueryDeadLetters(
    const HubDeadLetterQuery& q) {
  return Run(
      "querying dead letters", [&](pqxx::connection& c) -> StatusOr<std::vector<HubDeadLetter>> {
        pqxx::read_transaction tx(c);
        std::vector<HubDeadLetter> out;
        for (const auto& row : tx.exec_params(
                 "SELECT edge_id, seq, ts, reason, source, detail, payload, truncated "
                 "FROM dead_letters WHERE ($1 = '' OR edge_id = $1) AND ts >= $2 AND ts < $3 "
                 "ORDER BY ts DESC, edge_id, seq DESC LIMIT $4",
                 q.edge_id, q.from_ns, q.to_ns, hub_store::ClampLimit(q.limit))) {
          HubDeadLetter& h = out.emplace_back();
          h.edge_id = row[0].as<std::string>();
          DeadLetter& d = h.dead_letter;
          d.seq = static_cast<uint64_t>(row[1].as<int64_t>());
          d.ts_ns = row[2].as<int64_t>();
          const std::string reason = row[3].as<std::string>();
          const std::optional<RejectReason> parsed = ParseRejectReason(reason);
          if (!parsed.has_value()) {
            return DataLossError(
                fmt::format("postgres {}: dead letter {} of edge '{}' has an unknown reason '{}'",
                            server_, d.seq, h.edge_id, reason));
          }
          d.reason = *parsed;
          d.source = row[4].as<std::string>();
          d.detail = row[5].as<std::string>();
          d.payload = Bytes(row[6]);
          d.payload_truncated = row[7].as<bool>();
        }
        return out;
      });
}

StatusOr<std::vector<HubRecord>> PostgresHubStore::QueryRecords(const HubRecordQuery& q) {
  return Run("querying records", [&](pqxx::connection& c) -> StatusOr<std::vector<HubRecord>> {
    pqxx::read_transaction tx(c);
    std::vector<HubRecord> out;
    for (const auto& row : tx.exec_params(
             "SELECT edge_id, seq, ts, subject, body FROM records WHERE stream = $1 "
             "AND ($2 = '' OR edge_id = $2) AND ($3 = '' OR subject = $3) AND ts >= $4 "
             "AND ts < $5 ORDER BY ts DESC, edge_id, seq DESC LIMIT $6",
             q.stream, q.edge_id, q.subject, q.from_ns, q.to_ns, hub_store::ClampLimit(q.limit))) {
      HubRecord& h = out.emplace_back();
      h.edge_id = row[0].as<std::string>();
      h.record.stream = q.stream;
      h.record.seq = static_cast<uint64_t>(row[1].as<int64_t>());
      h.record.ts_ns = row[2].as<int64_t>();
      h.record.subject = row[3].as<std::string>();
      h.record.body = row[4].as<std::string>();
    }
    return out;
  });
}

// --- registry ---

constexpr std::string_view kEdgeColumns =
    "edge_id, tenant, enrolled_ns, credential_hash, last_seen_ns, heartbeat, reported";

EdgeEntry EdgeFromRow(const pqxx::row& row) {
  return {.edge_id = row[0].as<std::string>(),
          .tenant = row[1].as<std::string>(),
          .enrolled_ns = row[2].as<int64_t>(),
          .credential_hash = row[3].as<std::string>(),
          .last_seen_ns = row[4].as<int64_t>(),
          .heartbeat = row[5].as<std::string>(),
          .reported = row[6].as<std::string>()};
}

Status PostgresHubStore::UpsertEdge(const EdgeEntry& edge) {
  if (edge.edge_id.empty()) return InvalidArgumentError("hub store: an edge needs an id");
  return Run("enrolling an edge", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(fmt::format("INSERT INTO edges({}) VALUES($1, $2, $3, $4, $5, $6, $7) "
                               "ON CONFLICT (edge_id) DO UPDATE SET tenant = EXCLUDED.tenant, "
                               "enrolled_ns = EXCLUDED.enrolled_ns, "
                               "credential_hash = EXCLUDED.credential_hash",
                               kEdgeColumns),
                   edge.edge_id, edge.tenant, edge.enrolled_ns, edge.credential_hash,
                   edge.last_seen_ns, edge.heartbeat, edge.reported);
    tx.commit();
    return Status::Ok();
  });
}

StatusOr<std::optional<EdgeEntry>> PostgresHubStore::GetEdge(std::string_view edge_id) {
  return Run("reading an edge", [&](pqxx::connection& c) -> StatusOr<std::optional<EdgeEntry>> {
    pqxx::read_transaction tx(c);
    const pqxx::result r = tx.exec_params(
        fmt::format("SELECT {} FROM edges WHERE edge_id = $1", kEdgeColumns), std::string(edge_id));
    if (r.empty()) return std::optional<EdgeEntry>();
    return std::optional<EdgeEntry>(EdgeFromRow(r[0]));
  });
}

StatusOr<std::vector<EdgeEntry>> PostgresHubStore::ListEdges() {
  return Run("listing edges", [&](pqxx::connection& c) -> StatusOr<std::vector<EdgeEntry>> {
    pqxx::read_transaction tx(c);
    std::vector<EdgeEntry> out;
    for (const auto& row :
         tx.exec(fmt::format("SELECT {} FROM edges ORDER BY edge_id", kEdgeColumns))) {
      out.push_back(EdgeFromRow(row));
    }
    return out;
  });
}

Status PostgresHubStore::UpdateEdgeDocument(std::string_view column, std::string_view edge_id,
                                            std::string_view json, int64_t now_ns) {
  return Run(fmt::format("recording the {} of edge '{}'", column, edge_id),
             [&](pqxx::connection& c) -> Status {
               pqxx::work tx(c);
               // `column` is one of two names fixed in this file, never input.
               const pqxx::result r = tx.exec_params(
                   fmt::format("UPDATE edges SET {} = $2, last_seen_ns = GREATEST(last_seen_ns, "
                               "$3) WHERE edge_id = $1",
                               column),
                   std::string(edge_id), std::string(json), now_ns);
               tx.commit();
               if (r.affected_rows() == 0) {
                 return NotFoundError(
                     fmt::format("hub store: edge '{}' is not enrolled; enrol it first", edge_id));
               }
               return Status::Ok();
             });
}

Status PostgresHubStore::RecordHeartbeat(std::string_view edge_id, std::string_view heartbeat_json,
                                         int64_t now_ns) {
  return UpdateEdgeDocument("heartbeat", edge_id, heartbeat_json, now_ns);
}

Status PostgresHubStore::RecordReported(std::string_view edge_id, std::string_view reported_json,
                                        int64_t now_ns) {
  return UpdateEdgeDocument("reported", edge_id, reported_json, now_ns);
}

// --- desired state ---

constexpr std::string_view kDesiredColumns = "edge_id, version, document, updated_ns";

DesiredState DesiredFromRow(const pqxx::row& row) {
  return {.edge_id = row[0].as<std::string>(),
          .version = static_cast<uint64_t>(row[1].as<int64_t>()),
          .document = row[2].as<std::string>(),
          .updated_ns = row[3].as<int64_t>()};
}

StatusOr<DesiredState> PostgresHubStore::SetDesired(std::string_view edge_id,
                                                    std::string_view document, int64_t now_ns) {
  return Run(fmt::format("setting the desired state of edge '{}'", edge_id),
             [&](pqxx::connection& c) -> StatusOr<DesiredState> {
               pqxx::work tx(c);
               if (tx.exec_params("SELECT 1 FROM edges WHERE edge_id = $1", std::string(edge_id))
                       .empty()) {
                 return NotFoundError(fmt::format(
                     "hub store: edge '{}' is not enrolled, so it cannot have a desired state; "
                     "enrol it first (strata hub edge add)",
                     edge_id));
               }
               // The upsert locks the edge's row: concurrent setters (other hubs too) wait for
               // each other and each gets the version after the one committed before it.
               const pqxx::row row = tx.exec_params1(
                   "INSERT INTO desired(edge_id, version, document, updated_ns) "
                   "VALUES($1, 1, $2, $3) ON CONFLICT (edge_id) DO UPDATE SET "
                   "version = desired.version + 1, document = EXCLUDED.document, "
                   "updated_ns = EXCLUDED.updated_ns RETURNING version",
                   std::string(edge_id), std::string(document), now_ns);
               tx.commit();
               return DesiredState{.edge_id = std::string(edge_id),
                                   .version = static_cast<uint64_t>(row[0].as<int64_t>()),
                                   .document = std::string(document),
                                   .updated_ns = now_ns};
             });
}

StatusOr<std::optional<DesiredState>> PostgresHubStore::GetDesired(std::string_view edge_id) {
  return Run("reading a desired state",
             [&](pqxx::connection& c) -> StatusOr<std::optional<DesiredState>> {
               pqxx::read_transaction tx(c);
               const pqxx::result r = tx.exec_params(
                   fmt::format("SELECT {} FROM desired WHERE edge_id = $1", kDesiredColumns),
                   std::string(edge_id));
               if (r.empty()) return std::optional<DesiredState>();
               return std::optional<DesiredState>(DesiredFromRow(r[0]));
             });
}

StatusOr<std::vector<DesiredState>> PostgresHubStore::ListDesired() {
  return Run(
      "listing desired states", [&](pqxx::connection& c) -> StatusOr<std::vector<DesiredState>> {
        pqxx::read_transaction tx(c);
        std::vector<DesiredState> out;
        for (const auto& row :
             tx.exec(fmt::format("SELECT {} FROM desired ORDER BY edge_id", kDesiredColumns))) {
          out.push_back(DesiredFromRow(row));
        }
        return out;
      });
}

// --- tokens ---

constexpr std::string_view kTokenColumns = "id, name, role, hash, created_ns, revoked";

StatusOr<ApiToken> TokenFromRow(const pqxx::row& row) {
  ApiToken t;
  t.id = row[0].as<std::string>();
  t.name = row[1].as<std::string>();
  const std::string role = row[2].as<std::string>();
  const std::optional<Role> parsed = ParseRole(role);
  if (!parsed.has_value()) {
    return DataLossError(fmt::format("hub store: token '{}' has an unknown role '{}'", t.id, role));
  }
  t.role = *parsed;
  t.hash = row[3].as<std::string>();
  t.created_ns = row[4].as<int64_t>();
  t.revoked = row[5].as<bool>();
  return t;
}

Status PostgresHubStore::CreateToken(const ApiToken& token) {
  if (token.id.empty() || token.hash.empty()) {
    return InvalidArgumentError("hub store: a token needs an id and a hash");
  }
  Status status = Run("creating a token", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        fmt::format("INSERT INTO tokens({}) VALUES($1, $2, $3, $4, $5, $6)", kTokenColumns),
        token.id, token.name, std::string(RoleName(token.role)), token.hash, token.created_ns,
        token.revoked);
    tx.commit();
    return Status::Ok();
  });
  if (status.code() == StatusCode::kAlreadyExists) {
    return AlreadyExistsError(
        fmt::format("hub store: a token with id '{}' or the same secret already exists", token.id));
  }
  return status;
}

StatusOr<std::optional<ApiToken>> PostgresHubStore::FindTokenByHash(std::string_view hash) {
  return Run("finding a token", [&](pqxx::connection& c) -> StatusOr<std::optional<ApiToken>> {
    pqxx::read_transaction tx(c);
    const pqxx::result r = tx.exec_params(
        fmt::format("SELECT {} FROM tokens WHERE hash = $1", kTokenColumns), std::string(hash));
    if (r.empty()) return std::optional<ApiToken>();
    STRATA_ASSIGN_OR_RETURN(ApiToken token, TokenFromRow(r[0]));
    return std::optional<ApiToken>(std::move(token));
  });
}

StatusOr<std::vector<ApiToken>> PostgresHubStore::ListTokens() {
  return Run("listing tokens", [&](pqxx::connection& c) -> StatusOr<std::vector<ApiToken>> {
    pqxx::read_transaction tx(c);
    std::vector<ApiToken> out;
    for (const auto& row :
         tx.exec(fmt::format("SELECT {} FROM tokens ORDER BY id", kTokenColumns))) {
      STRATA_ASSIGN_OR_RETURN(ApiToken token, TokenFromRow(row));
      out.push_back(std::move(token));
    }
    return out;
  });
}

Status PostgresHubStore::RevokeToken(std::string_view id) {
  return Run("revoking a token", [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const pqxx::result r =
        tx.exec_params("UPDATE tokens SET revoked = true WHERE id = $1", std::string(id));
    tx.commit();
    if (r.affected_rows() == 0) {
      return NotFoundError(fmt::format("hub store: no token with id '{}'", id));
    }
    return Status::Ok();
  });
}

StatusOr<HubStoreStats> PostgresHubStore::Stats() {
  return Run("reading stats", [&](pqxx::connection& c) -> StatusOr<HubStoreStats> {
    pqxx::read_transaction tx(c);
    // Counts from the per-stream totals kept at ingest: no scan of the big tables.
    const pqxx::row row = tx.exec1(
        "SELECT "
        "(SELECT COALESCE(SUM(records), 0) FROM streams WHERE stream = 'obs')::bigint, "
        "(SELECT COALESCE(SUM(records), 0) FROM streams WHERE stream = 'dlq')::bigint, "
        "(SELECT COALESCE(SUM(records), 0) FROM streams WHERE stream NOT IN ('obs', "
        "'dlq'))::bigint, "
        "(SELECT COUNT(*) FROM edges)");
    return HubStoreStats{.observations = static_cast<uint64_t>(row[0].as<int64_t>()),
                         .dead_letters = static_cast<uint64_t>(row[1].as<int64_t>()),
                         .records = static_cast<uint64_t>(row[2].as<int64_t>()),
                         .edges = static_cast<uint64_t>(row[3].as<int64_t>())};
  });
}

}  // namespace

StatusOr<std::unique_ptr<HubStore>> OpenPostgresHubStore(const HubStoreOptions& options) {
  return PostgresHubStore::Open(options);
}

}  // namespace strata
