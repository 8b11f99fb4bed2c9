#include "ml/runtime_factory.h"

#include <fmt/format.h>

#include "ml/onnx/onnx_runtime.h"
#include "ml/xgboost/xgboost_runtime.h"

namespace strata::ml {

StatusOr<std::unique_ptr<ModelRuntime>> CreateRuntime(const ModelPackage& package) {
  const ModelManifest& m = package.manifest;
  const size_t n = m.features.features.size();
  StatusOr<std::unique_ptr<ModelRuntime>> runtime =
      InvalidArgumentError(fmt::format("unknown runtime '{}'", m.runtime));
  if (m.runtime == "xgboost") {
    auto x = XgboostRuntime::Load(package.artifact, n);
    if (x.ok()) {
      runtime = std::unique_ptr<ModelRuntime>(std::move(*x));
    } else {
      runtime = x.status();
    }
  } else if (m.runtime == "onnx") {
    OnnxOptions options;
    options.num_features = n;
    options.input_name = m.onnx.input;
    options.output_name = m.onnx.output;
    if (m.onnx.column >= 0) options.score_column = static_cast<size_t>(m.onnx.column);
    auto o = OnnxRuntime::Load(package.artifact, options);
    if (o.ok()) {
      runtime = std::unique_ptr<ModelRuntime>(std::move(*o));
    } else {
      runtime = o.status();
    }
  }
  if (!runtime.ok()) {
    return runtime.status().WithContext(
        fmt::format("model package {} at '{}': cannot load its {} artifact '{}'",
                    package.Describe(), package.dir, m.runtime, m.artifact_file));
  }
  return runtime;
}

}  // namespace strata::ml
