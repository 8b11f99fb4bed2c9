// In-process pipeline throughput on one core:
//   JSON payload → decode → map → normalize/validate → durable SQLite store,
// against, in the same run, a bare batched SQLite insert of the same rows (one row per
// observation, unique (signal, ts) index: the naive layout the store's chunks replace), and
// Store::Append alone (the pipeline's CPU over the store).
//
//   build/release/bench/pipeline_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_model.h"
#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/mqtt_message_handler.h"
#include "core/config_node.h"
#include "pipeline/normalizer.h"
#include "store/store.h"

namespace strata::bench {
namespace {

constexpr int kAssets = 100;
constexpr int kSignals = 10;
constexpr int kMessagesPerBatch = 800;  // 8,000 observations per transaction

std::string TempDb(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/strata-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::filesystem::remove(path + suffix);
  return path;
}

struct Fixture {
  std::shared_ptr<const AssetModel> model;
  MqttConnectorConfig connector;
  std::shared_ptr<SourceCatalog> sources = std::make_shared<SourceCatalog>();

  Fixture() {
    auto doc = ConfigDocument::Parse(AssetModelYaml(kAssets, kSignals), "<bench assets>");
    model = *(*doc)->Read<std::shared_ptr<const AssetModel>>(
        [](ConfigNode& n) { return AssetModel::Read(n); });
    auto cdoc = ConfigDocument::Parse("c:" + ConnectorYaml(1883, "ms"), "<bench connector>");
    connector = *(*cdoc)->Read<MqttConnectorConfig>([](ConfigNode& n) {
      auto list = n.Get("c").Elements();
      list[0].String("type");
      return MqttConnectorConfig::Read(list[0], "bench");
    });
  }
};

Fixture& GetFixture() {
  static Fixture f;
  return f;
}

// Messages for batch `b`: every asset in turn, timestamps unique per signal.
std::vector<RawMessage> MakeMessages(int b) {
  std::vector<RawMessage> out;
  const int64_t base_ms = 1'700'000'000'000LL;
  for (int m = 0; m < kMessagesPerBatch; ++m) {
    const int64_t seq = int64_t(b) * kMessagesPerBatch + m;
    RawMessage raw;
    raw.connector = 0;
    raw.topic = fmt::format("bench/m{:04}", 1 + seq % kAssets);
    const std::string p = Payload(base_ms + seq / kAssets, kSignals, 20 + seq % 50);
    raw.SetPayload(p.data(), p.size());
    raw.receive_ts_ns = (base_ms + seq / kAssets) * 1'000'000;
    out.push_back(std::move(raw));
  }
  return out;
}

std::unique_ptr<Store> OpenStore(const std::string& name, Durability durability) {
  SqliteStoreOptions o;
  o.path = TempDb(name);
  o.durability = durability;
  o.model = GetFixture().model;
  o.sources = GetFixture().sources;
  auto s = OpenSqliteStore(o);
  if (!s.ok()) {
    fmt::print(stderr, "{}\n", s.status().ToString());
    std::abort();
  }
  return std::move(*s);
}

class FixedClock final : public Clock {
 public:
  int64_t NowNs() const override { return 1'800'000'000'000'000'000LL; }
};

// The whole CPU path plus the store.
void BM_Pipeline(benchmark::State& state) {
  const Durability durability = state.range(0) ? Durability::kFull : Durability::kNormal;
  Fixture& f = GetFixture();
  auto store = OpenStore("pipeline", durability);
  MetricsRegistry metrics;
  PipelineCounters counters(metrics);
  FixedClock clock;
  Normalizer normalizer(f.model, clock, ValidationOptions(), &counters);
  MqttMessageHandler handler(f.connector, f.sources);
  int b = 0;
  int64_t observations = 0;
  WriteBatch batch;
  for (auto _ : state) {
    state.PauseTiming();
    auto messages = MakeMessages(b++);
    batch.clear();
    state.ResumeTiming();
    for (const auto& m : messages) handler.Handle(m, normalizer, &batch);
    AppendResult result;
    if (Status s = store->Append(batch, &result); !s.ok() || !batch.dead_letters.empty()) {
      state.SkipWithError("append failed or readings rejected");
      break;
    }
    observations += static_cast<int64_t>(result.observations_written);
  }
  state.SetItemsProcessed(observations);
  state.counters["obs_per_s"] = benchmark::Counter(double(observations), benchmark::Counter::kIsRate);
}

// Store::Append of already-normalized observations.
void BM_StoreAppend(benchmark::State& state) {
  const Durability durability = state.range(0) ? Durability::kFull : Durability::kNormal;
  Fixture& f = GetFixture();
  auto store = OpenStore("append", durability);
  int64_t observations = 0;
  int64_t ts = 1'700'000'000'000'000'000LL;
  WriteBatch batch;
  for (auto _ : state) {
    state.PauseTiming();
    batch.clear();
    for (int i = 0; i < kMessagesPerBatch * kSignals; ++i) {
      Observation o;
      o.signal = static_cast<SignalId>(i % (kAssets * kSignals));
      o.ts_ns = ts + i / (kAssets * kSignals);
      o.ingest_ts_ns = o.ts_ns;
      o.value = 20 + i % 50;
      o.source = f.sources->Intern("mqtt", "tcp://127.0.0.1:1883", "bench/m0001");
      batch.observations.push_back(o);
    }
    ts += kMessagesPerBatch * kSignals;
    state.ResumeTiming();
    AppendResult result;
    if (!store->Append(batch, &result).ok()) {
      state.SkipWithError("append failed");
      break;
    }
    observations += static_cast<int64_t>(result.observations_written);
  }
  state.SetItemsProcessed(observations);
  state.counters["obs_per_s"] = benchmark::Counter(double(observations), benchmark::Counter::kIsRate);
}

// The reference: the same rows and pragmas, one prepared INSERT per row into a row-per-
// observation table, one transaction per batch — what SQLite costs done the obvious way.
void BM_BareSqliteInsert(benchmark::State& state) {
  const Durability durability = state.range(0) ? Durability::kFull : Durability::kNormal;
  const std::string path = TempDb("bare");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      fmt::print(stderr, "{}: {}\n", sql, err ? err : "?");
      std::abort();
    }
  };
  exec("PRAGMA auto_vacuum=INCREMENTAL");
  exec("PRAGMA journal_mode=WAL");
  exec(durability == Durability::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  exec("CREATE TABLE observations(seq INTEGER PRIMARY KEY, signal INTEGER NOT NULL, ts INTEGER "
       "NOT NULL, ingest_ts INTEGER NOT NULL, value REAL, quality INTEGER NOT NULL, source "
       "INTEGER, block BLOB)");
  exec("CREATE UNIQUE INDEX observations_signal_ts ON observations(signal, ts)");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT OR IGNORE INTO observations(seq, signal, ts, ingest_ts, value, "
                     "quality, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     -1, &insert, nullptr);
  int64_t seq = 0;
  int64_t ts = 1'700'000'000'000'000'000LL;
  for (auto _ : state) {
    exec("BEGIN IMMEDIATE");
    for (int i = 0; i < kMessagesPerBatch * kSignals; ++i) {
      sqlite3_bind_int64(insert, 1, ++seq);
      sqlite3_bind_int64(insert, 2, i % (kAssets * kSignals));
      sqlite3_bind_int64(insert, 3, ts + i / (kAssets * kSignals));
      sqlite3_bind_int64(insert, 4, ts + i / (kAssets * kSignals));
      sqlite3_bind_double(insert, 5, 20 + i % 50);
      sqlite3_bind_int(insert, 6, 0);
      sqlite3_bind_int64(insert, 7, 1);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    exec("COMMIT");
    ts += kMessagesPerBatch * kSignals;
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  const int64_t rows = state.iterations() * kMessagesPerBatch * kSignals;
  state.SetItemsProcessed(rows);
  state.counters["obs_per_s"] = benchmark::Counter(double(rows), benchmark::Counter::kIsRate);
}

// Decode + map + normalize only, no store: the CPU cost per observation.
void BM_DecodeNormalize(benchmark::State& state) {
  Fixture& f = GetFixture();
  MetricsRegistry metrics;
  PipelineCounters counters(metrics);
  FixedClock clock;
  Normalizer normalizer(f.model, clock, ValidationOptions(), &counters);
  MqttMessageHandler handler(f.connector, f.sources);
  auto messages = MakeMessages(0);
  WriteBatch batch;
  int64_t observations = 0;
  for (auto _ : state) {
    batch.clear();
    for (const auto& m : messages) handler.Handle(m, normalizer, &batch);
    observations += static_cast<int64_t>(batch.observations.size());
  }
  state.SetItemsProcessed(observations);
  state.counters["obs_per_s"] = benchmark::Counter(double(observations), benchmark::Counter::kIsRate);
}

// Argument "full": 1 = Durability::kFull (fsync per commit, the edge default), 0 = kNormal.
constexpr int64_t kFull = 1;
constexpr int64_t kNormal = 0;

BENCHMARK(BM_BareSqliteInsert)->Arg(kFull)->Arg(kNormal)->ArgName("full")
    ->Iterations(150)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StoreAppend)->Arg(kFull)->Arg(kNormal)->ArgName("full")
    ->Iterations(150)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pipeline)->Arg(kFull)->Arg(kNormal)->ArgName("full")
    ->Iterations(150)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeNormalize)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace strata::bench

BENCHMARK_MAIN();
