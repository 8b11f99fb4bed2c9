// Dense, process-local ids of the things an observation refers to. Stores translate them to
// their own persistent keys; ids never travel outside the process.
#pragma once

#include <cstdint>
#include <limits>

namespace strata {

// Index of an (asset, signal) pair declared in the AssetModel.
using SignalId = uint32_t;
inline constexpr SignalId kInvalidSignal = std::numeric_limits<SignalId>::max();

// Index of a source (protocol, endpoint, address) in the SourceCatalog.
using SourceId = uint32_t;
inline constexpr SourceId kInvalidSource = std::numeric_limits<SourceId>::max();

}  // namespace strata
