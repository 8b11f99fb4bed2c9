// MqttMessageHandler: one MQTT message → mapping rule (by topic) → payload decoder →
// Normalizer. Unmatched topics, undecodable payloads and oversize messages become dead
// letters here. A topic is interned as a source (mqtt, endpoint, topic) once one of its
// messages yields an observation; every observation of the same topic carries that SourceId.
//
// Rules whose decoder is `type: sparkplug` hand the message to the connector's one
// SparkplugSession, which may return readings for several topics (a node's death marks each
// of its devices): each group is mapped by its own topic. When the session wants a rebirth,
// the handler passes the NCMD to the publisher set with SetPublisher (the connector's).
//
// Not thread-safe (see MessageHandler): owns decoder state.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/payload_decoder.h"
#include "connectors/sparkplug/sparkplug_session.h"
#include "core/source_catalog.h"
#include "pipeline/message_handler.h"

namespace strata {

class MqttMessageHandler final : public MessageHandler {
 public:
  // Sparkplug counters go to `metrics` (a private registry when null).
  MqttMessageHandler(const MqttConnectorConfig& config, std::shared_ptr<SourceCatalog> sources,
                     MetricsRegistry* metrics = nullptr);
  ~MqttMessageHandler() override;

  void Handle(const RawMessage& message, Normalizer& normalizer, WriteBatch* out) override;

  // Sends a message to the broker (QoS 0); must not block. Called from the pipeline thread.
  using Publisher = std::function<void(std::string topic, std::string payload)>;
  void SetPublisher(Publisher publisher) { publisher_ = std::move(publisher); }

 private:
  SourceId SourceFor(const std::string& topic);
  // Maps and normalizes the items of `decoded` as readings of `topic`; false when no rule
  // matches the topic (dead-lettered).
  void MapItems(const std::string& topic, const MappingRule* rule, const DecodeResult& decoded,
                Normalizer& normalizer, const MessageContext& ctx, WriteBatch* out);
  void HandleSparkplug(const RawMessage& message, Normalizer& normalizer, const MessageContext& ctx,
                       WriteBatch* out);

  Mapping mapping_;
  std::string endpoint_;
  int64_t max_payload_;
  std::shared_ptr<SourceCatalog> sources_;
  std::vector<std::unique_ptr<PayloadDecoder>> decoders_;  // one per rule, shared by name
  std::vector<PayloadDecoder*> rule_decoder_;  // indexed like mapping_.rules; null: Sparkplug
  std::unique_ptr<MetricsRegistry> own_metrics_;
  std::unique_ptr<SparkplugSession> sparkplug_;  // when a rule uses a sparkplug decoder
  SparkplugOutcome sparkplug_out_;
  Publisher publisher_;
  std::unordered_map<std::string, SourceId> source_ids_;  // topic → source
  DecodeResult decoded_;
  Captures captures_;
  std::string source_text_;
};

}  // namespace strata
