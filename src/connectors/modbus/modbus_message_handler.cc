#include "connectors/modbus/modbus_message_handler.h"

#include <fmt/format.h>

#include <span>

#include "connectors/modbus/modbus_message.h"

namespace strata {

ModbusMessageHandler::ModbusMessageHandler(const ModbusConnectorConfig& config,
                                           std::shared_ptr<SourceCatalog> sources)
    : endpoint_(config.Endpoint()), registers_(config.registers), requests_(config.requests) {
  source_ids_.reserve(registers_.size());
  for (const ModbusRegister& r : registers_) {
    source_ids_.push_back(sources->Intern("modbus", endpoint_, r.source_address));
  }
}

void ModbusMessageHandler::Handle(const RawMessage& message, Normalizer& normalizer,
                                  WriteBatch* out) {
  MessageContext ctx;
  ctx.payload = message.payload;
  ctx.receive_ts_ns = message.receive_ts_ns;

  const auto header = ParseModbusHeader(message.payload);
  if (!header || header->request >= requests_.size()) {
    source_text_.assign("modbus ").append(endpoint_);
    ctx.source_text = source_text_;
    normalizer.Reject(RejectReason::kMalformedPayload,
                      header ? fmt::format("read request {} is not in the plan of {} requests",
                                           header->request, requests_.size())
                             : std::string("not a Modbus read response of this connector"),
                      ctx, out);
    return;
  }
  const ModbusRequest& request = requests_[header->request];
  const std::string_view data = std::string_view(message.payload).substr(kModbusHeaderSize);
  const bool ok = header->outcome == ModbusOutcome::kOk;
  const bool bits = IsBitTable(request.table);
  if (ok) {
    const size_t expected = bits ? request.count : size_t{request.count} * 2;
    if (data.size() != expected) {
      source_text_.assign("modbus ").append(endpoint_).append(" ").append(request.description);
      ctx.source_text = source_text_;
      normalizer.Reject(RejectReason::kMalformedPayload,
                        fmt::format("{}: {} data bytes where the request reads {}",
                                    request.description, data.size(), expected),
                        ctx, out);
      return;
    }
    if (!bits) {
      words_.resize(request.count);
      for (size_t i = 0; i < words_.size(); ++i) {
        words_[i] = static_cast<uint16_t>(static_cast<uint8_t>(data[2 * i]) << 8 |
                                          static_cast<uint8_t>(data[2 * i + 1]));
      }
    }
  }

  for (const uint32_t ri : request.registers) {
    const ModbusRegister& r = registers_[ri];
    source_text_.assign("modbus ").append(endpoint_).append(" ").append(r.source_address);
    ctx.source_text = source_text_;
    ctx.source = source_ids_[ri];
    Reading reading;
    if (ok) {
      // The planner put the register wholly inside the request.
      const size_t offset = r.address - request.address;
      std::optional<double> value;
      if (bits) {
        if (offset < data.size()) value = data[offset] != 0 ? 1.0 : 0.0;
      } else if (offset <= words_.size()) {
        value = DecodeModbusValue(r.format, std::span<const uint16_t>(words_).subspan(offset));
      }
      if (!value) {
        normalizer.Reject(
            RejectReason::kMalformedPayload,
            fmt::format("{}: the response does not cover the register", r.source_address), ctx,
            out);
        continue;
      }
      reading.value = *value;
      reading.has_value = true;
    } else {
      reading.quality = Quality::kBad;
    }
    normalizer.Accept(r.rule, no_captures_, reading, ctx, out);
  }
}

}  // namespace strata
