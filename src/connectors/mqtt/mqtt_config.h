// Configuration of one MQTT connector.
//
//   - name: plant
//     type: mqtt
//     broker: {host: 127.0.0.1, port: 1883}
//     client_id: strata-edge-1        # default: strata-<edge id>-<connector name>
//     keepalive: 30s
//     clean_session: false            # false: the broker keeps our QoS 1 messages while we
//                                     # are away or slow (needs max_queued_messages on it)
//     qos: 1
//     username: edge-1
//     password_env: MQTT_PASSWORD     # or password: ... (not recommended)
//     tls: {ca_file: ca.pem, cert_file: edge.pem, key_file: edge.key, insecure: false}
//     subscriptions: ["plant/#"]      # default: derived from the mapping rules
//     max_payload: 256KiB             # larger messages are dead-lettered
//     reconnect: {min: 500ms, max: 30s}
//     decoders: {...}                 # see payload_decoder.h
//     default_decoder: reading        # for rules without `decoder:`
//     mapping: mapping.yaml           # a file, or the mapping inline (see core/mapping.h)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/mqtt/mqtt_client.h"
#include "connectors/mqtt/payload_decoder.h"
#include "core/config_node.h"
#include "core/mapping.h"

namespace strata {

// Where and as whom an MQTT client connects: the keys `broker: {host, port}`, `client_id`,
// `keepalive`, `username`, `password` / `password_env` and `tls`, read the same way for
// connectors, the edge's uplink and the hub.
struct MqttBrokerConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  int64_t keepalive_ns = 30 * 1'000'000'000LL;
  std::string username;
  std::string password;
  std::optional<MqttTlsOptions> tls;

  std::string Endpoint() const;  // "tcp://host:port" or "ssl://host:port"

  // Reads those keys of `node`. Throws ConfigError.
  static MqttBrokerConfig Read(ConfigNode& node, const std::string& default_client_id);
};

struct MqttConnectorConfig {
  std::string name;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  int64_t keepalive_ns = 30 * 1'000'000'000LL;
  bool clean_session = false;
  int qos = 1;
  std::string username;
  std::string password;
  std::optional<MqttTlsOptions> tls;
  std::vector<std::string> subscriptions;
  int64_t max_payload = 256 * 1024;
  int64_t reconnect_min_ns = 500'000'000LL;
  int64_t reconnect_max_ns = 30 * 1'000'000'000LL;
  std::map<std::string, DecoderSpec> decoders;
  std::string default_decoder;
  Mapping mapping;

  // "tcp://host:port" or "ssl://host:port": how sources and logs name the broker.
  std::string Endpoint() const;

  // Reads a connector entry (the `type: mqtt` key has been read by the caller). Throws
  // ConfigError. `default_client_id` is used when none is configured.
  static MqttConnectorConfig Read(ConfigNode& node, const std::string& default_client_id);
};

// Reads a `tls:` section (ca_file/ca_path, cert_file + key_file, insecure), checking that the
// files exist; relative paths resolve against the config file. Throws ConfigError.
MqttTlsOptions ReadMqttTls(ConfigNode& tls);

}  // namespace strata
