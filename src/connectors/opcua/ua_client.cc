#include "connectors/opcua/ua_client.h"

#include <algorithm>

namespace strata::opcua {
namespace {

DateTime Now() {
  return DateTime::FromUnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// The policy id of a user token policy of `type` on a SecurityPolicy None endpoint, or "".
std::string FindTokenPolicy(const CreateSessionResponse& session, UserTokenType type) {
  for (const EndpointDescription& e : session.server_endpoints) {
    if (e.security_mode != MessageSecurityMode::kNone) continue;
    for (const UserTokenPolicy& p : e.user_identity_tokens) {
      // A token policy with a security policy of its own would need the password encrypted.
      if (p.token_type == type &&
          (p.security_policy_uri.empty() || p.security_policy_uri == kSecurityPolicyNone)) {
        return p.policy_id;
      }
    }
  }
  return "";
}

}  // namespace

void UaClient::FillHeader(RequestHeader* header, SteadyTime deadline) {
  header->authentication_token = authentication_token_;
  header->timestamp = Now();
  header->request_handle = next_handle_++;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  header->timeout_hint = static_cast<uint32_t>(std::clamp<int64_t>(left, 1, 600'000));
}

Status UaClient::OpenSession(const std::string& endpoint_url, const std::string& session_name,
                             const UserIdentity& identity, double session_timeout_ms,
                             SteadyTime deadline) {
  authentication_token_ = NodeId();
  CreateSessionRequest create;
  create.client_description.application_uri = "urn:strata:edge";
  create.client_description.product_uri = "urn:strata";
  create.client_description.application_name.text = "Strata edge";
  create.client_description.application_type = ApplicationType::kClient;
  create.endpoint_url = endpoint_url;
  create.session_name = session_name;
  create.requested_session_timeout = session_timeout_ms;
  create.max_response_message_size = channel_->max_response_size();
  CreateSessionResponse created;
  STRATA_RETURN_IF_ERROR(Call(create, &created, deadline));

  ActivateSessionRequest activate;
  if (identity.kind == UserIdentity::Kind::kAnonymous) {
    const std::string policy = FindTokenPolicy(created, UserTokenType::kAnonymous);
    if (policy.empty()) {
      return FailedPreconditionError(
          "the server offers no anonymous login on a SecurityPolicy None endpoint; configure "
          "identity: {user: ..., password: ...}");
    }
    activate.user_identity_token = MakeAnonymousIdentityToken(policy);
  } else {
    const std::string policy = FindTokenPolicy(created, UserTokenType::kUserName);
    if (policy.empty()) {
      return FailedPreconditionError(
          "the server offers no user name login without encryption on a SecurityPolicy None "
          "endpoint (an encrypted password needs a secure policy, not supported yet)");
    }
    activate.user_identity_token =
        MakeUserNameIdentityToken(policy, identity.user_name, identity.password);
  }
  // ActivateSession is the first request that carries the session's token.
  authentication_token_ = created.authentication_token;
  ActivateSessionResponse activated;
  Status s = Call(activate, &activated, deadline);
  if (!s.ok()) {
    authentication_token_ = NodeId();
    const uint32_t result = activated.response_header.service_result;
    if (result == kBadUserAccessDenied || result == kBadIdentityTokenInvalid ||
        result == kBadIdentityTokenRejected) {
      return FailedPreconditionError(fmt::format("the server rejected the {} login: {}",
                                                 identity.kind == UserIdentity::Kind::kAnonymous
                                                     ? "anonymous"
                                                     : "user '" + identity.user_name + "'",
                                                 DescribeUaStatus(result)));
    }
    return s;
  }
  return Status::Ok();
}

void UaClient::CloseSession(SteadyTime deadline) {
  if (!has_session()) return;
  CloseSessionRequest request;
  request.delete_subscriptions = true;
  uint32_t id = 0;
  if (Send(request, &id, deadline).ok()) {
    SecureChannel::Response raw;
    // Publish responses may still arrive first.
    while (channel_->Receive(&raw, deadline).ok() && raw.request_id != id) {
    }
  }
  authentication_token_ = NodeId();
}

}  // namespace strata::opcua
