// SecureChannel and Session service messages (OPC 10000-4 §5.5, §5.6): OpenSecureChannel,
// CloseSecureChannel, CreateSession, ActivateSession, CloseSession, and the user identity
// tokens that ActivateSession carries. Encoding ids: NodeIds.csv (see ua_services.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/opcua/ua_services.h"

namespace strata::opcua {

enum class SecurityTokenRequestType : int32_t { kIssue = 0, kRenew = 1 };
enum class MessageSecurityMode : int32_t {
  kInvalid = 0,
  kNone = 1,
  kSign = 2,
  kSignAndEncrypt = 3
};
enum class ApplicationType : int32_t {
  kServer = 0,
  kClient = 1,
  kClientAndServer = 2,
  kDiscoveryServer = 3,
};
enum class UserTokenType : int32_t { kAnonymous = 0, kUserName = 1, kCertificate = 2, kIssued = 3 };

struct ChannelSecurityToken {
  uint32_t channel_id = 0;
  uint32_t token_id = 0;
  DateTime created_at;
  uint32_t revised_lifetime = 0;  // ms

  friend bool operator==(const ChannelSecurityToken&, const ChannelSecurityToken&) = default;
};

struct OpenSecureChannelRequest {
  static constexpr uint32_t kBinaryEncodingId = 446;
  static constexpr std::string_view kTypeName = "OpenSecureChannelRequest";
  RequestHeader request_header;
  uint32_t client_protocol_version = 0;
  SecurityTokenRequestType request_type = SecurityTokenRequestType::kIssue;
  MessageSecurityMode security_mode = MessageSecurityMode::kNone;
  ByteString client_nonce;          // empty for SecurityPolicy None
  uint32_t requested_lifetime = 0;  // ms

  friend bool operator==(const OpenSecureChannelRequest&,
                         const OpenSecureChannelRequest&) = default;
};

struct OpenSecureChannelResponse {
  static constexpr uint32_t kBinaryEncodingId = 449;
  static constexpr std::string_view kTypeName = "OpenSecureChannelResponse";
  ResponseHeader response_header;
  uint32_t server_protocol_version = 0;
  ChannelSecurityToken security_token;
  ByteString server_nonce;

  friend bool operator==(const OpenSecureChannelResponse&,
                         const OpenSecureChannelResponse&) = default;
};

struct CloseSecureChannelRequest {
  static constexpr uint32_t kBinaryEncodingId = 452;
  static constexpr std::string_view kTypeName = "CloseSecureChannelRequest";
  RequestHeader request_header;

  friend bool operator==(const CloseSecureChannelRequest&,
                         const CloseSecureChannelRequest&) = default;
};

struct CloseSecureChannelResponse {
  static constexpr uint32_t kBinaryEncodingId = 455;
  static constexpr std::string_view kTypeName = "CloseSecureChannelResponse";
  ResponseHeader response_header;

  friend bool operator==(const CloseSecureChannelResponse&,
                         const CloseSecureChannelResponse&) = default;
};

struct ApplicationDescription {
  std::string application_uri;
  std::string product_uri;
  LocalizedText application_name;
  ApplicationType application_type = ApplicationType::kClient;
  std::string gateway_server_uri;
  std::string discovery_profile_uri;
  std::vector<std::string> discovery_urls;

  friend bool operator==(const ApplicationDescription&, const ApplicationDescription&) = default;
};

struct UserTokenPolicy {
  std::string policy_id;  // goes into the identity token's policy_id
  UserTokenType token_type = UserTokenType::kAnonymous;
  std::string issued_token_type;
  std::string issuer_endpoint_url;
  std::string security_policy_uri;  // empty: the endpoint's policy applies

  friend bool operator==(const UserTokenPolicy&, const UserTokenPolicy&) = default;
};

struct EndpointDescription {
  std::string endpoint_url;
  ApplicationDescription server;
  ByteString server_certificate;
  MessageSecurityMode security_mode = MessageSecurityMode::kNone;
  std::string security_policy_uri;
  std::vector<UserTokenPolicy> user_identity_tokens;
  std::string transport_profile_uri;
  uint8_t security_level = 0;

  friend bool operator==(const EndpointDescription&, const EndpointDescription&) = default;
};

struct SignedSoftwareCertificate {
  ByteString certificate_data;
  ByteString signature;

  friend bool operator==(const SignedSoftwareCertificate&,
                         const SignedSoftwareCertificate&) = default;
};

struct SignatureData {
  std::string algorithm;  // empty for SecurityPolicy None
  ByteString signature;

  friend bool operator==(const SignatureData&, const SignatureData&) = default;
};

struct CreateSessionRequest {
  static constexpr uint32_t kBinaryEncodingId = 461;
  static constexpr std::string_view kTypeName = "CreateSessionRequest";
  RequestHeader request_header;
  ApplicationDescription client_description;
  std::string server_uri;
  std::string endpoint_url;
  std::string session_name;
  ByteString client_nonce;  // at least 32 bytes when security is used; may be empty for None
  ByteString client_certificate;
  double requested_session_timeout = 0;    // ms
  uint32_t max_response_message_size = 0;  // 0 = no limit

  friend bool operator==(const CreateSessionRequest&, const CreateSessionRequest&) = default;
};

struct CreateSessionResponse {
  static constexpr uint32_t kBinaryEncodingId = 464;
  static constexpr std::string_view kTypeName = "CreateSessionResponse";
  ResponseHeader response_header;
  NodeId session_id;
  NodeId authentication_token;         // goes into every later RequestHeader
  double revised_session_timeout = 0;  // ms
  ByteString server_nonce;
  ByteString server_certificate;
  std::vector<EndpointDescription> server_endpoints;
  std::vector<SignedSoftwareCertificate> server_software_certificates;
  SignatureData server_signature;
  uint32_t max_request_message_size = 0;

  friend bool operator==(const CreateSessionResponse&, const CreateSessionResponse&) = default;
};

// Identity tokens travel as ExtensionObjects in ActivateSessionRequest::user_identity_token.
struct AnonymousIdentityToken {
  static constexpr uint32_t kBinaryEncodingId = 321;
  std::string policy_id;

  friend bool operator==(const AnonymousIdentityToken&, const AnonymousIdentityToken&) = default;
};

struct UserNameIdentityToken {
  static constexpr uint32_t kBinaryEncodingId = 324;
  std::string policy_id;
  std::string user_name;
  ByteString password;               // UTF-8 bytes; plain when encryption_algorithm is empty
  std::string encryption_algorithm;  // empty: not encrypted (SecurityPolicy None only)

  friend bool operator==(const UserNameIdentityToken&, const UserNameIdentityToken&) = default;
};

// The anonymous token for the endpoint's Anonymous UserTokenPolicy (its policy_id).
ExtensionObject MakeAnonymousIdentityToken(std::string policy_id);
// A user name token with the password in plain text. Only for an endpoint or user token
// policy with SecurityPolicy None: the password crosses the network readable.
ExtensionObject MakeUserNameIdentityToken(std::string policy_id, std::string user_name,
                                          std::string_view password);

struct ActivateSessionRequest {
  static constexpr uint32_t kBinaryEncodingId = 467;
  static constexpr std::string_view kTypeName = "ActivateSessionRequest";
  RequestHeader request_header;
  SignatureData client_signature;
  std::vector<SignedSoftwareCertificate> client_software_certificates;
  std::vector<std::string> locale_ids;
  ExtensionObject user_identity_token;
  SignatureData user_token_signature;

  friend bool operator==(const ActivateSessionRequest&, const ActivateSessionRequest&) = default;
};

struct ActivateSessionResponse {
  static constexpr uint32_t kBinaryEncodingId = 470;
  static constexpr std::string_view kTypeName = "ActivateSessionResponse";
  ResponseHeader response_header;
  ByteString server_nonce;
  std::vector<uint32_t> results;  // one status per client software certificate
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const ActivateSessionResponse&, const ActivateSessionResponse&) = default;
};

struct CloseSessionRequest {
  static constexpr uint32_t kBinaryEncodingId = 473;
  static constexpr std::string_view kTypeName = "CloseSessionRequest";
  RequestHeader request_header;
  bool delete_subscriptions = true;

  friend bool operator==(const CloseSessionRequest&, const CloseSessionRequest&) = default;
};

struct CloseSessionResponse {
  static constexpr uint32_t kBinaryEncodingId = 476;
  static constexpr std::string_view kTypeName = "CloseSessionResponse";
  ResponseHeader response_header;

  friend bool operator==(const CloseSessionResponse&, const CloseSessionResponse&) = default;
};

STRATA_UA_DECLARE_CODEC(ChannelSecurityToken)
STRATA_UA_DECLARE_CODEC(OpenSecureChannelRequest)
STRATA_UA_DECLARE_CODEC(OpenSecureChannelResponse)
STRATA_UA_DECLARE_CODEC(CloseSecureChannelRequest)
STRATA_UA_DECLARE_CODEC(CloseSecureChannelResponse)
STRATA_UA_DECLARE_CODEC(ApplicationDescription)
STRATA_UA_DECLARE_CODEC(UserTokenPolicy)
STRATA_UA_DECLARE_CODEC(EndpointDescription)
STRATA_UA_DECLARE_CODEC(SignedSoftwareCertificate)
STRATA_UA_DECLARE_CODEC(SignatureData)
STRATA_UA_DECLARE_CODEC(CreateSessionRequest)
STRATA_UA_DECLARE_CODEC(CreateSessionResponse)
STRATA_UA_DECLARE_CODEC(AnonymousIdentityToken)
STRATA_UA_DECLARE_CODEC(UserNameIdentityToken)
STRATA_UA_DECLARE_CODEC(ActivateSessionRequest)
STRATA_UA_DECLARE_CODEC(ActivateSessionResponse)
STRATA_UA_DECLARE_CODEC(CloseSessionRequest)
STRATA_UA_DECLARE_CODEC(CloseSessionResponse)

}  // namespace strata::opcua
