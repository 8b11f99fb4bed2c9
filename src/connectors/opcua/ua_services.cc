#include "connectors/opcua/ua_services.h"

#include <string>

#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_struct_codec.h"

namespace strata::opcua {
namespace {

template <class V, class S>
Status RequestHeaderFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("AuthenticationToken", x.authentication_token));
  STRATA_RETURN_IF_ERROR(v("Timestamp", x.timestamp));
  STRATA_RETURN_IF_ERROR(v("RequestHandle", x.request_handle));
  STRATA_RETURN_IF_ERROR(v("ReturnDiagnostics", x.return_diagnostics));
  STRATA_RETURN_IF_ERROR(v("AuditEntryId", x.audit_entry_id));
  STRATA_RETURN_IF_ERROR(v("TimeoutHint", x.timeout_hint));
  return v("AdditionalHeader", x.additional_header);
}

template <class V, class S>
Status ResponseHeaderFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("Timestamp", x.timestamp));
  STRATA_RETURN_IF_ERROR(v("RequestHandle", x.request_handle));
  STRATA_RETURN_IF_ERROR(v("ServiceResult", x.service_result));
  STRATA_RETURN_IF_ERROR(v("ServiceDiagnostics", x.service_diagnostics));
  STRATA_RETURN_IF_ERROR(v("StringTable", x.string_table));
  return v("AdditionalHeader", x.additional_header);
}

template <class V, class S>
Status ServiceFaultFields(V& v, S& x) {
  return v("ResponseHeader", x.response_header);
}

}  // namespace

STRATA_UA_STRUCT_CODEC(RequestHeader)
STRATA_UA_STRUCT_CODEC(ResponseHeader)
STRATA_UA_STRUCT_CODEC(ServiceFault)

Status ReadMessageTypeId(Decoder& d, uint32_t* type_id) {
  const size_t at = d.position();
  NodeId id;
  Status s = Decode(d, &id);
  if (!s.ok()) return internal::WithField(s, "TypeId");
  if (id.kind != NodeId::Kind::kNumeric || id.namespace_index != 0) {
    return d.Error(StatusCode::kInvalidArgument, at, "message TypeId",
                   id.ToString() + " is not a numeric NodeId in namespace 0");
  }
  *type_id = id.numeric;
  return Status::Ok();
}

StatusOr<uint32_t> PeekMessageTypeId(std::span<const uint8_t> body) {
  Decoder d(body);
  uint32_t type_id = 0;
  STRATA_RETURN_IF_ERROR(ReadMessageTypeId(d, &type_id));
  return type_id;
}

namespace internal {

Status UnexpectedMessage(Decoder& d, uint32_t type_id, uint32_t expected_id,
                         std::string_view expected_name, ResponseHeader* fault_header) {
  const std::string expected =
      std::string(expected_name) + " (i=" + std::to_string(expected_id) + ")";
  if (type_id == ServiceFault::kBinaryEncodingId) {
    ServiceFault fault;
    Status s = Decode(d, &fault);
    if (s.ok()) s = d.ExpectEnd("end of message");
    if (!s.ok()) return WithField(s, ServiceFault::kTypeName);
    const uint32_t code = fault.response_header.service_result;
    if (fault_header != nullptr) *fault_header = std::move(fault.response_header);
    return FailedPreconditionError("server answered with a ServiceFault instead of " + expected +
                                   ": " + DescribeUaStatus(code));
  }
  return InvalidArgumentError("expected a " + expected +
                              " message, got type id i=" + std::to_string(type_id) +
                              " (a reply to another request, or a peer speaking another "
                              "protocol version)");
}

}  // namespace internal
}  // namespace strata::opcua
