#include "connectors/opcua/ua_view_services.h"

#include "connectors/opcua/ua_struct_codec.h"

namespace strata::opcua {
namespace {

template <class V, class S>
Status ViewDescriptionFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ViewId", x.view_id));
  STRATA_RETURN_IF_ERROR(v("Timestamp", x.timestamp));
  return v("ViewVersion", x.view_version);
}

template <class V, class S>
Status BrowseDescriptionFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("NodeId", x.node_id));
  STRATA_RETURN_IF_ERROR(v("BrowseDirection", x.browse_direction));
  STRATA_RETURN_IF_ERROR(v("ReferenceTypeId", x.reference_type_id));
  STRATA_RETURN_IF_ERROR(v("IncludeSubtypes", x.include_subtypes));
  STRATA_RETURN_IF_ERROR(v("NodeClassMask", x.node_class_mask));
  return v("ResultMask", x.result_mask);
}

template <class V, class S>
Status ReferenceDescriptionFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ReferenceTypeId", x.reference_type_id));
  STRATA_RETURN_IF_ERROR(v("IsForward", x.is_forward));
  STRATA_RETURN_IF_ERROR(v("NodeId", x.node_id));
  STRATA_RETURN_IF_ERROR(v("BrowseName", x.browse_name));
  STRATA_RETURN_IF_ERROR(v("DisplayName", x.display_name));
  STRATA_RETURN_IF_ERROR(v("NodeClass", x.node_class));
  return v("TypeDefinition", x.type_definition);
}

template <class V, class S>
Status BrowseResultFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("StatusCode", x.status_code));
  STRATA_RETURN_IF_ERROR(v("ContinuationPoint", x.continuation_point));
  return v("References", x.references);
}

template <class V, class S>
Status BrowseRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("View", x.view));
  STRATA_RETURN_IF_ERROR(v("RequestedMaxReferencesPerNode", x.requested_max_references_per_node));
  return v("NodesToBrowse", x.nodes_to_browse);
}

template <class V, class S>
Status BrowseResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status BrowseNextRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("ReleaseContinuationPoints", x.release_continuation_points));
  return v("ContinuationPoints", x.continuation_points);
}

template <class V, class S>
Status BrowseNextResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status RelativePathElementFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ReferenceTypeId", x.reference_type_id));
  STRATA_RETURN_IF_ERROR(v("IsInverse", x.is_inverse));
  STRATA_RETURN_IF_ERROR(v("IncludeSubtypes", x.include_subtypes));
  return v("TargetName", x.target_name);
}

template <class V, class S>
Status RelativePathFields(V& v, S& x) {
  return v("Elements", x.elements);
}

template <class V, class S>
Status BrowsePathFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("StartingNode", x.starting_node));
  return v("RelativePath", x.relative_path);
}

template <class V, class S>
Status BrowsePathTargetFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("TargetId", x.target_id));
  return v("RemainingPathIndex", x.remaining_path_index);
}

template <class V, class S>
Status BrowsePathResultFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("StatusCode", x.status_code));
  return v("Targets", x.targets);
}

template <class V, class S>
Status TranslateBrowsePathsToNodeIdsRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  return v("BrowsePaths", x.browse_paths);
}

template <class V, class S>
Status TranslateBrowsePathsToNodeIdsResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

}  // namespace

STRATA_UA_STRUCT_CODEC(ViewDescription)
STRATA_UA_STRUCT_CODEC(BrowseDescription)
STRATA_UA_STRUCT_CODEC(ReferenceDescription)
STRATA_UA_STRUCT_CODEC(BrowseResult)
STRATA_UA_STRUCT_CODEC(BrowseRequest)
STRATA_UA_STRUCT_CODEC(BrowseResponse)
STRATA_UA_STRUCT_CODEC(BrowseNextRequest)
STRATA_UA_STRUCT_CODEC(BrowseNextResponse)
STRATA_UA_STRUCT_CODEC(RelativePathElement)
STRATA_UA_STRUCT_CODEC(RelativePath)
STRATA_UA_STRUCT_CODEC(BrowsePath)
STRATA_UA_STRUCT_CODEC(BrowsePathTarget)
STRATA_UA_STRUCT_CODEC(BrowsePathResult)
STRATA_UA_STRUCT_CODEC(TranslateBrowsePathsToNodeIdsRequest)
STRATA_UA_STRUCT_CODEC(TranslateBrowsePathsToNodeIdsResponse)

}  // namespace strata::opcua
