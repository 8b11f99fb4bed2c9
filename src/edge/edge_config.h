// The edge agent's configuration file (see examples/edge.yaml for a commented example).
//
//   edge: {id: edge-1, tenant: acme}
//   store:
//     path: data/edge.db               # relative paths are relative to this file
//     durability: full                 # full: fsync each commit; normal: survives kill -9 only
//     retention: {max_age: 30d, max_size: 2GiB}
//     outbox: {quota: 1GiB, when_full: drop_oldest}  # or reject_new (docs/outbox-policy.md)
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
//   uplink:                            # forward everything to a hub (docs/uplink.md)
//     broker: {host: hub.example, port: 8883}
//     username: edge-1                 # a login made by hand (scripts/broker-acl.sh), or:
//     password_env: STRATA_UPLINK_PASSWORD
//     enrol:                           # get the edge's own login from the hub, once
//       hub: https://hub.example:8443  # the hub's API
//       token_env: STRATA_BOOTSTRAP_TOKEN   # a bootstrap token (needed until enrolled)
//       ca_file: hub-ca.pem            # https: the CA of the hub's certificate
//       credentials: edge-1.uplink-login.json   # default: next to the store, mode 0600
//     tls: {ca_file: ca.pem}
//     batch: 5000                      # records per batch, at most
//     max_inflight: 4                  # unacknowledged batches per stream
//     rate: 0                          # records/s while draining a backlog; 0 = no cap
//     ack_timeout: 10s                 # resend from the last ack after this (doubling, up to
//     max_ack_timeout: 5m              # max_ack_timeout)
//     heartbeat: 30s                   # health report to the hub on .../reported
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/modbus/modbus_config.h"
#include "connectors/mqtt/mqtt_config.h"
#include "connectors/opcua/opcua_config.h"
#include "core/asset_model.h"
#include "core/status.h"
#include "edge/decision_engine.h"
#include "edge/uplink.h"
#include "pipeline/ingest_pipeline.h"
#include "store/store.h"

namespace strata {

struct EdgeConfig {
  std::string file;  // where it was read from
  std::string edge_id = "edge-1";
  std::string tenant = "default";
  // The revision of this configuration, reported to the hub (desired state): edge.config_version,
  // or "sha256:" + the first 16 hex digits of the config file's SHA-256.
  std::string config_version;
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
  std::optional<UplinkOptions> uplink;  // absent: nothing is forwarded

  // Reads and validates the file; errors name file, line and key.
  static StatusOr<EdgeConfig> Load(const std::string& path);
  // The same from text (tests, embedded defaults); `name` stands for the file in messages and
  // `dir` resolves relative paths.
  static StatusOr<EdgeConfig> Parse(const std::string& text, const std::string& name,
                                    const std::string& dir);
};

}  // namespace strata
