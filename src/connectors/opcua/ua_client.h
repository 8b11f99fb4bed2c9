// UaClient: a session on a SecureChannel (OPC 10000-4 §5.6): CreateSession, ActivateSession
// (anonymous or user name), service calls with a filled RequestHeader, CloseSession.
//
// Call() is for one request at a time (set-up, Read, Browse...). Once Publish requests are
// outstanding, the caller sends with Send() and routes what Receive() returns by request id.
//
// Threading: one thread (see SecureChannel).
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "connectors/opcua/ua_secure_channel.h"
#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_status_codes.h"
#include "core/status.h"

namespace strata::opcua {

struct UserIdentity {
  enum class Kind { kAnonymous, kUserName };
  Kind kind = Kind::kAnonymous;
  std::string user_name;
  std::string password;
};

class UaClient {
 public:
  // `channel` must outlive the client.
  explicit UaClient(SecureChannel* channel) : channel_(channel) {}

  // CreateSession + ActivateSession on the open channel. The identity token's policy id comes
  // from the server's endpoint description for SecurityPolicy None; a server that offers no
  // such login (or rejects the credentials) is FailedPrecondition naming what is missing.
  [[nodiscard]] Status OpenSession(const std::string& endpoint_url, const std::string& session_name,
                                   const UserIdentity& identity, double session_timeout_ms,
                                   SteadyTime deadline);
  // CloseSession (deleting its subscriptions), best effort.
  void CloseSession(SteadyTime deadline);

  // Fills the request header (session token, handle, timestamp, timeout hint) and sends.
  template <class Request>
  [[nodiscard]] Status Send(Request& request, uint32_t* request_id, SteadyTime deadline) {
    FillHeader(&request.request_header, deadline);
    body_.clear();
    EncodeMessage(request, &body_);
    return channel_->Send(body_, request_id, deadline);
  }

  // Sends `request` and waits for its response (no other request may be outstanding). A
  // response whose service result is bad is FailedPrecondition naming the status.
  template <class Request, class Response>
  [[nodiscard]] Status Call(Request& request, Response* response, SteadyTime deadline) {
    uint32_t id = 0;
    STRATA_RETURN_IF_ERROR(Send(request, &id, deadline));
    SecureChannel::Response raw;
    for (;;) {
      STRATA_RETURN_IF_ERROR(channel_->Receive(&raw, deadline));
      if (raw.request_id == id) break;  // others: answers to requests given up on
    }
    STRATA_RETURN_IF_ERROR(DecodeMessage(raw.body, response));
    const uint32_t result = response->response_header.service_result;
    if (IsBad(result)) {
      return FailedPreconditionError(
          fmt::format("{} failed: {}", Response::kTypeName, DescribeUaStatus(result)));
    }
    return Status::Ok();
  }

  bool has_session() const { return !authentication_token_.is_null(); }
  SecureChannel& channel() { return *channel_; }

 private:
  void FillHeader(RequestHeader* header, SteadyTime deadline);

  SecureChannel* channel_;
  NodeId authentication_token_;
  uint32_t next_handle_ = 1;
  std::string body_;
};

}  // namespace strata::opcua
