// CreateRuntime: the model runtime a package's manifest asks for, loaded with its artifact.
#pragma once

#include <memory>

#include "core/status.h"
#include "ml/model_package.h"
#include "ml/model_runtime.h"

namespace strata::ml {

// Loads `package.artifact` into the runtime named by `package.manifest.runtime`, for as many
// features as the manifest's feature spec lists. Errors name the package and what is wrong
// (an artifact the runtime cannot load, a model whose input width differs from the spec).
[[nodiscard]] StatusOr<std::unique_ptr<ModelRuntime>> CreateRuntime(const ModelPackage& package);

}  // namespace strata::ml
