#include "connectors/opcua/ua_session_services.h"

#include <string>
#include <utility>

#include "connectors/opcua/ua_struct_codec.h"

namespace strata::opcua {
namespace {

template <class V, class S>
Status ChannelSecurityTokenFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ChannelId", x.channel_id));
  STRATA_RETURN_IF_ERROR(v("TokenId", x.token_id));
  STRATA_RETURN_IF_ERROR(v("CreatedAt", x.created_at));
  return v("RevisedLifetime", x.revised_lifetime);
}

template <class V, class S>
Status OpenSecureChannelRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("ClientProtocolVersion", x.client_protocol_version));
  STRATA_RETURN_IF_ERROR(v("RequestType", x.request_type));
  STRATA_RETURN_IF_ERROR(v("SecurityMode", x.security_mode));
  STRATA_RETURN_IF_ERROR(v("ClientNonce", x.client_nonce));
  return v("RequestedLifetime", x.requested_lifetime);
}

template <class V, class S>
Status OpenSecureChannelResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("ServerProtocolVersion", x.server_protocol_version));
  STRATA_RETURN_IF_ERROR(v("SecurityToken", x.security_token));
  return v("ServerNonce", x.server_nonce);
}

template <class V, class S>
Status CloseSecureChannelRequestFields(V& v, S& x) {
  return v("RequestHeader", x.request_header);
}

template <class V, class S>
Status CloseSecureChannelResponseFields(V& v, S& x) {
  return v("ResponseHeader", x.response_header);
}

template <class V, class S>
Status ApplicationDescriptionFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ApplicationUri", x.application_uri));
  STRATA_RETURN_IF_ERROR(v("ProductUri", x.product_uri));
  STRATA_RETURN_IF_ERROR(v("ApplicationName", x.application_name));
  STRATA_RETURN_IF_ERROR(v("ApplicationType", x.application_type));
  STRATA_RETURN_IF_ERROR(v("GatewayServerUri", x.gateway_server_uri));
  STRATA_RETURN_IF_ERROR(v("DiscoveryProfileUri", x.discovery_profile_uri));
  return v("DiscoveryUrls", x.discovery_urls);
}

template <class V, class S>
Status UserTokenPolicyFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("PolicyId", x.policy_id));
  STRATA_RETURN_IF_ERROR(v("TokenType", x.token_type));
  STRATA_RETURN_IF_ERROR(v("IssuedTokenType", x.issued_token_type));
  STRATA_RETURN_IF_ERROR(v("IssuerEndpointUrl", x.issuer_endpoint_url));
  return v("SecurityPolicyUri", x.security_policy_uri);
}

template <class V, class S>
Status EndpointDescriptionFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("EndpointUrl", x.endpoint_url));
  STRATA_RETURN_IF_ERROR(v("Server", x.server));
  STRATA_RETURN_IF_ERROR(v("ServerCertificate", x.server_certificate));
  STRATA_RETURN_IF_ERROR(v("SecurityMode", x.security_mode));
  STRATA_RETURN_IF_ERROR(v("SecurityPolicyUri", x.security_policy_uri));
  STRATA_RETURN_IF_ERROR(v("UserIdentityTokens", x.user_identity_tokens));
  STRATA_RETURN_IF_ERROR(v("TransportProfileUri", x.transport_profile_uri));
  return v("SecurityLevel", x.security_level);
}

template <class V, class S>
Status SignedSoftwareCertificateFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("CertificateData", x.certificate_data));
  return v("Signature", x.signature);
}

template <class V, class S>
Status SignatureDataFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("Algorithm", x.algorithm));
  return v("Signature", x.signature);
}

template <class V, class S>
Status CreateSessionRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("ClientDescription", x.client_description));
  STRATA_RETURN_IF_ERROR(v("ServerUri", x.server_uri));
  STRATA_RETURN_IF_ERROR(v("EndpointUrl", x.endpoint_url));
  STRATA_RETURN_IF_ERROR(v("SessionName", x.session_name));
  STRATA_RETURN_IF_ERROR(v("ClientNonce", x.client_nonce));
  STRATA_RETURN_IF_ERROR(v("ClientCertificate", x.client_certificate));
  STRATA_RETURN_IF_ERROR(v("RequestedSessionTimeout", x.requested_session_timeout));
  return v("MaxResponseMessageSize", x.max_response_message_size);
}

template <class V, class S>
Status CreateSessionResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("SessionId", x.session_id));
  STRATA_RETURN_IF_ERROR(v("AuthenticationToken", x.authentication_token));
  STRATA_RETURN_IF_ERROR(v("RevisedSessionTimeout", x.revised_session_timeout));
  STRATA_RETURN_IF_ERROR(v("ServerNonce", x.server_nonce));
  STRATA_RETURN_IF_ERROR(v("ServerCertificate", x.server_certificate));
  STRATA_RETURN_IF_ERROR(v("ServerEndpoints", x.server_endpoints));
  STRATA_RETURN_IF_ERROR(v("ServerSoftwareCertificates", x.server_software_certificates));
  STRATA_RETURN_IF_ERROR(v("ServerSignature", x.server_signature));
  return v("MaxRequestMessageSize", x.max_request_message_size);
}

template <class V, class S>
Status AnonymousIdentityTokenFields(V& v, S& x) {
  return v("PolicyId", x.policy_id);
}

template <class V, class S>
Status UserNameIdentityTokenFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("PolicyId", x.policy_id));
  STRATA_RETURN_IF_ERROR(v("UserName", x.user_name));
  STRATA_RETURN_IF_ERROR(v("Password", x.password));
  return v("EncryptionAlgorithm", x.encryption_algorithm);
}

template <class V, class S>
Status ActivateSessionRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("ClientSignature", x.client_signature));
  STRATA_RETURN_IF_ERROR(v("ClientSoftwareCertificates", x.client_software_certificates));
  STRATA_RETURN_IF_ERROR(v("LocaleIds", x.locale_ids));
  STRATA_RETURN_IF_ERROR(v("UserIdentityToken", x.user_identity_token));
  return v("UserTokenSignature", x.user_token_signature);
}

template <class V, class S>
Status ActivateSessionResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("ServerNonce", x.server_nonce));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status CloseSessionRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  return v("DeleteSubscriptions", x.delete_subscriptions);
}

template <class V, class S>
Status CloseSessionResponseFields(V& v, S& x) {
  return v("ResponseHeader", x.response_header);
}

}  // namespace

STRATA_UA_STRUCT_CODEC(ChannelSecurityToken)
STRATA_UA_STRUCT_CODEC(OpenSecureChannelRequest)
STRATA_UA_STRUCT_CODEC(OpenSecureChannelResponse)
STRATA_UA_STRUCT_CODEC(CloseSecureChannelRequest)
STRATA_UA_STRUCT_CODEC(CloseSecureChannelResponse)
STRATA_UA_STRUCT_CODEC(ApplicationDescription)
STRATA_UA_STRUCT_CODEC(UserTokenPolicy)
STRATA_UA_STRUCT_CODEC(EndpointDescription)
STRATA_UA_STRUCT_CODEC(SignedSoftwareCertificate)
STRATA_UA_STRUCT_CODEC(SignatureData)
STRATA_UA_STRUCT_CODEC(CreateSessionRequest)
STRATA_UA_STRUCT_CODEC(CreateSessionResponse)
STRATA_UA_STRUCT_CODEC(AnonymousIdentityToken)
STRATA_UA_STRUCT_CODEC(UserNameIdentityToken)
STRATA_UA_STRUCT_CODEC(ActivateSessionRequest)
STRATA_UA_STRUCT_CODEC(ActivateSessionResponse)
STRATA_UA_STRUCT_CODEC(CloseSessionRequest)
STRATA_UA_STRUCT_CODEC(CloseSessionResponse)

ExtensionObject MakeAnonymousIdentityToken(std::string policy_id) {
  AnonymousIdentityToken token;
  token.policy_id = std::move(policy_id);
  return ToExtensionObject(token);
}

ExtensionObject MakeUserNameIdentityToken(std::string policy_id, std::string user_name,
                                          std::string_view password) {
  UserNameIdentityToken token;
  token.policy_id = std::move(policy_id);
  token.user_name = std::move(user_name);
  token.password.value.assign(password);
  return ToExtensionObject(token);
}

}  // namespace strata::opcua
