#include "ml/training/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/clock.h"
#include "core/time_util.h"
#include "ml/runtime_factory.h"
#include "store/store.h"

namespace strata::ml {
namespace {

namespace fs = std::filesystem;

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

double RocAuc(std::span<const float> scores, std::span<const float> y) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with average ranks for ties.
  double positives = 0, rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (double(i) + double(j - 1)) / 2 + 1;
    for (size_t k = i; k < j; ++k) {
      if (y[order[k]] > 0.5) {
        positives += 1;
        rank_sum += rank;
      }
    }
    i = j;
  }
  const double negatives = double(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return std::nan("");
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

FeatureHistogram ReferenceHistogram(const std::string& feature, std::span<const float> X,
                                    size_t n_features, size_t column, int bins) {
  FeatureHistogram h;
  h.feature = feature;
  std::vector<double> values;
  for (size_t r = 0; r * n_features < X.size(); ++r) {
    const float v = X[r * n_features + column];
    if (std::isnan(v)) {
      ++h.missing;
    } else {
      values.push_back(v);
    }
  }
  if (values.empty()) return h;  // no edges, no counts: all missing
  std::sort(values.begin(), values.end());
  for (int b = 0; b <= bins; ++b) {
    const double e =
        values[static_cast<size_t>(std::llround(double(b) / bins * double(values.size() - 1)))];
    if (h.edges.empty() || e > h.edges.back()) h.edges.push_back(e);
  }
  if (h.edges.size() == 1) h.edges.push_back(std::nextafter(h.edges[0], INFINITY));
  h.counts.assign(h.edges.size() - 1, 0);
  for (double v : values) {
    // Bin i holds [edges[i], edges[i+1]); the maximum goes into the last bin.
    size_t i =
        static_cast<size_t>(std::upper_bound(h.edges.begin(), h.edges.end(), v) - h.edges.begin());
    i = std::clamp<size_t>(i == 0 ? 0 : i - 1, 0, h.counts.size() - 1);
    ++h.counts[i];
  }
  return h;
}

StatusOr<TrainReport> TrainPackage(const TrainJob& job, const TrainProgress& progress) {
  auto log = [&](const std::string& line) {
    if (progress.log) progress.log(line);
  };
  if (job.holdout < 0 || job.holdout > 0.9) {
    return InvalidArgumentError(
        fmt::format("--holdout {}: give a fraction of rows in [0, 0.9] (e.g. 0.2)", job.holdout));
  }
  if (job.threshold <= 0 || job.threshold >= 1) {
    return InvalidArgumentError(
        fmt::format("--threshold {}: give a probability in (0, 1), e.g. 0.5", job.threshold));
  }

  // Inputs, each named in its error.
  auto model = AssetModel::LoadFile(job.model_path);
  if (!model.ok()) {
    return InvalidArgumentError(
        fmt::format("asset model '{}': {}", job.model_path, model.status().message()));
  }
  auto spec = features::LoadFeatureSpecFile(job.features_path);
  if (!spec.ok()) {
    return InvalidArgumentError(
        fmt::format("feature spec '{}': {}", job.features_path, spec.status().message()));
  }
  if (Status s = features::CheckFeatureSpec(*spec, **model); !s.ok()) {
    return InvalidArgumentError(
        fmt::format("the feature spec '{}' does not match the asset model '{}': {}",
                    job.features_path, job.model_path, s.message()));
  }
  auto labels = LoadGroundTruth(job.labels_path);
  if (!labels.ok()) return labels.status();
  std::error_code ec;
  if (!fs::exists(job.data_path, ec)) {
    return NotFoundError(
        fmt::format("no edge store at '{}': give the store of an edge (its `store: path:`), e.g. "
                    "demo-data/edge.db",
                    job.data_path));
  }
  SqliteStoreOptions so;
  so.path = job.data_path;
  so.read_only = true;
  auto store = OpenSqliteStore(so);
  if (!store.ok()) {
    return UnavailableError(fmt::format("cannot open the edge store '{}': {}", job.data_path,
                                        store.status().message()));
  }

  // 1. The dataset.
  const auto t0 = std::chrono::steady_clock::now();
  log(fmt::format("building windows of '{}' ({} features, {} windows) from {} ...",
                  spec->asset_type, spec->features.size(),
                  spec->window.kind == features::WindowSpec::Kind::kTime
                      ? FormatDuration(spec->window.length_ns)
                      : fmt::format("{}-sample", spec->window.samples),
                  job.data_path));
  auto ds =
      BuildDataset(**store, *model, *spec, *labels, job.dataset,
                   [&](const std::string& asset, uint64_t windows, size_t index, size_t count) {
                     log(fmt::format("  [{}/{}] {}: {} windows", index + 1, count, asset, windows));
                   });
  if (!ds.ok()) return ds.status().WithContext(fmt::format("reading '{}'", job.data_path));
  TrainReport report;
  report.observations = ds->observations;
  report.windows = ds->windows;
  report.rows = ds->rows();
  report.positives = ds->positives;
  report.dataset_seconds = SecondsSince(t0);
  log(
      fmt::format("dataset: {} observations -> {} windows -> {} rows ({} positive), left out {} "
                  "ambiguous (fault below min severity) and {} with NaN features, in {:.1f} s",
                  ds->observations, ds->windows, ds->rows(), ds->positives, ds->ambiguous,
                  ds->nan_rows, report.dataset_seconds));
  if (ds->rows() == 0) {
    return FailedPreconditionError(fmt::format(
        "no windows with features in '{}' for {} assets of type '{}'{}: check --from/--to and "
        "--assets, and that the edge stored the spec's signals ({})",
        job.data_path, ds->assets.size(), spec->asset_type,
        ds->windows ? fmt::format(" ({} windows, all left out)", ds->windows) : "",
        fmt::join(spec->InputSignals(*(*model)->FindType(spec->asset_type)), ", ")));
  }
  if (ds->positives == 0) {
    return FailedPreconditionError(fmt::format(
        "no positive labels: none of the {} windows falls in a fault of '{}' for these assets "
        "(at severity >= {}). Train on data that covers faults: a longer range, or a store "
        "recorded while `strata sim` ran faults (its `faults:`), with that run's ground truth",
        ds->rows(), job.labels_path, job.dataset.min_severity));
  }
  if (ds->positives == ds->rows()) {
    return FailedPreconditionError(fmt::format(
        "every one of the {} windows is labelled as a fault in '{}': the model needs healthy "
        "data too; widen --from/--to",
        ds->rows(), job.labels_path));
  }

  // 2. Split by time: order rows by window end (then asset), hold out the latest.
  const size_t n = ds->rows(), width = ds->n_features();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::tie(ds->row_end_ns[a], ds->row_asset[a]) <
           std::tie(ds->row_end_ns[b], ds->row_asset[b]);
  });
  const size_t holdout_rows = static_cast<size_t>(std::floor(double(n) * job.holdout));
  const size_t train_rows = n - holdout_rows;
  std::vector<float> x_train, y_train, x_test, y_test;
  x_train.reserve(train_rows * width);
  for (size_t k = 0; k < n; ++k) {
    const size_t r = order[k];
    const bool train = k < train_rows;
    auto& x = train ? x_train : x_test;
    x.insert(x.end(), ds->X.begin() + r * width, ds->X.begin() + (r + 1) * width);
    (train ? y_train : y_test).push_back(ds->y[r]);
  }
  const uint64_t train_pos = static_cast<uint64_t>(std::count(y_train.begin(), y_train.end(), 1.f));
  if (train_pos == 0) {
    return FailedPreconditionError(fmt::format(
        "no positive labels among the {} training rows (all {} are in the latest {:.0f}% held "
        "out): lower --holdout or add data with earlier faults",
        train_rows, ds->positives, job.holdout * 100));
  }
  report.train_rows = train_rows;
  report.holdout_rows = holdout_rows;

  // 3. Train.
  const auto t1 = std::chrono::steady_clock::now();
  log(
      fmt::format("training xgboost: {} rows ({} positive), {} rounds, max depth {}, eta {}, "
                  "seed {} ...",
                  train_rows, train_pos, job.params.rounds, job.params.max_depth, job.params.eta,
                  job.params.seed));
  auto artifact = TrainXgboost(job.params, x_train, width, y_train, progress.rounds);
  if (!artifact.ok()) return artifact.status().WithContext("training");
  report.training_seconds = SecondsSince(t1);

  ModelPackage candidate;
  ModelManifest& m = candidate.manifest;
  m.name = job.name.empty() ? spec->asset_type + "-fault" : job.name;
  m.version = job.version;
  m.task = "binary_classification";
  m.runtime = "xgboost";
  m.artifact_file = "model.json";
  m.features = *spec;
  m.decision.threshold = job.threshold;
  m.alert.open_at = job.threshold;
  m.alert.clear_below = std::max(0.0, job.threshold - 0.1);
  m.alert.min_duration_ns =
      2 *
      (spec->window.kind == features::WindowSpec::Kind::kTime ? spec->window.step_ns : int64_t{0});
  m.alert.cooldown_ns = 10 * 60 * kNsPerSec;
  candidate.artifact = *artifact;

  // 4. Metrics on the holdout, through the runtime the edge will use.
  m.metrics["train_rows"] = double(train_rows);
  m.metrics["train_positives"] = double(train_pos);
  m.metrics["holdout_rows"] = double(holdout_rows);
  if (holdout_rows > 0) {
    auto runtime = CreateRuntime(candidate);
    if (!runtime.ok()) return runtime.status().WithContext("loading the trained model");
    std::vector<float> scores(holdout_rows);
    STRATA_RETURN_IF_ERROR((*runtime)->Predict(x_test, scores));
    double tp = 0, fp = 0, tn = 0, fn = 0;
    for (size_t i = 0; i < holdout_rows; ++i) {
      const bool pred = scores[i] >= job.threshold, truth = y_test[i] > 0.5;
      (pred ? (truth ? tp : fp) : (truth ? fn : tn)) += 1;
    }
    m.metrics["holdout_positives"] = tp + fn;
    m.metrics["accuracy"] = (tp + tn) / double(holdout_rows);
    if (tp + fp > 0) m.metrics["precision"] = tp / (tp + fp);
    if (tp + fn > 0) m.metrics["recall"] = tp / (tp + fn);
    const double auc = RocAuc(scores, y_test);
    if (!std::isnan(auc)) m.metrics["auc"] = auc;
  }

  // 5. Reference histograms, lineage, the package.
  for (size_t c = 0; c < width; ++c) {
    m.reference.push_back(ReferenceHistogram(ds->feature_names[c], x_train, width, c));
  }
  m.lineage.source = fmt::format("edge store {}", job.data_path);
  m.lineage.labels = fmt::format("ground truth {}", job.labels_path);
  m.lineage.from_ns = ds->first_ns;
  m.lineage.to_ns = ds->last_ns;
  m.lineage.rows = n;
  m.lineage.positives = ds->positives;
  m.lineage.seed = job.params.seed;
  m.lineage.trained_at = FormatTimestamp(Clock::System().NowNs(), 0);
  auto package = WriteModelPackage(job.out_dir, m, candidate.artifact);
  if (!package.ok()) {
    return package.status().WithContext(fmt::format("writing the package to '{}'", job.out_dir));
  }
  report.package = std::move(*package);
  return report;
}

}  // namespace strata::ml
