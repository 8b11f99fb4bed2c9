// MqttMessageHandler: one MQTT message → mapping rule (by topic) → payload decoder →
// Normalizer. Unmatched topics, undecodable payloads and oversize messages become dead
// letters here. A topic is interned as a source (mqtt, endpoint, topic) once one of its
// messages yields an observation; every observation of the same topic carries that SourceId.
//
// Not thread-safe (see MessageHandler): owns decoder state.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/payload_decoder.h"
#include "core/source_catalog.h"
#include "pipeline/message_handler.h"

namespace strata {

class MqttMessageHandler final : public MessageHandler {
 public:
  MqttMessageHandler(const MqttConnectorConfig& config, std::shared_ptr<SourceCatalog> sources);

  void Handle(const RawMessage& message, Normalizer& normalizer, WriteBatch* out) override;

 private:
  SourceId SourceFor(const std::string& topic);

  Mapping mapping_;
  std::string endpoint_;
  int64_t max_payload_;
  std::shared_ptr<SourceCatalog> sources_;
  std::vector<std::unique_ptr<PayloadDecoder>> decoders_;  // one per rule, shared by name
  std::vector<PayloadDecoder*> rule_decoder_;              // indexed like mapping_.rules
  std::unordered_map<std::string, SourceId> source_ids_;   // topic → source
  DecodeResult decoded_;
  Captures captures_;
  std::string source_text_;
};

}  // namespace strata
