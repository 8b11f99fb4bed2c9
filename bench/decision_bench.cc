// Explained decisions on the edge, end to end, with the real parts wired as the edge wires
// them: committed observations → DecisionEngine (windows, 32 features, 100-tree depth-6
// XGBoost model, score + exact TreeSHAP, Decision JSON, alert tracking) → IngestPipeline's
// writer → SqliteStore (durability full unless told otherwise).
//
//   feeder (main thread) ──TrySubmit(one second of readings of every asset)──▶ writer ──▶ store
//   writer's commit observer ──Offer──▶ engine thread ──TrySubmit(decisions)──▶ writer ──▶ store
//
// The asset type has 8 scalar signals read at 1 Hz; the model's 32 features are
// mean/std/max/slope of each over tumbling 10 s windows. The model is trained at start-up
// with ml::TrainXgboost (100 rounds, depth 6, seed 7) on 4,000 seeded random rows of 32
// features, and deployed from a package written by ml::WriteModelPackage.
//
// Latency: from the moment a window completes — the commit observer offers the reading that
// closes it (the first one at or after its end; allowed lateness 0) — to the commit of its
// decision record (the commit observer sees it). Each window's latency is measured.
//
// Throughput, CPU:
//   decisions/s           decisions stored / wall time of the run (feeder, writer, engine on a
//                         shared machine; with --rate 0, as fast as the slowest of them)
//   engine CPU/decision   CPU time of the engine thread / decisions: windowing, features,
//                         score, TreeSHAP, JSON, alerts — its inverse is decisions/s per core
//   decide/decision       the engine's own strata_edge_decide_seconds_total / decisions
//   process CPU/decision  CPU time of the whole process / decisions (also the store commits
//                         of the 80 readings behind each decision, and the feeder)
//
//   decision_bench [--assets N] [--seconds S] [--rate R] [--durability full|normal]
//     --assets      assets, all of the model's type (default 200)
//     --seconds     simulated seconds of readings (default 300: 30 windows per asset)
//     --rate        simulated seconds fed per wall second (default 0: as fast as the pipeline
//                   takes them, at most 2 window rounds ahead of the stored decisions)
//     --durability  the store's (default full: fsync per commit, the edge's default)
//
// Windows of all assets share the epoch grid, so every 10 simulated seconds N windows complete
// at once: a window's latency includes deciding the ones completed with it.
#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/bench_model.h"
#include "core/clock.h"
#include "core/config_node.h"
#include "core/metrics.h"
#include "edge/decision_engine.h"
#include "features/feature_spec.h"
#include "ml/model_package.h"
#include "ml/xgboost/test_models.h"
#include "ml/xgboost/xgboost_trainer.h"
#include "pipeline/ingest_pipeline.h"
#include "store/store.h"

namespace strata::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr int kSignals = 8;
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kWindowNs = 10 * kSec;
constexpr int64_t kT0 = 1'800'000'000 * kSec;  // a multiple of the window length

struct Options {
  int assets = 200;
  int seconds = 300;
  double rate = 0;  // simulated seconds per wall second; 0 = as fast as possible
  Durability durability = Durability::kFull;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "decision_bench: %s\n", what.c_str());
  std::exit(1);
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) Die("missing value after " + arg);
    const std::string value = argv[++i];
    if (arg == "--assets") {
      o.assets = std::atoi(value.c_str());
    } else if (arg == "--seconds") {
      o.seconds = std::atoi(value.c_str());
    } else if (arg == "--rate") {
      o.rate = std::atof(value.c_str());
    } else if (arg == "--durability" && (value == "full" || value == "normal")) {
      o.durability = value == "full" ? Durability::kFull : Durability::kNormal;
    } else {
      Die("unknown option " + arg + " " + value +
          " (use --assets N --seconds S --rate R --durability full|normal)");
    }
  }
  if (o.assets < 1 || o.seconds < 10 || o.rate < 0) {
    Die("need --assets >= 1, --seconds >= 10, --rate >= 0");
  }
  return o;
}

double CpuSeconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) * 1e-6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

// mean/std/max/slope of s00..s07 over tumbling 10 s windows: 32 features.
features::FeatureSpec Spec() {
  features::FeatureSpec spec;
  spec.asset_type = "machine";
  spec.window.length_ns = kWindowNs;
  spec.window.step_ns = kWindowNs;
  for (int s = 0; s < kSignals; ++s) {
    const std::string signal = fmt::format("s{:02}", s);
    for (auto f : {features::FeatureFunction::kMean, features::FeatureFunction::kStd,
                   features::FeatureFunction::kMax, features::FeatureFunction::kSlope}) {
      features::FeatureDef def;
      def.name = fmt::format("{}_{}", signal, features::FeatureFunctionName(f));
      def.signal = signal;
      def.function = f;
      spec.features.push_back(std::move(def));
    }
  }
  return spec;
}

std::string TrainModel(size_t features) {
  const ml::testing::Dataset data = ml::testing::RandomDataset(
      {.rows = 4000, .features = features, .seed = 42, .missing_fraction = 0.1});
  ml::TrainParams params;
  params.rounds = 100;
  params.max_depth = 6;
  params.seed = 7;
  auto model = ml::TrainXgboost(params, data.X, data.features, data.y);
  if (!model.ok()) Die("training: " + model.status().ToString());
  return *model;
}

// Per window of each asset: when it completed, and the latency of its decision.
class LatencyLog {
 public:
  LatencyLog(const AssetModel& model, int windows)
      : windows_(windows), completed_(model.assets().size() * size_t(windows), 0) {
    std::unordered_map<const Asset*, size_t> index;
    for (size_t i = 0; i < model.assets().size(); ++i) {
      asset_index_[model.assets()[i]->path] = i;
      index[model.assets()[i].get()] = i;
    }
    signal_asset_.resize(model.signal_count());
    for (size_t s = 0; s < model.signal_count(); ++s) {
      signal_asset_[s] = index.at(model.signal(SignalId(s)).asset);
    }
  }

  // The commit observer (writer thread), before the batch is offered to the engine.
  void Committed(const WriteBatch& batch) {
    const int64_t now = Now();
    for (const Record& r : batch.records) {
      if (r.stream != kDecisionStream) continue;
      const auto asset = asset_index_.find(r.subject);
      const int64_t k = (r.ts_ns - kT0) / kWindowNs - 1;
      if (asset == asset_index_.end() || k < 0 || k >= windows_) continue;
      const int64_t completed = completed_[asset->second * size_t(windows_) + size_t(k)];
      if (completed != 0) latencies_ns_.push_back(now - completed);
      last_decision_ns_ = now;
      decisions_.fetch_add(1, std::memory_order_release);
    }
    for (const Observation& o : batch.observations) {
      // The first reading at a window's end closes it (allowed lateness 0).
      if (o.ts_ns <= kT0 || (o.ts_ns - kT0) % kWindowNs != 0) continue;
      const int64_t k = (o.ts_ns - kT0) / kWindowNs - 1;
      if (k >= windows_) continue;
      int64_t& completed = completed_[signal_asset_[o.signal] * size_t(windows_) + size_t(k)];
      if (completed == 0) completed = now;
    }
  }

  uint64_t decisions() const { return decisions_.load(std::memory_order_acquire); }
  // After the writer has stopped.
  std::vector<int64_t>& latencies_ns() { return latencies_ns_; }
  int64_t last_decision_ns() const { return last_decision_ns_; }

  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               SteadyClock::now().time_since_epoch())
        .count();
  }

 private:
  int windows_;
  std::unordered_map<std::string, size_t> asset_index_;
  std::vector<size_t> signal_asset_;
  std::vector<int64_t> completed_;  // steady ns; 0 = not yet
  std::vector<int64_t> latencies_ns_;
  int64_t last_decision_ns_ = 0;
  std::atomic<uint64_t> decisions_{0};
};

int Run(const Options& opt) {
  spdlog::set_level(spdlog::level::err);  // alert open/clear lines would flood the output
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") /
                       ("strata-decision-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  auto doc = ConfigDocument::Parse(AssetModelYaml(opt.assets, kSignals), "<bench assets>");
  if (!doc.ok()) Die(doc.status().ToString());
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& n) { return AssetModel::Read(n); });
  if (!model.ok()) Die(model.status().ToString());

  ml::ModelManifest manifest;
  manifest.name = "bench";
  manifest.version = "1";
  manifest.runtime = "xgboost";
  manifest.features = Spec();
  manifest.decision.top_k = 3;
  manifest.alert.open_at = 0.5;
  manifest.alert.clear_below = 0.4;
  auto package = ml::WriteModelPackage((dir / "package").string(), manifest,
                                       TrainModel(manifest.features.features.size()));
  if (!package.ok()) Die(package.status().ToString());

  SqliteStoreOptions so;
  so.path = (dir / "edge.db").string();
  so.durability = opt.durability;
  so.model = *model;
  so.sources = std::make_shared<SourceCatalog>();
  auto store = OpenSqliteStore(so);
  if (!store.ok()) Die(store.status().ToString());

  // The engine's clock stays at the start of the data: no idle flush, only data completes
  // windows (as on a live edge, where the data is current).
  FakeClock clock(kT0);
  MetricsRegistry metrics;
  IngestPipeline pipeline(IngestPipelineOptions(), *model, std::move(*store), clock, metrics);
  DecisionEngineOptions eo;
  eo.allowed_lateness_ns = 0;
  eo.seed = 1;
  eo.package_check_interval_ns = 3600 * kSec;
  DecisionEngine engine(*model, clock, metrics, eo);
  if (Status s = engine.Deploy({package->dir, package->sha256, {}, "decision_bench"}); !s.ok()) {
    Die(s.ToString());
  }

  const int windows = opt.seconds / 10;
  LatencyLog log(**model, windows);
  pipeline.SetCommitObserver([&](const WriteBatch& batch, int64_t) {
    log.Committed(batch);
    engine.Offer(batch);
  });
  pipeline.Start();
  std::atomic<clockid_t> engine_cpu_clock{0};
  std::atomic<bool> engine_clock_known{false};
  engine.Start(
      [&](WriteBatch& b) {
        if (!engine_clock_known.load(std::memory_order_relaxed)) {
          clockid_t c{};
          if (pthread_getcpuclockid(pthread_self(), &c) == 0) {
            engine_cpu_clock.store(c);
            engine_clock_known.store(true);
          }
        }
        return pipeline.TrySubmit(b);
      },
      {});

  Gauge& decide_seconds = metrics.GetGauge("strata_edge_decide_seconds_total",
                                           "Time spent computing features, scores and SHAP");
  Counter& dropped = metrics.GetCounter(
      "strata_edge_decision_input_dropped_total",
      "Committed observations not windowed because the decision engine was behind");
  const uint64_t expected = uint64_t(windows) * uint64_t(opt.assets);
  std::mt19937 rng(11);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> level(size_t(opt.assets) * kSignals);
  for (double& l : level) l = noise(rng);
  std::vector<SignalId> signals;  // by asset, then s00..s07
  for (const auto& asset : (*model)->assets()) {
    for (int k = 0; k < kSignals; ++k)
      signals.push_back(asset->FindSignal(fmt::format("s{:02}", k)));
  }

  const double cpu0 = ProcessCpuSeconds();
  const double decide0 = decide_seconds.value();
  const int64_t start_ns = LatencyLog::Now();
  const auto start = SteadyClock::now();
  // Seconds 0 .. windows*10 inclusive: the last reading closes the last window.
  for (int s = 0; s <= windows * 10; ++s) {
    if (opt.rate > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(s / opt.rate)));
    } else {
      // Closed loop: at most two rounds of windows fed but not yet decided and stored.
      const uint64_t closed = uint64_t(s / 10) * uint64_t(opt.assets);
      while (closed > log.decisions() + 2 * uint64_t(opt.assets)) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    }
    WriteBatch batch;
    batch.observations.reserve(level.size());
    for (size_t i = 0; i < signals.size(); ++i) {
      Observation o;
      o.signal = signals[i];
      o.ts_ns = kT0 + s * kSec;
      o.ingest_ts_ns = o.ts_ns;
      level[i] = 0.9 * level[i] + 0.45 * noise(rng);  // AR(1): features vary, windows differ
      o.value = level[i];
      batch.observations.push_back(o);
    }
    while (!pipeline.TrySubmit(batch)) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const int64_t fed_ns = LatencyLog::Now();
  // Bounded wait for the last decisions: until all are stored or none came for 10 s.
  uint64_t seen = log.decisions();
  auto progress = SteadyClock::now();
  while (seen < expected && SteadyClock::now() - progress < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (log.decisions() != seen) {
      seen = log.decisions();
      progress = SteadyClock::now();
    }
  }
  const double engine_cpu =
      engine_clock_known.load() ? CpuSeconds(engine_cpu_clock.load()) : std::nan("");
  const double process_cpu = ProcessCpuSeconds() - cpu0;
  const double decide = decide_seconds.value() - decide0;
  engine.Stop();
  pipeline.Stop();

  std::vector<int64_t>& lat = log.latencies_ns();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    if (lat.empty()) return std::nan("");
    const size_t i = std::min(lat.size() - 1, size_t(p * double(lat.size())));
    return double(lat[i]) * 1e-6;
  };
  const uint64_t decisions = log.decisions();
  const double wall = double(log.last_decision_ns() - start_ns) * 1e-9;
  std::printf(
      "decision_bench: %d assets × %d signals at 1 Hz, %d s simulated (%d windows of 10 s "
      "each), feed %s, durability %s\n",
      opt.assets, kSignals, windows * 10, windows,
      opt.rate > 0 ? fmt::format("{:g} simulated s per s", opt.rate).c_str()
                   : "as fast as possible",
      opt.durability == Durability::kFull ? "full" : "normal");
  std::printf(
      "  model: 100 trees, depth 6, 32 features (mean/std/max/slope × 8 signals), "
      "score + exact TreeSHAP, top 3 reasons\n");
  std::printf("  decisions stored     %llu of %llu (engine input dropped: %llu observations)\n",
              static_cast<unsigned long long>(decisions), static_cast<unsigned long long>(expected),
              static_cast<unsigned long long>(dropped.value()));
  std::printf("  wall                 %.2f s (feeding %.2f s)\n", wall,
              double(fed_ns - start_ns) * 1e-9);
  std::printf("  decisions/s          %.0f end to end (all threads, %ld cores shared)\n",
              double(decisions) / wall, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  engine CPU/decision  %.1f µs  → %.0f explained decisions/s per core\n",
              engine_cpu / double(decisions) * 1e6, double(decisions) / engine_cpu);
  std::printf("  decide/decision      %.1f µs  (features + score + TreeSHAP + JSON + alerts)\n",
              decide / double(decisions) * 1e6);
  std::printf("  process CPU/decision %.1f µs  (also 80 readings committed per decision)\n",
              process_cpu / double(decisions) * 1e6);
  std::printf(
      "  latency window complete → decision committed: p50 %.2f ms, p99 %.2f ms, max "
      "%.2f ms (%zu windows)\n",
      pct(0.50), pct(0.99), lat.empty() ? std::nan("") : double(lat.back()) * 1e-6, lat.size());
  fs::remove_all(dir);
  return decisions == expected ? 0 : 2;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  return strata::bench::Run(strata::bench::ParseOptions(argc, argv));
}
