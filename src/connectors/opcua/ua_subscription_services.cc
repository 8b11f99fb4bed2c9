#include "connectors/opcua/ua_subscription_services.h"

#include <algorithm>
#include <span>
#include <utility>

#include "connectors/opcua/ua_struct_codec.h"

namespace strata::opcua {
namespace {

template <class V, class S>
Status DataChangeFilterFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("Trigger", x.trigger));
  STRATA_RETURN_IF_ERROR(v("DeadbandType", x.deadband_type));
  return v("DeadbandValue", x.deadband_value);
}

template <class V, class S>
Status CreateSubscriptionRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("RequestedPublishingInterval", x.requested_publishing_interval));
  STRATA_RETURN_IF_ERROR(v("RequestedLifetimeCount", x.requested_lifetime_count));
  STRATA_RETURN_IF_ERROR(v("RequestedMaxKeepAliveCount", x.requested_max_keep_alive_count));
  STRATA_RETURN_IF_ERROR(v("MaxNotificationsPerPublish", x.max_notifications_per_publish));
  STRATA_RETURN_IF_ERROR(v("PublishingEnabled", x.publishing_enabled));
  return v("Priority", x.priority);
}

template <class V, class S>
Status CreateSubscriptionResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("SubscriptionId", x.subscription_id));
  STRATA_RETURN_IF_ERROR(v("RevisedPublishingInterval", x.revised_publishing_interval));
  STRATA_RETURN_IF_ERROR(v("RevisedLifetimeCount", x.revised_lifetime_count));
  return v("RevisedMaxKeepAliveCount", x.revised_max_keep_alive_count);
}

template <class V, class S>
Status MonitoringParametersFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ClientHandle", x.client_handle));
  STRATA_RETURN_IF_ERROR(v("SamplingInterval", x.sampling_interval));
  STRATA_RETURN_IF_ERROR(v("Filter", x.filter));
  STRATA_RETURN_IF_ERROR(v("QueueSize", x.queue_size));
  return v("DiscardOldest", x.discard_oldest);
}

template <class V, class S>
Status MonitoredItemCreateRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ItemToMonitor", x.item_to_monitor));
  STRATA_RETURN_IF_ERROR(v("MonitoringMode", x.monitoring_mode));
  return v("RequestedParameters", x.requested_parameters);
}

template <class V, class S>
Status MonitoredItemCreateResultFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("StatusCode", x.status_code));
  STRATA_RETURN_IF_ERROR(v("MonitoredItemId", x.monitored_item_id));
  STRATA_RETURN_IF_ERROR(v("RevisedSamplingInterval", x.revised_sampling_interval));
  STRATA_RETURN_IF_ERROR(v("RevisedQueueSize", x.revised_queue_size));
  return v("FilterResult", x.filter_result);
}

template <class V, class S>
Status CreateMonitoredItemsRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("SubscriptionId", x.subscription_id));
  STRATA_RETURN_IF_ERROR(v("TimestampsToReturn", x.timestamps_to_return));
  return v("ItemsToCreate", x.items_to_create);
}

template <class V, class S>
Status CreateMonitoredItemsResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status SubscriptionAcknowledgementFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("SubscriptionId", x.subscription_id));
  return v("SequenceNumber", x.sequence_number);
}

template <class V, class S>
Status PublishRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  return v("SubscriptionAcknowledgements", x.subscription_acknowledgements);
}

template <class V, class S>
Status MonitoredItemNotificationFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ClientHandle", x.client_handle));
  return v("Value", x.value);
}

template <class V, class S>
Status DataChangeNotificationFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("MonitoredItems", x.monitored_items));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status StatusChangeNotificationFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("Status", x.status));
  return v("DiagnosticInfo", x.diagnostic_info);
}

template <class V, class S>
Status PublishResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  STRATA_RETURN_IF_ERROR(v("SubscriptionId", x.subscription_id));
  STRATA_RETURN_IF_ERROR(v("AvailableSequenceNumbers", x.available_sequence_numbers));
  STRATA_RETURN_IF_ERROR(v("MoreNotifications", x.more_notifications));
  STRATA_RETURN_IF_ERROR(v("NotificationMessage", x.notification_message));
  STRATA_RETURN_IF_ERROR(v("Results", x.results));
  return v("DiagnosticInfos", x.diagnostic_infos);
}

template <class V, class S>
Status RepublishRequestFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("RequestHeader", x.request_header));
  STRATA_RETURN_IF_ERROR(v("SubscriptionId", x.subscription_id));
  return v("RetransmitSequenceNumber", x.retransmit_sequence_number);
}

template <class V, class S>
Status RepublishResponseFields(V& v, S& x) {
  STRATA_RETURN_IF_ERROR(v("ResponseHeader", x.response_header));
  return v("NotificationMessage", x.notification_message);
}

bool IsBinaryBodyOf(const NodeId& type_id, BodyEncoding encoding, uint32_t id) {
  return encoding == BodyEncoding::kByteString && type_id.kind == NodeId::Kind::kNumeric &&
         type_id.namespace_index == 0 && type_id.numeric == id;
}

// Decodes one DataChangeNotification body (inside its PushLimit window), appending its items
// to *out and skipping its DiagnosticInfos.
Status AppendDataChanges(Decoder& d, std::vector<MonitoredItemNotification>* out) {
  size_t n = 0;
  // An item is at least a UInt32 handle and a DataValue mask byte.
  STRATA_RETURN_IF_ERROR(
      d.ReadArrayLength(&n, 5, sizeof(MonitoredItemNotification), "MonitoredItems count"));
  const size_t first = out->size();
  out->resize(first + n);
  for (size_t i = 0; i < n; ++i) {
    Status s = Decode(d, &(*out)[first + i]);
    if (!s.ok()) return internal::WithField(internal::WithIndex(s, i), "MonitoredItems");
  }
  size_t diagnostics = 0;
  STRATA_RETURN_IF_ERROR(d.ReadArrayLength(&diagnostics, 1, 0, "DiagnosticInfos count"));
  for (size_t i = 0; i < diagnostics; ++i) {
    Status s = SkipDiagnosticInfo(d);
    if (!s.ok()) return internal::WithField(internal::WithIndex(s, i), "DiagnosticInfos");
  }
  return Status::Ok();
}

Status DecodeNotificationData(Decoder& d, NotificationMessage* v) {
  NodeId type_id;
  BodyEncoding encoding = BodyEncoding::kNone;
  size_t length = 0;
  STRATA_RETURN_IF_ERROR(ReadExtensionObjectHeader(d, &type_id, &encoding, &length));
  const bool data_change =
      IsBinaryBodyOf(type_id, encoding, DataChangeNotification::kBinaryEncodingId);
  const bool status_change =
      IsBinaryBodyOf(type_id, encoding, StatusChangeNotification::kBinaryEncodingId);
  if (!data_change && !status_change) {
    std::span<const uint8_t> body;
    STRATA_RETURN_IF_ERROR(d.ReadRaw(length, &body, "ExtensionObject Body"));
    ExtensionObject& other = v->other_notifications.emplace_back();
    other.type_id = std::move(type_id);
    other.encoding = encoding;
    other.body.assign(reinterpret_cast<const char*>(body.data()), body.size());
    return Status::Ok();
  }
  size_t saved_end = 0;
  STRATA_RETURN_IF_ERROR(d.PushLimit(length, "ExtensionObject Body", &saved_end));
  Status s = data_change ? AppendDataChanges(d, &v->data_changes)
                         : Decode(d, &v->status_changes.emplace_back());
  // Bytes a newer server appends to a known body are skipped: its length says where it ends.
  d.PopLimit(saved_end);
  return s;
}

// Writes an ExtensionObject with a binary body produced by `write_body`, patching its length.
template <class F>
void EncodeBinaryBody(Encoder& e, uint32_t type_id, F&& write_body) {
  Encode(e, NodeId::Numeric(0, type_id));
  e.WriteByte(static_cast<uint8_t>(BodyEncoding::kByteString));
  const size_t length_at = e.size();
  e.WriteInt32(0);
  write_body();
  e.PatchUInt32(length_at, static_cast<uint32_t>(e.size() - length_at - 4));
}

}  // namespace

STRATA_UA_STRUCT_CODEC(DataChangeFilter)
STRATA_UA_STRUCT_CODEC(CreateSubscriptionRequest)
STRATA_UA_STRUCT_CODEC(CreateSubscriptionResponse)
STRATA_UA_STRUCT_CODEC(MonitoringParameters)
STRATA_UA_STRUCT_CODEC(MonitoredItemCreateRequest)
STRATA_UA_STRUCT_CODEC(MonitoredItemCreateResult)
STRATA_UA_STRUCT_CODEC(CreateMonitoredItemsRequest)
STRATA_UA_STRUCT_CODEC(CreateMonitoredItemsResponse)
STRATA_UA_STRUCT_CODEC(SubscriptionAcknowledgement)
STRATA_UA_STRUCT_CODEC(PublishRequest)
STRATA_UA_STRUCT_CODEC(MonitoredItemNotification)
STRATA_UA_STRUCT_CODEC(DataChangeNotification)
STRATA_UA_STRUCT_CODEC(StatusChangeNotification)
STRATA_UA_STRUCT_CODEC(PublishResponse)
STRATA_UA_STRUCT_CODEC(RepublishRequest)
STRATA_UA_STRUCT_CODEC(RepublishResponse)

Status Decode(Decoder& d, NotificationMessage* v) {
  Status s = d.ReadUInt32(&v->sequence_number);
  if (!s.ok()) return internal::WithField(s, "SequenceNumber");
  s = Decode(d, &v->publish_time);
  if (!s.ok()) return internal::WithField(s, "PublishTime");
  v->data_changes.clear();
  v->status_changes.clear();
  v->other_notifications.clear();
  size_t n = 0;
  constexpr size_t kElementMemory =
      std::max(sizeof(ExtensionObject), sizeof(StatusChangeNotification));
  s = d.ReadArrayLength(&n, MinWireSize<ExtensionObject>(), kElementMemory,
                        "NotificationData count");
  if (!s.ok()) return internal::WithField(s, "NotificationData");
  for (size_t i = 0; i < n; ++i) {
    s = DecodeNotificationData(d, v);
    if (!s.ok()) return internal::WithField(internal::WithIndex(s, i), "NotificationData");
  }
  return Status::Ok();
}

void Encode(Encoder& e, const NotificationMessage& v) {
  e.WriteUInt32(v.sequence_number);
  Encode(e, v.publish_time);
  const size_t count =
      (v.data_changes.empty() ? 0 : 1) + v.status_changes.size() + v.other_notifications.size();
  e.WriteArrayLength(count);
  if (!v.data_changes.empty()) {
    EncodeBinaryBody(e, DataChangeNotification::kBinaryEncodingId, [&] {
      Encode(e, v.data_changes);
      e.WriteArrayLength(0);  // DiagnosticInfos
    });
  }
  for (const StatusChangeNotification& change : v.status_changes) {
    EncodeBinaryBody(e, StatusChangeNotification::kBinaryEncodingId, [&] { Encode(e, change); });
  }
  for (const ExtensionObject& other : v.other_notifications) Encode(e, other);
}

}  // namespace strata::opcua
