// TrainPackage: edge store + ground truth + feature spec → a model package (what
// `strata train` and the demo's starter model run).
//
//   1. BuildDataset (ml/training/dataset.h): the edge's own windows and features, labelled.
//   2. Split by time: the windows whose end is latest (the last `holdout` fraction of rows,
//      ordered by window end, then asset) are held out; the model never sees them.
//   3. TrainXgboost on the rest (deterministic: one thread, the given seed).
//   4. Metrics on the holdout: auc, accuracy, precision, recall (at the threshold),
//      holdout_rows, holdout_positives; plus train_rows, train_positives.
//   5. Reference histograms per feature on the training rows (10 bins, edges at the
//      training deciles; NaN counted as missing), lineage, and WriteModelPackage.
//
// Same data, spec and parameters (seed included) → the same artifact bytes (its sha256 in the
// manifest). The package id differs between runs only through lineage.trained_at.
//
// Threading: runs on the calling thread; progress callbacks are called from it.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ml/model_package.h"
#include "ml/training/dataset.h"
#include "ml/xgboost/xgboost_trainer.h"

namespace strata::ml {

struct TrainJob {
  std::string data_path;      // the edge store (SQLite), opened read-only
  std::string labels_path;    // ground-truth JSON lines
  std::string features_path;  // a spec file whose root holds `features:`
  std::string model_path;     // the asset model (assets.yaml)
  std::string out_dir;        // the package directory to write
  std::string name;           // "" = "<asset_type>-fault"
  std::string version = "1";
  DatasetOptions dataset;
  TrainParams params;
  double threshold = 0.5;
  double holdout = 0.2;  // fraction of rows (latest windows) held out, in [0, 0.9]
};

struct TrainProgress {
  std::function<void(std::string_view line)> log;     // one line of progress, no newline
  std::function<void(int round, int rounds)> rounds;  // after each boosting round
};

struct TrainReport {
  ModelPackage package;
  uint64_t observations = 0;
  uint64_t windows = 0;
  uint64_t rows = 0;
  uint64_t positives = 0;
  uint64_t train_rows = 0;
  uint64_t holdout_rows = 0;
  double dataset_seconds = 0;
  double training_seconds = 0;
};

// Errors name the file and what to do: an unreadable store, labels, spec or asset model; a
// spec that does not match the asset model; no windows in the range; no positive labels.
// InvalidArgument for bad input (exit code 2 in the CLI), other codes for run-time failures.
[[nodiscard]] StatusOr<TrainReport> TrainPackage(const TrainJob& job,
                                                 const TrainProgress& progress = {});

// Pieces, for tests and tools.
// Area under the ROC curve (ties count half); NaN when `y` has only one class.
double RocAuc(std::span<const float> scores, std::span<const float> y);
// 10-bin (or fewer, for features with few distinct values) reference histogram of column
// `column` of `X`.
FeatureHistogram ReferenceHistogram(const std::string& feature, std::span<const float> X,
                                    size_t n_features, size_t column, int bins = 10);

}  // namespace strata::ml
