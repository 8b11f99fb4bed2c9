// XgboostRuntime: the ModelRuntime for XGBoost tree models (kind "xgboost").
//
// Load parses the model's JSON into a TreeEnsemble, checks that XGBoost itself loads the same
// bytes with the same number of features, and precomputes our TreeSHAP tables.
//
// Predict evaluates the trees itself (TreeEnsemble), not through XGBoost's C API: measured
// with bench/ml_bench on a 100-tree depth-6 32-feature model, one row costs ~2 µs this way
// against ~25 µs through XGBoosterPredictFromDense (the fastest direct C API path for one row),
// and a batch of 1024 rows is also faster on one thread; the results agree with XGBoost to
// float rounding (tested to 1e-6). Explain is our exact TreeSHAP (TreeShap), which matches
// XGBoost's pred_contribs to 1e-5 and is much faster (see docs/benchmarks.md).
//
// Threading: as ModelRuntime (one thread at a time per runtime); Predict and Explain do not
// mutate the runtime, so concurrent calls are in fact safe.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/status.h"
#include "ml/model_runtime.h"
#include "ml/tree_ensemble.h"
#include "ml/tree_shap.h"

namespace strata::ml {

class XgboostRuntime final : public ModelRuntime {
 public:
  // `model_json_bytes`: XGBoost JSON (XGBoosterSaveModelToBuffer {"format": "json"}).
  // Errors (invalid_argument): not a model XGBoost and TreeEnsemble both read, an unsupported
  // model (see TreeEnsemble), a model whose num_feature is not `num_features`.
  [[nodiscard]] static StatusOr<std::unique_ptr<XgboostRuntime>> Load(
      std::string_view model_json_bytes, size_t num_features);

  std::string_view kind() const override { return "xgboost"; }
  size_t num_features() const override { return ensemble_.num_features(); }
  [[nodiscard]] Status Predict(std::span<const float> rows, std::span<float> scores) override;
  bool can_explain() const override { return shap_.has_value(); }
  [[nodiscard]] Status Explain(std::span<const float> rows,
                               std::span<float> contributions) override;

  const TreeEnsemble& ensemble() const { return ensemble_; }

 private:
  XgboostRuntime(TreeEnsemble ensemble, std::optional<TreeShap> shap)
      : ensemble_(std::move(ensemble)), shap_(std::move(shap)) {}

  TreeEnsemble ensemble_;
  std::optional<TreeShap> shap_;  // empty when the trees are too deep to explain
};

}  // namespace strata::ml
