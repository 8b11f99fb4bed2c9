// ModbusMessageHandler: one read response of a Modbus connector (see modbus_message.h) →
// a Reading per register of the request → Normalizer.
//
// A response decodes every register of the request with its type, word order and bit field
// (DecodeModbusValue) and passes it on with quality good; a failed request (timeout,
// exception, lost connection, bad response) yields a value-less reading of quality bad for
// every signal of the request, so the store shows when and why data is missing. Each
// observation's source is (modbus, endpoint, "unit 1 hr 100"); sources are interned once, at
// construction (the register map bounds them).
//
// Not thread-safe (see MessageHandler).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/modbus/modbus_config.h"
#include "core/source_catalog.h"
#include "pipeline/message_handler.h"

namespace strata {

class ModbusMessageHandler final : public MessageHandler {
 public:
  ModbusMessageHandler(const ModbusConnectorConfig& config, std::shared_ptr<SourceCatalog> sources);

  void Handle(const RawMessage& message, Normalizer& normalizer, WriteBatch* out) override;

 private:
  std::string endpoint_;
  std::vector<ModbusRegister> registers_;
  std::vector<ModbusRequest> requests_;
  std::vector<SourceId> source_ids_;  // indexed like registers_
  std::vector<uint16_t> words_;
  Captures no_captures_;
  std::string source_text_;
};

}  // namespace strata
