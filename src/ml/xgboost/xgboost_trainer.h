// TrainXgboost: trains a gradient-boosted tree model with XGBoost's C API and returns it as
// XGBoost JSON (what XgboostRuntime::Load and TreeEnsemble::FromXgboostJson read).
//
// Deterministic: the same params (seed included), data and labels give the same bytes,
// because training runs on one XGBoost thread (nthread = 1) with the given seed.
//
// Threading: safe to call concurrently (each call owns its XGBoost handles).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "core/status.h"

namespace strata::ml {

struct TrainParams {
  int rounds = 100;  // boosting rounds = trees
  int max_depth = 6;
  double eta = 0.3;  // learning rate
  uint32_t seed = 0;
  std::string objective = "binary:logistic";  // or reg:logistic, reg:squarederror
  std::optional<double> scale_pos_weight =
      std::nullopt;                  // weight of positive labels (imbalanced faults)
  std::string tree_method = "hist";  // XGBoost's tree_method: hist, exact, approx
};

// `X` holds `y.size()` rows of `n_features` float32 features, row-major; NaN is missing.
// `progress`, if set, is called after each round with (round, rounds), round counting from 1.
// Errors (invalid_argument): shapes, rounds < 1, max_depth < 1, eta outside (0, 1], an
// unsupported objective, labels outside [0, 1] for a logistic objective; XGBoost's own
// errors with its message.
[[nodiscard]] StatusOr<std::string> TrainXgboost(
    const TrainParams& params, std::span<const float> X, size_t n_features,
    std::span<const float> y, std::function<void(int round, int rounds)> progress = {});

}  // namespace strata::ml
