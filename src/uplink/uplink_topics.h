// The MQTT namespace between edges and hubs (docs/uplink.md):
//
//   strata/v1/<tenant>/edge/<edge-id>/up/<stream>   edge → hub, uplink batches (QoS 1)
//   strata/v1/<tenant>/edge/<edge-id>/ack           hub → edge, {"stream":"obs","through":N}
//   strata/v1/<tenant>/edge/<edge-id>/desired       hub → edge, retained desired state
//   strata/v1/<tenant>/edge/<edge-id>/reported      edge → hub, applied state and heartbeats
//
// Tenant and edge ids are one topic level each: [A-Za-z0-9_.-], 1..64 characters.
// Thread-safe: free functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// InvalidArgument naming `what` ("edge id", "tenant") when `id` cannot be a topic level.
Status ValidateTopicId(std::string_view id, std::string_view what);

std::string UplinkTopic(std::string_view tenant, std::string_view edge_id, std::string_view stream);
std::string AckTopic(std::string_view tenant, std::string_view edge_id);
std::string DesiredTopic(std::string_view tenant, std::string_view edge_id);
std::string ReportedTopic(std::string_view tenant, std::string_view edge_id);

// What a hub subscribes to for every edge's uplink, optionally as an MQTT 5 shared
// subscription ("$share/<group>/..."), so that several hubs split the load.
std::string UplinkSubscription(std::string_view shared_group);  // "" = not shared
std::string ReportedSubscription(std::string_view shared_group);

// The parts of an edge topic (up/<stream>, ack, desired, reported); nullopt for anything else.
struct EdgeTopic {
  std::string tenant;
  std::string edge_id;
  std::string kind;    // "up", "ack", "desired", "reported"
  std::string stream;  // for "up"
};
std::optional<EdgeTopic> ParseEdgeTopic(std::string_view topic);

// The hub's acknowledgement: `stream` of the edge is durably stored through `through`.
struct UplinkAck {
  std::string stream;
  uint64_t through = 0;
};
std::string EncodeAck(const UplinkAck& ack);
StatusOr<UplinkAck> DecodeAck(std::string_view payload);

}  // namespace strata
