#include "connectors/sparkplug/sparkplug_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace strata {
namespace {

constexpr std::string_view kNamespace = "spBv1.0";

enum class MessageType { kNBirth, kNData, kNDeath, kDBirth, kDData, kDDeath, kNCmd, kDCmd };

std::optional<MessageType> ParseType(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, MessageType>, 8> kTypes = {{
      {"NBIRTH", MessageType::kNBirth},
      {"NDATA", MessageType::kNData},
      {"NDEATH", MessageType::kNDeath},
      {"DBIRTH", MessageType::kDBirth},
      {"DDATA", MessageType::kDData},
      {"DDEATH", MessageType::kDDeath},
      {"NCMD", MessageType::kNCmd},
      {"DCMD", MessageType::kDCmd},
  }};
  for (const auto& [name, type] : kTypes) {
    if (s == name) return type;
  }
  return std::nullopt;
}

bool IsDeviceType(MessageType t) {
  return t == MessageType::kDBirth || t == MessageType::kDData || t == MessageType::kDDeath ||
         t == MessageType::kDCmd;
}

// Metrics that carry Sparkplug's own state, not plant data.
bool IsControlMetric(std::string_view name) {
  return name == "bdSeq" || name.starts_with("Node Control/") ||
         name.starts_with("Device Control/");
}

std::vector<std::string_view> Split(std::string_view topic) {
  std::vector<std::string_view> levels;
  size_t start = 0;
  while (true) {
    const size_t slash = topic.find('/', start);
    levels.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return levels;
}

}  // namespace

SparkplugSession::SparkplugSession(MetricsRegistry& metrics, const std::string& connector)
    : births_(metrics.GetCounter("strata_edge_sparkplug_births_total",
                                 "Sparkplug NBIRTH and DBIRTH messages received",
                                 {{"connector", connector}})),
      deaths_(metrics.GetCounter("strata_edge_sparkplug_deaths_total",
                                 "Sparkplug NDEATH and DDEATH messages that marked signals bad",
                                 {{"connector", connector}})),
      seq_gaps_(metrics.GetCounter("strata_edge_sparkplug_seq_gaps_total",
                                   "Sparkplug messages whose seq did not follow the previous one",
                                   {{"connector", connector}})),
      rebirths_(metrics.GetCounter("strata_edge_sparkplug_rebirth_requests_total",
                                   "Rebirth requests (NCMD) sent to edge nodes",
                                   {{"connector", connector}})),
      unknown_aliases_(metrics.GetCounter("strata_edge_sparkplug_unknown_aliases_total",
                                          "Sparkplug metrics sent by an alias no birth declared",
                                          {{"connector", connector}})),
      ignored_(metrics.GetCounter("strata_edge_sparkplug_ignored_total",
                                  "Sparkplug messages with nothing to store (STATE, NCMD, DCMD, "
                                  "a stale NDEATH)",
                                  {{"connector", connector}})) {}

bool SparkplugSession::node_online(std::string_view group, std::string_view node) const {
  const auto it = nodes_.find(fmt::format("{}/{}", group, node));
  return it != nodes_.end() && it->second.online;
}

SparkplugGroup& SparkplugSession::NextGroup(SparkplugOutcome* out, std::string topic) {
  if (out->group_count == out->groups.size()) out->groups.emplace_back();
  SparkplugGroup& g = out->groups[out->group_count++];
  g.topic = std::move(topic);
  g.result.Clear();
  return g;
}

void SparkplugSession::AskRebirth(Node& node, std::string_view group, std::string_view node_id,
                                  int64_t now, SparkplugOutcome* out) {
  if (node.rebirth_requested && now - node.last_rebirth_ns < kRebirthIntervalNs) return;
  node.rebirth_requested = true;
  node.last_rebirth_ns = now;
  out->rebirth_topic = fmt::format("{}/{}/NCMD/{}", kNamespace, group, node_id);
  rebirths_.Add();
}

// True when the message's seq follows the node's previous message.
bool SparkplugSession::CheckSeq(Node& node, std::string_view group, std::string_view node_id,
                                int64_t now, SparkplugOutcome* out) {
  if (!node.online) {
    AskRebirth(node, group, node_id, now, out);
    return false;
  }
  const bool follows =
      payload_.seq && node.seq_known && *payload_.seq == static_cast<uint8_t>(node.seq + 1);
  if (payload_.seq && *payload_.seq <= 255) {
    node.seq = static_cast<uint8_t>(*payload_.seq);
    node.seq_known = true;
  }
  if (!follows) {
    seq_gaps_.Add();
    AskRebirth(node, group, node_id, now, out);
  }
  return follows;
}

void SparkplugSession::Declare(Node& node, std::string_view device, const SparkplugMetric& m) {
  if (m.name.empty() || node.metrics.size() >= kMaxMetricsPerNode) return;
  const auto key = std::make_pair(std::string(device), std::string(m.name));
  auto [it, inserted] = node.by_name.try_emplace(key, node.metrics.size());
  if (inserted) node.metrics.push_back(Metric{key.first, key.second, m.type});
  node.metrics[it->second].type = m.type;
  if (m.alias) node.by_alias[*m.alias] = it->second;
}

void SparkplugSession::AddReading(const SparkplugMetric& m, std::string_view name, uint32_t type,
                                  std::optional<int64_t> payload_ts, DecodeResult* result) {
  DecodedItem& item = result->items.emplace_back();
  item.reading.name = name;
  const std::optional<int64_t> ts_ms = m.ts_ms ? m.ts_ms : payload_ts;
  if (ts_ms) item.reading.ts_ns = *ts_ms * 1'000'000;
  if (m.is_null) {
    item.reading.quality = Quality::kBad;
    return;
  }
  StatusOr<double> v = SparkplugNumber(m, type);
  if (!v.ok()) {
    item.ok = false;
    item.reason = RejectReason::kWrongType;
    item.error = fmt::format("metric '{}': {}", name, v.status().message());
    return;
  }
  item.reading.value = *v;
  item.reading.has_value = true;
}

void SparkplugSession::MarkDead(const Node& node, std::optional<std::string_view> device,
                                int64_t ts_ns, std::string_view group, std::string_view node_id,
                                SparkplugOutcome* out) {
  // Group the metrics by device: one topic each.
  std::map<std::string_view, std::vector<const Metric*>> by_device;
  for (const Metric& m : node.metrics) {
    if (IsControlMetric(m.name)) continue;
    if (device && m.device != *device) continue;
    by_device[m.device].push_back(&m);
  }
  for (const auto& [dev, metrics] : by_device) {
    SparkplugGroup& g = NextGroup(
        out, dev.empty() ? fmt::format("{}/{}/NDEATH/{}", kNamespace, group, node_id)
                         : fmt::format("{}/{}/DDEATH/{}/{}", kNamespace, group, node_id, dev));
    for (const Metric* m : metrics) {
      DecodedItem& item = g.result.items.emplace_back();
      item.reading.name = m->name;
      item.reading.ts_ns = ts_ns;
      item.reading.quality = Quality::kBad;
    }
  }
}

void SparkplugSession::Handle(std::string_view topic, std::string_view payload,
                              int64_t receive_ts_ns, SparkplugOutcome* out) {
  out->failed = false;
  out->reason = RejectReason::kMalformedPayload;
  out->error.clear();
  out->ignored = false;
  out->group_count = 0;
  out->rebirth_topic.clear();

  const std::vector<std::string_view> levels = Split(topic);
  if (levels.size() >= 2 && levels[0] == kNamespace && levels[1] == "STATE") {
    ignored_.Add();
    out->ignored = true;
    return;
  }
  const std::optional<MessageType> type = levels.size() >= 4 ? ParseType(levels[2]) : std::nullopt;
  if (levels.size() < 4 || levels.size() > 5 || levels[0] != kNamespace || !type ||
      IsDeviceType(*type) != (levels.size() == 5) || levels[1].empty() || levels[3].empty() ||
      (levels.size() == 5 && levels[4].empty())) {
    out->failed = true;
    out->reason = RejectReason::kUnknownTopic;
    out->error = fmt::format(
        "'{}' is not a Sparkplug B topic (spBv1.0/<group>/<message type>/<edge node>"
        "[/<device>]); route it to another decoder",
        topic);
    return;
  }
  if (*type == MessageType::kNCmd || *type == MessageType::kDCmd) {
    ignored_.Add();
    out->ignored = true;
    return;
  }
  const std::string_view group = levels[1];
  const std::string_view node_id = levels[3];
  const std::string_view device = levels.size() == 5 ? levels[4] : std::string_view();

  if (Status s = decoder_.Decode(payload, &payload_); !s.ok()) {
    out->failed = true;
    out->error = std::string(s.message());
    return;
  }

  key_.assign(group).append("/").append(node_id);
  auto it = nodes_.find(key_);
  if (it == nodes_.end()) {
    if (nodes_.size() >= kMaxNodes) {
      out->failed = true;
      out->error = fmt::format("more than {} Sparkplug edge nodes on one connector", kMaxNodes);
      return;
    }
    it = nodes_.emplace(key_, Node{}).first;
  }
  Node& node = it->second;
  const std::optional<int64_t> payload_ts = payload_.ts_ms;
  const int64_t event_ts_ns = payload_ts ? *payload_ts * 1'000'000 : receive_ts_ns;

  switch (*type) {
    case MessageType::kNBirth: {
      births_.Add();
      const int64_t last_rebirth = node.last_rebirth_ns;
      node = Node{};
      node.last_rebirth_ns = last_rebirth;
      node.online = true;
      if (payload_.seq && *payload_.seq <= 255) {
        node.seq = static_cast<uint8_t>(*payload_.seq);
        node.seq_known = true;
      }
      for (const SparkplugMetric& m : payload_.metrics) {
        if (m.name == "bdSeq" &&
            (m.field == SparkplugValueField::kLong || m.field == SparkplugValueField::kInt)) {
          node.bd_seq = m.bits;
        }
        Declare(node, "", m);
      }
      break;
    }
    case MessageType::kDBirth:
      births_.Add();
      CheckSeq(node, group, node_id, receive_ts_ns, out);
      for (const SparkplugMetric& m : payload_.metrics) Declare(node, device, m);
      break;
    case MessageType::kNData:
    case MessageType::kDData:
      CheckSeq(node, group, node_id, receive_ts_ns, out);
      break;
    case MessageType::kNDeath: {
      std::optional<uint64_t> bd_seq;
      for (const SparkplugMetric& m : payload_.metrics) {
        if (m.name == "bdSeq" &&
            (m.field == SparkplugValueField::kLong || m.field == SparkplugValueField::kInt)) {
          bd_seq = m.bits;
        }
      }
      if (!node.online || (bd_seq && node.bd_seq && *bd_seq != *node.bd_seq)) {
        ignored_.Add();  // an older session's will, or a node we never saw born
        out->ignored = true;
        return;
      }
      deaths_.Add();
      node.online = false;
      MarkDead(node, std::nullopt, receive_ts_ns, group, node_id, out);
      return;
    }
    case MessageType::kDDeath:
      deaths_.Add();
      CheckSeq(node, group, node_id, receive_ts_ns, out);
      MarkDead(node, device, event_ts_ns, group, node_id, out);
      return;
    case MessageType::kNCmd:
    case MessageType::kDCmd:
      return;
  }

  // BIRTH and DATA: the values.
  SparkplugGroup& g = NextGroup(out, std::string(topic));
  for (size_t i = 0; i < payload_.metrics.size(); ++i) {
    const SparkplugMetric& m = payload_.metrics[i];
    std::string_view name = m.name;
    uint32_t metric_type = m.type;
    if (name.empty() || metric_type == 0) {
      const Metric* declared = nullptr;
      if (!name.empty()) {
        const auto d = node.by_name.find(std::make_pair(std::string(device), std::string(name)));
        if (d != node.by_name.end()) declared = &node.metrics[d->second];
      } else if (m.alias) {
        const auto a = node.by_alias.find(*m.alias);
        if (a != node.by_alias.end() && node.metrics[a->second].device == device) {
          declared = &node.metrics[a->second];
        }
      }
      if (declared == nullptr && name.empty()) {
        unknown_aliases_.Add();
        AskRebirth(node, group, node_id, receive_ts_ns, out);
        DecodedItem& item = g.result.items.emplace_back();
        item.ok = false;
        item.reason = RejectReason::kUnknownSignal;
        item.error = m.alias ? fmt::format(
                                   "metric {} has alias {}, which no birth of this "
                                   "{} declared; a rebirth was requested",
                                   i, *m.alias, device.empty() ? "node" : "device")
                             : fmt::format("metric {} has neither a name nor an alias", i);
        continue;
      }
      if (declared != nullptr) {
        name = declared->name;
        if (metric_type == 0) metric_type = declared->type;
      }
    }
    if (IsControlMetric(name)) continue;
    AddReading(m, name, metric_type, payload_ts, &g.result);
  }
}

}  // namespace strata
