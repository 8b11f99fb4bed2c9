// The RawMessages an OPC UA connector pushes. The connector decodes what the server sends
// (it must: sequence numbers to acknowledge, keep-alives, status changes) and passes the
// values on as fixed-size records, so the pipeline's handler does no OPC UA decoding.
//
//   byte 0      format version (1)
//   byte 1      OpcuaMessageKind
//   bytes 2-7   0
//   kValues:    OpcuaValueRecord × n (32 bytes each, host byte order: the message never
//               leaves the process)
//   kResolved:  UInt32 item index, then the node id text the item resolved to (a browse path
//               item, after TranslateBrowsePathsToNodeIds)
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace strata {

enum class OpcuaMessageKind : uint8_t { kValues = 1, kResolved = 2 };

inline constexpr size_t kOpcuaHeaderSize = 8;
inline constexpr uint8_t kOpcuaMessageVersion = 1;

struct OpcuaValueRecord {
  uint32_t item = 0;    // index into OpcuaConnectorConfig::items (the client handle)
  uint32_t status = 0;  // OPC UA StatusCode
  int64_t ts_ns = 0;    // source time (else server time); 0: none
  double value = 0;
  uint8_t type = 0;       // opcua::BuiltinType of the value (0: no value)
  uint8_t has_value = 0;  // the value is a number (numeric or Boolean scalar)
  uint8_t reserved[6] = {};
};
static_assert(sizeof(OpcuaValueRecord) == 32);

inline void AppendOpcuaHeader(OpcuaMessageKind kind, std::string* out) {
  const char header[kOpcuaHeaderSize] = {static_cast<char>(kOpcuaMessageVersion),
                                         static_cast<char>(kind)};
  out->append(header, kOpcuaHeaderSize);
}

inline void AppendOpcuaRecord(const OpcuaValueRecord& r, std::string* out) {
  out->append(reinterpret_cast<const char*>(&r), sizeof(r));
}

// The kind of `payload`, or nullopt for a payload of another version or kind.
inline std::optional<OpcuaMessageKind> ParseOpcuaHeader(std::string_view payload) {
  if (payload.size() < kOpcuaHeaderSize || payload[0] != kOpcuaMessageVersion) return std::nullopt;
  const auto kind = static_cast<OpcuaMessageKind>(payload[1]);
  if (kind != OpcuaMessageKind::kValues && kind != OpcuaMessageKind::kResolved) return std::nullopt;
  return kind;
}

}  // namespace strata
