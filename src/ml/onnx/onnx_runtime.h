// OnnxRuntime: a ModelRuntime (kind "onnx") over ONNX Runtime's C++ API, for an ONNX model
// that maps a float tensor [N, num_features] to one score per row.
//
// Accepted models (checked at Load, reported as a Status naming the input/output and what to
// set): one float input of rank 2 whose last dimension is num_features or dynamic, and whose
// first (batch) dimension is dynamic or 1; one float output of shape [N], [N, 1] or [N, K]
// from which one column is the score. This covers an ai.onnx.ml TreeEnsembleRegressor (e.g.
// from scripts/xgboost_to_onnx.py), a TreeEnsembleClassifier with ZipMap off (its second
// output, "probabilities"), and small networks ending in a Sigmoid or Softmax.
//
// Threading: as ModelRuntime says, one thread at a time per object. Each object runs its
// model on the calling thread only (intra-op and inter-op thread pools of size 1) unless
// OnnxOptions::intra_op_threads asks for more. ONNX Runtime itself starts one idle thread per
// process when the first runtime is loaded (observed with 1.30; it stays until exit).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ml/model_runtime.h"

namespace strata::ml {

struct OnnxOptions {
  // Floats per row; the model's input must have this last dimension (or a dynamic one).
  size_t num_features = 0;
  // The input to feed. Empty: the model's only input (an error when it has several).
  std::string input_name;
  // The output that holds the scores. Empty: the only output; otherwise the only float
  // tensor output; otherwise the float output whose name contains "prob" (a classifier's
  // probabilities). Ambiguity is an error that lists the outputs.
  std::string output_name;
  // Column of a [N, K] output that is the score. Empty: 1 when K == 2 (positive class of a
  // binary classifier), 0 when K == 1 or the output is [N]; K > 2 needs an explicit column.
  std::optional<size_t> score_column;
  // ONNX Runtime's intra-op thread pool size. 1: run on the calling thread only.
  int intra_op_threads = 1;
};

class OnnxRuntime final : public ModelRuntime {
 public:
  // Parses `model_bytes` (an ONNX protobuf) and checks its input and output against
  // `options`. Errors: kInvalidArgument for bytes that are not a loadable ONNX model or a
  // model that does not fit the options; kFailedPrecondition when the ONNX Runtime library
  // found at run time does not serve the C API version the headers were built for.
  static StatusOr<std::unique_ptr<OnnxRuntime>> Load(std::string_view model_bytes,
                                                     const OnnxOptions& options);
  ~OnnxRuntime() override;

  OnnxRuntime(const OnnxRuntime&) = delete;
  OnnxRuntime& operator=(const OnnxRuntime&) = delete;

  std::string_view kind() const override { return "onnx"; }
  size_t num_features() const override { return num_features_; }

  // Runs the model on all rows in one call. A model whose output turns out at run time not to
  // be one float per row (or to lack the score column) gives kInvalidArgument, not a crash.
  [[nodiscard]] Status Predict(std::span<const float> rows, std::span<float> scores) override;

  bool can_explain() const override { return false; }
  // Always kFailedPrecondition: exact SHAP values need the trees (an xgboost package).
  [[nodiscard]] Status Explain(std::span<const float> rows,
                               std::span<float> contributions) override;

  // What Load resolved: the input and output used and the score column (nullopt: decided per
  // run from the output's width, because the model declares it dynamic).
  const std::string& input_name() const { return input_name_; }
  const std::string& output_name() const { return output_name_; }
  std::optional<size_t> score_column() const { return score_column_; }

  // "1.30.0": the version of the ONNX Runtime library loaded at run time.
  static std::string LibraryVersion();

 private:
  struct Session;  // the ONNX Runtime objects (onnxruntime_cxx_api.h stays out of this header)

  OnnxRuntime(std::unique_ptr<Session> session, size_t num_features, std::string input_name,
              std::string output_name, std::optional<size_t> score_column, bool batch_of_one);
  [[nodiscard]] Status RunBatch(std::span<const float> rows, std::span<float> scores);

  std::unique_ptr<Session> session_;
  size_t num_features_;
  std::string input_name_;
  std::string output_name_;
  std::optional<size_t> score_column_;
  bool batch_of_one_;  // the model's batch dimension is fixed at 1: run row by row
};

}  // namespace strata::ml
