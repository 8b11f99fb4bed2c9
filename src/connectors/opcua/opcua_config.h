// Configuration of one OPC UA client connector: one secure channel and session to one
// server, one subscription with a monitored item per configured item.
//
//   - name: scada
//     type: opcua
//     endpoint: opc.tcp://10.0.0.7:4840/path   # the server's endpoint URL
//     identity: anonymous                     # or {user: operator, password: s3cret}
//     publishing_interval: 500ms              # how often the server sends changes
//     sampling_interval: 250ms                # how often it samples each item (default:
//                                             # the publishing interval)
//     keep_alive_count: 10                    # publishing intervals without data before a
//                                             # keep-alive; silence past it drops the session
//     request_timeout: 5s
//     connect_timeout: 3s
//     reconnect: {min: 500ms, max: 30s}
//     max_message_size: 16MiB                 # largest response accepted (announced in Hello)
//     channel_lifetime: 10m                   # security token lifetime asked for
//     session_timeout: 1m
//     asset: acme/plant-1/line-1/pump-07      # default for the items below
//     items:
//       - {node_id: "ns=2;s=Pump7.Speed", signal: speed}
//       - {browse_path: "2:Pump7/2:Temperature", signal: bearing_de.temp, unit: "[degF]"}
//
// `browse_path` starts at the Objects folder: browse names separated by '/', each
// "<namespace index>:<name>" (index 0 may be left out), followed over hierarchical references.
// Every item names an (asset, signal) of the asset model, checked here like the Modbus
// register map: errors name file:line:key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/opcua/ua_client.h"
#include "connectors/opcua/ua_types.h"
#include "connectors/opcua/ua_view_services.h"
#include "core/asset_model.h"
#include "core/config_node.h"
#include "core/mapping.h"

namespace strata {

struct OpcuaItem {
  // Exactly one of the two.
  std::optional<opcua::NodeId> node_id;
  std::optional<opcua::RelativePath> browse_path;
  std::string address;  // the node id or browse path as configured, for logs and sources
  MappingRule rule;     // literal asset and signal, unit
};

struct OpcuaConnectorConfig {
  std::string name;
  std::string endpoint;  // "opc.tcp://host:port/path"
  std::string host;
  int port = 4840;
  opcua::UserIdentity identity;
  int64_t publishing_interval_ns = 1'000'000'000;
  int64_t sampling_interval_ns = -1;  // -1: the publishing interval
  uint32_t keep_alive_count = 10;
  int64_t request_timeout_ns = 5'000'000'000LL;
  int64_t connect_timeout_ns = 3'000'000'000LL;
  int64_t reconnect_min_ns = 500'000'000LL;
  int64_t reconnect_max_ns = 30'000'000'000LL;
  uint32_t max_message_size = 16u << 20;
  int64_t channel_lifetime_ns = 600'000'000'000LL;
  int64_t session_timeout_ns = 60'000'000'000LL;
  std::vector<OpcuaItem> items;  // the index of an item is its monitored item's client handle

  // Reads a connector entry (the caller has read `type: opcua`). Checks every item against
  // `model` when it is not null. Throws ConfigError.
  static OpcuaConnectorConfig Read(ConfigNode& node, const AssetModel* model);
};

// Parses "1:Plant/1:Pump/Speed" (see above). Errors say which element is wrong.
StatusOr<opcua::RelativePath> ParseBrowsePath(std::string_view text);

}  // namespace strata
