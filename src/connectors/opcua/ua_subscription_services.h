// Subscription and MonitoredItem service messages (OPC 10000-4 §5.12, §5.13):
// CreateSubscription, CreateMonitoredItems, Publish, Republish, and the notifications a
// PublishResponse carries. Encoding ids: NodeIds.csv (see ua_services.h).
//
// Publish is the hot path. NotificationMessage flattens the items of all its
// DataChangeNotifications into one vector and decodes ExtensionObject bodies in place, so
// decoding a PublishResponse of N numeric values into a reused PublishResponse allocates
// nothing once its vectors have grown (strings and arrays in values still allocate).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_services.h"

namespace strata::opcua {

enum class MonitoringMode : int32_t { kDisabled = 0, kSampling = 1, kReporting = 2 };
enum class DataChangeTrigger : int32_t { kStatus = 0, kStatusValue = 1, kStatusValueTimestamp = 2 };

// DataChangeFilter::deadband_type (a UInt32 on the wire).
inline constexpr uint32_t kDeadbandNone = 0;
inline constexpr uint32_t kDeadbandAbsolute = 1;
inline constexpr uint32_t kDeadbandPercent = 2;

// Goes into MonitoringParameters::filter via ToExtensionObject().
struct DataChangeFilter {
  static constexpr uint32_t kBinaryEncodingId = 724;
  DataChangeTrigger trigger = DataChangeTrigger::kStatusValue;
  uint32_t deadband_type = kDeadbandNone;
  double deadband_value = 0;

  friend bool operator==(const DataChangeFilter&, const DataChangeFilter&) = default;
};

struct CreateSubscriptionRequest {
  static constexpr uint32_t kBinaryEncodingId = 787;
  static constexpr std::string_view kTypeName = "CreateSubscriptionRequest";
  RequestHeader request_header;
  double requested_publishing_interval = 1000;   // ms
  uint32_t requested_lifetime_count = 60;        // publishing intervals without a Publish
  uint32_t requested_max_keep_alive_count = 10;  // publishing intervals without a notification
  uint32_t max_notifications_per_publish = 0;    // 0: no limit
  bool publishing_enabled = true;
  uint8_t priority = 0;

  friend bool operator==(const CreateSubscriptionRequest&,
                         const CreateSubscriptionRequest&) = default;
};

struct CreateSubscriptionResponse {
  static constexpr uint32_t kBinaryEncodingId = 790;
  static constexpr std::string_view kTypeName = "CreateSubscriptionResponse";
  ResponseHeader response_header;
  uint32_t subscription_id = 0;
  double revised_publishing_interval = 0;
  uint32_t revised_lifetime_count = 0;
  uint32_t revised_max_keep_alive_count = 0;

  friend bool operator==(const CreateSubscriptionResponse&,
                         const CreateSubscriptionResponse&) = default;
};

struct MonitoringParameters {
  uint32_t client_handle = 0;     // comes back in every MonitoredItemNotification
  double sampling_interval = -1;  // ms; -1: the subscription's publishing interval
  ExtensionObject filter;         // null, or e.g. ToExtensionObject(DataChangeFilter{...})
  uint32_t queue_size = 1;
  bool discard_oldest = true;

  friend bool operator==(const MonitoringParameters&, const MonitoringParameters&) = default;
};

struct MonitoredItemCreateRequest {
  ReadValueId item_to_monitor;
  MonitoringMode monitoring_mode = MonitoringMode::kReporting;
  MonitoringParameters requested_parameters;

  friend bool operator==(const MonitoredItemCreateRequest&,
                         const MonitoredItemCreateRequest&) = default;
};

struct MonitoredItemCreateResult {
  uint32_t status_code = 0;
  uint32_t monitored_item_id = 0;
  double revised_sampling_interval = 0;
  uint32_t revised_queue_size = 0;
  ExtensionObject filter_result;

  friend bool operator==(const MonitoredItemCreateResult&,
                         const MonitoredItemCreateResult&) = default;
};

struct CreateMonitoredItemsRequest {
  static constexpr uint32_t kBinaryEncodingId = 751;
  static constexpr std::string_view kTypeName = "CreateMonitoredItemsRequest";
  RequestHeader request_header;
  uint32_t subscription_id = 0;
  TimestampsToReturn timestamps_to_return = TimestampsToReturn::kBoth;
  std::vector<MonitoredItemCreateRequest> items_to_create;

  friend bool operator==(const CreateMonitoredItemsRequest&,
                         const CreateMonitoredItemsRequest&) = default;
};

struct CreateMonitoredItemsResponse {
  static constexpr uint32_t kBinaryEncodingId = 754;
  static constexpr std::string_view kTypeName = "CreateMonitoredItemsResponse";
  ResponseHeader response_header;
  std::vector<MonitoredItemCreateResult> results;  // one per item, in order
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const CreateMonitoredItemsResponse&,
                         const CreateMonitoredItemsResponse&) = default;
};

struct SubscriptionAcknowledgement {
  uint32_t subscription_id = 0;
  uint32_t sequence_number = 0;

  friend bool operator==(const SubscriptionAcknowledgement&,
                         const SubscriptionAcknowledgement&) = default;
};

struct PublishRequest {
  static constexpr uint32_t kBinaryEncodingId = 826;
  static constexpr std::string_view kTypeName = "PublishRequest";
  RequestHeader request_header;
  std::vector<SubscriptionAcknowledgement> subscription_acknowledgements;

  friend bool operator==(const PublishRequest&, const PublishRequest&) = default;
};

struct MonitoredItemNotification {
  uint32_t client_handle = 0;
  DataValue value;

  friend bool operator==(const MonitoredItemNotification&,
                         const MonitoredItemNotification&) = default;
};

// One NotificationData body as the server sends it (kept for ToExtensionObject and tests;
// NotificationMessage flattens these).
struct DataChangeNotification {
  static constexpr uint32_t kBinaryEncodingId = 811;
  std::vector<MonitoredItemNotification> monitored_items;
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const DataChangeNotification&, const DataChangeNotification&) = default;
};

struct StatusChangeNotification {
  static constexpr uint32_t kBinaryEncodingId = 820;
  uint32_t status = 0;  // e.g. BadTimeout when the subscription expired
  DiagnosticInfo diagnostic_info;

  friend bool operator==(const StatusChangeNotification&,
                         const StatusChangeNotification&) = default;
};

// EventNotificationList_Encoding_DefaultBinary: events are not decoded here; they stay in
// NotificationMessage::other_notifications.
inline constexpr uint32_t kEventNotificationListEncodingId = 916;

struct NotificationMessage {
  uint32_t sequence_number = 0;
  DateTime publish_time;
  // The items of every DataChangeNotification, in order. Their per-item DiagnosticInfos are
  // skipped.
  std::vector<MonitoredItemNotification> data_changes;
  std::vector<StatusChangeNotification> status_changes;
  // Any other NotificationData (events, unknown types, non-binary bodies), undecoded.
  std::vector<ExtensionObject> other_notifications;

  // A keep-alive: no notifications at all.
  bool empty() const {
    return data_changes.empty() && status_changes.empty() && other_notifications.empty();
  }
  friend bool operator==(const NotificationMessage&, const NotificationMessage&) = default;
};

struct PublishResponse {
  static constexpr uint32_t kBinaryEncodingId = 829;
  static constexpr std::string_view kTypeName = "PublishResponse";
  ResponseHeader response_header;
  uint32_t subscription_id = 0;
  std::vector<uint32_t> available_sequence_numbers;  // not yet acknowledged
  bool more_notifications = false;
  NotificationMessage notification_message;
  std::vector<uint32_t> results;  // one per acknowledgement sent
  std::vector<DiagnosticInfo> diagnostic_infos;

  friend bool operator==(const PublishResponse&, const PublishResponse&) = default;
};

struct RepublishRequest {
  static constexpr uint32_t kBinaryEncodingId = 832;
  static constexpr std::string_view kTypeName = "RepublishRequest";
  RequestHeader request_header;
  uint32_t subscription_id = 0;
  uint32_t retransmit_sequence_number = 0;

  friend bool operator==(const RepublishRequest&, const RepublishRequest&) = default;
};

struct RepublishResponse {
  static constexpr uint32_t kBinaryEncodingId = 835;
  static constexpr std::string_view kTypeName = "RepublishResponse";
  ResponseHeader response_header;
  NotificationMessage notification_message;

  friend bool operator==(const RepublishResponse&, const RepublishResponse&) = default;
};

STRATA_UA_DECLARE_CODEC(DataChangeFilter)
STRATA_UA_DECLARE_CODEC(CreateSubscriptionRequest)
STRATA_UA_DECLARE_CODEC(CreateSubscriptionResponse)
STRATA_UA_DECLARE_CODEC(MonitoringParameters)
STRATA_UA_DECLARE_CODEC(MonitoredItemCreateRequest)
STRATA_UA_DECLARE_CODEC(MonitoredItemCreateResult)
STRATA_UA_DECLARE_CODEC(CreateMonitoredItemsRequest)
STRATA_UA_DECLARE_CODEC(CreateMonitoredItemsResponse)
STRATA_UA_DECLARE_CODEC(SubscriptionAcknowledgement)
STRATA_UA_DECLARE_CODEC(PublishRequest)
STRATA_UA_DECLARE_CODEC(MonitoredItemNotification)
STRATA_UA_DECLARE_CODEC(DataChangeNotification)
STRATA_UA_DECLARE_CODEC(StatusChangeNotification)
// Encoding writes the data changes as one DataChangeNotification, then one
// StatusChangeNotification per status change, then the other notifications.
STRATA_UA_DECLARE_CODEC(NotificationMessage)
STRATA_UA_DECLARE_CODEC(PublishResponse)
STRATA_UA_DECLARE_CODEC(RepublishRequest)
STRATA_UA_DECLARE_CODEC(RepublishResponse)

}  // namespace strata::opcua
