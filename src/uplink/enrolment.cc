#include "uplink/enrolment.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "uplink/uplink_topics.h"

namespace strata {
namespace {

using nlohmann::json;

StatusOr<std::string> StringKey(const json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end()) {
    return InvalidArgumentError(fmt::format("{}: key '{}' is required", where, key));
  }
  if (!it->is_string()) {
    return InvalidArgumentError(fmt::format("{}: key '{}' must be a string", where, key));
  }
  return it->get<std::string>();
}

}  // namespace

std::string EncodeEnrolRequest(const EnrolRequest& request) {
  return json{{"edge_id", request.edge_id}, {"tenant", request.tenant}}.dump();
}

StatusOr<EnrolRequest> DecodeEnrolRequest(std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError(
        "the body must be a JSON object: {\"edge_id\": \"edge-1\", \"tenant\": \"acme\"}");
  }
  for (const auto& [key, value] : doc.items()) {
    if (key != "edge_id" && key != "tenant") {
      return InvalidArgumentError(
          fmt::format("unknown key '{}' in the body; it takes: edge_id, tenant", key.substr(0, 64)));
    }
  }
  EnrolRequest r;
  STRATA_ASSIGN_OR_RETURN(r.edge_id, StringKey(doc, "edge_id", "the body"));
  STRATA_ASSIGN_OR_RETURN(r.tenant, StringKey(doc, "tenant", "the body"));
  if (Status s = ValidateTopicId(r.edge_id, "key 'edge_id'"); !s.ok()) return s;
  if (Status s = ValidateTopicId(r.tenant, "key 'tenant'"); !s.ok()) return s;
  return r;
}

std::string EncodeEnrolAnswer(const EnrolAnswer& answer) {
  return json{{"edge_id", answer.edge_id},
              {"tenant", answer.tenant},
              {"mqtt", {{"username", answer.mqtt.username}, {"password", answer.mqtt.password}}},
              {"topics",
               {{"uplink", UplinkTopic(answer.tenant, answer.edge_id, "+")},
                {"ack", AckTopic(answer.tenant, answer.edge_id)},
                {"reported", ReportedTopic(answer.tenant, answer.edge_id)},
                {"desired", DesiredTopic(answer.tenant, answer.edge_id)}}}}
      .dump();
}

StatusOr<EnrolAnswer> DecodeEnrolAnswer(std::string_view body) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("the hub's enrolment answer is not a JSON object");
  }
  EnrolAnswer a;
  STRATA_ASSIGN_OR_RETURN(a.edge_id, StringKey(doc, "edge_id", "the hub's enrolment answer"));
  STRATA_ASSIGN_OR_RETURN(a.tenant, StringKey(doc, "tenant", "the hub's enrolment answer"));
  auto mqtt = doc.find("mqtt");
  if (mqtt == doc.end() || !mqtt->is_object()) {
    return InvalidArgumentError("the hub's enrolment answer has no 'mqtt' object");
  }
  STRATA_ASSIGN_OR_RETURN(a.mqtt.username, StringKey(*mqtt, "username", "the hub's answer, mqtt"));
  STRATA_ASSIGN_OR_RETURN(a.mqtt.password, StringKey(*mqtt, "password", "the hub's answer, mqtt"));
  if (a.mqtt.username.empty() || a.mqtt.password.empty()) {
    return InvalidArgumentError("the hub's enrolment answer has an empty username or password");
  }
  return a;
}

}  // namespace strata
