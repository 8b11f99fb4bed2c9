// XgboostRuntime: the ModelRuntime for XGBoost tree models (kind "xgboost").
//
// Load parses the model's JSON into a TreeEnsemble and precomputes our TreeSHAP tables; it
// does not call XGBoost (whose model loading starts an OpenMP thread pool whatever nthread
// says): serving and explaining need no XGBoost at run time. The tests check on every model
// that XGBoost, from the same bytes, predicts and explains the same.
//
// Predict evaluates the trees itself (TreeEnsemble), not through XGBoost's C API: measured
// with bench/ml_bench on the 100-tree depth-6 32-feature model, one core, one row costs
// 2.2 µs this way against 10.3 µs through XGBoosterPredictFromDense (inplace prediction, the
// fastest direct C API path), and in batches of 1024 rows 2.2 against 3.0 µs per row; the
// results agree with XGBoost to float rounding (tested to 1e-6). Explain is our exact TreeSHAP
// (TreeShap): it matches XGBoost's pred_contribs to 1e-5 and takes 21 µs per row against
// XGBoost's 545 µs (docs/benchmarks.md).
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
  // Errors (invalid_argument): not a model TreeEnsemble reads, an unsupported model (see
  // TreeEnsemble), a model whose num_feature is not `num_features`.
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
