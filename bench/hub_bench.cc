// The hub under load, each figure next to a reference measured in the same run:
//
//   1. ingest   Uplink batches (5,000 observations each: 5 assets × 10 signals at 1 Hz, with
//               OPC UA source strings), encoded as an edge encodes them, then timed:
//               DecodeUplinkBatch + HubStore::IngestBatch (dedupe planning, the rows, the
//               latest-state upsert, progress; one durable commit per batch). Reference: a
//               bare bulk insert of the same decoded rows into the same engine, one committed
//               transaction per batch — SQLite: one prepared INSERT per row into a plain table
//               (no index), WAL, synchronous=FULL and the hub store's cache size; PostgreSQL:
//               COPY into an unpartitioned table without indexes (values as the same text).
//               Hub and bare batches alternate, so load on the machine hits both alike. The
//               first 2 batches of each are a warm-up and are not timed.
//   2. backlog  Catch-up after an outage, the full path: an edge store pre-filled with N
//               observations in its outbox (written directly, not timed), then a HubIngest
//               and an EdgeAgent (its Uplink: batches of 5,000, 4 in flight) started on a real
//               mosquitto; timed from their start until the edge holds the hub's ack of the
//               last seq. The edge store runs at its default durability (full), the hub store
//               commits every batch durably before it acks.
//   3. api      p50/p99 latency and requests/s of an asset page's data — GET
//               /api/v1/assets/{asset} and GET /api/v1/assets/{asset}/series?from&to&points=500,
//               alternating — at 10 concurrent clients (wrk -t2 -c10 --latency), against
//               api::ApiServer in-process (default options: 8 worker threads) on a hub store
//               pre-filled with one asset's 10 signals at 1 Hz for --api-hours (through
//               IngestBatch). Two pages: the series over the whole pre-filled span, and over its
//               last hour. Reference: the same wrk run against GET /healthz (no store access)
//               on the same server. Also the unloaded time of each request (median of 5).
//
// PostgreSQL is a real server started by the benchmark (testing::PostgresServer: initdb in a
// temporary directory, fsync on); when it cannot be started the PostgreSQL rows say why and
// the rest runs.
//
//   hub_bench [--engines sqlite,postgres] [--parts ingest,backlog,api]
//             [--batches 42] [--backlog 1000000] [--api-seconds 10] [--api-hours 24]
//             [--wrk wrk] [--help]
#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "api/api_server.h"
#include "api/auth.h"
#include "cli/child_process.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/source_catalog.h"
#include "edge/edge_agent.h"
#include "edge/edge_config.h"
#include "hub/hub_ingest.h"
#include "hub/store/hub_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"
#include "testing/postgres_server.h"
#include "testing/testing.h"
#include "uplink/uplink_batch.h"

namespace strata::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr char kTenant[] = "bench";
constexpr int kWarmupBatches = 2;
constexpr int kBacklogWriteBatch = 25'000;  // observations per Append while pre-filling

const auto kStart = SteadyClock::now();

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// A progress line, prefixed with the time since the benchmark started.
template <typename... Args>
void Progress(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print("[{:6.1f} s] {}\n", SecondsSince(kStart),
             fmt::format(format, std::forward<Args>(args)...));
  std::fflush(stdout);
}

// --- options ---

struct Options {
  bool sqlite = true;
  bool postgres = true;
  bool ingest = true;
  bool backlog = true;
  bool api = true;
  int batches = 42;  // ingest: batches per engine, the first kWarmupBatches not timed
  int batch_records = 5000;
  int assets = 5;
  int signals = 10;
  uint64_t backlog_records = 1'000'000;
  int backlog_timeout_s = 300;
  int api_seconds = 10;
  int api_hours = 24;
  std::string wrk = "wrk";
};

constexpr char kUsage[] =
    R"(hub_bench: the hub's ingest, backlog catch-up and API latency, each against a
reference measured in the same run (see the top of bench/hub_bench.cc and docs/benchmarks.md).

  --engines LIST       sqlite,postgres (default both); PostgreSQL is started by the benchmark
  --parts LIST         ingest,backlog,api (default all)
  --batches N          ingest: uplink batches per engine (default 42; the first 2 are a warm-up)
  --batch-records N    ingest: observations per batch (default 5000)
  --assets N           assets of the synthetic plant (default 5)
  --signals N          signals per asset (default 10)
  --backlog N          backlog: observations in the edge's outbox (default 1000000)
  --backlog-timeout S  backlog: give up after S seconds (default 300)
  --api-seconds S      api: length of each wrk run (default 10)
  --api-hours H        api: hours of 1 Hz data of the asset's signals (default 24)
  --wrk PATH           the wrk binary (default: wrk on PATH; Debian package wrk)
  --help               this text
)";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hub_bench: %s (see --help)\n", what.c_str());
  std::exit(2);
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) Die("missing value after " + arg);
    const std::string value = argv[++i];
    auto number = [&](int64_t min) {
      char* end = nullptr;
      const long long v = std::strtoll(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || v < min) {
        Die(fmt::format("{} needs an integer >= {}, not '{}'", arg, min, value));
      }
      return v;
    };
    if (arg == "--engines") {
      o.sqlite = o.postgres = false;
      for (const std::string& e : SplitList(value)) {
        if (e == "sqlite") {
          o.sqlite = true;
        } else if (e == "postgres") {
          o.postgres = true;
        } else {
          Die("unknown engine '" + e + "' in --engines (sqlite, postgres)");
        }
      }
    } else if (arg == "--parts") {
      o.ingest = o.backlog = o.api = false;
      for (const std::string& p : SplitList(value)) {
        if (p == "ingest") {
          o.ingest = true;
        } else if (p == "backlog") {
          o.backlog = true;
        } else if (p == "api") {
          o.api = true;
        } else {
          Die("unknown part '" + p + "' in --parts (ingest, backlog, api)");
        }
      }
    } else if (arg == "--batches") {
      o.batches = static_cast<int>(number(kWarmupBatches + 1));
    } else if (arg == "--batch-records") {
      o.batch_records = static_cast<int>(number(1));
      if (o.batch_records > static_cast<int>(kMaxBatchRecords)) Die("--batch-records is too large");
    } else if (arg == "--assets") {
      o.assets = static_cast<int>(number(1));
    } else if (arg == "--signals") {
      o.signals = static_cast<int>(number(1));
    } else if (arg == "--backlog") {
      o.backlog_records = static_cast<uint64_t>(number(1));
    } else if (arg == "--backlog-timeout") {
      o.backlog_timeout_s = static_cast<int>(number(1));
    } else if (arg == "--api-seconds") {
      o.api_seconds = static_cast<int>(number(1));
    } else if (arg == "--api-hours") {
      o.api_hours = static_cast<int>(number(1));
    } else if (arg == "--wrk") {
      o.wrk = value;
    } else {
      Die("unknown option " + arg);
    }
  }
  return o;
}

// --- the synthetic plant ---

// Assets bench/site/line/m0001.. of one type with signals s00.. (unit Cel), each signal read
// over OPC UA from its own node.
struct Plant {
  std::vector<std::string> assets;
  std::vector<std::string> signals;
  std::vector<Source> sources;  // per series: index asset × signals + signal
  size_t series() const { return assets.size() * signals.size(); }
};

Plant MakePlant(int assets, int signals) {
  Plant p;
  for (int a = 1; a <= assets; ++a) p.assets.push_back(fmt::format("bench/site/line/m{:04}", a));
  for (int s = 0; s < signals; ++s) p.signals.push_back(fmt::format("s{:02}", s));
  for (int a = 1; a <= assets; ++a) {
    for (int s = 0; s < signals; ++s) {
      p.sources.push_back({"opcua", fmt::format("opc.tcp://plc-{:02}.line.site:4840", a),
                           fmt::format("ns=2;s=Site.Line.M{:04}.S{:02}.Value", a, s)});
    }
  }
  return p;
}

// A sensor-like value with three decimals, deterministic in `i`.
double ValueAt(uint64_t i) {
  const uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ULL;
  const double noise = static_cast<double>(h >> 44) / static_cast<double>(1ULL << 20) - 0.5;
  return std::round((40.0 + 15.0 * std::sin(static_cast<double>(i) * 1e-3) + noise) * 1000.0) /
         1000.0;
}

// Observation i of a stream (seq i + 1): the series interleaved as an edge commits them, each
// series one reading per second from t0_ns.
ObservationRow RowAt(const Plant& plant, uint64_t i, int64_t t0_ns) {
  const size_t k = i % plant.series();
  ObservationRow o;
  o.seq = i + 1;
  o.asset = plant.assets[k / plant.signals.size()];
  o.signal = plant.signals[k % plant.signals.size()];
  o.unit = "Cel";
  o.ts_ns = t0_ns + static_cast<int64_t>(i / plant.series()) * kNsPerSec;
  o.ingest_ts_ns = o.ts_ns + (3 + static_cast<int64_t>(i % 7)) * kNsPerMs;
  o.value = ValueAt(i);
  o.source = plant.sources[k];
  return o;
}

UplinkBatch MakeBatch(const Plant& plant, const std::string& edge_id, uint64_t first_index,
                      size_t count, int64_t t0_ns) {
  UplinkBatch b;
  b.edge_id = edge_id;
  b.stream = std::string(kObservationStream);
  b.first_seq = first_index + 1;
  b.floor_seq = b.first_seq;
  b.observations.reserve(count);
  for (size_t j = 0; j < count; ++j) b.observations.push_back(RowAt(plant, first_index + j, t0_ns));
  return b;
}

Status Enrol(HubStore& hub, const std::string& edge_id) {
  EdgeEntry e;
  e.edge_id = edge_id;
  e.tenant = kTenant;
  e.enrolled_ns = Clock::System().NowNs();
  e.credential_hash = std::string(64, '0');
  return hub.UpsertEdge(e);
}

// --- engines ---

// A fresh hub store of `engine` ("sqlite": a file in `dir`; "postgres": a new database on `pg`).
StatusOr<std::unique_ptr<HubStore>> OpenFreshHubStore(const std::string& engine,
                                                      const testing::TempDir& dir,
                                                      testing::PostgresServer* pg,
                                                      const std::string& name) {
  HubStoreOptions o;
  if (engine == "sqlite") {
    o.engine = HubStoreOptions::Engine::kSqlite;
    o.sqlite_path = dir.File(name + ".db");
  } else {
    o.engine = HubStoreOptions::Engine::kPostgres;
    STRATA_RETURN_IF_ERROR(pg->CreateDatabase(name));
    o.postgres_url = pg->url(name);
  }
  return OpenHubStore(o);
}

// The reference: the same rows into a plain table of the same engine, the fastest ordinary
// way, one committed transaction per batch.
class BareInserter {
 public:
  virtual ~BareInserter() = default;
  virtual Status Insert(const UplinkBatch& batch) = 0;
};

class BareSqlite final : public BareInserter {
 public:
  static StatusOr<std::unique_ptr<BareInserter>> Open(const std::string& path) {
    std::unique_ptr<BareSqlite> b(new BareSqlite);
    STRATA_ASSIGN_OR_RETURN(b->db_,
                            sqlite::Db::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    // As the hub store: WAL, fsync on every commit, a 16 MiB page cache.
    STRATA_ASSIGN_OR_RETURN(std::string mode, b->db_->QueryText("PRAGMA journal_mode=WAL"));
    if (mode != "wal") return FailedPreconditionError("bare sqlite: no WAL mode on " + path);
    STRATA_RETURN_IF_ERROR(b->db_->Exec(
        "PRAGMA synchronous=FULL; PRAGMA cache_size=-16384;"
        "CREATE TABLE observations(edge_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        "asset TEXT NOT NULL, signal TEXT NOT NULL, unit TEXT NOT NULL, ts INTEGER NOT NULL, "
        "ingest_ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, "
        "protocol TEXT NOT NULL, endpoint TEXT NOT NULL, address TEXT NOT NULL)"));
    STRATA_ASSIGN_OR_RETURN(
        b->insert_,
        b->db_->Prepare("INSERT INTO observations VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                        "?10, ?11, ?12)"));
    return std::unique_ptr<BareInserter>(std::move(b));
  }

  Status Insert(const UplinkBatch& batch) override {
    STRATA_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(*db_));
    for (const ObservationRow& o : batch.observations) {
      STRATA_RETURN_IF_ERROR(insert_.BindAll(
          sqlite::StaticText{batch.edge_id}, o.seq, sqlite::StaticText{o.asset},
          sqlite::StaticText{o.signal}, sqlite::StaticText{o.unit}, o.ts_ns, o.ingest_ts_ns,
          o.value, static_cast<int>(o.quality), sqlite::StaticText{o.source.protocol},
          sqlite::StaticText{o.source.endpoint}, sqlite::StaticText{o.source.address}));
      STRATA_RETURN_IF_ERROR(insert_.Run());
    }
    return txn.Commit();
  }

 private:
  BareSqlite() = default;
  std::unique_ptr<sqlite::Db> db_;
  sqlite::Statement insert_;  // declared after db_: finalized before the connection closes
};

class BarePostgres final : public BareInserter {
 public:
  static StatusOr<std::unique_ptr<BareInserter>> Open(testing::PostgresServer& pg,
                                                      const std::string& database) {
    STRATA_RETURN_IF_ERROR(pg.CreateDatabase(database));
    try {
      std::unique_ptr<BarePostgres> b(new BarePostgres);
      b->c_ = std::make_unique<pqxx::connection>(pg.url(database));
      pqxx::work tx(*b->c_);
      tx.exec0(
          "CREATE TABLE observations(edge_id text NOT NULL, seq bigint NOT NULL, "
          "asset text NOT NULL, signal text NOT NULL, unit text NOT NULL, ts bigint NOT NULL, "
          "ingest_ts bigint NOT NULL, value double precision, quality smallint NOT NULL, "
          "protocol text NOT NULL, endpoint text NOT NULL, address text NOT NULL)");
      tx.commit();
      return std::unique_ptr<BareInserter>(std::move(b));
    } catch (const std::exception& e) {
      return UnavailableError(fmt::format("bare postgres: {}", e.what()));
    }
  }

  Status Insert(const UplinkBatch& batch) override {
    static const std::vector<std::string> kColumns = {
        "edge_id",   "seq",   "asset",   "signal",   "unit",     "ts",
        "ingest_ts", "value", "quality", "protocol", "endpoint", "address"};
    try {
      pqxx::work tx(*c_);
      pqxx::stream_to copy(tx, "observations", kColumns);
      for (const ObservationRow& o : batch.observations) {
        // The value as the hub's engine sends it: the shortest text that reads back the same.
        std::optional<std::string> value;
        if (o.value.has_value()) value = fmt::format("{}", *o.value);
        const auto seq = static_cast<int64_t>(o.seq);
        const int quality = static_cast<int>(o.quality);
        copy << std::tie(batch.edge_id, seq, o.asset, o.signal, o.unit, o.ts_ns, o.ingest_ts_ns,
                         value, quality, o.source.protocol, o.source.endpoint, o.source.address);
      }
      copy.complete();
      tx.commit();
      return Status::Ok();
    } catch (const std::exception& e) {
      return UnavailableError(fmt::format("bare postgres: COPY: {}", e.what()));
    }
  }

 private:
  BarePostgres() = default;
  std::unique_ptr<pqxx::connection> c_;
};

// --- 1. ingest ---

struct IngestResult {
  std::string engine;
  std::string error;          // set when it could not run
  uint64_t observations = 0;  // timed, per side
  double decode_s = 0;
  double ingest_s = 0;
  double bare_s = 0;
  double hub_rate() const { return observations / (decode_s + ingest_s); }
  double ingest_rate() const { return observations / ingest_s; }
  double bare_rate() const { return observations / bare_s; }
};

IngestResult RunIngest(const Options& opt, const Plant& plant, const std::string& engine,
                       testing::PostgresServer* pg) {
  IngestResult r;
  r.engine = engine;
  const std::string edge_id = "edge-ingest";
  const int64_t t0 = (Clock::System().NowNs() / kNsPerSec - 30 * 86'400) * kNsPerSec;
  const auto n = static_cast<size_t>(opt.batch_records);

  std::vector<std::string> encoded;
  size_t encoded_bytes = 0;
  for (int i = 0; i < opt.batches; ++i) {
    StatusOr<std::string> bytes =
        EncodeUplinkBatch(MakeBatch(plant, edge_id, static_cast<uint64_t>(i) * n, n, t0));
    if (!bytes.ok()) {
      r.error = bytes.status().ToString();
      return r;
    }
    encoded_bytes += bytes->size();
    encoded.push_back(std::move(*bytes));
  }
  Progress("ingest/{}: {} batches of {} observations encoded ({:.1f} KiB per batch)", engine,
           opt.batches, n, static_cast<double>(encoded_bytes) / opt.batches / 1024);

  testing::TempDir dir;
  StatusOr<std::unique_ptr<HubStore>> hub = OpenFreshHubStore(engine, dir, pg, "hub_ingest");
  StatusOr<std::unique_ptr<BareInserter>> bare =
      engine == "sqlite" ? BareSqlite::Open(dir.File("bare.db")) : BarePostgres::Open(*pg, "bare");
  Status status = !hub.ok() ? hub.status() : !bare.ok() ? bare.status() : Enrol(**hub, edge_id);
  if (!status.ok()) {
    r.error = status.ToString();
    return r;
  }

  auto last_report = SteadyClock::now();
  for (int i = 0; i < opt.batches; ++i) {
    const bool timed = i >= kWarmupBatches;
    auto hub_side = [&]() -> Status {
      const auto a = SteadyClock::now();
      StatusOr<UplinkBatch> batch = DecodeUplinkBatch(encoded[i]);
      if (!batch.ok()) return batch.status();
      const auto b = SteadyClock::now();
      StatusOr<IngestOutcome> out = (*hub)->IngestBatch(*batch, Clock::System().NowNs());
      if (!out.ok()) return out.status();
      if (out->stored != n) return InternalError(fmt::format("stored {} of {}", out->stored, n));
      if (timed) {
        r.decode_s += std::chrono::duration<double>(b - a).count();
        r.ingest_s += SecondsSince(b);
      }
      return Status::Ok();
    };
    auto bare_side = [&]() -> Status {
      // The same rows, decoded outside the timing.
      StatusOr<UplinkBatch> batch = DecodeUplinkBatch(encoded[i]);
      if (!batch.ok()) return batch.status();
      const auto a = SteadyClock::now();
      STRATA_RETURN_IF_ERROR((*bare)->Insert(*batch));
      if (timed) r.bare_s += SecondsSince(a);
      return Status::Ok();
    };
    // Alternate which goes first, so neither always follows the other's fsync.
    status = i % 2 == 0 ? hub_side() : bare_side();
    if (status.ok()) status = i % 2 == 0 ? bare_side() : hub_side();
    if (!status.ok()) {
      r.error = status.ToString();
      return r;
    }
    if (timed) r.observations += n;
    if (SecondsSince(last_report) > 3) {
      last_report = SteadyClock::now();
      Progress("ingest/{}: {} of {} batches", engine, i + 1, opt.batches);
    }
  }
  StatusOr<HubStoreStats> stats = (*hub)->Stats();
  const uint64_t expected = static_cast<uint64_t>(opt.batches) * n;
  if (!stats.ok() || stats->observations != expected) {
    r.error = stats.ok() ? fmt::format("the hub holds {} observations, not {}", stats->observations,
                                       expected)
                         : stats.status().ToString();
  }
  Progress("ingest/{}: hub {:.0f} obs/s (IngestBatch alone {:.0f}), bare {:.0f} obs/s", engine,
           r.hub_rate(), r.ingest_rate(), r.bare_rate());
  return r;
}

// --- 2. backlog ---

struct BacklogResult {
  std::string engine;
  std::string error;
  uint64_t observations = 0;
  double prefill_s = 0;
  double drain_s = 0;
  double rate() const { return observations / drain_s; }
};

std::string EdgeYaml(const std::string& edge_id, int port, const testing::TempDir& dir) {
  // The connector is required by the edge's config; nothing publishes on its topics.
  return fmt::format(R"(
edge: {{id: {edge}, tenant: {tenant}}}
store: {{path: {dir}/{edge}.db, durability: full}}
assets: {dir}/assets.yaml
connectors:
  - name: plant
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    client_id: {edge}-plant
    subscriptions: ["{edge}/#"]
    decoders:
      readings: {{type: json, items: /r, name: /n, value: /v, timestamp: /ts}}
    mapping:
      version: bench
      rules:
        - {{topic: "{edge}/{{machine}}", decoder: readings, asset: "bench/site/line/{{machine}}", signal: "{{name}}"}}
metrics: {{listen: off}}
uplink:
  broker: {{host: 127.0.0.1, port: {port}}}
  batch: 5000
  max_inflight: 4
)",
                     fmt::arg("edge", edge_id), fmt::arg("tenant", kTenant),
                     fmt::arg("dir", dir.path()), fmt::arg("port", port));
}

std::string AssetsYaml(const Plant& plant) {
  std::string y = "asset_types:\n  machine:\n    signals:\n";
  for (const std::string& s : plant.signals) {
    y += fmt::format("      {}: {{unit: Cel, range: [-50, 500], period: 1s, tag: temperature}}\n",
                     s);
  }
  y += "assets:\n";
  for (const std::string& a : plant.assets)
    y += fmt::format("  - {{path: {}, type: machine}}\n", a);
  return y;
}

BacklogResult RunBacklog(const Options& opt, const Plant& plant, const std::string& engine,
                         testing::MosquittoBroker& broker, testing::PostgresServer* pg) {
  BacklogResult r;
  r.engine = engine;
  const std::string edge_id = "edge-backlog-" + engine;
  testing::TempDir dir;
  testing::WriteTextFile(dir.File("assets.yaml"), AssetsYaml(plant));
  StatusOr<EdgeConfig> config =
      EdgeConfig::Parse(EdgeYaml(edge_id, broker.port(), dir), "<hub_bench edge.yaml>", dir.path());
  if (!config.ok()) {
    r.error = config.status().ToString();
    return r;
  }

  // What the edge stored while the hub was away, ending now.
  const uint64_t total = opt.backlog_records;
  const auto prefill_start = SteadyClock::now();
  {
    SqliteStoreOptions o;
    o.path = config->store_path;
    o.durability = Durability::kNormal;  // not timed; the drain runs at the edge's default
    o.model = config->model;
    auto catalog = std::make_shared<SourceCatalog>();
    std::vector<SourceId> source_ids;
    std::vector<SignalId> signal_ids;
    for (size_t k = 0; k < plant.series(); ++k) {
      const Source& s = plant.sources[k];
      source_ids.push_back(catalog->Intern(s.protocol, s.endpoint, s.address));
      signal_ids.push_back(config->model->Find(plant.assets[k / plant.signals.size()],
                                               plant.signals[k % plant.signals.size()]));
    }
    o.sources = catalog;
    StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(o);
    if (!store.ok()) {
      r.error = store.status().ToString();
      return r;
    }
    const int64_t t0 =
        (Clock::System().NowNs() / kNsPerSec - static_cast<int64_t>(total / plant.series()) - 1) *
        kNsPerSec;
    auto last_report = SteadyClock::now();
    for (uint64_t done = 0; done < total;) {
      WriteBatch b;
      for (int j = 0; j < kBacklogWriteBatch && done < total; ++j, ++done) {
        const ObservationRow row = RowAt(plant, done, t0);
        Observation ob;
        ob.signal = signal_ids[done % plant.series()];
        ob.ts_ns = row.ts_ns;
        ob.ingest_ts_ns = row.ingest_ts_ns;
        ob.value = *row.value;
        ob.source = source_ids[done % plant.series()];
        b.observations.push_back(ob);
      }
      AppendResult ar;
      if (Status s = (*store)->Append(b, &ar); !s.ok()) {
        r.error = s.ToString();
        return r;
      }
      if (SecondsSince(last_report) > 5) {
        last_report = SteadyClock::now();
        Progress("backlog/{}: pre-filling the edge's outbox: {} of {}", engine, done, total);
      }
    }
    StatusOr<StoreStats> stats = (*store)->Stats();
    if (!stats.ok() || stats->outbox_records != total) {
      r.error = stats.ok() ? fmt::format("the edge's outbox holds {}, not {}",
                                         stats->outbox_records, total)
                           : stats.status().ToString();
      return r;
    }
  }
  r.prefill_s = SecondsSince(prefill_start);
  Progress("backlog/{}: {} observations in the edge's outbox ({:.1f} s); starting hub and edge",
           engine, total, r.prefill_s);

  StatusOr<std::unique_ptr<HubStore>> hub = OpenFreshHubStore(engine, dir, pg, "hub_backlog");
  Status status = hub.ok() ? Enrol(**hub, edge_id) : hub.status();
  if (!status.ok()) {
    r.error = status.ToString();
    return r;
  }
  HubIngestOptions io;
  io.broker.host = "127.0.0.1";
  io.broker.port = broker.port();
  io.broker.client_id = "strata-hub-bench-" + engine;
  io.hub_id = "hub-bench-" + engine;
  MetricsRegistry hub_metrics;
  HubIngest ingest(io, **hub, Clock::System(), hub_metrics);
  EdgeAgent edge(std::move(*config), Clock::System());

  const auto start = SteadyClock::now();
  status = ingest.Start();
  if (status.ok()) status = edge.Start();
  if (!status.ok()) {
    r.error = status.ToString();
    return r;
  }
  auto last_report = SteadyClock::now();
  uint64_t acked = 0;
  while ((acked = edge.uplink()->acked_through(kObservationStream)) < total) {
    if (SecondsSince(start) > opt.backlog_timeout_s) {
      r.error = fmt::format("timed out after {} s with {} of {} acknowledged",
                            opt.backlog_timeout_s, acked, total);
      break;
    }
    if (SecondsSince(last_report) > 5) {
      last_report = SteadyClock::now();
      Progress("backlog/{}: hub acknowledged {} of {} ({:.0f} obs/s so far)", engine, acked, total,
               static_cast<double>(acked) / SecondsSince(start));
    }
    // Granularity of the drain time; a condition poll, not a wait for something to happen.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.drain_s = SecondsSince(start);
  edge.Stop();
  ingest.Stop();
  if (!r.error.empty()) return r;
  r.observations = total;
  StatusOr<HubStoreStats> stats = (*hub)->Stats();
  if (!stats.ok() || stats->observations != total) {
    r.error = stats.ok()
                  ? fmt::format("the hub holds {} observations, not {}", stats->observations, total)
                  : stats.status().ToString();
  }
  Progress("backlog/{}: drained {} observations in {:.2f} s ({:.0f} obs/s)", engine, total,
           r.drain_s, r.rate());
  return r;
}

// --- 3. api ---

struct WrkFigures {
  std::string error;
  double p50_ms = 0, p75_ms = 0, p90_ms = 0, p99_ms = 0;
  double requests_per_s = 0;
  uint64_t requests = 0;
  uint64_t bad_status = 0;  // non-2xx/3xx answers
  uint64_t socket_errors = 0;
};

// "2.87ms" → 2.87; "635.91us" → 0.636; "1.02s" → 1020.
double WrkMillis(const std::string& number, const std::string& unit) {
  const double v = std::atof(number.c_str());
  if (unit == "us") return v / 1000;
  if (unit == "ms") return v;
  if (unit == "s") return v * 1000;
  if (unit == "m") return v * 60'000;
  if (unit == "h") return v * 3'600'000;
  return v;
}

WrkFigures ParseWrk(const std::string& out) {
  WrkFigures f;
  std::smatch m;
  const std::regex pct(R"(\n\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m|h)\b)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), pct); it != std::sregex_iterator();
       ++it) {
    const double ms = WrkMillis((*it)[2], (*it)[3]);
    const std::string p = (*it)[1];
    (p == "50" ? f.p50_ms : p == "75" ? f.p75_ms : p == "90" ? f.p90_ms : f.p99_ms) = ms;
  }
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) {
    f.requests_per_s = std::atof(m[1].str().c_str());
  }
  if (std::regex_search(out, m, std::regex(R"((\d+) requests in)"))) {
    f.requests = std::strtoull(m[1].str().c_str(), nullptr, 10);
  }
  if (std::regex_search(out, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))"))) {
    f.bad_status = std::strtoull(m[1].str().c_str(), nullptr, 10);
  }
  if (std::regex_search(
          out, m,
          std::regex(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))"))) {
    for (int i = 1; i <= 4; ++i) f.socket_errors += std::strtoull(m[i].str().c_str(), nullptr, 10);
  }
  if (out.find("Requests/sec:") == std::string::npos)
    f.error = "could not read wrk's output:\n" + out;
  return f;
}

// Runs wrk (-t2 -c10 --latency) for `seconds` against `paths`, taken in turn by each
// connection (a Lua script), with the bearer token.
WrkFigures RunWrk(const Options& opt, const testing::TempDir& dir, const std::string& name,
                  const std::string& base_url, const std::string& token,
                  const std::vector<std::string>& paths) {
  std::string lua =
      "-- written by hub_bench: each connection takes the paths in turn\nlocal paths = {\n";
  for (const std::string& p : paths) lua += fmt::format("  \"{}\",\n", p);
  lua +=
      "}\nlocal n = 0\nrequest = function()\n  n = n + 1\n"
      "  return wrk.format(nil, paths[(n - 1) % #paths + 1])\nend\n";
  const std::string script = dir.File(name + ".lua");
  const std::string log = dir.File(name + ".out");
  testing::WriteTextFile(script, lua);
  ChildProcess::Options co;
  co.argv = {opt.wrk,     "-t2",   "-c10", fmt::format("-d{}s", opt.api_seconds), "--latency",
             "--timeout", "30s",   "-H",   "Authorization: Bearer " + token,      "-s",
             script,      base_url};
  co.log_file = log;
  WrkFigures f;
  StatusOr<std::unique_ptr<ChildProcess>> wrk = ChildProcess::Spawn(co);
  if (!wrk.ok()) {
    f.error = wrk.status().ToString();
    return f;
  }
  const std::optional<int> code = (*wrk)->WaitFor((opt.api_seconds + 60) * kNsPerSec);
  if (!code.has_value()) {
    (*wrk)->Kill();
    f.error = "wrk did not finish in time";
    return f;
  }
  const std::string out = testing::ReadTextFile(log);
  if (*code != 0) {
    f.error = fmt::format("wrk exited with {}: {}", *code, out);
    return f;
  }
  return ParseWrk(out);
}

struct UnloadedRequest {
  std::string what;
  double median_ms = 0;
  size_t bytes = 0;
  std::string unit = "bytes";
  std::string error;
};

// The time one request takes on an otherwise idle server: median of `n` after one warm-up.
// Without keep-alive every request has a connection of its own; with it, requests follow each
// other on one connection (as wrk's and browsers' do) until the server closes it.
UnloadedRequest TimeRequest(int port, const std::string& token, const std::string& what,
                            const std::string& path, bool keep_alive = false, int n = 5) {
  UnloadedRequest u;
  u.what = what;
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  client.set_keep_alive(keep_alive);
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  std::vector<double> times;
  for (int i = 0; i <= n; ++i) {
    const auto a = SteadyClock::now();
    const httplib::Result res = client.Get(path.c_str(), headers);
    const double ms = SecondsSince(a) * 1000;
    if (!res || res->status != 200) {
      u.error =
          fmt::format("GET {}: {}", path,
                      res ? fmt::format("status {}: {}", res->status, res->body.substr(0, 300))
                          : httplib::to_string(res.error()));
      return u;
    }
    u.bytes = res->body.size();
    if (i > 0) times.push_back(ms);
  }
  std::sort(times.begin(), times.end());
  u.median_ms = times[times.size() / 2];
  return u;
}

struct ApiRun {
  std::string what;
  WrkFigures wrk;
};

struct ApiResult {
  std::string engine;
  std::string error;
  uint64_t observations = 0;
  double prefill_s = 0;
  std::vector<UnloadedRequest> unloaded;
  std::vector<ApiRun> runs;  // runs[0] is /healthz, the reference
};

std::string UrlEncodeSegment(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// Waits (at most 120 s) until this process uses under 10% of a core over 200 ms and, with
// PostgreSQL, no other query is active on the server: requests of a finished wrk run that the
// server was still answering are done.
void WaitUntilIdle(const std::string& engine, testing::PostgresServer* pg) {
  const auto start = SteadyClock::now();
  while (SecondsSince(start) < 120) {
    const double cpu = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    bool idle = ProcessCpuSeconds() - cpu < 0.02;
    if (idle && pg != nullptr) {
      StatusOr<std::string> active =
          pg->QueryText("postgres",
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND "
                        "backend_type = 'client backend' AND pid <> pg_backend_pid()");
      idle = active.ok() && std::atoi(active->c_str()) == 0;
    }
    if (idle) break;
  }
  if (SecondsSince(start) > 1) {
    Progress("api/{}: waited {:.1f} s for the server to finish the previous run's requests", engine,
             SecondsSince(start));
  }
}

ApiResult RunApi(const Options& opt, const Plant& plant, const std::string& engine,
                 testing::PostgresServer* pg) {
  ApiResult r;
  r.engine = engine;
  testing::TempDir dir;
  StatusOr<std::unique_ptr<HubStore>> hub = OpenFreshHubStore(engine, dir, pg, "hub_api");
  const std::string edge_id = "edge-api";
  Status status = hub.ok() ? Enrol(**hub, edge_id) : hub.status();
  if (!status.ok()) {
    r.error = status.ToString();
    return r;
  }
  // One asset: its signals at 1 Hz for api_hours, ending now, through IngestBatch.
  const Plant one = MakePlant(1, opt.signals);
  const int64_t seconds = static_cast<int64_t>(opt.api_hours) * 3600;
  const int64_t end_ns = (Clock::System().NowNs() / kNsPerSec + 1) * kNsPerSec;
  const int64_t t0 = end_ns - seconds * kNsPerSec;
  const uint64_t total = static_cast<uint64_t>(seconds) * one.series();
  const auto prefill_start = SteadyClock::now();
  auto last_report = SteadyClock::now();
  for (uint64_t done = 0; done < total;) {
    // Large batches: the pre-fill is not what is measured.
    const size_t n = std::min<uint64_t>(50'000, total - done);
    StatusOr<IngestOutcome> out =
        (*hub)->IngestBatch(MakeBatch(one, edge_id, done, n, t0), Clock::System().NowNs());
    if (!out.ok()) {
      r.error = out.status().ToString();
      return r;
    }
    done += n;
    if (SecondsSince(last_report) > 5) {
      last_report = SteadyClock::now();
      Progress("api/{}: pre-filling the hub store: {} of {}", engine, done, total);
    }
  }
  r.observations = total;
  r.prefill_s = SecondsSince(prefill_start);
  Progress("api/{}: {} observations of {} in the hub store ({:.1f} s)", engine, total,
           one.assets[0], r.prefill_s);

  StatusOr<std::string> token =
      api::CreateApiToken(**hub, Role::kViewer, "hub_bench", Clock::System().NowNs());
  if (!token.ok()) {
    r.error = token.status().ToString();
    return r;
  }
  MetricsRegistry metrics;
  api::ApiServerOptions so;
  so.listen = "127.0.0.1:0";
  api::ApiServer server(**hub, metrics, so);
  if (Status s = server.Start(); !s.ok()) {
    r.error = s.ToString();
    return r;
  }
  Progress("api/{}: ApiServer on {} ({} worker threads)", engine, server.base_url(), so.threads);
  const std::string asset_path = "/api/v1/assets/" + UrlEncodeSegment(one.assets[0]);
  const std::string series_all =
      fmt::format("{}/series?from={}&to={}&points=500", asset_path, t0, end_ns);
  const std::string series_hour = fmt::format("{}/series?from={}&to={}&points=500", asset_path,
                                              end_ns - 3600 * kNsPerSec, end_ns);
  const std::string span = fmt::format("{} h", opt.api_hours);
  // The store's share of the series requests: QuerySeries alone, as the route calls it.
  for (const auto& [what, from_ns] : std::vector<std::pair<std::string, int64_t>>{
           {"HubStore::QuerySeries, " + span + ", 500 buckets", t0},
           {"HubStore::QuerySeries, last 1 h, 500 buckets", end_ns - 3600 * kNsPerSec}}) {
    UnloadedRequest u;
    u.what = what;
    SeriesQuery q;
    q.asset = one.assets[0];
    q.from_ns = from_ns;
    q.to_ns = end_ns;
    q.bucket_ns = (end_ns - from_ns + 499) / 500;
    std::vector<double> times;
    for (int i = 0; i < 4; ++i) {
      const auto a = SteadyClock::now();
      StatusOr<std::vector<SeriesBucket>> buckets = (*hub)->QuerySeries(q);
      if (!buckets.ok()) {
        r.error = buckets.status().ToString();
        return r;
      }
      if (i > 0) times.push_back(SecondsSince(a) * 1000);
      u.bytes = buckets->size();
    }
    std::sort(times.begin(), times.end());
    u.median_ms = times[1];
    u.unit = "buckets";
    Progress("api/{}: {}: {:.2f} ms, {} buckets", engine, what, u.median_ms, u.bytes);
    r.unloaded.push_back(std::move(u));
  }
  for (const auto& [what, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET /healthz", "/healthz"},
           {"GET /healthz, keep-alive connection", "/healthz"},
           {"GET asset (twin)", asset_path},
           {"GET series, " + span + ", points=500", series_all},
           {"GET series, last 1 h, points=500", series_hour}}) {
    const bool keep_alive = what.find("keep-alive") != std::string::npos;
    r.unloaded.push_back(TimeRequest(server.port(), *token, what, path, keep_alive,
                                     keep_alive           ? 20
                                     : path == series_all ? 3
                                                          : 5));
    const UnloadedRequest& u = r.unloaded.back();
    if (!u.error.empty()) {
      r.error = u.error;
      server.Stop();
      return r;
    }
    Progress("api/{}: {}: {:.2f} ms unloaded, {} bytes", engine, what, u.median_ms, u.bytes);
  }
  for (const auto& [what, paths] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"GET /healthz (reference)", {"/healthz"}},
           {"asset page: twin + series last 1 h", {asset_path, series_hour}},
           {"asset page: twin + series " + span, {asset_path, series_all}}}) {
    // Requests still being answered after the previous run would slow this one down.
    WaitUntilIdle(engine, pg);
    Progress("api/{}: wrk -t2 -c10 -d{}s: {}", engine, opt.api_seconds, what);
    ApiRun run{what, RunWrk(opt, dir, fmt::format("wrk{}", r.runs.size()), server.base_url(),
                            *token, paths)};
    if (!run.wrk.error.empty()) {
      r.error = run.wrk.error;
      break;
    }
    Progress("api/{}: p50 {:.2f} ms, p99 {:.2f} ms, {:.0f} requests/s{}", engine, run.wrk.p50_ms,
             run.wrk.p99_ms, run.wrk.requests_per_s,
             run.wrk.bad_status + run.wrk.socket_errors > 0
                 ? fmt::format(" ({} non-2xx, {} socket errors)", run.wrk.bad_status,
                               run.wrk.socket_errors)
                 : "");
    r.runs.push_back(std::move(run));
  }
  server.Stop();
  return r;
}

// --- summary ---

std::string Thousands(double v) {
  const auto n = static_cast<int64_t>(std::llround(v));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

int Run(const Options& opt) {
  spdlog::set_level(spdlog::level::warn);
  const Plant plant = MakePlant(opt.assets, opt.signals);
  fmt::print("hub_bench: engines {}{}; parts {}{}{}; {} hardware threads\n",
             opt.sqlite ? "sqlite " : "", opt.postgres ? "postgres" : "",
             opt.ingest ? "ingest " : "", opt.backlog ? "backlog " : "", opt.api ? "api" : "",
             std::thread::hardware_concurrency());

  std::unique_ptr<testing::PostgresServer> pg;
  std::string pg_error;
  if (opt.postgres) {
    Progress("starting PostgreSQL (initdb in a temporary directory)");
    StatusOr<std::unique_ptr<testing::PostgresServer>> started = testing::PostgresServer::Start();
    if (started.ok()) {
      pg = std::move(*started);
      StatusOr<std::string> version = pg->QueryText("postgres", "SHOW server_version");
      Progress("PostgreSQL {} on port {}", version.ok() ? *version : "?", pg->port());
    } else {
      pg_error = "PostgreSQL could not be started: " + started.status().ToString();
      Progress("{}; its rows are skipped", pg_error);
    }
  }
  std::vector<std::string> engines;
  if (opt.sqlite) engines.push_back("sqlite");
  if (opt.postgres) engines.push_back("postgres");
  auto pg_for = [&](const std::string& engine) -> testing::PostgresServer* {
    return engine == "postgres" ? pg.get() : nullptr;
  };
  auto skipped = [&](const std::string& engine) { return engine == "postgres" && !pg; };

  std::vector<IngestResult> ingest;
  std::vector<BacklogResult> backlog;
  std::vector<ApiResult> api_results;
  if (opt.ingest) {
    for (const std::string& e : engines) {
      if (skipped(e)) {
        ingest.push_back({.engine = e, .error = pg_error});
        continue;
      }
      ingest.push_back(RunIngest(opt, plant, e, pg_for(e)));
    }
  }
  if (opt.backlog) {
    StatusOr<std::unique_ptr<testing::MosquittoBroker>> broker = testing::MosquittoBroker::Start();
    for (const std::string& e : engines) {
      if (!broker.ok()) {
        backlog.push_back({.engine = e, .error = broker.status().ToString()});
      } else if (skipped(e)) {
        backlog.push_back({.engine = e, .error = pg_error});
      } else {
        backlog.push_back(RunBacklog(opt, plant, e, **broker, pg_for(e)));
      }
    }
  }
  if (opt.api) {
    ChildProcess::Options probe;
    probe.argv = {opt.wrk, "--version"};
    probe.log_file = "/dev/null";
    StatusOr<std::unique_ptr<ChildProcess>> wrk = ChildProcess::Spawn(probe);
    std::optional<int> code;
    if (wrk.ok()) code = (*wrk)->WaitFor(10 * kNsPerSec);
    // wrk --version exits with 1 after printing its version; 127 when it is not there.
    const bool have_wrk = wrk.ok() && code.has_value() && *code != 127;
    for (const std::string& e : engines) {
      if (!have_wrk) {
        api_results.push_back(
            {.engine = e,
             .error = fmt::format("'{}' cannot be run: install wrk (apt-get install wrk) or pass "
                                  "--wrk PATH",
                                  opt.wrk)});
      } else if (skipped(e)) {
        api_results.push_back({.engine = e, .error = pg_error});
      } else {
        api_results.push_back(RunApi(opt, plant, e, pg_for(e)));
      }
    }
  }

  fmt::print(
      "\n== summary ({} hardware threads, shared; every ratio is against a reference measured "
      "in this run)\n",
      std::thread::hardware_concurrency());
  bool failed = false;
  const IngestResult* ingest_of[2] = {nullptr, nullptr};
  if (!ingest.empty()) {
    fmt::print(
        "\n1. ingest: DecodeUplinkBatch + HubStore::IngestBatch, {} observations per batch "
        "({} assets x {} signals), {} timed batches; bare = the same rows, plain table, one "
        "transaction per batch\n",
        opt.batch_records, opt.assets, opt.signals, opt.batches - kWarmupBatches);
    fmt::print(
        "| engine | hub: decode + ingest obs/s | IngestBatch alone obs/s | bare insert obs/s | "
        "hub / bare | decode share |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (const IngestResult& r : ingest) {
      if (!r.error.empty()) {
        fmt::print("| {} | not measured: {} | | | | |\n", r.engine, r.error);
        failed = failed || !(r.engine == "postgres" && !pg);
        continue;
      }
      ingest_of[r.engine == "sqlite" ? 0 : 1] = &r;
      fmt::print("| {} | {} | {} | {} | {:.2f} | {:.0f}% |\n", r.engine, Thousands(r.hub_rate()),
                 Thousands(r.ingest_rate()), Thousands(r.bare_rate()), r.hub_rate() / r.bare_rate(),
                 100 * r.decode_s / (r.decode_s + r.ingest_s));
    }
  }
  if (!backlog.empty()) {
    fmt::print(
        "\n2. backlog catch-up through mosquitto: edge outbox -> Uplink (batches of 5,000, 4 in "
        "flight) -> mosquitto -> HubIngest -> hub store, until the edge holds the last ack\n");
    fmt::print(
        "| engine | observations | drain time | obs/s | vs bare insert (part 1) |\n"
        "| --- | ---: | ---: | ---: | ---: |\n");
    for (const BacklogResult& r : backlog) {
      if (!r.error.empty()) {
        fmt::print("| {} | not measured: {} | | | |\n", r.engine, r.error);
        failed = failed || !(r.engine == "postgres" && !pg);
        continue;
      }
      const IngestResult* ref = ingest_of[r.engine == "sqlite" ? 0 : 1];
      fmt::print("| {} | {} | {:.2f} s | {} | {} |\n", r.engine, Thousands(r.observations),
                 r.drain_s, Thousands(r.rate()),
                 ref ? fmt::format("{:.2f}", r.rate() / ref->bare_rate()) : "-");
    }
  }
  if (!api_results.empty()) {
    fmt::print(
        "\n3. API at 10 concurrent clients (wrk -t2 -c10 -d{}s --latency), one asset with {} "
        "signals x {} h of 1 Hz data; the page requests alternate\n",
        opt.api_seconds, opt.signals, opt.api_hours);
    fmt::print(
        "| engine | requests | completed | p50 | p90 | p99 | requests/s | p99 / healthz p99 | "
        "req/s / healthz req/s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "|\n");
    for (const ApiResult& r : api_results) {
      if (!r.error.empty()) {
        fmt::print("| {} | not measured: {} | | | | | | | |\n", r.engine, r.error);
        failed = failed || !(r.engine == "postgres" && !pg);
      }
      for (const ApiRun& run : r.runs) {
        const WrkFigures& ref = r.runs[0].wrk;
        if (run.wrk.requests == 0) {
          fmt::print("| {} | {} | 0: none answered within the run | | | | | | |\n", r.engine,
                     run.what);
          continue;
        }
        fmt::print(
            "| {} | {}{} | {} | {:.2f} ms | {:.2f} ms | {:.2f} ms | {} | {:.1f} | {:.3f} |\n",
            r.engine, run.what,
            run.wrk.bad_status + run.wrk.socket_errors > 0
                ? fmt::format(" ({} non-2xx, {} socket errors)", run.wrk.bad_status,
                              run.wrk.socket_errors)
                : "",
            Thousands(static_cast<double>(run.wrk.requests)), run.wrk.p50_ms, run.wrk.p90_ms,
            run.wrk.p99_ms, Thousands(run.wrk.requests_per_s), run.wrk.p99_ms / ref.p99_ms,
            run.wrk.requests_per_s / ref.requests_per_s);
        failed = failed || run.wrk.bad_status + run.wrk.socket_errors > 0;
      }
    }
    fmt::print(
        "\nunloaded, one request at a time (median of 5; of 3 for the longest series; of 20 on a "
        "keep-alive connection):\n| engine | request | time | "
        "response |\n| --- | --- | ---: | ---: |\n");
    for (const ApiResult& r : api_results) {
      for (const UnloadedRequest& u : r.unloaded) {
        fmt::print("| {} | {} | {:.2f} ms | {} {} |\n", r.engine, u.what, u.median_ms,
                   Thousands(static_cast<double>(u.bytes)), u.unit);
      }
    }
  }
  Progress("done");
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  return strata::bench::Run(strata::bench::ParseOptions(argc, argv));
}
