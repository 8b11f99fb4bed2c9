// OpcuaMessageHandler: the messages of an OPC UA connector (opcua_message.h) → Readings →
// Normalizer.
//
// Each value record becomes one reading of its item's (asset, signal): the OPC UA StatusCode's
// severity gives the quality (good, uncertain, bad; a bad reading carries no value), the
// source timestamp (else the server's, else the arrival time) the observation time. A value
// that is not a number (String, arrays, structures) is dead-lettered as wrong_type naming the
// item and the type. Sources are (opcua, endpoint, node id); a browse path item is named by
// its path until the connector reports the node id it resolved to.
//
// Not thread-safe (see MessageHandler).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/opcua/opcua_config.h"
#include "core/source_catalog.h"
#include "pipeline/message_handler.h"

namespace strata {

class OpcuaMessageHandler final : public MessageHandler {
 public:
  OpcuaMessageHandler(const OpcuaConnectorConfig& config, std::shared_ptr<SourceCatalog> sources);

  void Handle(const RawMessage& message, Normalizer& normalizer, WriteBatch* out) override;

 private:
  std::string endpoint_;
  std::shared_ptr<SourceCatalog> sources_;
  std::vector<MappingRule> rules_;      // per item
  std::vector<std::string> addresses_;  // per item: node id (or browse path until resolved)
  std::vector<SourceId> source_ids_;    // per item
  Captures no_captures_;
  std::string source_text_;
};

}  // namespace strata
