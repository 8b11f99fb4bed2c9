// RAII owners of XGBoost C API handles (DMatrixHandle, BoosterHandle), and the few calls Strata
// makes through them, each returning a Status with XGBoost's own error message.
//
// Threading: a handle is used by one thread at a time. XGBoost's own threads (nthread) are
// set per booster with SetParam("nthread", ...).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace strata::ml::xgb {

// `rc` from an XGBoost C API call → OK, or internal/invalid_argument naming `what` with
// XGBGetLastError().
[[nodiscard]] Status Check(int rc, std::string_view what);

// A dense float matrix inside XGBoost; NaN is missing. Move-only.
class DMatrix {
 public:
  // Copies `values` (`rows * cols`, row-major). Errors: sizes, XGBoost refusing the data.
  [[nodiscard]] static StatusOr<DMatrix> FromDense(std::span<const float> values, size_t rows,
                                                   size_t cols);
  // Sets the labels (one per row).
  [[nodiscard]] Status SetLabels(std::span<const float> labels);

  void* handle() const { return handle_.get(); }

 private:
  struct Free {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, Free> handle_;
};

// Output of a prediction: XGBoost's shape and a copy of its values.
struct Prediction {
  std::vector<size_t> shape;
  std::vector<float> values;
};

// What XGBoosterPredictFromDMatrix computes ("type" in its config).
enum class PredictType { kValue = 0, kMargin = 1, kContributions = 2 };

// A booster. Move-only.
class Booster {
 public:
  // An empty booster to train on `train` (its data is cached by the booster).
  [[nodiscard]] static StatusOr<Booster> ForTraining(const DMatrix& train);
  // A booster holding the model in `model_bytes` (JSON or UBJSON, as saved by XGBoost).
  // `nthread` > 0 sets XGBoost's threads for predicting; 0 keeps its default (all cores).
  // Hazard: loading itself runs on XGBoost's default OpenMP pool (all cores) whatever nthread
  // says, and the pool stays for the life of the process.
  [[nodiscard]] static StatusOr<Booster> FromModel(std::string_view model_bytes, int nthread = 0);

  [[nodiscard]] Status SetParam(std::string_view name, std::string_view value);
  [[nodiscard]] Status UpdateOneIter(int iteration, const DMatrix& train);
  [[nodiscard]] StatusOr<size_t> NumFeatures() const;
  // The model as XGBoost JSON (XGBoosterSaveModelToBuffer, {"format": "json"}).
  [[nodiscard]] StatusOr<std::string> SaveJson() const;

  // XGBoosterPredictFromDMatrix over all trees.
  [[nodiscard]] StatusOr<Prediction> Predict(const DMatrix& data, PredictType type) const;
  // Inplace prediction from dense row-major floats (XGBoosterPredictFromDense), NaN missing.
  // `out` receives one value per row. The fastest direct C API path for a few rows.
  [[nodiscard]] Status PredictDense(std::span<const float> values, size_t rows, size_t cols,
                                    std::span<float> out) const;

  void* handle() const { return handle_.get(); }

 private:
  struct Free {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, Free> handle_;
};

}  // namespace strata::ml::xgb
