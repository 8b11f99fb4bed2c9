#include "ml/xgboost/xgboost_trainer.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "ml/xgboost/xgboost_handles.h"

namespace strata::ml {
namespace {

// A double as XGBoost's parameter parser reads it back exactly.
std::string Exact(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

}  // namespace

StatusOr<std::string> TrainXgboost(const TrainParams& params, std::span<const float> X,
                                   size_t n_features, std::span<const float> y,
                                   std::function<void(int round, int rounds)> progress) {
  auto error = [](std::string what) { return InvalidArgumentError("train: " + what); };
  if (n_features == 0 || y.empty() || X.size() != y.size() * n_features) {
    return error(std::to_string(X.size()) + " feature values are not " + std::to_string(y.size()) +
                 " labelled rows of " + std::to_string(n_features) + " features");
  }
  if (params.rounds < 1) return error("rounds must be at least 1");
  if (params.max_depth < 1) return error("max_depth must be at least 1");
  if (!(params.eta > 0 && params.eta <= 1)) return error("eta must be in (0, 1]");
  const bool logistic = params.objective == "binary:logistic" || params.objective == "reg:logistic";
  if (!logistic && params.objective != "reg:squarederror") {
    return error("objective \"" + params.objective +
                 "\" is not supported; use binary:logistic, reg:logistic or reg:squarederror");
  }
  for (size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i]) || (logistic && (y[i] < 0 || y[i] > 1))) {
      return error("label " + std::to_string(i) + " = " + std::to_string(y[i]) +
                   (logistic ? " is not in [0, 1]" : " is not finite"));
    }
  }
  if (params.scale_pos_weight && !(*params.scale_pos_weight > 0)) {
    return error("scale_pos_weight must be positive");
  }

  STRATA_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromDense(X, y.size(), n_features));
  STRATA_RETURN_IF_ERROR(train.SetLabels(y));
  STRATA_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::ForTraining(train));
  auto set = [&](std::string_view name, std::string value) {
    return booster.SetParam(name, value);
  };
  STRATA_RETURN_IF_ERROR(set("nthread", "1"));
  STRATA_RETURN_IF_ERROR(set("verbosity", "1"));
  STRATA_RETURN_IF_ERROR(set("seed", std::to_string(params.seed)));
  STRATA_RETURN_IF_ERROR(set("objective", params.objective));
  STRATA_RETURN_IF_ERROR(set("max_depth", std::to_string(params.max_depth)));
  STRATA_RETURN_IF_ERROR(set("eta", Exact(params.eta)));
  STRATA_RETURN_IF_ERROR(set("tree_method", params.tree_method));
  if (params.scale_pos_weight) {
    STRATA_RETURN_IF_ERROR(set("scale_pos_weight", Exact(*params.scale_pos_weight)));
  }
  for (int round = 0; round < params.rounds; ++round) {
    STRATA_RETURN_IF_ERROR(booster.UpdateOneIter(round, train));
    if (progress) progress(round + 1, params.rounds);
  }
  return booster.SaveJson();
}

}  // namespace strata::ml
