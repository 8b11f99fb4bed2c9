// What every OPC UA service message shares (OPC 10000-4 §7.32, §7.33, §7.34): the request and
// response headers, ServiceFault, and the envelope of a message body in a MSG/OPN/CLO chunk:
// the NodeId of the message's binary encoding, then its fields.
//
// The services themselves, one header per service set:
//   ua_session_services.h       OpenSecureChannel, CloseSecureChannel, CreateSession,
//                               ActivateSession, CloseSession
//   ua_view_services.h          Browse, BrowseNext, TranslateBrowsePathsToNodeIds
//   ua_attribute_services.h     Read
//   ua_subscription_services.h  CreateSubscription, CreateMonitoredItems, Publish, Republish
//
// Every message struct names its binary encoding id (kBinaryEncodingId) and its type
// (kTypeName). The ids are the "<Type>_Encoding_DefaultBinary" rows of the OPC Foundation's
// NodeIds.csv (github.com/OPCFoundation/UA-Nodeset, Schema/NodeIds.csv), all in namespace 0.
// Field order follows Opc.Ua.Types.bsd in the same repository.
//
// Usage, by the secure channel that frames the bodies:
//   std::string body;
//   EncodeMessage(read_request, &body);                 // then chunk it (ua_tcp.h)
//   ReadResponse response;
//   Status s = DecodeMessage(chunk.body, &response);    // after reassembling the chunks
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_types.h"
#include "connectors/opcua/ua_variant.h"
#include "core/status.h"

// Declares the codec of a structure: Decode(Decoder&, Type*) and Encode(Encoder&, const Type&).
#define STRATA_UA_DECLARE_CODEC(Type)               \
  [[nodiscard]] Status Decode(Decoder& d, Type* v); \
  void Encode(Encoder& e, const Type& v);

namespace strata::opcua {

struct RequestHeader {
  NodeId authentication_token;  // from CreateSessionResponse; null before
  DateTime timestamp;
  uint32_t request_handle = 0;      // echoed in the response
  uint32_t return_diagnostics = 0;  // bit mask, OPC 10000-4 §7.32; 0 = none
  std::string audit_entry_id;
  uint32_t timeout_hint = 0;  // ms; 0 = no timeout
  ExtensionObject additional_header;

  friend bool operator==(const RequestHeader&, const RequestHeader&) = default;
};

struct ResponseHeader {
  DateTime timestamp;
  uint32_t request_handle = 0;
  uint32_t service_result = 0;  // a status code (ua_status_codes.h)
  DiagnosticInfo service_diagnostics;
  std::vector<std::string> string_table;
  ExtensionObject additional_header;

  friend bool operator==(const ResponseHeader&, const ResponseHeader&) = default;
};

// What a server sends instead of any response when the service as a whole failed.
struct ServiceFault {
  static constexpr uint32_t kBinaryEncodingId = 397;
  static constexpr std::string_view kTypeName = "ServiceFault";
  ResponseHeader response_header;

  friend bool operator==(const ServiceFault&, const ServiceFault&) = default;
};

STRATA_UA_DECLARE_CODEC(RequestHeader)
STRATA_UA_DECLARE_CODEC(ResponseHeader)
STRATA_UA_DECLARE_CODEC(ServiceFault)

// Reads the NodeId that starts every message body; it must be numeric in namespace 0.
[[nodiscard]] Status ReadMessageTypeId(Decoder& d, uint32_t* type_id);
// The binary encoding id of the message in `body`, without decoding the rest.
StatusOr<uint32_t> PeekMessageTypeId(std::span<const uint8_t> body);

// Appends the envelope of `message` (type id, then fields) to *out.
template <class M>
void EncodeMessage(const M& message, std::string* out) {
  Encoder e(out);
  Encode(e, NodeId::Numeric(0, M::kBinaryEncodingId));
  Encode(e, message);
}

namespace internal {
// The error for a body whose type id is not the expected one. For a ServiceFault the fault's
// header is decoded into *fault_header (when not null) and the error is FailedPrecondition
// naming the server's status code; anything else is InvalidArgument.
Status UnexpectedMessage(Decoder& d, uint32_t type_id, uint32_t expected_id,
                         std::string_view expected_name, ResponseHeader* fault_header);
}  // namespace internal

// Decodes a whole message body (envelope included) that must hold an M; trailing bytes are an
// error. `base_offset` is the body's offset within its chunk, for error messages.
//   - malformed bytes: InvalidArgument / ResourceExhausted with the path and byte offset;
//   - another message type: InvalidArgument naming both;
//   - a ServiceFault in place of a response: FailedPrecondition naming the fault's status
//     code, and out->response_header holds the fault's header (service_result says which).
// Decoding into the same *out again reuses its vectors' capacity.
template <class M>
[[nodiscard]] Status DecodeMessage(std::span<const uint8_t> body, M* out,
                                   const DecodeLimits& limits = DecodeLimits(),
                                   size_t base_offset = 0) {
  Decoder d(body, limits, base_offset);
  uint32_t type_id = 0;
  Status s = ReadMessageTypeId(d, &type_id);
  if (!s.ok()) return internal::WithField(s, M::kTypeName);
  if (type_id != M::kBinaryEncodingId) {
    ResponseHeader* fault_header = nullptr;
    if constexpr (requires { out->response_header; }) fault_header = &out->response_header;
    return internal::UnexpectedMessage(d, type_id, M::kBinaryEncodingId, M::kTypeName,
                                       fault_header);
  }
  s = Decode(d, out);
  if (s.ok()) s = d.ExpectEnd("end of message");
  return s.ok() ? s : internal::WithField(s, M::kTypeName);
}

template <class M>
[[nodiscard]] Status DecodeMessage(std::string_view body, M* out,
                                   const DecodeLimits& limits = DecodeLimits(),
                                   size_t base_offset = 0) {
  return DecodeMessage(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(body.data()), body.size()), out,
      limits, base_offset);
}

}  // namespace strata::opcua
