#include "connectors/mqtt/mqtt_message_handler.h"

#include <fmt/format.h>

#include <map>

namespace strata {

MqttMessageHandler::MqttMessageHandler(const MqttConnectorConfig& config,
                                       std::shared_ptr<SourceCatalog> sources,
                                       MetricsRegistry* metrics)
    : mapping_(config.mapping),
      endpoint_(config.Endpoint()),
      max_payload_(config.max_payload),
      sources_(std::move(sources)) {
  std::map<std::string, PayloadDecoder*> by_name;
  for (const auto& [name, spec] : config.decoders) {
    decoders_.push_back(MakePayloadDecoder(spec));  // null for Sparkplug
    by_name[name] = decoders_.back().get();
    if (spec.type == DecoderSpec::Type::kSparkplug && !sparkplug_) {
      if (metrics == nullptr) {
        own_metrics_ = std::make_unique<MetricsRegistry>();
        metrics = own_metrics_.get();
      }
      sparkplug_ = std::make_unique<SparkplugSession>(*metrics, config.name);
    }
  }
  for (const auto& rule : mapping_.rules) {
    // MqttConnectorConfig::Read has checked that every rule's decoder exists.
    rule_decoder_.push_back(
        by_name.at(rule.decoder.empty() ? config.default_decoder : rule.decoder));
  }
}

MqttMessageHandler::~MqttMessageHandler() = default;

SourceId MqttMessageHandler::SourceFor(const std::string& topic) {
  auto it = source_ids_.find(topic);
  if (it != source_ids_.end()) return it->second;
  if (source_ids_.size() > 100000) source_ids_.clear();  // bound memory under topic spam
  const SourceId id = sources_->Intern("mqtt", endpoint_, topic);
  source_ids_.emplace(topic, id);
  return id;
}

void MqttMessageHandler::Handle(const RawMessage& message, Normalizer& normalizer,
                                WriteBatch* out) {
  source_text_.assign("mqtt ").append(endpoint_).append(" ").append(message.topic);
  MessageContext ctx;
  ctx.source_text = source_text_;
  ctx.payload = message.payload;
  ctx.payload_truncated = message.oversize;  // the connector kept only the first bytes
  ctx.receive_ts_ns = message.receive_ts_ns;

  if (message.oversize) {
    normalizer.Reject(RejectReason::kPayloadTooLarge,
                      fmt::format("payload of {} bytes on topic '{}' is over the connector's "
                                  "max_payload of {} bytes; raise max_payload or send less",
                                  message.original_size, message.topic, max_payload_),
                      ctx, out);
    return;
  }
  captures_.Clear();
  const MappingRule* rule = mapping_.Match(message.topic, &captures_);
  if (rule == nullptr) {
    normalizer.Reject(RejectReason::kUnknownTopic,
                      fmt::format("no mapping rule matches topic '{}' (mapping version {}); add "
                                  "a rule or narrow the subscription",
                                  message.topic, mapping_.version),
                      ctx, out);
    return;
  }
  PayloadDecoder* decoder = rule_decoder_[static_cast<size_t>(rule - mapping_.rules.data())];
  if (decoder == nullptr) {
    HandleSparkplug(message, normalizer, ctx, out);
    return;
  }
  decoder->Decode(message.payload, &decoded_);
  if (decoded_.failed) {
    normalizer.Reject(decoded_.reason, fmt::format("topic '{}': {}", message.topic, decoded_.error),
                      ctx, out);
    return;
  }
  MapItems(message.topic, rule, decoded_, normalizer, ctx, out);
}

void MqttMessageHandler::MapItems(const std::string& topic, const MappingRule* rule,
                                  const DecodeResult& decoded, Normalizer& normalizer,
                                  const MessageContext& ctx, WriteBatch* out) {
  // The source is interned only once the message yields an observation (below), so that
  // topics which map to nothing valid cannot grow the catalog, which never forgets.
  const size_t first_observation = out->observations.size();
  for (size_t i = 0; i < decoded.items.size(); ++i) {
    const DecodedItem& item = decoded.items[i];
    if (!item.ok) {
      normalizer.Reject(item.reason,
                        decoded.items.size() == 1
                            ? fmt::format("topic '{}': {}", topic, item.error)
                            : fmt::format("topic '{}', reading {}: {}", topic, i, item.error),
                        ctx, out);
      continue;
    }
    normalizer.Accept(*rule, captures_, item.reading, ctx, out);
  }
  if (out->observations.size() > first_observation) {
    const SourceId source = SourceFor(topic);
    for (size_t i = first_observation; i < out->observations.size(); ++i) {
      out->observations[i].source = source;
    }
  }
}

void MqttMessageHandler::HandleSparkplug(const RawMessage& message, Normalizer& normalizer,
                                         const MessageContext& ctx, WriteBatch* out) {
  sparkplug_->Handle(message.topic, message.payload, message.receive_ts_ns, &sparkplug_out_);
  if (!sparkplug_out_.rebirth_topic.empty() && publisher_) {
    publisher_(sparkplug_out_.rebirth_topic,
               EncodeRebirthRequest(message.receive_ts_ns / 1'000'000));
  }
  if (sparkplug_out_.failed) {
    normalizer.Reject(sparkplug_out_.reason,
                      fmt::format("topic '{}': {}", message.topic, sparkplug_out_.error), ctx, out);
    return;
  }
  for (size_t g = 0; g < sparkplug_out_.group_count; ++g) {
    const SparkplugGroup& group = sparkplug_out_.groups[g];
    if (group.result.items.empty()) continue;
    captures_.Clear();
    const MappingRule* rule = mapping_.Match(group.topic, &captures_);
    if (rule == nullptr) {
      normalizer.Reject(RejectReason::kUnknownTopic,
                        fmt::format("no mapping rule matches Sparkplug topic '{}' (from a "
                                    "message on '{}'; mapping version {}); add a rule",
                                    group.topic, message.topic, mapping_.version),
                        ctx, out);
      continue;
    }
    MapItems(group.topic, rule, group.result, normalizer, ctx, out);
  }
}

}  // namespace strata
