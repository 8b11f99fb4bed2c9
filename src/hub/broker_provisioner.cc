#include "hub/broker_provisioner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "core/clock.h"
#include "core/secret.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

using nlohmann::json;

constexpr std::string_view kControlTopic = "$CONTROL/dynamic-security/v1";
constexpr std::string_view kResponseTopic = "$CONTROL/dynamic-security/v1/response";
constexpr std::string_view kHubRole = "strata-hub";
constexpr int64_t kConnectWaitNs = 10 * kNsPerSec;
constexpr int64_t kAnswerWaitNs = 10 * kNsPerSec;
constexpr size_t kPasswordBytes = 24;  // 192 bits, 39 base32 characters

json Acl(std::string_view type, std::string_view topic) {
  return {{"acltype", type}, {"topic", topic}, {"priority", 0}, {"allow", true}};
}

bool IsAlreadyExists(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition &&
         s.message().find("already exists") != std::string::npos;
}

std::string EdgeRole(std::string_view edge_id) { return fmt::format("strata-edge-{}", edge_id); }

}  // namespace

StatusOr<std::unique_ptr<DynsecProvisioner>> DynsecProvisioner::Start(
    const MqttBrokerConfig& broker, const std::string& hub_id) {
  if (broker.username.empty()) {
    return InvalidArgumentError(
        "uplink.provisioning: dynsec needs uplink.username (and password_env): the admin login "
        "of mosquitto's dynamic security plugin, made by scripts/broker-dynsec.sh");
  }
  std::unique_ptr<DynsecProvisioner> p(new DynsecProvisioner());
  p->hub_username_ = broker.username;
  MqttPublisher::Options o = PublisherOptionsFor(broker);
  o.client_id = fmt::format("strata-hub-{}-provisioner", hub_id);
  o.clean_session = true;
  o.wait_for_broker = false;
  o.subscriptions = {std::string(kResponseTopic)};
  DynsecProvisioner* self = p.get();
  o.on_message = [self](std::string_view, std::string_view payload) { self->OnMessage(payload); };
  STRATA_ASSIGN_OR_RETURN(p->client_, MqttPublisher::Connect(o, 0));
  p->setup_ = std::thread([self] { self->SetUp(); });
  return p;
}

DynsecProvisioner::~DynsecProvisioner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (setup_.joinable()) setup_.join();
  client_.reset();
}

void DynsecProvisioner::SetUp() {
  std::string last_problem;
  while (true) {
    Status s;
    {
      std::lock_guard serial(command_mu_);
      s = EnsureHubRole();
    }
    if (s.ok()) return;
    if (s.message() != last_problem) {
      spdlog::warn("enrolment: cannot set up the hub's broker role yet: {}", s.message());
      last_problem = s.message();
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, std::chrono::seconds(2), [&] { return stopping_; })) return;
  }
}

void DynsecProvisioner::OnMessage(std::string_view payload) {
  const json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.contains("responses") || !doc["responses"].is_array()) return;
  std::lock_guard lock(mu_);
  for (const json& r : doc["responses"]) {
    if (!r.is_object() || r.value("correlationData", "") != waiting_for_) continue;
    answer_ = r;
    cv_.notify_all();
  }
}

StatusOr<json> DynsecProvisioner::Command(json command) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kConnectWaitNs);
  // In slices, so that a stopping hub is not held up by a broker that is away.
  while (!client_->WaitConnected(kNsPerSec / 5)) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return CancelledError("the hub is stopping");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return UnavailableError(
          "the uplink broker is not reachable (or refused the hub's login): no edge can be given "
          "its MQTT login now; try again when it is");
    }
  }
  const std::string name = command.value("command", "");
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = fmt::format("strata-{}", ++next_id_);
    waiting_for_ = id;
    answer_.reset();
  }
  command["correlationData"] = id;
  const json message = {{"commands", json::array({command})}};
  STRATA_RETURN_IF_ERROR(client_->Publish(kControlTopic, message.dump(), 1, false, kAnswerWaitNs));
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(kAnswerWaitNs),
               [&] { return answer_.has_value() || stopping_; });
  if (!answer_.has_value()) {
    waiting_for_.clear();
    if (stopping_) return CancelledError("the hub is stopping");
    return UnavailableError(
        fmt::format("the broker did not answer the dynamic security command '{}' within {} s: is "
                    "mosquitto's dynamic security plugin loaded, and is uplink.username its admin "
                    "(scripts/broker-dynsec.sh)?",
                    name, kAnswerWaitNs / kNsPerSec));
  }
  const json response = std::move(*answer_);
  waiting_for_.clear();
  answer_.reset();
  if (response.contains("error") && response["error"].is_string()) {
    return FailedPreconditionError(
        fmt::format("dynamic security '{}': {}", name, response["error"].get<std::string>()));
  }
  return response.contains("data") ? response["data"] : json();
}

Status DynsecProvisioner::EnsureHubRole() {
  if (hub_role_done_) return Status::Ok();
  // Checked, not given: giving a role to a connected login makes the broker disconnect its
  // sessions (the hub's ingest among them). scripts/broker-dynsec.sh gives it up front.
  STRATA_ASSIGN_OR_RETURN(json hub,
                          Command({{"command", "getClient"}, {"username", hub_username_}}));
  bool has_role = false;
  if (hub.contains("client") && hub["client"].contains("roles")) {
    for (const json& r : hub["client"]["roles"]) has_role |= r.value("rolename", "") == kHubRole;
  }
  if (!has_role) {
    return FailedPreconditionError(fmt::format(
        "the hub's broker login '{}' does not have the role '{}' (read and write strata/v1/#): "
        "set the broker up with scripts/broker-dynsec.sh, or give it the role with "
        "mosquitto_ctrl dynsec addClientRole",
        hub_username_, kHubRole));
  }
  hub_role_done_ = true;
  spdlog::info("enrolment: on; the hub's broker login '{}' has the role '{}'", hub_username_,
               kHubRole);
  return Status::Ok();
}

StatusOr<MqttCredentials> DynsecProvisioner::ProvisionEdge(std::string_view tenant,
                                                           std::string_view edge_id) {
  std::lock_guard serial(command_mu_);
  if (edge_id == hub_username_) {
    return FailedPreconditionError(fmt::format(
        "edge id '{}' is the hub's own broker login; give the edge another id", edge_id));
  }
  STRATA_RETURN_IF_ERROR(EnsureHubRole());
  const std::string role = EdgeRole(edge_id);
  const json acls = json::array({
      Acl("publishClientSend", UplinkTopic(tenant, edge_id, "+")),
      Acl("publishClientSend", ReportedTopic(tenant, edge_id)),
      Acl("subscribePattern", AckTopic(tenant, edge_id)),
      Acl("subscribePattern", DesiredTopic(tenant, edge_id)),
  });
  // The role of an edge enrolling again is made afresh: its tenant may have changed.
  Status deleted = Command({{"command", "deleteRole"}, {"rolename", role}}).status();
  if (!deleted.ok() && deleted.code() != StatusCode::kFailedPrecondition) return deleted;
  STRATA_RETURN_IF_ERROR(
      Command({{"command", "createRole"}, {"rolename", role}, {"acls", acls}}).status());

  STRATA_ASSIGN_OR_RETURN(std::string password, RandomBase32(kPasswordBytes));
  const std::string username(edge_id);
  Status client =
      Command({{"command", "createClient"},
               {"username", username},
               {"password", password},
               {"textname", fmt::format("strata edge {} of tenant {}", edge_id, tenant)},
               {"roles", json::array({{{"rolename", role}, {"priority", 0}}})}})
          .status();
  if (IsAlreadyExists(client)) {
    STRATA_RETURN_IF_ERROR(
        Command({{"command", "setClientPassword"}, {"username", username}, {"password", password}})
            .status());
    // deleteRole took the role off the client: add it back.
    STRATA_RETURN_IF_ERROR(Command({{"command", "addClientRole"},
                                    {"username", username},
                                    {"rolename", role},
                                    {"priority", 0}})
                               .status());
    STRATA_RETURN_IF_ERROR(Command({{"command", "enableClient"}, {"username", username}}).status());
  } else if (!client.ok()) {
    return client;
  }
  return MqttCredentials{username, std::move(password)};
}

}  // namespace strata
