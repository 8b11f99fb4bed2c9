#include "connectors/opcua/opcua_message_handler.h"

#include <fmt/format.h>

#include "connectors/opcua/opcua_message.h"
#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_types.h"

namespace strata {

OpcuaMessageHandler::OpcuaMessageHandler(const OpcuaConnectorConfig& config,
                                         std::shared_ptr<SourceCatalog> sources)
    : endpoint_(config.endpoint), sources_(std::move(sources)) {
  for (const OpcuaItem& item : config.items) {
    rules_.push_back(item.rule);
    addresses_.push_back(item.address);
    source_ids_.push_back(sources_->Intern("opcua", endpoint_, item.address));
  }
}

void OpcuaMessageHandler::Handle(const RawMessage& message, Normalizer& normalizer,
                                 WriteBatch* out) {
  MessageContext ctx;
  ctx.payload = message.payload;
  ctx.receive_ts_ns = message.receive_ts_ns;
  const std::string_view payload(message.payload);
  const auto kind = ParseOpcuaHeader(payload);
  const std::string_view body = payload.substr(std::min(payload.size(), kOpcuaHeaderSize));
  auto reject = [&](std::string detail) {
    source_text_.assign("opcua ").append(endpoint_);
    ctx.source_text = source_text_;
    normalizer.Reject(RejectReason::kMalformedPayload, std::move(detail), ctx, out);
  };
  if (!kind) return reject("not a message of this OPC UA connector");

  if (*kind == OpcuaMessageKind::kResolved) {
    uint32_t item = 0;
    if (body.size() < 4) return reject("a node id resolution without an item");
    std::memcpy(&item, body.data(), 4);
    if (item >= rules_.size()) return reject(fmt::format("item {} is not configured", item));
    addresses_[item] = std::string(body.substr(4));
    source_ids_[item] = sources_->Intern("opcua", endpoint_, addresses_[item]);
    return;
  }
  if (body.size() % sizeof(OpcuaValueRecord) != 0) {
    return reject(fmt::format("{} bytes of value records, not a multiple of {}", body.size(),
                              sizeof(OpcuaValueRecord)));
  }
  for (size_t at = 0; at < body.size(); at += sizeof(OpcuaValueRecord)) {
    OpcuaValueRecord r;
    std::memcpy(&r, body.data() + at, sizeof(r));
    if (r.item >= rules_.size()) {
      reject(fmt::format("item {} is not configured", r.item));
      continue;
    }
    source_text_.assign("opcua ").append(endpoint_).append(" ").append(addresses_[r.item]);
    ctx.source_text = source_text_;
    ctx.source = source_ids_[r.item];
    Reading reading;
    if (r.ts_ns != 0) reading.ts_ns = r.ts_ns;
    if (opcua::IsBad(r.status)) {
      reading.quality = Quality::kBad;
    } else {
      if (!r.has_value) {
        normalizer.Reject(
            RejectReason::kWrongType,
            fmt::format("{}: a value of type {}; OPC UA items feed numeric signals (numbers "
                        "and Booleans)",
                        addresses_[r.item],
                        opcua::BuiltinTypeName(static_cast<opcua::BuiltinType>(r.type))),
            ctx, out);
        continue;
      }
      if (opcua::IsUncertain(r.status)) reading.quality = Quality::kUncertain;
      reading.value = r.value;
      reading.has_value = true;
    }
    normalizer.Accept(rules_[r.item], no_captures_, reading, ctx, out);
  }
}

}  // namespace strata
