#include "ml/xgboost/test_models.h"

#include <cmath>
#include <limits>
#include <random>

#include "ml/xgboost/xgboost_handles.h"

namespace strata::ml::testing {

Dataset RandomDataset(const DatasetOptions& options) {
  Dataset data;
  data.rows = options.rows;
  data.features = options.features;
  data.X.resize(options.rows * options.features);
  data.y.resize(options.rows);
  std::mt19937 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const size_t used = options.features - std::min(options.unused_features, options.features);
  std::vector<float> weights(options.features);
  for (float& w : weights) w = normal(rng);
  for (size_t r = 0; r < options.rows; ++r) {
    float* row = data.X.data() + r * options.features;
    for (size_t f = 0; f < options.features; ++f) row[f] = f < used ? normal(rng) : 1.0f;
    double score = 0;
    for (size_t f = 0; f < used; ++f) score += weights[f] * row[f];
    if (used >= 4) score += 2.0 * row[0] * row[1] + 3.0 * std::sin(2.0 * row[2]) - row[3] * row[3];
    score += 0.5 * normal(rng);
    data.y[r] = options.regression ? static_cast<float>(score) : (score > 0 ? 1.0f : 0.0f);
    for (size_t f = 0; f < used; ++f) {
      if (uniform(rng) < options.missing_fraction) row[f] = std::numeric_limits<float>::quiet_NaN();
    }
  }
  return data;
}

StatusOr<std::string> StandardModel(Dataset* data) {
  Dataset d = RandomDataset({.rows = 4000, .features = 32, .seed = 42, .missing_fraction = 0.1});
  TrainParams params;
  params.rounds = 100;
  params.max_depth = 6;
  params.eta = 0.3;
  params.seed = 7;
  auto model = TrainXgboost(params, d.X, d.features, d.y);
  if (data != nullptr) *data = std::move(d);
  return model;
}

StatusOr<std::vector<float>> XgboostPredict(const std::string& model_json,
                                            const std::vector<float>& X, size_t features,
                                            int type) {
  STRATA_ASSIGN_OR_RETURN(xgb::Booster booster, xgb::Booster::FromModel(model_json, 1));
  STRATA_ASSIGN_OR_RETURN(xgb::DMatrix matrix,
                          xgb::DMatrix::FromDense(X, X.size() / features, features));
  STRATA_ASSIGN_OR_RETURN(xgb::Prediction prediction,
                          booster.Predict(matrix, static_cast<xgb::PredictType>(type)));
  return std::move(prediction.values);
}

}  // namespace strata::ml::testing
