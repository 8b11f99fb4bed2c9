#include "ml/onnx/onnx_runtime.h"

#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define STRATA_ONNX_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_ONNX_LSAN 1
#endif
#endif

#ifdef STRATA_ONNX_LSAN
// ONNX Runtime 1.30 leaks one 14-byte allocation per process once an Ort::Env has been created
// (inside libonnxruntime.so, not through our handles). LeakSanitizer would fail every
// sanitized binary that loads an ONNX model (the debug preset); this suppresses that library's
// leaks only. LeakSanitizer reads this hook from the executable; one definition per program.
extern "C" const char* __lsan_default_suppressions() {  // NOLINT(bugprone-reserved-identifier)
  return "leak:libonnxruntime.so\n";
}
#endif

namespace strata::ml {

// Every ONNX Runtime object of one runtime; the Env outlives the Session (member order).
struct OnnxRuntime::Session {
  Ort::Env env{ORT_LOGGING_LEVEL_ERROR, "strata"};
  Ort::Session session{nullptr};
  Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::RunOptions run_options;
};

namespace {

constexpr int64_t kDynamic = -1;  // ONNX Runtime reports symbolic and unknown dims as -1

std::string ElementTypeName(ONNXTensorElementDataType type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
      return "float";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return "double";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
      return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return "bfloat16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
      return "int8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
      return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
      return "int16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
      return "uint16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
      return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return "uint32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
      return "int64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
      return "uint64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
      return "string";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return "bool";
    default:
      return "element type " + std::to_string(static_cast<int>(type));
  }
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ",";
    text += shape[i] == kDynamic ? "?" : std::to_string(shape[i]);
  }
  return text + "]";
}

// What one model input or output is, as far as the checks below need it.
struct ValueInfo {
  std::string name;
  ONNXType kind = ONNX_TYPE_UNKNOWN;
  ONNXTensorElementDataType element = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
  std::vector<int64_t> shape;  // tensors only

  bool is_float_tensor() const {
    return kind == ONNX_TYPE_TENSOR && element == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
  }
  // "'probabilities' tensor(float)[?,2]"
  std::string Describe() const {
    std::string text = "'" + name + "' ";
    switch (kind) {
      case ONNX_TYPE_TENSOR:
        return text + "tensor(" + ElementTypeName(element) + ")" + ShapeText(shape);
      case ONNX_TYPE_SEQUENCE:
        return text + "sequence";
      case ONNX_TYPE_MAP:
        return text + "map";
      case ONNX_TYPE_SPARSETENSOR:
        return text + "sparse tensor";
      case ONNX_TYPE_OPTIONAL:
        return text + "optional";
      default:
        return text + "value of ONNX type " + std::to_string(static_cast<int>(kind));
    }
  }
};

ValueInfo MakeValueInfo(std::string name, const Ort::TypeInfo& type) {
  ValueInfo info;
  info.name = std::move(name);
  info.kind = type.GetONNXType();
  if (info.kind == ONNX_TYPE_TENSOR) {
    auto tensor = type.GetTensorTypeAndShapeInfo();
    info.element = tensor.GetElementType();
    info.shape = tensor.GetShape();
  }
  return info;
}

std::string DescribeAll(const std::vector<ValueInfo>& values) {
  std::string text;
  for (const auto& value : values) {
    if (!text.empty()) text += ", ";
    text += value.Describe();
  }
  return text;
}

bool NameMentionsProbability(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("prob") != std::string::npos;
}

const ValueInfo* FindByName(const std::vector<ValueInfo>& values, std::string_view name) {
  for (const auto& value : values) {
    if (value.name == name) return &value;
  }
  return nullptr;
}

StatusOr<const ValueInfo*> ChooseInput(const std::vector<ValueInfo>& inputs,
                                       const OnnxOptions& options) {
  if (!options.input_name.empty()) {
    if (const ValueInfo* found = FindByName(inputs, options.input_name)) return found;
    return InvalidArgumentError("onnx model has no input '" + options.input_name +
                                "'; its inputs are " + DescribeAll(inputs));
  }
  if (inputs.size() != 1) {
    return InvalidArgumentError("onnx model has " + std::to_string(inputs.size()) + " inputs (" +
                                DescribeAll(inputs) +
                                "); set the input name to the one that takes the features");
  }
  return &inputs.front();
}

StatusOr<const ValueInfo*> ChooseOutput(const std::vector<ValueInfo>& outputs,
                                        const OnnxOptions& options) {
  if (!options.output_name.empty()) {
    if (const ValueInfo* found = FindByName(outputs, options.output_name)) return found;
    return InvalidArgumentError("onnx model has no output '" + options.output_name +
                                "'; its outputs are " + DescribeAll(outputs));
  }
  if (outputs.size() == 1) return &outputs.front();
  std::vector<const ValueInfo*> floats;
  for (const auto& output : outputs) {
    if (output.is_float_tensor()) floats.push_back(&output);
  }
  if (floats.size() == 1) return floats.front();
  std::vector<const ValueInfo*> probabilities;
  for (const ValueInfo* output : floats) {
    if (NameMentionsProbability(output->name)) probabilities.push_back(output);
  }
  if (probabilities.size() == 1) return probabilities.front();
  return InvalidArgumentError(
      "onnx model has " + std::to_string(outputs.size()) + " outputs (" + DescribeAll(outputs) +
      ") and none is clearly the score (the only float tensor, or the only float tensor named "
      "like 'probabilities'); set the output name" +
      (floats.empty() ? " (a classifier exported with ZipMap gives maps: export it with "
                        "zipmap off)"
                      : ""));
}

Status CheckInput(const ValueInfo& input, size_t num_features, bool* batch_of_one) {
  if (!input.is_float_tensor()) {
    return InvalidArgumentError("onnx model input " + input.Describe() +
                                " is not a float tensor; the features are float32");
  }
  if (input.shape.size() != 2) {
    return InvalidArgumentError("onnx model input " + input.Describe() +
                                " must have rank 2 ([rows, features])");
  }
  const int64_t width = input.shape[1];
  if (width != kDynamic && width != static_cast<int64_t>(num_features)) {
    return InvalidArgumentError("onnx model input " + input.Describe() + " takes " +
                                std::to_string(width) + " features per row, but " +
                                std::to_string(num_features) +
                                " are expected (the package's feature spec)");
  }
  const int64_t batch = input.shape[0];
  if (batch != kDynamic && batch != 1) {
    return InvalidArgumentError("onnx model input " + input.Describe() +
                                " has a fixed batch size of " + std::to_string(batch) +
                                "; export the model with a dynamic (or 1) first dimension");
  }
  *batch_of_one = batch == 1;
  return Status::Ok();
}

// The score column of `output` that Load can decide now; nullopt: decided per run.
StatusOr<std::optional<size_t>> ChooseScoreColumn(const ValueInfo& output,
                                                  const OnnxOptions& options) {
  if (!output.is_float_tensor()) {
    return InvalidArgumentError("onnx model output " + output.Describe() +
                                " is not a float tensor of scores; choose another output" +
                                (output.kind == ONNX_TYPE_SEQUENCE
                                     ? " (a classifier exported with ZipMap gives maps: "
                                       "export it with zipmap off)"
                                     : ""));
  }
  if (output.shape.size() == 1) {
    if (options.score_column.value_or(0) != 0) {
      return InvalidArgumentError("onnx model output " + output.Describe() +
                                  " has one value per row; score column " +
                                  std::to_string(*options.score_column) + " does not exist");
    }
    return std::optional<size_t>(0);
  }
  if (output.shape.size() != 2) {
    return InvalidArgumentError("onnx model output " + output.Describe() +
                                " must be [rows] or [rows, columns]");
  }
  const int64_t width = output.shape[1];
  if (width == kDynamic) return options.score_column;
  if (options.score_column) {
    if (*options.score_column >= static_cast<size_t>(width)) {
      return InvalidArgumentError("onnx model output " + output.Describe() + " has " +
                                  std::to_string(width) + " columns; score column " +
                                  std::to_string(*options.score_column) + " does not exist");
    }
    return options.score_column;
  }
  if (width == 1) return std::optional<size_t>(0);
  if (width == 2) return std::optional<size_t>(1);
  return InvalidArgumentError("onnx model output " + output.Describe() + " has " +
                              std::to_string(width) +
                              " columns per row and no score column was set; set the column "
                              "that is the score (a single score per row is expected)");
}

}  // namespace

std::string OnnxRuntime::LibraryVersion() { return OrtGetApiBase()->GetVersionString(); }

StatusOr<std::unique_ptr<OnnxRuntime>> OnnxRuntime::Load(std::string_view model_bytes,
                                                         const OnnxOptions& options) {
  // The C++ API asks for ORT_API_VERSION on first use and would crash on a null answer.
  if (OrtGetApiBase()->GetApi(ORT_API_VERSION) == nullptr) {
    return FailedPreconditionError(
        "the ONNX Runtime library loaded (" + LibraryVersion() + ") does not serve C API " +
        std::to_string(ORT_API_VERSION) +
        "; rebuild after scripts/fetch-onnxruntime.sh so library and headers match");
  }
  if (options.num_features == 0) {
    return InvalidArgumentError("onnx model: num_features must be at least 1");
  }
  if (options.intra_op_threads < 1) {
    return InvalidArgumentError("onnx model: intra_op_threads must be at least 1, not " +
                                std::to_string(options.intra_op_threads));
  }
  if (model_bytes.empty()) return InvalidArgumentError("onnx model: the artifact is empty");

  try {
    auto session = std::make_unique<Session>();
    Ort::SessionOptions session_options;
    session_options.SetIntraOpNumThreads(options.intra_op_threads);
    session_options.SetInterOpNumThreads(1);
    session_options.SetExecutionMode(ORT_SEQUENTIAL);
    session_options.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    try {
      session->session =
          Ort::Session(session->env, model_bytes.data(), model_bytes.size(), session_options);
    } catch (const Ort::Exception& e) {
      return InvalidArgumentError("onnx model (" + std::to_string(model_bytes.size()) +
                                  " bytes) cannot be loaded by ONNX Runtime " + LibraryVersion() +
                                  ": " + e.what());
    }

    Ort::AllocatorWithDefaultOptions allocator;
    std::vector<ValueInfo> inputs;
    for (size_t i = 0; i < session->session.GetInputCount(); ++i) {
      inputs.push_back(MakeValueInfo(session->session.GetInputNameAllocated(i, allocator).get(),
                                     session->session.GetInputTypeInfo(i)));
    }
    std::vector<ValueInfo> outputs;
    for (size_t i = 0; i < session->session.GetOutputCount(); ++i) {
      outputs.push_back(MakeValueInfo(session->session.GetOutputNameAllocated(i, allocator).get(),
                                      session->session.GetOutputTypeInfo(i)));
    }

    STRATA_ASSIGN_OR_RETURN(const ValueInfo* input, ChooseInput(inputs, options));
    bool batch_of_one = false;
    STRATA_RETURN_IF_ERROR(CheckInput(*input, options.num_features, &batch_of_one));
    STRATA_ASSIGN_OR_RETURN(const ValueInfo* output, ChooseOutput(outputs, options));
    STRATA_ASSIGN_OR_RETURN(std::optional<size_t> column, ChooseScoreColumn(*output, options));

    return std::unique_ptr<OnnxRuntime>(new OnnxRuntime(
        std::move(session), options.num_features, input->name, output->name, column, batch_of_one));
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("onnx model: ONNX Runtime failed while loading: ") +
                                e.what());
  }
}

OnnxRuntime::OnnxRuntime(std::unique_ptr<Session> session, size_t num_features,
                         std::string input_name, std::string output_name,
                         std::optional<size_t> score_column, bool batch_of_one)
    : session_(std::move(session)),
      num_features_(num_features),
      input_name_(std::move(input_name)),
      output_name_(std::move(output_name)),
      score_column_(score_column),
      batch_of_one_(batch_of_one) {}

OnnxRuntime::~OnnxRuntime() = default;

Status OnnxRuntime::Predict(std::span<const float> rows, std::span<float> scores) {
  if (rows.size() % num_features_ != 0) {
    return InvalidArgumentError("onnx predict: " + std::to_string(rows.size()) +
                                " floats are not a whole number of rows of " +
                                std::to_string(num_features_) + " features");
  }
  const size_t num_rows = rows.size() / num_features_;
  if (scores.size() != num_rows) {
    return InvalidArgumentError("onnx predict: " + std::to_string(num_rows) + " rows need " +
                                std::to_string(num_rows) + " scores, got room for " +
                                std::to_string(scores.size()));
  }
  if (num_rows == 0) return Status::Ok();
  if (!batch_of_one_) return RunBatch(rows, scores);
  for (size_t row = 0; row < num_rows; ++row) {
    STRATA_RETURN_IF_ERROR(
        RunBatch(rows.subspan(row * num_features_, num_features_), scores.subspan(row, 1)));
  }
  return Status::Ok();
}

Status OnnxRuntime::RunBatch(std::span<const float> rows, std::span<float> scores) {
  const size_t num_rows = scores.size();
  try {
    const std::array<int64_t, 2> shape = {static_cast<int64_t>(num_rows),
                                          static_cast<int64_t>(num_features_)};
    // ONNX Runtime takes a mutable pointer for every tensor; it does not write to inputs.
    Ort::Value input = Ort::Value::CreateTensor<float>(
        session_->memory, const_cast<float*>(rows.data()), rows.size(), shape.data(), shape.size());
    const char* input_names[] = {input_name_.c_str()};
    const char* output_names[] = {output_name_.c_str()};
    std::vector<Ort::Value> outputs =
        session_->session.Run(session_->run_options, input_names, &input, 1, output_names, 1);

    const std::string where = "onnx predict: output '" + output_name_ + "'";
    if (outputs.size() != 1 || !outputs[0].IsTensor()) {
      return InvalidArgumentError(where + " is not a tensor");
    }
    const auto info = outputs[0].GetTensorTypeAndShapeInfo();
    if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
      return InvalidArgumentError(where + " holds " + ElementTypeName(info.GetElementType()) +
                                  ", not float");
    }
    const std::vector<int64_t> out_shape = info.GetShape();
    const bool rows_match = !out_shape.empty() && out_shape[0] == static_cast<int64_t>(num_rows);
    if (!rows_match || out_shape.size() > 2) {
      return InvalidArgumentError(where + " has shape " + ShapeText(out_shape) + " for " +
                                  std::to_string(num_rows) +
                                  " rows; one value (or one row of columns) per row is expected");
    }
    const size_t width = out_shape.size() == 2 ? static_cast<size_t>(out_shape[1]) : 1;
    size_t column = 0;
    if (score_column_) {
      column = *score_column_;
    } else if (width == 2) {
      column = 1;
    } else if (width != 1) {
      return InvalidArgumentError(where + " has shape " + ShapeText(out_shape) + ": " +
                                  std::to_string(width) +
                                  " columns per row and no score column was set");
    }
    if (column >= width) {
      return InvalidArgumentError(where + " has shape " + ShapeText(out_shape) + "; score column " +
                                  std::to_string(column) + " does not exist");
    }
    const float* data = outputs[0].GetTensorData<float>();
    for (size_t row = 0; row < num_rows; ++row) scores[row] = data[row * width + column];
    return Status::Ok();
  } catch (const std::exception& e) {
    return InvalidArgumentError("onnx predict: ONNX Runtime failed on " + std::to_string(num_rows) +
                                " rows: " + e.what());
  }
}

Status OnnxRuntime::Explain(std::span<const float> /*rows*/, std::span<float> /*contributions*/) {
  return FailedPreconditionError(
      "onnx runtime: exact SHAP explanations are not available for ONNX models "
      "(can_explain() is false); use an xgboost package for explained decisions");
}

}  // namespace strata::ml
