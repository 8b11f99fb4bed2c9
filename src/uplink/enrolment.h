// Enrolment, the edge's first conversation with the hub (docs/uplink.md#enrolment): an edge
// that has only a bootstrap token asks the hub's API for its own MQTT login, once, and keeps
// it. The request and answer bodies of POST /api/v1/enrol, shared by the hub (which answers)
// and the edge (which asks):
//
//   request:  {"edge_id": "edge-1", "tenant": "acme"}
//   answer:   {"edge_id", "tenant", "mqtt": {"username", "password"},
//              "topics": {"uplink", "ack", "reported", "desired"}}
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// An edge's own login on the uplink broker: the username is the edge id.
struct MqttCredentials {
  std::string username;
  std::string password;
};

struct EnrolRequest {
  std::string edge_id;
  std::string tenant;
};

struct EnrolAnswer {
  std::string edge_id;
  std::string tenant;
  MqttCredentials mqtt;
};

std::string EncodeEnrolRequest(const EnrolRequest& request);
// InvalidArgument naming the key for a body that is not {"edge_id": ..., "tenant": ...} with
// two valid topic levels (uplink_topics.h) and nothing else.
StatusOr<EnrolRequest> DecodeEnrolRequest(std::string_view body);

// The answer's JSON, with the topics the edge may use.
std::string EncodeEnrolAnswer(const EnrolAnswer& answer);
// InvalidArgument naming what is missing.
StatusOr<EnrolAnswer> DecodeEnrolAnswer(std::string_view body);

}  // namespace strata
