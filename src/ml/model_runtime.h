// ModelRuntime: the one interface every model engine (XGBoost, ONNX Runtime) is used through.
//
// A runtime holds one loaded model artifact. Features are float32, row-major, in the order
// of the model package's feature spec (num_features() per row).
//
// Threading: one ModelRuntime is used by one thread at a time (callers synchronize); separate
// runtimes may be used concurrently.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/status.h"

namespace strata::ml {

class ModelRuntime {
 public:
  virtual ~ModelRuntime() = default;

  // "xgboost" or "onnx": what a package manifest's `runtime:` names.
  virtual std::string_view kind() const = 0;
  virtual size_t num_features() const = 0;

  // Scores `rows.size() / num_features()` rows into `scores` (one per row): the probability
  // of the positive class for a binary classifier, the predicted value for a regressor.
  // Errors (not exceptions): a size that is not a whole number of rows, `scores` of the wrong
  // size, a model whose output does not have one value per row.
  [[nodiscard]] virtual Status Predict(std::span<const float> rows, std::span<float> scores) = 0;

  // True when Explain gives exact SHAP values for this model.
  virtual bool can_explain() const = 0;

  // Exact SHAP contributions, in the model's margin units (log-odds for a binary logistic
  // classifier): num_features() + 1 values per row, the last one the bias (expected margin);
  // each row sums to the row's margin. Unimplemented: a Status, never an exception.
  [[nodiscard]] virtual Status Explain(std::span<const float> rows,
                                       std::span<float> contributions) = 0;
};

}  // namespace strata::ml
