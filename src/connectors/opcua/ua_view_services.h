// View service messages (OPC 10000-4 §5.8): Browse, BrowseNext and
// TranslateBrowsePathsToNodeIds, for finding the nodes a mapping names. Encoding ids:
// NodeIds.csv (see ua_services.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "connectors/opcua/ua_services.h"

namespace strata::opcua {

// A few well-known nodes (NodeIds.csv, namespace 0).
inline constexpr uint32_t kRootFolderId = 84;
inline constexpr uint32_t kObjectsFolderId = 85;
inline constexpr uint32_t kHierarchicalReferencesId = 33;
inline constexpr uint32_t kOrganizesId = 35;
inline constexpr uint32_t kHasPropertyId = 46;
inline constexpr uint32_t kHasComponentId = 47;

enum class BrowseDirection : int32_t { kForward = 0, kInverse = 1, kBoth = 2 };

// Bits of a node class mask; the NodeClass of a node is one of them.
enum class NodeClass : int32_t {
  kUnspecified = 0,
  kObject = 1,
  kVariable = 2,
  kMethod = 4,
  kObjectType = 8,
  kVariableType = 16,
  kReferenceType = 32,
  kDataType = 64,
  kView = 128,
};

// BrowseDescription::result_mask: which ReferenceDescription fields the server fills.
inline constexpr uint32_t kBrowseResultAll = 63;

struct ViewDescription {
  NodeId view_id;  // null: the whole address space
  DateTime timestamp;
  uint32_t view_version = 0;

  friend bool operator==(const ViewDescription&, const ViewDescription&) = default;
};

struct BrowseDescription {
  NodeId node_id;
  BrowseDirection browse_direction = BrowseDirection::kForward;
  NodeId reference_type_id = NodeId::Numeric(0, kHierarchicalReferencesId);
  bool include_subtypes = true;
  uint32_t node_class_mask = 0;  // 0: all classes
  uint32_t result_mask = kBrowseResultAll;

  friend bool operator==(const BrowseDescription&, const BrowseDescription&) = default;
};

struct ReferenceDescription {
  NodeId reference_type_id;
  bool is_forward = true;
  ExpandedNodeId node_id;
  QualifiedName browse_name;
  LocalizedText display_name;
  NodeClass node_class = NodeClass::kUnspecified;
  ExpandedNodeId type_definition;

  friend bool operator==(const ReferenceDescription&, const ReferenceDescription&) = default;
};

struct BrowseResult {
  uint32_t status_code = 0;
  ByteString continuation_point;  // non-empty: more references via BrowseNext
  std::vector<ReferenceDescription> references;

  friend bool operator==(const BrowseResult&, const BrowseResult&) = default;
};

struct BrowseRequest {
  static constexpr uint32_t kBinaryEncodingId = 527;
  static constexpr std::string_view kTypeName = "BrowseRequest";
  RequestHeader request_header;
  ViewDescription view;
  uint32_t requested_max_references_per_node = 0;  // 0: server decides
  std::vector<BrowseDescription> nodes_to_browse;

  friend bool operator==(const BrowseRequest&, const BrowseRequest&) = default;
};

struct BrowseResponse {
  static constexpr uint32_t kBinaryEncodingId = 530;
  static constexpr std::string_view kTypeName = "BrowseResponse";
  ResponseHeader response_header;
  std::vector<BrowseResult> results;
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const BrowseResponse&, const BrowseResponse&) = default;
};

struct BrowseNextRequest {
  static constexpr uint32_t kBinaryEncodingId = 533;
  static constexpr std::string_view kTypeName = "BrowseNextRequest";
  RequestHeader request_header;
  bool release_continuation_points = false;
  std::vector<ByteString> continuation_points;

  friend bool operator==(const BrowseNextRequest&, const BrowseNextRequest&) = default;
};

struct BrowseNextResponse {
  static constexpr uint32_t kBinaryEncodingId = 536;
  static constexpr std::string_view kTypeName = "BrowseNextResponse";
  ResponseHeader response_header;
  std::vector<BrowseResult> results;
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const BrowseNextResponse&, const BrowseNextResponse&) = default;
};

struct RelativePathElement {
  NodeId reference_type_id = NodeId::Numeric(0, kHierarchicalReferencesId);
  bool is_inverse = false;
  bool include_subtypes = true;
  QualifiedName target_name;

  friend bool operator==(const RelativePathElement&, const RelativePathElement&) = default;
};

struct RelativePath {
  std::vector<RelativePathElement> elements;

  friend bool operator==(const RelativePath&, const RelativePath&) = default;
};

struct BrowsePath {
  NodeId starting_node;
  RelativePath relative_path;

  friend bool operator==(const BrowsePath&, const BrowsePath&) = default;
};

struct BrowsePathTarget {
  ExpandedNodeId target_id;
  uint32_t remaining_path_index = UINT32_MAX;  // UINT32_MAX: the whole path was followed

  friend bool operator==(const BrowsePathTarget&, const BrowsePathTarget&) = default;
};

struct BrowsePathResult {
  uint32_t status_code = 0;
  std::vector<BrowsePathTarget> targets;

  friend bool operator==(const BrowsePathResult&, const BrowsePathResult&) = default;
};

struct TranslateBrowsePathsToNodeIdsRequest {
  static constexpr uint32_t kBinaryEncodingId = 554;
  static constexpr std::string_view kTypeName = "TranslateBrowsePathsToNodeIdsRequest";
  RequestHeader request_header;
  std::vector<BrowsePath> browse_paths;

  friend bool operator==(const TranslateBrowsePathsToNodeIdsRequest&,
                         const TranslateBrowsePathsToNodeIdsRequest&) = default;
};

struct TranslateBrowsePathsToNodeIdsResponse {
  static constexpr uint32_t kBinaryEncodingId = 557;
  static constexpr std::string_view kTypeName = "TranslateBrowsePathsToNodeIdsResponse";
  ResponseHeader response_header;
  std::vector<BrowsePathResult> results;
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const TranslateBrowsePathsToNodeIdsResponse&,
                         const TranslateBrowsePathsToNodeIdsResponse&) = default;
};

STRATA_UA_DECLARE_CODEC(ViewDescription)
STRATA_UA_DECLARE_CODEC(BrowseDescription)
STRATA_UA_DECLARE_CODEC(ReferenceDescription)
STRATA_UA_DECLARE_CODEC(BrowseResult)
STRATA_UA_DECLARE_CODEC(BrowseRequest)
STRATA_UA_DECLARE_CODEC(BrowseResponse)
STRATA_UA_DECLARE_CODEC(BrowseNextRequest)
STRATA_UA_DECLARE_CODEC(BrowseNextResponse)
STRATA_UA_DECLARE_CODEC(RelativePathElement)
STRATA_UA_DECLARE_CODEC(RelativePath)
STRATA_UA_DECLARE_CODEC(BrowsePath)
STRATA_UA_DECLARE_CODEC(BrowsePathTarget)
STRATA_UA_DECLARE_CODEC(BrowsePathResult)
STRATA_UA_DECLARE_CODEC(TranslateBrowsePathsToNodeIdsRequest)
STRATA_UA_DECLARE_CODEC(TranslateBrowsePathsToNodeIdsResponse)

}  // namespace strata::opcua
