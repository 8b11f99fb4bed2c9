// Attribute service messages (OPC 10000-4 §5.10): Read, and ReadValueId, which monitored
// items reuse. Encoding ids: NodeIds.csv (see ua_services.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/opcua/ua_services.h"

namespace strata::opcua {

// Attribute ids (OPC 10000-6 Annex A.1).
inline constexpr uint32_t kAttributeNodeId = 1;
inline constexpr uint32_t kAttributeNodeClass = 2;
inline constexpr uint32_t kAttributeBrowseName = 3;
inline constexpr uint32_t kAttributeDisplayName = 4;
inline constexpr uint32_t kAttributeDescription = 5;
inline constexpr uint32_t kAttributeValue = 13;
inline constexpr uint32_t kAttributeDataType = 14;
inline constexpr uint32_t kAttributeValueRank = 15;
inline constexpr uint32_t kAttributeArrayDimensions = 16;
inline constexpr uint32_t kAttributeAccessLevel = 17;
inline constexpr uint32_t kAttributeMinimumSamplingInterval = 19;

enum class TimestampsToReturn : int32_t { kSource = 0, kServer = 1, kBoth = 2, kNeither = 3 };

struct ReadValueId {
  NodeId node_id;
  uint32_t attribute_id = kAttributeValue;
  std::string index_range;      // empty: the whole value
  QualifiedName data_encoding;  // empty: the default encoding

  friend bool operator==(const ReadValueId&, const ReadValueId&) = default;
};

struct ReadRequest {
  static constexpr uint32_t kBinaryEncodingId = 631;
  static constexpr std::string_view kTypeName = "ReadRequest";
  RequestHeader request_header;
  double max_age = 0;  // ms; 0: read from the device
  TimestampsToReturn timestamps_to_return = TimestampsToReturn::kBoth;
  std::vector<ReadValueId> nodes_to_read;

  friend bool operator==(const ReadRequest&, const ReadRequest&) = default;
};

struct ReadResponse {
  static constexpr uint32_t kBinaryEncodingId = 634;
  static constexpr std::string_view kTypeName = "ReadResponse";
  ResponseHeader response_header;
  std::vector<DataValue> results;  // one per ReadValueId, in order
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const ReadResponse&, const ReadResponse&) = default;
};

STRATA_UA_DECLARE_CODEC(ReadValueId)
STRATA_UA_DECLARE_CODEC(ReadRequest)
STRATA_UA_DECLARE_CODEC(ReadResponse)

}  // namespace strata::opcua
