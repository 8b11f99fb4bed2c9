// Edge intelligence: TreeSHAP and inference cost per row on one core, for the standard model
// (100 trees of depth 6 on 32 features, binary:logistic, trained in-process with a fixed seed)
// and the same 1024 rows (10% missing values) for every contender. XGBoost runs with
// nthread = 1.
//
//   ShapOurs/N          our TreeSHAP (TreeShap::Explain), N rows per call
//   ShapXgboost/N       XGBoost pred_contribs (XGBoosterPredictFromDMatrix type 2) on a
//                       prebuilt DMatrix of N rows
//   PredictRuntime/N    ModelRuntime::Predict (XgboostRuntime: our tree evaluation)
//   PredictEnsemble/N   TreeEnsemble::PredictBatch directly (the interface's own overhead)
//   PredictXgboost/N    XGBoosterPredictFromDense (inplace prediction, a reused proxy DMatrix,
//                       the array interface prepared outside the timing): XGBoost's fastest
//                       direct path for dense rows
//   PredictOnnx/N       ModelRuntime::Predict on OnnxRuntime (ONNX Runtime, one thread) over
//                       the same trees, converted at start-up by scripts/xgboost_to_onnx.py
//                       (run with /usr/bin/python3: it needs Debian's python3-onnx)
//   LoadRuntime         XgboostRuntime::Load (parse JSON, TreeSHAP tables)
//
// Each reports `per_row` (seconds per row; "u" = µs). At the end the ratios are printed.
// Run: build/<dir>/bench/ml_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ml/onnx/onnx_runtime.h"
#include "ml/tree_ensemble.h"
#include "ml/tree_shap.h"
#include "ml/xgboost/test_models.h"
#include "ml/xgboost/xgboost_handles.h"
#include "ml/xgboost/xgboost_runtime.h"

namespace strata::ml {
namespace {

constexpr size_t kFeatures = 32;
constexpr size_t kRows = 1024;

struct Fixture {
  std::string model;
  testing::Dataset rows;
  std::unique_ptr<XgboostRuntime> runtime;
  std::unique_ptr<xgb::Booster> booster;
  std::unique_ptr<OnnxRuntime> onnx;  // null when the conversion failed (see onnx_error)
  std::string onnx_error;
};

extern "C" char** environ;

// The standard model through scripts/xgboost_to_onnx.py, in a temporary directory that is
// removed again. Debian's interpreter: python3-onnx belongs to /usr/bin/python3, and the
// python3 on PATH may be another one without it.
StatusOr<std::unique_ptr<OnnxRuntime>> ConvertToOnnx(const std::string& model_json) {
  namespace fs = std::filesystem;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/strata-ml-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return InternalError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  const fs::path dir(pattern);
  const std::string json_path = (dir / "model.json").string();
  const std::string onnx_path = (dir / "model.onnx").string();
  const std::string log_path = (dir / "convert.log").string();
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  };
  StatusOr<std::unique_ptr<OnnxRuntime>> result = InternalError("not run");
  {
    std::ofstream(json_path, std::ios::binary) << model_json;
    const std::string script = std::string(STRATA_SOURCE_DIR) + "/scripts/xgboost_to_onnx.py";
    std::string python = "/usr/bin/python3";
    std::vector<char*> argv = {python.data(), const_cast<char*>(script.c_str()),
                               const_cast<char*>(json_path.c_str()),
                               const_cast<char*>(onnx_path.c_str()), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    int wait_status = 0;
    if (spawn_error != 0) {
      result =
          InternalError("starting /usr/bin/python3: " + std::string(std::strerror(spawn_error)));
    } else if (waitpid(pid, &wait_status, 0) != pid || !WIFEXITED(wait_status) ||
               WEXITSTATUS(wait_status) != 0) {
      result = InternalError(script + " failed (needs Debian's python3-onnx): " + read(log_path));
    } else {
      result = OnnxRuntime::Load(read(onnx_path), {.num_features = kFeatures});
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

Fixture& Shared() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    auto model = testing::StandardModel();
    if (!model.ok()) {
      std::fprintf(stderr, "training the benchmark model: %s\n", model.status().ToString().c_str());
      std::abort();
    }
    f->model = *model;
    f->rows = testing::RandomDataset({.rows = kRows, .seed = 2024, .missing_fraction = 0.1});
    auto runtime = XgboostRuntime::Load(f->model, kFeatures);
    auto booster = xgb::Booster::FromModel(f->model, /*nthread=*/1);
    if (!runtime.ok() || !booster.ok()) {
      std::fprintf(stderr, "loading the benchmark model failed\n");
      std::abort();
    }
    f->runtime = std::move(runtime).value();
    f->booster = std::make_unique<xgb::Booster>(std::move(booster).value());
    auto onnx = ConvertToOnnx(f->model);
    if (onnx.ok()) {
      f->onnx = std::move(onnx).value();
      // Same trees, same scores: check once, outside the timing.
      std::vector<float> ours(kRows), theirs(kRows);
      if (!f->runtime->Predict(f->rows.X, ours).ok() || !f->onnx->Predict(f->rows.X, theirs).ok()) {
        std::fprintf(stderr, "predicting the benchmark rows failed\n");
        std::abort();
      }
      double max_diff = 0;
      for (size_t i = 0; i < kRows; ++i) {
        max_diff = std::max(max_diff, std::fabs(double(ours[i]) - double(theirs[i])));
      }
      std::fprintf(stderr, "ONNX Runtime %s: max |score difference| vs ours on %zu rows: %.2g\n",
                   OnnxRuntime::LibraryVersion().c_str(), kRows, max_diff);
    } else {
      f->onnx_error = onnx.status().ToString();
      std::fprintf(stderr, "ONNX arm skipped: %s\n", f->onnx_error.c_str());
    }
    return f;
  }();
  return *fixture;
}

void CountRows(benchmark::State& state, size_t rows_per_call) {
  state.counters["per_row"] =
      benchmark::Counter(static_cast<double>(state.iterations() * rows_per_call),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

std::span<const float> Rows(const Fixture& f, size_t first, size_t n) {
  return std::span<const float>(f.rows.X).subspan(first * kFeatures, n * kFeatures);
}

void ShapOurs(benchmark::State& state) {
  Fixture& f = Shared();
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<float> out(n * (kFeatures + 1));
  size_t first = 0;
  for (auto _ : state) {
    if (!f.runtime->Explain(Rows(f, first, n), out).ok()) state.SkipWithError("explain");
    benchmark::DoNotOptimize(out.data());
    first = (first + n) % kRows;
  }
  CountRows(state, n);
}
BENCHMARK(ShapOurs)->Arg(1)->Arg(kRows);

void ShapXgboost(benchmark::State& state) {
  Fixture& f = Shared();
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<xgb::DMatrix> matrices;
  for (size_t first = 0; first < kRows; first += n) {
    auto rows = Rows(f, first, n);
    matrices.push_back(std::move(xgb::DMatrix::FromDense(rows, n, kFeatures)).value());
  }
  size_t next = 0;
  for (auto _ : state) {
    auto contributions = f.booster->Predict(matrices[next], xgb::PredictType::kContributions);
    if (!contributions.ok()) state.SkipWithError("pred_contribs");
    benchmark::DoNotOptimize(contributions);
    next = (next + 1) % matrices.size();
  }
  CountRows(state, n);
}
BENCHMARK(ShapXgboost)->Arg(1)->Arg(kRows);

void PredictRuntime(benchmark::State& state) {
  Fixture& f = Shared();
  ModelRuntime& runtime = *f.runtime;
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<float> scores(n);
  size_t first = 0;
  for (auto _ : state) {
    if (!runtime.Predict(Rows(f, first, n), scores).ok()) state.SkipWithError("predict");
    benchmark::DoNotOptimize(scores.data());
    first = (first + n) % kRows;
  }
  CountRows(state, n);
}
BENCHMARK(PredictRuntime)->Arg(1)->Arg(kRows);

void PredictEnsemble(benchmark::State& state) {
  Fixture& f = Shared();
  const TreeEnsemble& ensemble = f.runtime->ensemble();
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<float> scores(n);
  size_t first = 0;
  for (auto _ : state) {
    if (!ensemble.PredictBatch(Rows(f, first, n), scores).ok()) state.SkipWithError("predict");
    benchmark::DoNotOptimize(scores.data());
    first = (first + n) % kRows;
  }
  CountRows(state, n);
}
BENCHMARK(PredictEnsemble)->Arg(1)->Arg(kRows);

void PredictXgboost(benchmark::State& state) {
  Fixture& f = Shared();
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<std::string> arrays;
  for (size_t first = 0; first < kRows; first += n) {
    arrays.push_back(R"({"data": [)" +
                     std::to_string(reinterpret_cast<std::uintptr_t>(Rows(f, first, n).data())) +
                     R"(, true], "shape": [)" + std::to_string(n) + ", " +
                     std::to_string(kFeatures) + R"(], "typestr": "<f4", "version": 3})");
  }
  static constexpr char kConfig[] =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
      R"("strict_shape": false, "missing": NaN, "cache_id": 0})";
  DMatrixHandle proxy = nullptr;
  if (XGProxyDMatrixCreate(&proxy) != 0) state.SkipWithError("XGProxyDMatrixCreate");
  size_t next = 0;
  for (auto _ : state) {
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    if (XGBoosterPredictFromDense(f.booster->handle(), arrays[next].c_str(), kConfig, proxy, &shape,
                                  &dim, &result) != 0) {
      state.SkipWithError(XGBGetLastError());
      break;
    }
    benchmark::DoNotOptimize(result);
    next = (next + 1) % arrays.size();
  }
  XGDMatrixFree(proxy);
  CountRows(state, n);
}
BENCHMARK(PredictXgboost)->Arg(1)->Arg(kRows);

void PredictOnnx(benchmark::State& state) {
  Fixture& f = Shared();
  if (f.onnx == nullptr) {
    state.SkipWithError(f.onnx_error.c_str());
    return;
  }
  ModelRuntime& runtime = *f.onnx;
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<float> scores(n);
  size_t first = 0;
  for (auto _ : state) {
    if (!runtime.Predict(Rows(f, first, n), scores).ok()) state.SkipWithError("predict");
    benchmark::DoNotOptimize(scores.data());
    first = (first + n) % kRows;
  }
  CountRows(state, n);
}
BENCHMARK(PredictOnnx)->Arg(1)->Arg(kRows);

// Load: parse the JSON, let XGBoost load it too, precompute the TreeSHAP tables.
void LoadRuntime(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) {
    auto runtime = XgboostRuntime::Load(f.model, kFeatures);
    if (!runtime.ok()) state.SkipWithError("load");
    benchmark::DoNotOptimize(runtime);
  }
  auto shap = TreeShap::Build(f.runtime->ensemble());
  state.counters["table_MiB"] = static_cast<double>(shap->table_bytes()) / (1 << 20);
  state.counters["json_KiB"] = static_cast<double>(f.model.size()) / 1024;
}
BENCHMARK(LoadRuntime)->Unit(benchmark::kMillisecond);

// Console output plus the ratios of the runs above (same run, same machine).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    // With --benchmark_repetitions the median is kept, else the single run.
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (!median && run.run_type != Run::RT_Iteration) continue;
      auto it = run.counters.find("per_row");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.str();
      if (median || !medians_.contains(name)) per_row_[name] = it->second.value;
      if (median) medians_.insert(name);
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    std::printf("\nper row, single-threaded (µs) and ratios:\n");
    for (const char* n : {"1", "1024"}) {
      const std::string rows(n);
      Ratio("TreeSHAP: XGBoost pred_contribs / ours", "ShapXgboost/" + rows, "ShapOurs/" + rows);
      Ratio("inference: ModelRuntime / direct XGBoost C API", "PredictRuntime/" + rows,
            "PredictXgboost/" + rows);
      Ratio("inference: ModelRuntime / TreeEnsemble (interface overhead)", "PredictRuntime/" + rows,
            "PredictEnsemble/" + rows);
      Ratio("inference: ONNX Runtime / ModelRuntime (ours)", "PredictOnnx/" + rows,
            "PredictRuntime/" + rows);
      Ratio("inference: ONNX Runtime / direct XGBoost C API", "PredictOnnx/" + rows,
            "PredictXgboost/" + rows);
    }
  }

 private:
  void Ratio(const char* what, const std::string& a, const std::string& b) const {
    auto x = per_row_.find(a);
    auto y = per_row_.find(b);
    if (x == per_row_.end() || y == per_row_.end()) return;
    std::printf("  %-62s %-18s %9.3f µs  %-18s %9.3f µs  ratio %7.2f\n", what, a.c_str(),
                x->second * 1e6, b.c_str(), y->second * 1e6, x->second / y->second);
  }

  std::map<std::string, double> per_row_;
  std::set<std::string> medians_;
};

}  // namespace
}  // namespace strata::ml

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  strata::ml::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
