// HubStore: the one storage interface of the hub, with two engines behind it — SQLite (the
// embedded default, WAL) and PostgreSQL (libpqxx, bulk COPY, observations partitioned by
// time). One conformance test suite (hub_store_conformance.h) runs against both.
//
// What it keeps:
//   - what edges uplinked, unique by (edge, stream, seq): observations, dead letters and
//     records (decisions, alert events); with, per (edge, stream), the highest contiguous seq
//     stored (`through`, what the hub acknowledges) and the stored ranges above it;
//   - the digital twin's raw state: the latest observation per (asset, signal);
//   - the fleet registry: enrolled edges, their credentials (hashed), last heartbeat, the
//     state they reported and the state the hub desires of them (versioned);
//   - API tokens (hashed) with their role.
//
// Idempotency: IngestBatch stores only the seqs of a batch not stored before (a replayed,
// retransmitted or overlapping batch stores nothing twice) and, in the same transaction,
// advances `through` (see ingest_plan.h, the engine-independent arithmetic). Two hub
// processes may ingest batches of the same edge concurrently into one PostgreSQL database:
// engines serialize per (edge, stream) (a row lock), so the result is the same.
//
// Durability: when IngestBatch returns OK the batch is committed (SQLite: synchronous=FULL;
// PostgreSQL: the commit returned). Only then may the hub acknowledge it.
//
// Threading: every method is thread-safe (the API server calls from its worker threads while
// the ingest thread writes). Readers never wait for a long write to finish beyond what the
// engine itself imposes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dead_letter.h"
#include "core/status.h"
#include "store/store.h"
#include "uplink/uplink_batch.h"

namespace strata {

// --- ingest ---

struct IngestOutcome {
  uint64_t stored = 0;      // records of the batch newly stored
  uint64_t duplicates = 0;  // records of the batch that were already stored (not written again)
  uint64_t through = 0;     // highest contiguous seq of (edge, stream) stored now: the ack
};

// Per (edge, stream): how far the hub has everything.
struct StreamProgress {
  std::string edge_id;
  std::string stream;
  uint64_t through = 0;
  int64_t updated_ns = 0;  // hub clock, last batch stored
  uint64_t records = 0;    // records stored for this (edge, stream) in total
};

// --- queries ---

struct HubObservationQuery {
  std::string asset;    // exact asset path (required)
  std::string signal;   // exact signal name; "" = every signal of the asset
  int64_t from_ns = 0;  // inclusive, source time
  int64_t to_ns = 0;    // exclusive
  size_t limit = 10000;
};

// One bucket of a downsampled series: the scalar observations of one signal with source time in
// [start_ns, start_ns + width). Buckets without data are absent. Only observations that carry a
// value count (not blocks, not bad readings without a value).
struct SeriesBucket {
  std::string signal;
  int64_t start_ns = 0;
  uint64_t count = 0;
  double min = 0;
  double max = 0;
  double mean = 0;
};

struct SeriesQuery {
  std::string asset;
  std::string signal;  // "" = every scalar signal of the asset
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  int64_t bucket_ns = 0;  // > 0; buckets start at from_ns + k × bucket_ns
};

// The latest observation stored for one (asset, signal): the digital twin's raw state.
struct SignalState {
  std::string asset;
  std::string signal;
  std::string unit;
  std::string edge_id;
  int64_t ts_ns = 0;         // source time of the latest observation
  int64_t ingest_ts_ns = 0;  // when the edge received it
  int64_t stored_ns = 0;     // hub clock, when the hub stored it
  std::optional<double> value;  // empty for blocks and for bad quality without a value
  bool is_block = false;
  Quality quality = Quality::kGood;
};

struct HubDeadLetterQuery {
  std::string edge_id;  // "" = every edge
  int64_t from_ns = 0;  // inclusive, rejection time
  int64_t to_ns = 0;    // exclusive
  size_t limit = 1000;
};

struct HubDeadLetter {
  std::string edge_id;
  DeadLetter dead_letter;  // with the edge's seq
};

struct HubRecordQuery {
  std::string stream;   // a record stream ("dec", "alr")
  std::string edge_id;  // "" = every edge
  std::string subject;  // exact; "" = every subject
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  size_t limit = 1000;
};

struct HubRecord {
  std::string edge_id;
  Record record;  // with the edge's seq
};

// --- registry ---

struct EdgeEntry {
  std::string edge_id;
  std::string tenant;
  int64_t enrolled_ns = 0;
  std::string credential_hash;  // hex SHA-256 of the edge's secret; never the secret itself
  int64_t last_seen_ns = 0;     // hub clock, last heartbeat or batch
  std::string heartbeat;        // the last heartbeat, a JSON document ("" = none yet)
  std::string reported;         // the state the edge last reported, a JSON document
};

// --- desired state ---

// What the hub wants one edge to run (docs/uplink.md#desired-state): a JSON object the hub
// publishes, retained, on strata/v1/<tenant>/edge/<id>/desired together with its version.
struct DesiredState {
  std::string edge_id;
  uint64_t version = 0;     // 1 for the edge's first document, +1 for every change
  std::string document;     // a JSON object, stored as given (the API validates it)
  int64_t updated_ns = 0;   // hub clock, when it was set
};

// --- API tokens ---

// viewer < technician < engineer < admin, each able to do what the ones below can. `bootstrap`
// stands apart: a token an installer puts on new edges, good only to enrol them
// (POST /api/v1/enrol) — never to read the fleet's data.
enum class Role : uint8_t {
  kViewer = 0,
  kTechnician = 1,
  kEngineer = 2,
  kAdmin = 3,
  kBootstrap = 4
};
std::string_view RoleName(Role role);                  // "viewer", ...
std::optional<Role> ParseRole(std::string_view name);  // nullopt for anything else

struct ApiToken {
  std::string id;    // short public id, shown in lists and logs (not secret)
  std::string name;  // what it is for, e.g. "console: alice"
  Role role = Role::kViewer;
  std::string hash;  // hex SHA-256 of the secret token; the secret is never stored
  int64_t created_ns = 0;
  bool revoked = false;
};

struct HubStoreStats {
  uint64_t observations = 0;
  uint64_t dead_letters = 0;
  uint64_t records = 0;
  uint64_t edges = 0;
};

class HubStore {
 public:
  virtual ~HubStore() = default;

  // Stores the records of `batch` not stored before and advances `through`, in one durable
  // transaction (see the file comment). `now_ns` is the hub clock (stored_ns, updated_ns).
  virtual StatusOr<IngestOutcome> IngestBatch(const UplinkBatch& batch, int64_t now_ns) = 0;
  // Every (edge, stream) seen, ordered by edge then stream.
  virtual StatusOr<std::vector<StreamProgress>> ListProgress() = 0;

  // Observations of one asset (optionally one signal) in [from, to), ordered by (signal, ts).
  virtual StatusOr<std::vector<ObservationRow>> QueryObservations(
      const HubObservationQuery& q) = 0;
  // A downsampled series for charts, ordered by (signal, start).
  virtual StatusOr<std::vector<SeriesBucket>> QuerySeries(const SeriesQuery& q) = 0;
  // The latest state of every signal of `asset` ("" = of every asset), ordered by (asset,
  // signal).
  virtual StatusOr<std::vector<SignalState>> LatestSignals(std::string_view asset) = 0;
  // Dead letters, newest first.
  virtual StatusOr<std::vector<HubDeadLetter>> QueryDeadLetters(const HubDeadLetterQuery& q) = 0;
  // Records of one stream, newest first.
  virtual StatusOr<std::vector<HubRecord>> QueryRecords(const HubRecordQuery& q) = 0;

  // Registry. Enrolling an edge that exists replaces its credential (re-enrolment): tenant,
  // enrolled_ns and credential_hash are replaced; last_seen_ns, heartbeat and reported are kept.
  virtual Status UpsertEdge(const EdgeEntry& edge) = 0;
  virtual StatusOr<std::optional<EdgeEntry>> GetEdge(std::string_view edge_id) = 0;
  virtual StatusOr<std::vector<EdgeEntry>> ListEdges() = 0;
  // Records a heartbeat (JSON) and last_seen; NotFound for an edge not enrolled.
  virtual Status RecordHeartbeat(std::string_view edge_id, std::string_view heartbeat_json,
                                 int64_t now_ns) = 0;
  // Records the state an edge reports it applied (JSON); NotFound for an edge not enrolled.
  virtual Status RecordReported(std::string_view edge_id, std::string_view reported_json,
                                int64_t now_ns) = 0;

  // Desired state. SetDesired replaces the edge's document and returns it with the next
  // version (1 for the first), atomically: concurrent setters (two hubs) get distinct versions.
  // NotFound for an edge not enrolled. Re-enrolling an edge keeps its desired state.
  virtual StatusOr<DesiredState> SetDesired(std::string_view edge_id, std::string_view document,
                                            int64_t now_ns) = 0;
  // nullopt when none was ever set for the edge.
  virtual StatusOr<std::optional<DesiredState>> GetDesired(std::string_view edge_id) = 0;
  // Every edge's desired state, ordered by edge id.
  virtual StatusOr<std::vector<DesiredState>> ListDesired() = 0;

  // Tokens. AlreadyExists for a token id or hash already stored.
  virtual Status CreateToken(const ApiToken& token) = 0;
  // The token with this hash, revoked or not; nullopt when none.
  virtual StatusOr<std::optional<ApiToken>> FindTokenByHash(std::string_view hash) = 0;
  virtual StatusOr<std::vector<ApiToken>> ListTokens() = 0;
  // NotFound for an unknown id.
  virtual Status RevokeToken(std::string_view id) = 0;

  virtual StatusOr<HubStoreStats> Stats() = 0;
};

struct HubStoreOptions {
  enum class Engine { kSqlite, kPostgres };
  Engine engine = Engine::kSqlite;
  std::string sqlite_path;    // kSqlite: the database file (created when missing)
  std::string postgres_url;   // kPostgres: a libpq connection string or postgresql:// URL
  int postgres_connections = 4;  // kPostgres: connections in the pool
  // kPostgres: width of a time partition of the observation table.
  int64_t partition_ns = 24LL * 3600 * 1'000'000'000;
};

// Opens (creating the schema if needed) the engine named by `options`. Errors name the file or
// the server and what to do.
StatusOr<std::unique_ptr<HubStore>> OpenHubStore(const HubStoreOptions& options);

}  // namespace strata
