// Test and benchmark models: random data with a fixed seed and XGBoost models trained on it
// in-process, plus XGBoost's own reference outputs. Not for production code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ml/xgboost/xgboost_trainer.h"

namespace strata::ml::testing {

struct Dataset {
  size_t rows = 0;
  size_t features = 0;
  std::vector<float> X;  // rows * features, row-major; NaN = missing
  std::vector<float> y;  // 0/1 labels (or a real target when regression)
};

struct DatasetOptions {
  size_t rows = 2000;
  size_t features = 32;
  uint32_t seed = 1;
  double missing_fraction = 0.0;  // each value is NaN with this probability
  size_t unused_features = 0;     // the last ones are constant: no tree can split on them
  bool regression = false;
};

// Features ~ N(0, 1); the label is a non-linear function of most features plus noise.
Dataset RandomDataset(const DatasetOptions& options);

// The standard model of the benchmarks and tests: 100 trees of depth 6 on 32 features,
// binary:logistic, with 10% missing values in training; `data` receives its training set.
StatusOr<std::string> StandardModel(Dataset* data = nullptr);

// XGBoost's own outputs for `X` (rows of `features`) through the C API, with nthread = 1:
// XGBoosterPredictFromDMatrix of the given type (0 value, 1 margin, 2 contributions).
StatusOr<std::vector<float>> XgboostPredict(const std::string& model_json,
                                            const std::vector<float>& X, size_t features, int type);

}  // namespace strata::ml::testing
