// The files of examples/, compiled into the binary so that `strata demo` needs no files.
#pragma once

#include <string_view>

namespace strata {

// The text of examples/<name> ("assets.yaml", "edge.yaml", "mapping.yaml", "plant.yaml"), or
// empty for an unknown name.
std::string_view EmbeddedExample(std::string_view name);

}  // namespace strata
