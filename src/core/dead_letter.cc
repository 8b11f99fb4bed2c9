#include "core/dead_letter.h"

namespace strata {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kMalformedPayload:
      return "malformed_payload";
    case RejectReason::kWrongType:
      return "wrong_type";
    case RejectReason::kMissingField:
      return "missing_field";
    case RejectReason::kNotFinite:
      return "not_finite";
    case RejectReason::kOutOfRange:
      return "out_of_range";
    case RejectReason::kUnknownTopic:
      return "unknown_topic";
    case RejectReason::kUnknownAsset:
      return "unknown_asset";
    case RejectReason::kUnknownSignal:
      return "unknown_signal";
    case RejectReason::kUnknownUnit:
      return "unknown_unit";
    case RejectReason::kUnitMismatch:
      return "unit_mismatch";
    case RejectReason::kWrongKind:
      return "wrong_kind";
    case RejectReason::kTimestampInFuture:
      return "timestamp_in_future";
    case RejectReason::kTimestampTooOld:
      return "timestamp_too_old";
    case RejectReason::kPayloadTooLarge:
      return "payload_too_large";
    case RejectReason::kCount:
      break;
  }
  return "unknown";
}

std::optional<RejectReason> ParseRejectReason(std::string_view name) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    if (RejectReasonName(reason) == name) return reason;
  }
  return std::nullopt;
}

DeadLetter MakeDeadLetter(int64_t ts_ns, RejectReason reason, std::string source,
                          std::string detail, std::string_view payload) {
  DeadLetter d;
  d.ts_ns = ts_ns;
  d.reason = reason;
  d.source = std::move(source);
  d.detail = std::move(detail);
  d.payload_truncated = payload.size() > kMaxDeadLetterPayload;
  d.payload.assign(payload.substr(0, kMaxDeadLetterPayload));
  return d;
}

}  // namespace strata
