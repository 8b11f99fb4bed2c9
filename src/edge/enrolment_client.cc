#include "edge/enrolment_client.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace strata {

StatusOr<MqttCredentials> LoadCredentials(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return NotFoundError(fmt::format("no credentials file '{}' yet", path));
    return UnavailableError(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  StatusOr<EnrolAnswer> answer = DecodeEnrolAnswer(text.str());
  if (!answer.ok()) {
    return DataLossError(fmt::format(
        "the credentials file '{}' is damaged ({}); move it away and the edge enrols again "
        "(an admin must re-admit it on the hub: strata hub edge add)",
        path, answer.status().message()));
  }
  return answer->mqtt;
}

Status SaveCredentials(const std::string& path, const EnrolAnswer& answer) {
  const std::string text = EncodeEnrolAnswer(answer) + "\n";
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError(fmt::format("cannot write '{}': {}", tmp, std::strerror(errno)));
  }
  ::fchmod(fd, 0600);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      return UnavailableError(fmt::format("cannot write '{}': {}", tmp, err));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError(
        fmt::format("cannot save the credentials to '{}': {}", path, std::strerror(errno)));
  }
  if (!parent.empty()) {
    const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }
  return Status::Ok();
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
    return InvalidArgumentError(fmt::format(
        "uplink.enrol.hub '{}' is not a URL like http://hub:8080 or https://hub:8443",
        options.hub_url));
  }
  const auto timeout = std::chrono::nanoseconds(options.timeout_ns);
  client.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file.c_str());
  client.enable_server_certificate_verification(true);
  const httplib::Headers headers = {{"Authorization", "Bearer " + options.token}};
  httplib::Result res = client.Post("/api/v1/enrol", headers,
                                    EncodeEnrolRequest({edge_id, tenant}), "application/json");
  if (!res) {
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
    const std::string text =
        fmt::format("the hub at {} refused to enrol edge '{}' ({}): {}", options.hub_url, edge_id,
                    res->status, why);
    if (res->status >= 500) return UnavailableError(text);
    return FailedPreconditionError(text);
  }
  STRATA_ASSIGN_OR_RETURN(EnrolAnswer answer, DecodeEnrolAnswer(res->body));
  if (answer.edge_id != edge_id || answer.tenant != tenant) {
    return FailedPreconditionError(fmt::format(
        "the hub at {} answered for edge '{}' of tenant '{}', not '{}' of '{}'", options.hub_url,
        answer.edge_id, answer.tenant, edge_id, tenant));
  }
  return answer;
}

}  // namespace strata
