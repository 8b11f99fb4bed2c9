#include "ml/xgboost/xgboost_handles.h"

#include <xgboost/c_api.h>

#include <cstdint>
#include <limits>
#include <utility>

namespace strata::ml::xgb {

Status Check(int rc, std::string_view what) {
  if (rc == 0) return Status::Ok();
  const char* error = XGBGetLastError();
  return InvalidArgumentError("XGBoost " + std::string(what) +
                              " failed: " + (error != nullptr ? error : "(no message)"));
}

void DMatrix::Free::operator()(void* handle) const {
  // Freeing a valid handle cannot fail in a way we could act on.
  XGDMatrixFree(handle);
}

StatusOr<DMatrix> DMatrix::FromDense(std::span<const float> values, size_t rows, size_t cols) {
  if (rows == 0 || cols == 0 || values.size() != rows * cols) {
    return InvalidArgumentError("XGBoost DMatrix: " + std::to_string(values.size()) +
                                " values are not " + std::to_string(rows) + " rows of " +
                                std::to_string(cols) + " features");
  }
  DMatrixHandle handle = nullptr;
  STRATA_RETURN_IF_ERROR(
      Check(XGDMatrixCreateFromMat(values.data(), rows, cols,
                                   std::numeric_limits<float>::quiet_NaN(), &handle),
            "XGDMatrixCreateFromMat"));
  DMatrix matrix;
  matrix.handle_.reset(handle);
  return matrix;
}

Status DMatrix::SetLabels(std::span<const float> labels) {
  return Check(XGDMatrixSetFloatInfo(handle(), "label", labels.data(), labels.size()),
               "XGDMatrixSetFloatInfo(label)");
}

void Booster::Free::operator()(void* handle) const { XGBoosterFree(handle); }

StatusOr<Booster> Booster::ForTraining(const DMatrix& train) {
  BoosterHandle handle = nullptr;
  DMatrixHandle dmats[] = {train.handle()};
  STRATA_RETURN_IF_ERROR(Check(XGBoosterCreate(dmats, 1, &handle), "XGBoosterCreate"));
  Booster booster;
  booster.handle_.reset(handle);
  return booster;
}

StatusOr<Booster> Booster::FromModel(std::string_view model_bytes, int nthread) {
  BoosterHandle handle = nullptr;
  STRATA_RETURN_IF_ERROR(Check(XGBoosterCreate(nullptr, 0, &handle), "XGBoosterCreate"));
  Booster booster;
  booster.handle_.reset(handle);
  if (nthread > 0) STRATA_RETURN_IF_ERROR(booster.SetParam("nthread", std::to_string(nthread)));
  STRATA_RETURN_IF_ERROR(
      Check(XGBoosterLoadModelFromBuffer(handle, model_bytes.data(), model_bytes.size()),
            "XGBoosterLoadModelFromBuffer"));
  return booster;
}

Status Booster::SetParam(std::string_view name, std::string_view value) {
  const std::string n(name);
  const std::string v(value);
  return Check(XGBoosterSetParam(handle(), n.c_str(), v.c_str()),
               "XGBoosterSetParam(" + n + "=" + v + ")");
}

Status Booster::UpdateOneIter(int iteration, const DMatrix& train) {
  return Check(XGBoosterUpdateOneIter(handle(), iteration, train.handle()),
               "XGBoosterUpdateOneIter");
}

StatusOr<size_t> Booster::NumFeatures() const {
  bst_ulong n = 0;
  STRATA_RETURN_IF_ERROR(Check(XGBoosterGetNumFeature(handle(), &n), "XGBoosterGetNumFeature"));
  return static_cast<size_t>(n);
}

StatusOr<std::string> Booster::SaveJson() const {
  bst_ulong len = 0;
  const char* bytes = nullptr;
  STRATA_RETURN_IF_ERROR(
      Check(XGBoosterSaveModelToBuffer(handle(), R"({"format": "json"})", &len, &bytes),
            "XGBoosterSaveModelToBuffer"));
  return std::string(bytes, len);
}

StatusOr<Prediction> Booster::Predict(const DMatrix& data, PredictType type) const {
  const std::string config = R"({"type": )" + std::to_string(static_cast<int>(type)) +
                             R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
                             R"("strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  STRATA_RETURN_IF_ERROR(Check(
      XGBoosterPredictFromDMatrix(handle(), data.handle(), config.c_str(), &shape, &dim, &result),
      "XGBoosterPredictFromDMatrix"));
  Prediction out;
  size_t size = 1;
  for (bst_ulong d = 0; d < dim; ++d) {
    out.shape.push_back(static_cast<size_t>(shape[d]));
    size *= static_cast<size_t>(shape[d]);
  }
  out.values.assign(result, result + size);
  return out;
}

Status Booster::PredictDense(std::span<const float> values, size_t rows, size_t cols,
                             std::span<float> out) const {
  if (values.size() != rows * cols || out.size() != rows) {
    return InvalidArgumentError("XGBoost predict: " + std::to_string(values.size()) +
                                " values and " + std::to_string(out.size()) +
                                " outputs do not fit " + std::to_string(rows) + " rows of " +
                                std::to_string(cols) + " features");
  }
  const std::string array = R"({"data": [)" +
                            std::to_string(reinterpret_cast<std::uintptr_t>(values.data())) +
                            R"(, true], "shape": [)" + std::to_string(rows) + ", " +
                            std::to_string(cols) + R"(], "typestr": "<f4", "version": 3})";
  static constexpr char kConfig[] =
      R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
      R"("strict_shape": false, "missing": NaN, "cache_id": 0})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  STRATA_RETURN_IF_ERROR(Check(
      XGBoosterPredictFromDense(handle(), array.c_str(), kConfig, nullptr, &shape, &dim, &result),
      "XGBoosterPredictFromDense"));
  size_t size = 1;
  for (bst_ulong d = 0; d < dim; ++d) size *= static_cast<size_t>(shape[d]);
  if (size != rows) {
    return InternalError("XGBoost predict returned " + std::to_string(size) + " values for " +
                         std::to_string(rows) + " rows");
  }
  std::copy(result, result + rows, out.begin());
  return Status::Ok();
}

}  // namespace strata::ml::xgb
