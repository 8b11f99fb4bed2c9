#include "connectors/opcua/ua_attribute_services.h"

#include "connectors/opcua/ua_struct_codec.h"

namespace strata::opcua {
namespace {

template <class V, class S>
Status ReadValueIdFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("NodeId", x.node_id));
  STRATA_RETURN_IF_ERROR(v("AttributeId", x.attribute_id));
  STRATA_RETURN_IF_ERROR(v("IndexRange", x.index_range));
  return v("DataEncoding", x.data_encoding);
}

template <class V, class S>
Status ReadRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("MaxAge", x.max_age));
  STRATA_RETURN_IF_ERROR(v("TimestampsToReturn", x.timestamps_to_return));
  return v("NodesToRead", x.nodes_to_read);
}

template <class V, class S>
Status ReadResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

}  // namespace

STRATA_UA_STRUCT_CODEC(ReadValueId)
STRATA_UA_STRUCT_CODEC(ReadRequest)
STRATA_UA_STRUCT_CODEC(ReadResponse)

}  // namespace strata::opcua
