#include "edge/enrolment_client.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace strata {

StatusOr<MqttCredentials> LoadCredentials(const std::string& path) {
  StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("no credentials file '{}' yet", path));
    }
    return text.status();
  }
  StatusOr<EnrolAnswer> answer = DecodeEnrolAnswer(*text);
  if (!answer.ok()) {
    return DataLossError(fmt::format(
        "the credentials file '{}' is damaged ({}); move it away and the edge enrols again "
        "(an admin must re-admit it on the hub: strata hub edge add)",
        path, answer.status().message()));
  }
  return answer->mqtt;
}

Status SaveCredentials(const std::string& path, const EnrolAnswer& answer) {
  return WriteFileAtomically(path, EncodeEnrolAnswer(answer) + "\n", 0600);
}

StatusOr<EnrolAnswer> EnrolWithHub(const EnrolOptions& options, const std::string& tenant,
                                   const std::string& edge_id) {
  if (options.token.empty()) {
    return FailedPreconditionError(fmt::format(
        "no bootstrap token ({} is empty): make one on the hub with `strata hub token create "
        "--role bootstrap --name ...` and give it to this edge",
        options.token_source.empty() ? "uplink.enrol.token" : options.token_source));
  }
  httplib::Client client(options.hub_url);
  if (!client.is_valid()) {
    return InvalidArgumentError(
        fmt::format("uplink.enrol.hub '{}' is not a URL like http://hub:8080 or https://hub:8443",
                    options.hub_url));
  }
  const auto timeout = std::chrono::nanoseconds(options.timeout_ns);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file.c_str());
  client.enable_server_certificate_verification(true);
  const httplib::Headers headers = {{"Authorization", "Bearer " + options.token}};
  httplib::Result res = client.Post("/api/v1/enrol", headers, EncodeEnrolRequest({edge_id, tenant}),
                                    "application/json");
  if (!res) {
    if (res.error() == httplib::Error::SSLServerVerification) {
      // Retrying will not help until someone gives the edge the right CA.
      return FailedPreconditionError(fmt::format(
          "the hub at {} presented a certificate this edge does not trust: set "
          "uplink.enrol.ca_file to the CA that signed the hub's certificate ({})",
          options.hub_url,
          options.ca_file.empty() ? "now the system's CAs are used"
                                  : "now " + options.ca_file));
    }
    return UnavailableError(fmt::format("cannot reach the hub at {}: {}", options.hub_url,
                                        httplib::to_string(res.error())));
  }
  if (res->status != 201) {
    const nlohmann::json body = nlohmann::json::parse(res->body, nullptr, false);
    // The API's errors are {"error": {"code", "message"}}.
    std::string why = res->body.substr(0, 300);
    if (body.is_object() && body.contains("error") && body["error"].is_object() &&
        body["error"].contains("message") && body["error"]["message"].is_string()) {
      why = body["error"]["message"].get<std::string>();
    }
    const std::string text = fmt::format("the hub at {} refused to enrol edge '{}' ({}): {}",
                                         options.hub_url, edge_id, res->status, why);
    if (res->status >= 500) return UnavailableError(text);
    return FailedPreconditionError(text);
  }
  STRATA_ASSIGN_OR_RETURN(EnrolAnswer answer, DecodeEnrolAnswer(res->body));
  if (answer.edge_id != edge_id || answer.tenant != tenant) {
    return FailedPreconditionError(
        fmt::format("the hub at {} answered for edge '{}' of tenant '{}', not '{}' of '{}'",
                    options.hub_url, answer.edge_id, answer.tenant, edge_id, tenant));
  }
  return answer;
}

}  // namespace strata
