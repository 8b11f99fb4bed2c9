#include "connectors/mqtt/mqtt_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>

namespace strata {
namespace {

constexpr int64_t kMaxKeepaliveNs = 65535 * 1'000'000'000LL;

// Why `filter` is not a valid MQTT subscription filter, or "" when it is.
std::string CheckTopicFilter(std::string_view filter) {
  if (filter.empty()) return "it is empty";
  if (filter.size() > 65535) return "it is longer than 65535 bytes";
  if (filter.find('\0') != std::string_view::npos) return "it contains a NUL character";
  size_t start = 0;
  while (true) {
    const size_t slash = filter.find('/', start);
    const std::string_view level = filter.substr(start, slash - start);
    if (level.find_first_of("+#") != std::string_view::npos && level.size() != 1) {
      return "a wildcard (+ or #) must be a whole level";
    }
    if (level == "#" && slash != std::string_view::npos) return "'#' must be the last level";
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
}

}  // namespace

std::string MqttConnectorConfig::Endpoint() const {
  return fmt::format("{}://{}:{}", tls ? "ssl" : "tcp", host, port);
}

MqttTlsOptions ReadMqttTls(ConfigNode& tls) {
  MqttTlsOptions t;
  t.ca_file = tls.Path("ca_file", "");
  t.ca_path = tls.Path("ca_path", "");
  t.cert_file = tls.Path("cert_file", "");
  t.key_file = tls.Path("key_file", "");
  t.insecure = tls.Bool("insecure", false);
  if (t.ca_file.empty() && t.ca_path.empty()) tls.Fail("tls needs ca_file or ca_path");
  if (t.cert_file.empty() != t.key_file.empty()) {
    tls.Fail("tls client authentication needs both cert_file and key_file");
  }
  for (const auto& [key, path] : {std::pair{"ca_file", t.ca_file},
                                  {"ca_path", t.ca_path},
                                  {"cert_file", t.cert_file},
                                  {"key_file", t.key_file}}) {
    if (!path.empty() && !std::filesystem::exists(path)) {
      tls.Get(key).Fail(fmt::format("file '{}' does not exist", path));
    }
  }
  return t;
}

std::string MqttBrokerConfig::Endpoint() const {
  return fmt::format("{}://{}:{}", tls ? "ssl" : "tcp", host, port);
}

MqttBrokerConfig MqttBrokerConfig::Read(ConfigNode& node, const std::string& default_client_id) {
  MqttBrokerConfig c;
  if (auto broker = node.Find("broker")) {
    c.host = broker->String("host", c.host);
    c.port = static_cast<int>(broker->Int("port", c.port));
    if (c.port <= 0 || c.port > 65535) broker->Get("port").Fail("port must be 1..65535");
  }
  c.client_id = node.String("client_id", default_client_id);
  c.keepalive_ns = node.Duration("keepalive", c.keepalive_ns);
  if (c.keepalive_ns < 5'000'000'000LL || c.keepalive_ns > kMaxKeepaliveNs) {
    node.Get("keepalive")
        .Fail("keepalive must be between 5s and 18h12m15s (MQTT's limit of 65535 seconds)");
  }
  c.username = node.String("username", "");
  c.password = node.String("password", "");
  if (auto env = node.Find("password_env")) {
    const std::string var = env->AsString();
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) {
      env->Fail(fmt::format("environment variable '{}' is not set", var));
    }
    c.password = value;
  }
  if (auto tls = node.Find("tls")) c.tls = ReadMqttTls(*tls);
  return c;
}

MqttConnectorConfig MqttConnectorConfig::Read(ConfigNode& node,
                                              const std::string& default_client_id) {
  MqttConnectorConfig c;
  c.name = node.String("name");
  MqttBrokerConfig broker = MqttBrokerConfig::Read(node, default_client_id);
  c.host = std::move(broker.host);
  c.port = broker.port;
  c.client_id = std::move(broker.client_id);
  c.keepalive_ns = broker.keepalive_ns;
  c.username = std::move(broker.username);
  c.password = std::move(broker.password);
  c.tls = std::move(broker.tls);
  c.clean_session = node.Bool("clean_session", c.clean_session);
  if (c.client_id.empty() && !c.clean_session) {
    (node.Has("client_id") ? node.Get("client_id") : node)
        .Fail(
            "a persistent session (clean_session: false) needs a client_id: the broker keeps "
            "the session under it");
  }
  c.qos = static_cast<int>(node.Int("qos", c.qos));
  if (c.qos < 0 || c.qos > 1) {
    node.Get("qos").Fail("qos must be 0 or 1 (1 = no loss: the broker redelivers until acked)");
  }
  c.max_payload = node.ByteSize("max_payload", c.max_payload);
  if (c.max_payload <= 0 || c.max_payload > 256LL * 1024 * 1024) {
    node.Get("max_payload").Fail("max_payload must be between 1 B and 256MiB");
  }
  if (auto reconnect = node.Find("reconnect")) {
    c.reconnect_min_ns = reconnect->Duration("min", c.reconnect_min_ns);
    c.reconnect_max_ns = reconnect->Duration("max", c.reconnect_max_ns);
    if (c.reconnect_min_ns <= 0 || c.reconnect_max_ns < c.reconnect_min_ns) {
      reconnect->Fail("reconnect needs 0 < min <= max");
    }
  }

  std::vector<std::string> decoder_names;
  if (auto decoders = node.Find("decoders")) {
    for (auto& [name, spec_node] : decoders->Entries()) {
      c.decoders.emplace(name, DecoderSpec::Read(name, spec_node));
      decoder_names.push_back(name);
    }
  }
  if (c.decoders.empty()) {
    // A sensible default: {"value": ...}, stamped with the time it arrives.
    DecoderSpec json;
    json.name = "json";
    json.value = "/value";
    c.decoders.emplace("json", json);
    decoder_names.push_back("json");
  }
  if (auto default_node = node.Find("default_decoder")) {
    c.default_decoder = default_node->AsString();
    if (!c.decoders.count(c.default_decoder)) {
      const std::string hint = ClosestMatch(c.default_decoder, decoder_names);
      default_node->Fail(
          fmt::format("unknown decoder '{}' (declared decoders: {}){}", c.default_decoder,
                      fmt::join(decoder_names, ", "),
                      hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
    }
  } else if (decoder_names.size() == 1) {
    c.default_decoder = decoder_names[0];
  }

  ConfigNode mapping_node = node.Get("mapping");
  if (mapping_node.IsScalar()) {
    // A separate file: read it as its own document, so errors name that file.
    const std::string path = node.Path("mapping");
    auto doc = ConfigDocument::LoadFile(path);
    if (!doc.ok()) mapping_node.Fail(doc.status().message());
    auto mapping = (*doc)->Read<Mapping>([](ConfigNode& root) {
      ConfigNode m = root.Has("mapping") ? root.Get("mapping") : root;
      return Mapping::Read(m);
    });
    if (!mapping.ok()) throw ConfigError(mapping.status().message());
    c.mapping = std::move(*mapping);
  } else {
    c.mapping = Mapping::Read(mapping_node);
  }

  for (const auto& rule : c.mapping.rules) {
    const std::string& decoder = rule.decoder.empty() ? c.default_decoder : rule.decoder;
    auto it = c.decoders.find(decoder);
    if (it == c.decoders.end()) {
      const std::string hint = ClosestMatch(decoder, decoder_names);
      throw ConfigError(fmt::format("{}: mapping rule for topic '{}': {} (declared decoders: {}){}",
                                    rule.where, rule.topic.text(),
                                    decoder.empty() ? "no decoder named and no default_decoder set"
                                                    : fmt::format("unknown decoder '{}'", decoder),
                                    fmt::join(decoder_names, ", "),
                                    hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
    }
    const bool wants_name =
        std::count(rule.signal.names().begin(), rule.signal.names().end(), "name") > 0 ||
        std::count(rule.asset.names().begin(), rule.asset.names().end(), "name") > 0;
    if (wants_name && !it->second.gives_item_names()) {
      throw ConfigError(fmt::format(
          "{}: mapping rule for topic '{}' uses {{name}}, but decoder '{}' reads no item name; "
          "set the decoder's `name:` pointer",
          rule.where, rule.topic.text(), decoder));
    }
  }

  if (auto subs = node.Find("subscriptions")) {
    c.subscriptions = subs->AsStringList();
    for (const std::string& filter : c.subscriptions) {
      if (const std::string error = CheckTopicFilter(filter); !error.empty()) {
        subs->Fail(fmt::format("'{}' is not an MQTT topic filter: {}", filter, error));
      }
    }
  } else {
    c.subscriptions = c.mapping.SubscriptionFilters();
  }
  if (c.subscriptions.empty()) node.Fail("no subscriptions and no mapping rules to derive them");
  return c;
}

}  // namespace strata
