#include "ml/xgboost/xgboost_runtime.h"

#include <string>
#include <utility>

namespace strata::ml {

StatusOr<std::unique_ptr<XgboostRuntime>> XgboostRuntime::Load(std::string_view model_json_bytes,
                                                               size_t num_features) {
  STRATA_ASSIGN_OR_RETURN(TreeEnsemble ensemble, TreeEnsemble::FromXgboostJson(model_json_bytes));
  if (ensemble.num_features() != num_features) {
    return InvalidArgumentError(
        "xgboost model has num_feature " + std::to_string(ensemble.num_features()) +
        " but the package's feature spec has " + std::to_string(num_features) +
        " features; retrain the model on the package's features");
  }
  std::optional<TreeShap> shap;
  if (auto built = TreeShap::Build(ensemble); built.ok()) shap = std::move(built).value();
  return std::unique_ptr<XgboostRuntime>(new XgboostRuntime(std::move(ensemble), std::move(shap)));
}

Status XgboostRuntime::Predict(std::span<const float> rows, std::span<float> scores) {
  return ensemble_.PredictBatch(rows, scores);
}

Status XgboostRuntime::Explain(std::span<const float> rows, std::span<float> contributions) {
  if (!shap_) {
    return FailedPreconditionError(
        "xgboost model: trees too deep for exact TreeSHAP (a path with more than 64 distinct "
        "features); retrain with a smaller max_depth");
  }
  return shap_->Explain(rows, contributions);
}

}  // namespace strata::ml
