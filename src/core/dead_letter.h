// A reading that failed decoding, mapping or validation. Never dropped silently: it is stored
// with why it was rejected and enough of the raw bytes to diagnose it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

// Why a reading was rejected. The names (RejectReasonName) are stable API: they appear in the
// dead-letter table, on /metrics and in the docs.
enum class RejectReason : uint8_t {
  kMalformedPayload = 0,  // not valid JSON / not a number
  kWrongType,             // a field has the wrong JSON type (e.g. string where a number is)
  kMissingField,          // a configured field is absent
  kNotFinite,             // NaN or +/-Inf
  kOutOfRange,            // outside the signal's valid range
  kUnknownTopic,          // no mapping rule matches the topic/address
  kUnknownAsset,          // the mapped asset is not in the asset model
  kUnknownSignal,         // the asset has no such signal
  kUnknownUnit,           // the unit code does not parse
  kUnitMismatch,          // the unit cannot convert to the signal's unit
  kWrongKind,             // scalar sent to a waveform signal or the reverse
  kTimestampInFuture,     // too far ahead of the edge clock
  kTimestampTooOld,       // before 2000-01-01
  kPayloadTooLarge,       // over the connector's max_payload
  kCount,                 // not a reason: the number of reasons
};

inline constexpr int kRejectReasonCount = static_cast<int>(RejectReason::kCount);

std::string_view RejectReasonName(RejectReason reason);
// The reason with this name; nullopt for anything else.
std::optional<RejectReason> ParseRejectReason(std::string_view name);

struct DeadLetter {
  int64_t ts_ns = 0;  // when it was rejected (edge clock)
  RejectReason reason = RejectReason::kMalformedPayload;
  std::string source;   // e.g. "mqtt tcp://127.0.0.1:1883 plant/pump-1/temp"
  std::string detail;   // what exactly was wrong, for a person
  std::string payload;  // the raw bytes, capped (see kMaxDeadLetterPayload)
  bool payload_truncated = false;
  uint64_t seq = 0;  // per edge, stream "dlq"; assigned by the store when committed
};

// Raw payload bytes kept per dead letter.
inline constexpr size_t kMaxDeadLetterPayload = 4096;

// Builds a dead letter, capping the kept payload at kMaxDeadLetterPayload.
DeadLetter MakeDeadLetter(int64_t ts_ns, RejectReason reason, std::string source,
                          std::string detail, std::string_view payload);

}  // namespace strata
