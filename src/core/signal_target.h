// Checking where a connector's configured value goes: one (asset, signal) of the asset model,
// named literally, and the unit the source reports in. Shared by the connectors whose config
// names each target (Modbus registers, OPC UA items), so that their errors read alike.
#pragma once

#include <string>
#include <string_view>

#include "core/asset_model.h"
#include "core/config_node.h"

namespace strata {

// Throws ConfigError (file:line:key, with a "did you mean" where a name is close) unless
// `asset_path` is an asset of `model`, `signal` one of its scalar signals and `unit`, if not
// empty, a unit that converts to the signal's. The error points at `entry`'s asset key (or at
// `entry` when the asset is inherited from the connector), its signal key or its unit key.
// `sources` names what feeds scalar signals in the waveform error ("Modbus registers").
void CheckSignalTarget(const AssetModel& model, ConfigNode& entry, const std::string& asset_path,
                       const std::string& signal, const std::string& unit,
                       std::string_view sources);

}  // namespace strata
