#include "connectors/opcua/ua_test_util.h"

#include <cctype>
#include <string>

#include "connectors/opcua/ua_status_codes.h"

namespace strata::opcua::testing {

std::string Bytes(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c))
                      ? c - '0'
                      : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<char>(pending * 16 + v));
      pending = -1;
    }
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

RequestHeader SampleRequestHeader() {
  RequestHeader h;
  h.authentication_token = NodeId::Opaque(1, "\x01\x02\x03\x04");
  h.timestamp = DateTime::FromUnixNanos(1'732'350'000'123'456'700);
  h.request_handle = 77;
  h.return_diagnostics = 0x3FF;
  h.audit_entry_id = "audit-1";
  h.timeout_hint = 10'000;
  return h;
}

ResponseHeader SampleResponseHeader() {
  ResponseHeader h;
  h.timestamp = DateTime::FromUnixNanos(1'732'350'000'200'000'000);
  h.request_handle = 77;
  h.service_result = kGood;
  h.service_diagnostics.symbolic_id = 0;
  h.service_diagnostics.additional_info = "ok";
  h.string_table = {"vendor.ns", "NoAccess"};
  return h;
}

DataValue SampleDataValue(double value, uint32_t status) {
  DataValue v;
  v.value = MakeVariant(value);
  v.status = status;
  v.source_timestamp = DateTime::FromUnixNanos(1'732'350'000'000'000'000);
  v.server_timestamp = DateTime::FromUnixNanos(1'732'350'000'000'500'000);
  return v;
}

OpenSecureChannelRequest SampleOpenSecureChannelRequest() {
  OpenSecureChannelRequest r;
  r.request_header = SampleRequestHeader();
  r.client_protocol_version = 0;
  r.request_type = SecurityTokenRequestType::kRenew;
  r.security_mode = MessageSecurityMode::kNone;
  r.client_nonce.value = "n";
  r.requested_lifetime = 600'000;
  return r;
}

OpenSecureChannelResponse SampleOpenSecureChannelResponse() {
  OpenSecureChannelResponse r;
  r.response_header = SampleResponseHeader();
  r.server_protocol_version = 0;
  r.security_token = {7, 3, DateTime::FromUnixNanos(1'732'350'000'000'000'000), 600'000};
  r.server_nonce.value = "s";
  return r;
}

CloseSecureChannelRequest SampleCloseSecureChannelRequest() { return {SampleRequestHeader()}; }

CloseSecureChannelResponse SampleCloseSecureChannelResponse() { return {SampleResponseHeader()}; }

namespace {

ApplicationDescription SampleApplication(ApplicationType type) {
  ApplicationDescription a;
  a.application_uri = "urn:strata:edge";
  a.product_uri = "urn:strata";
  a.application_name = {"en", "Strata edge"};
  a.application_type = type;
  a.discovery_urls = {"opc.tcp://edge:4840"};
  return a;
}

}  // namespace

CreateSessionRequest SampleCreateSessionRequest() {
  CreateSessionRequest r;
  r.request_header = SampleRequestHeader();
  r.client_description = SampleApplication(ApplicationType::kClient);
  r.server_uri = "urn:plant:server";
  r.endpoint_url = "opc.tcp://plc:4840";
  r.session_name = "strata-edge-1";
  r.client_nonce.value = std::string(32, 'x');
  r.requested_session_timeout = 60'000;
  r.max_response_message_size = 1 << 24;
  return r;
}

CreateSessionResponse SampleCreateSessionResponse() {
  CreateSessionResponse r;
  r.response_header = SampleResponseHeader();
  r.session_id = NodeId::Numeric(1, 100'000);
  r.authentication_token =
      NodeId::FromGuid(0, *Guid::Parse("72962B91-FA75-4AE6-8D28-B404DC7DAF63"));
  r.revised_session_timeout = 30'000;
  r.server_nonce.value = std::string(32, 's');
  EndpointDescription ep;
  ep.endpoint_url = "opc.tcp://plc:4840";
  ep.server = SampleApplication(ApplicationType::kServer);
  ep.security_mode = MessageSecurityMode::kNone;
  ep.security_policy_uri = "http://opcfoundation.org/UA/SecurityPolicy#None";
  ep.user_identity_tokens = {{"anonymous", UserTokenType::kAnonymous, "", "", ""},
                             {"username", UserTokenType::kUserName, "", "", ""}};
  ep.transport_profile_uri = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary";
  ep.security_level = 1;
  r.server_endpoints = {ep};
  r.server_software_certificates = {{{"cert"}, {"sig"}}};
  r.server_signature = {"", {}};
  r.max_request_message_size = 1 << 22;
  return r;
}

ActivateSessionRequest SampleActivateSessionRequest() {
  ActivateSessionRequest r;
  r.request_header = SampleRequestHeader();
  r.locale_ids = {"en-US", "de-DE"};
  r.user_identity_token = MakeUserNameIdentityToken("username", "operator", "s3cret");
  return r;
}

ActivateSessionResponse SampleActivateSessionResponse() {
  ActivateSessionResponse r;
  r.response_header = SampleResponseHeader();
  r.server_nonce.value = "nonce";
  r.results = {kGood, kBadUserAccessDenied};
  r.diagnostic_infos.resize(2);
  r.diagnostic_infos[1].inner_status_code = kBadIdentityTokenRejected;
  return r;
}

CloseSessionRequest SampleCloseSessionRequest() {
  CloseSessionRequest r;
  r.request_header = SampleRequestHeader();
  r.delete_subscriptions = false;
  return r;
}

CloseSessionResponse SampleCloseSessionResponse() { return {SampleResponseHeader()}; }

BrowseRequest SampleBrowseRequest() {
  BrowseRequest r;
  r.request_header = SampleRequestHeader();
  r.view.view_version = 2;
  r.requested_max_references_per_node = 500;
  BrowseDescription b;
  b.node_id = NodeId::Numeric(0, kObjectsFolderId);
  b.browse_direction = BrowseDirection::kBoth;
  b.node_class_mask = static_cast<uint32_t>(NodeClass::kVariable);
  r.nodes_to_browse = {b, b};
  r.nodes_to_browse[1].node_id = NodeId::String(2, "Line1");
  return r;
}

namespace {

BrowseResult SampleBrowseResult() {
  BrowseResult result;
  result.status_code = kGood;
  result.continuation_point.value = "cp-1";
  ReferenceDescription ref;
  ref.reference_type_id = NodeId::Numeric(0, kHasComponentId);
  ref.is_forward = true;
  ref.node_id.node_id = NodeId::String(2, "Line1.Pump7.Speed");
  ref.node_id.namespace_uri = "urn:plant";
  ref.browse_name = {2, "Speed"};
  ref.display_name = {"", "Speed"};
  ref.node_class = NodeClass::kVariable;
  ref.type_definition.node_id = NodeId::Numeric(0, 63);
  result.references = {ref, ref};
  result.references[1].node_id.server_index = 1;
  return result;
}

}  // namespace

BrowseResponse SampleBrowseResponse() {
  BrowseResponse r;
  r.response_header = SampleResponseHeader();
  r.results = {SampleBrowseResult()};
  return r;
}

BrowseNextRequest SampleBrowseNextRequest() {
  BrowseNextRequest r;
  r.request_header = SampleRequestHeader();
  r.release_continuation_points = true;
  r.continuation_points = {{"cp-1"}, {"cp-2"}};
  return r;
}

BrowseNextResponse SampleBrowseNextResponse() {
  BrowseNextResponse r;
  r.response_header = SampleResponseHeader();
  r.results = {SampleBrowseResult(), BrowseResult{kBadContinuationPointInvalid, {}, {}}};
  return r;
}

TranslateBrowsePathsToNodeIdsRequest SampleTranslateRequest() {
  TranslateBrowsePathsToNodeIdsRequest r;
  r.request_header = SampleRequestHeader();
  BrowsePath path;
  path.starting_node = NodeId::Numeric(0, kObjectsFolderId);
  RelativePathElement element;
  element.target_name = {2, "Line1"};
  path.relative_path.elements = {element, element};
  path.relative_path.elements[1].target_name = {2, "Pump7"};
  path.relative_path.elements[1].is_inverse = true;
  r.browse_paths = {path};
  return r;
}

TranslateBrowsePathsToNodeIdsResponse SampleTranslateResponse() {
  TranslateBrowsePathsToNodeIdsResponse r;
  r.response_header = SampleResponseHeader();
  BrowsePathResult result;
  result.status_code = kGood;
  BrowsePathTarget target;
  target.target_id.node_id = NodeId::String(2, "Line1.Pump7");
  result.targets = {target};
  r.results = {result, BrowsePathResult{kBadNotFound, {}}};
  return r;
}

ReadRequest SampleReadRequest() {
  ReadRequest r;
  r.request_header = SampleRequestHeader();
  r.max_age = 500;
  r.timestamps_to_return = TimestampsToReturn::kSource;
  ReadValueId id;
  id.node_id = NodeId::String(2, "Line1.Pump7.Speed");
  id.index_range = "0:9";
  id.data_encoding = {0, "Default Binary"};
  r.nodes_to_read = {id, ReadValueId{NodeId::Numeric(0, 2258), kAttributeValue, "", {}}};
  return r;
}

ReadResponse SampleReadResponse() {
  ReadResponse r;
  r.response_header = SampleResponseHeader();
  DataValue text;
  text.value = MakeVariant(LocalizedText{"en", "running"});
  text.status = kUncertainLastUsableValue;
  DataValue array;
  array.value = MakeVariant(std::vector<float>{0.5f, -1.25f, 3.0f});
  array.source_picoseconds = 42;
  r.results = {SampleDataValue(21.5), text, array, DataValue{}};
  r.diagnostic_infos.resize(1);
  r.diagnostic_infos[0].additional_info = "clamped";
  return r;
}

CreateSubscriptionRequest SampleCreateSubscriptionRequest() {
  CreateSubscriptionRequest r;
  r.request_header = SampleRequestHeader();
  r.requested_publishing_interval = 250;
  r.requested_lifetime_count = 120;
  r.requested_max_keep_alive_count = 20;
  r.max_notifications_per_publish = 1000;
  r.publishing_enabled = true;
  r.priority = 5;
  return r;
}

CreateSubscriptionResponse SampleCreateSubscriptionResponse() {
  CreateSubscriptionResponse r;
  r.response_header = SampleResponseHeader();
  r.subscription_id = 9;
  r.revised_publishing_interval = 500;
  r.revised_lifetime_count = 60;
  r.revised_max_keep_alive_count = 10;
  return r;
}

CreateMonitoredItemsRequest SampleCreateMonitoredItemsRequest() {
  CreateMonitoredItemsRequest r;
  r.request_header = SampleRequestHeader();
  r.subscription_id = 9;
  r.timestamps_to_return = TimestampsToReturn::kBoth;
  MonitoredItemCreateRequest item;
  item.item_to_monitor.node_id = NodeId::String(2, "Line1.Pump7.Speed");
  item.requested_parameters.client_handle = 1;
  item.requested_parameters.sampling_interval = 100;
  item.requested_parameters.filter =
      ToExtensionObject(DataChangeFilter{DataChangeTrigger::kStatusValue, kDeadbandAbsolute, 0.5});
  item.requested_parameters.queue_size = 10;
  item.requested_parameters.discard_oldest = false;
  r.items_to_create = {item, item};
  r.items_to_create[1].requested_parameters.client_handle = 2;
  r.items_to_create[1].monitoring_mode = MonitoringMode::kSampling;
  return r;
}

CreateMonitoredItemsResponse SampleCreateMonitoredItemsResponse() {
  CreateMonitoredItemsResponse r;
  r.response_header = SampleResponseHeader();
  r.results = {{kGood, 1001, 100, 10, {}}, {kBadNodeIdUnknown, 0, 0, 0, {}}};
  return r;
}

PublishRequest SamplePublishRequest() {
  PublishRequest r;
  r.request_header = SampleRequestHeader();
  r.subscription_acknowledgements = {{9, 41}, {9, 42}};
  return r;
}

namespace {

NotificationMessage SampleNotificationMessage(size_t items) {
  NotificationMessage m;
  m.sequence_number = 43;
  m.publish_time = DateTime::FromUnixNanos(1'732'350'001'000'000'000);
  for (size_t i = 0; i < items; ++i) {
    m.data_changes.push_back(
        {static_cast<uint32_t>(i + 1), SampleDataValue(static_cast<double>(i) * 0.5)});
  }
  StatusChangeNotification status;
  status.status = kBadTimeout;
  m.status_changes = {status};
  ExtensionObject events;
  events.type_id = NodeId::Numeric(0, kEventNotificationListEncodingId);
  events.encoding = BodyEncoding::kByteString;
  events.body = Bytes("00 00 00 00");  // an empty EventFieldList array
  m.other_notifications = {events};
  return m;
}

}  // namespace

PublishResponse SamplePublishResponse(size_t items) {
  PublishResponse r;
  r.response_header = SampleResponseHeader();
  r.subscription_id = 9;
  r.available_sequence_numbers = {42, 43};
  r.more_notifications = true;
  r.notification_message = SampleNotificationMessage(items);
  r.results = {kGood, kBadSequenceNumberUnknown};
  return r;
}

RepublishRequest SampleRepublishRequest() {
  RepublishRequest r;
  r.request_header = SampleRequestHeader();
  r.subscription_id = 9;
  r.retransmit_sequence_number = 40;
  return r;
}

RepublishResponse SampleRepublishResponse() {
  RepublishResponse r;
  r.response_header = SampleResponseHeader();
  r.notification_message = SampleNotificationMessage(2);
  return r;
}

ServiceFault SampleServiceFault(uint32_t code) {
  ServiceFault f;
  f.response_header.timestamp = DateTime::FromUnixNanos(1'732'350'000'000'000'000);
  f.response_header.request_handle = 77;
  f.response_header.service_result = code;
  return f;
}

}  // namespace strata::opcua::testing
