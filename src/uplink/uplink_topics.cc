#include "uplink/uplink_topics.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace strata {
namespace {

constexpr std::string_view kPrefix = "strata/v1/";

std::string EdgePrefix(std::string_view tenant, std::string_view edge_id) {
  return fmt::format("{}{}/edge/{}/", kPrefix, tenant, edge_id);
}

bool IsTopicId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Shared(std::string_view group, std::string_view filter) {
  if (group.empty()) return std::string(filter);
  return fmt::format("$share/{}/{}", group, filter);
}

}  // namespace

Status ValidateTopicId(std::string_view id, std::string_view what) {
  if (IsTopicId(id)) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "{} \"{}\" cannot be an MQTT topic level: use 1-64 of A-Z a-z 0-9 _ . -", what, id));
}

std::string UplinkTopic(std::string_view tenant, std::string_view edge_id,
                        std::string_view stream) {
  return EdgePrefix(tenant, edge_id) + "up/" + std::string(stream);
}
std::string AckTopic(std::string_view tenant, std::string_view edge_id) {
  return EdgePrefix(tenant, edge_id) + "ack";
}
std::string DesiredTopic(std::string_view tenant, std::string_view edge_id) {
  return EdgePrefix(tenant, edge_id) + "desired";
}
std::string ReportedTopic(std::string_view tenant, std::string_view edge_id) {
  return EdgePrefix(tenant, edge_id) + "reported";
}

std::string UplinkSubscription(std::string_view shared_group) {
  return Shared(shared_group, "strata/v1/+/edge/+/up/+");
}
std::string ReportedSubscription(std::string_view shared_group) {
  return Shared(shared_group, "strata/v1/+/edge/+/reported");
}

std::optional<EdgeTopic> ParseEdgeTopic(std::string_view topic) {
  if (!topic.starts_with(kPrefix)) return std::nullopt;
  topic.remove_prefix(kPrefix.size());
  std::vector<std::string_view> levels;
  for (size_t start = 0;;) {
    const size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (levels.size() < 4 || levels[1] != "edge" || !IsTopicId(levels[0]) || !IsTopicId(levels[2])) {
    return std::nullopt;
  }
  EdgeTopic t{std::string(levels[0]), std::string(levels[2]), std::string(levels[3]), ""};
  if (t.kind == "up" && levels.size() == 5 && !levels[4].empty()) {
    t.stream = std::string(levels[4]);
    return t;
  }
  if ((t.kind == "ack" || t.kind == "desired" || t.kind == "reported") && levels.size() == 4) {
    return t;
  }
  return std::nullopt;
}

std::string EncodeAck(const UplinkAck& ack) {
  return nlohmann::json{{"stream", ack.stream}, {"through", ack.through}}.dump();
}

StatusOr<UplinkAck> DecodeAck(std::string_view payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("uplink ack: not a JSON object");
  }
  auto stream = j.find("stream");
  auto through = j.find("through");
  if (stream == j.end() || !stream->is_string()) {
    return InvalidArgumentError("uplink ack: \"stream\" must be a string");
  }
  if (through == j.end() || !through->is_number_unsigned()) {
    return InvalidArgumentError("uplink ack: \"through\" must be an unsigned integer");
  }
  return UplinkAck{stream->get<std::string>(), through->get<uint64_t>()};
}

}  // namespace strata
