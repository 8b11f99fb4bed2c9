// The edge agent's configuration file (see examples/edge.yaml for a commented example).
//
//   edge: {id: edge-1, tenant: acme}
//   store:
//     path: data/edge.db               # relative paths are relative to this file
//     durability: full                 # full: fsync each commit; normal: survives kill -9 only
//     retention: {max_age: 30d, max_size: 2GiB}
//   assets: assets.yaml                # the asset model: a file, or inline
//   connectors:                        # see connectors/mqtt/mqtt_config.h and
//     - {name: plant, type: mqtt, ...}  # connectors/modbus/modbus_config.h
//     - {name: plc-1, type: modbus, ...}   # connectors/opcua/opcua_config.h
//     - {name: scada, type: opcua, ...}
//   validation: {max_future: 5m}
//   staleness: {factor: 3}
//   pipeline: {raw_queue: 32MiB, store_queue_rows: 65536, max_batch_rows: 8192}
//   metrics: {listen: "127.0.0.1:9464"}   # "off" disables the HTTP endpoint
//   models:                            # model packages that decide on windows (docs/models.md)
//     - package: models/bearing-fault  # a package directory, relative to this file
//       sha256: 1a2b…                  # optional: refuse any other package
//       assets: ["*/pump-*"]           # optional globs; default every asset of the spec's type
//   alerts: {connector: plant, topic: strata/alerts}  # publish alert events via that broker
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/modbus/modbus_config.h"
#include "connectors/mqtt/mqtt_config.h"
#include "connectors/opcua/opcua_config.h"
#include "core/asset_model.h"
#include "core/status.h"
#include "edge/decision_engine.h"
#include "pipeline/ingest_pipeline.h"
#include "store/store.h"

namespace strata {

struct EdgeConfig {
  std::string file;  // where it was read from
  std::string edge_id = "edge-1";
  std::string tenant = "default";
  std::string store_path;
  Durability durability = Durability::kFull;
  std::shared_ptr<const AssetModel> model;
  std::vector<MqttConnectorConfig> mqtt;
  std::vector<ModbusConnectorConfig> modbus;
  std::vector<OpcuaConnectorConfig> opcua;
  IngestPipelineOptions pipeline;
  std::string metrics_listen = "127.0.0.1:9464";  // "" = off
  std::vector<ModelAssignment> models;
  std::string alert_connector;  // an MQTT connector's name; "" = alerts are only stored
  std::string alert_topic = "strata/alerts";

  // Reads and validates the file; errors name file, line and key.
  static StatusOr<EdgeConfig> Load(const std::string& path);
  // The same from text (tests, embedded defaults); `name` stands for the file in messages and
  // `dir` resolves relative paths.
  static StatusOr<EdgeConfig> Parse(const std::string& text, const std::string& name,
                                    const std::string& dir);
};

}  // namespace strata
