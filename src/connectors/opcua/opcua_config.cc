#include "connectors/opcua/opcua_config.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "core/signal_target.h"
#include "core/units.h"

namespace strata {
namespace {

// Parses "opc.tcp://host:port/path" (port optional, default 4840).
void ReadEndpoint(ConfigNode& node, OpcuaConnectorConfig* c) {
  const std::string text = node.AsString();
  constexpr std::string_view kScheme = "opc.tcp://";
  if (text.rfind(kScheme, 0) != 0) {
    node.Fail(
        fmt::format("'{}' is not an OPC UA endpoint; write opc.tcp://host:port[/path]", text));
  }
  std::string rest = text.substr(kScheme.size());
  rest = rest.substr(0, rest.find('/'));
  const size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']') == std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p <= 0 || p > 65535) {
      node.Fail(fmt::format("'{}': port must be 1..65535", text));
    }
    c->port = static_cast<int>(p);
    rest.resize(colon);
  }
  if (rest.empty() || rest.find(' ') != std::string::npos) {
    node.Fail(fmt::format("'{}': expected opc.tcp://host:port[/path]", text));
  }
  c->host = rest;
  c->endpoint = text;
  if (text.size() >= opcua::kMaxUrlLength) node.Fail("the endpoint URL is too long");
}

void CheckDuration(ConfigNode& node, const char* key, int64_t value, int64_t min, int64_t max,
                   const char* range) {
  if (value < min || value > max) node.Get(key).Fail(fmt::format("{} must be {}", key, range));
}

}  // namespace

StatusOr<opcua::RelativePath> ParseBrowsePath(std::string_view text) {
  opcua::RelativePath path;
  if (text.empty()) return InvalidArgumentError("an empty browse path");
  size_t start = 0;
  while (start <= text.size()) {
    const size_t slash = text.find('/', start);
    const std::string_view part = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) {
      return InvalidArgumentError(
          fmt::format("browse path '{}': element {} is empty (write 1:Plant/1:Pump/1:Speed)", text,
                      path.elements.size() + 1));
    }
    opcua::RelativePathElement e;
    const size_t colon = part.find(':');
    std::string_view name = part;
    if (colon != std::string_view::npos) {
      const std::string ns(part.substr(0, colon));
      char* end = nullptr;
      const long n = std::strtol(ns.c_str(), &end, 10);
      if (ns.empty() || *end != '\0' || n < 0 || n > 65535) {
        return InvalidArgumentError(fmt::format(
            "browse path '{}': '{}' should be <namespace index>:<browse name>", text, part));
      }
      e.target_name.namespace_index = static_cast<uint16_t>(n);
      name = part.substr(colon + 1);
    }
    if (name.empty()) {
      return InvalidArgumentError(
          fmt::format("browse path '{}': '{}' has no browse name", text, part));
    }
    e.target_name.name = std::string(name);
    path.elements.push_back(std::move(e));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return path;
}

OpcuaConnectorConfig OpcuaConnectorConfig::Read(ConfigNode& node, const AssetModel* model) {
  OpcuaConnectorConfig c;
  c.name = node.String("name");
  ConfigNode endpoint = node.Get("endpoint");
  ReadEndpoint(endpoint, &c);

  if (auto identity = node.Find("identity")) {
    if (identity->IsScalar()) {
      if (identity->AsString() != "anonymous") {
        identity->Fail("identity is 'anonymous' or {user: ..., password: ...}");
      }
    } else {
      c.identity.kind = opcua::UserIdentity::Kind::kUserName;
      c.identity.user_name = identity->String("user");
      c.identity.password = identity->String("password", "");
      if (c.identity.user_name.empty()) identity->Get("user").Fail("user must not be empty");
    }
  }
  c.publishing_interval_ns = node.Duration("publishing_interval", c.publishing_interval_ns);
  CheckDuration(node, "publishing_interval", c.publishing_interval_ns, 10'000'000,
                3'600'000'000'000LL, "between 10ms and 1h");
  c.sampling_interval_ns = node.Duration("sampling_interval", c.publishing_interval_ns);
  CheckDuration(node, "sampling_interval", c.sampling_interval_ns, 0, 3'600'000'000'000LL,
                "between 0 (as fast as the server can) and 1h");
  const int64_t keep_alive = node.Int("keep_alive_count", c.keep_alive_count);
  if (keep_alive < 1 || keep_alive > 1000) {
    node.Get("keep_alive_count").Fail("keep_alive_count must be 1..1000");
  }
  c.keep_alive_count = static_cast<uint32_t>(keep_alive);
  c.request_timeout_ns = node.Duration("request_timeout", c.request_timeout_ns);
  CheckDuration(node, "request_timeout", c.request_timeout_ns, 1'000'000, 600'000'000'000LL,
                "between 1ms and 10m");
  c.connect_timeout_ns = node.Duration("connect_timeout", c.connect_timeout_ns);
  CheckDuration(node, "connect_timeout", c.connect_timeout_ns, 1'000'000, 600'000'000'000LL,
                "between 1ms and 10m");
  if (auto reconnect = node.Find("reconnect")) {
    c.reconnect_min_ns = reconnect->Duration("min", c.reconnect_min_ns);
    c.reconnect_max_ns = reconnect->Duration("max", c.reconnect_max_ns);
    if (c.reconnect_min_ns <= 0 || c.reconnect_max_ns < c.reconnect_min_ns) {
      reconnect->Fail("reconnect needs 0 < min <= max");
    }
  }
  const int64_t max_message = node.ByteSize("max_message_size", c.max_message_size);
  if (max_message < 65536 || max_message > (int64_t{1} << 30)) {
    node.Get("max_message_size").Fail("max_message_size must be between 64KiB and 1GiB");
  }
  c.max_message_size = static_cast<uint32_t>(max_message);
  c.channel_lifetime_ns = node.Duration("channel_lifetime", c.channel_lifetime_ns);
  CheckDuration(node, "channel_lifetime", c.channel_lifetime_ns, 1'000'000'000, 3'600'000'000'000LL,
                "between 1s and 1h");
  c.session_timeout_ns = node.Duration("session_timeout", c.session_timeout_ns);
  CheckDuration(node, "session_timeout", c.session_timeout_ns, 1'000'000'000, 3'600'000'000'000LL,
                "between 1s and 1h");

  const std::string default_asset = node.String("asset", "");
  std::map<std::pair<std::string, std::string>, std::string> targets;  // → where first mapped
  ConfigNode items = node.Get("items");
  auto entries = items.Elements();
  if (entries.empty()) items.Fail("at least one item is needed");
  for (auto& entry : entries) {
    OpcuaItem item;
    item.rule.where = entry.Where();
    const bool by_id = entry.Has("node_id");
    const bool by_path = entry.Has("browse_path");
    if (by_id == by_path) entry.Fail("an item has either node_id or browse_path (one of them)");
    if (by_id) {
      ConfigNode id = entry.Get("node_id");
      item.address = id.AsString();
      auto parsed = opcua::ParseNodeId(item.address);
      if (!parsed.ok()) id.Fail(parsed.status().message());
      item.node_id = std::move(*parsed);
      item.address = item.node_id->ToString();
    } else {
      ConfigNode path = entry.Get("browse_path");
      item.address = path.AsString();
      auto parsed = ParseBrowsePath(item.address);
      if (!parsed.ok()) path.Fail(parsed.status().message());
      item.browse_path = std::move(*parsed);
    }
    const std::string asset = entry.String("asset", default_asset);
    if (asset.empty()) entry.Fail("missing required key 'asset' (here or on the connector)");
    const std::string signal = entry.String("signal");
    for (const auto& [key, text] : {std::pair{"asset", asset}, {"signal", signal}}) {
      if (text.find_first_of("{}") != std::string::npos) {
        (entry.Has(key) ? entry.Get(key) : entry)
            .Fail(fmt::format("'{}': OPC UA items name their target literally; no {{...}}", text));
      }
    }
    auto asset_template = Template::Parse(asset);
    auto signal_template = Template::Parse(signal);
    if (!asset_template.ok()) entry.Fail(asset_template.status().message());
    if (!signal_template.ok()) entry.Get("signal").Fail(signal_template.status().message());
    item.rule.asset = std::move(*asset_template);
    item.rule.signal = std::move(*signal_template);
    if (auto unit_node = entry.Find("unit")) {
      item.rule.unit = unit_node->AsString();
      auto unit = ParseUnit(item.rule.unit);
      if (!unit.ok()) unit_node->Fail(unit.status().message());
    }
    if (model != nullptr) {
      CheckSignalTarget(*model, entry, asset, signal, item.rule.unit, "OPC UA items");
    }
    auto key = std::pair{asset, signal};
    auto [it, fresh] = targets.emplace(key, item.rule.where);
    if (!fresh) {
      entry.Get("signal").Fail(
          fmt::format("'{}' {} is already read from another item at {}; map each signal once",
                      key.first, key.second, it->second));
    }
    c.items.push_back(std::move(item));
  }
  return c;
}

}  // namespace strata
