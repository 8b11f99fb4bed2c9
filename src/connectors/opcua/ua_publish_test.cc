// PublishResponse decoding: the flattened NotificationMessage and the allocation contract of
// the hot path. This file replaces the global operator new to count allocations; the
// replacement forwards to malloc and counts only inside an AllocationCounter's scope.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_test_util.h"

// GCC pairs the inlined malloc/free of this replacement with the new/delete expressions that
// call it and reports a mismatch that is not one (the replaced pair is consistent).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace strata::opcua {
namespace {

using testing::Bytes;
using ::testing::HasSubstr;
using testing::SamplePublishResponse;

class AllocationCounter {
 public:
  AllocationCounter() {
    g_allocations = 0;
    g_counting = true;
  }
  ~AllocationCounter() { g_counting = false; }
  long count() const { return g_allocations.load(); }
};

std::string EncodedPublishResponse(size_t items) {
  std::string body;
  EncodeMessage(SamplePublishResponse(items), &body);
  return body;
}

TEST(PublishDecodeTest, DecodingIntoAReusedResponseDoesNotAllocate) {
  const std::string body = EncodedPublishResponse(1000);
  PublishResponse response;
  ASSERT_TRUE(DecodeMessage(body, &response).ok());  // grows the vectors once
  ASSERT_EQ(response.notification_message.data_changes.size(), 1000u);
  // Every string in the sample fits the small-string buffer, so a warm decode of the whole
  // message, status change and event list included, allocates nothing.
  long allocations = 0;
  {
    AllocationCounter counter;
    const Status s = DecodeMessage(body, &response);
    allocations = counter.count();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(allocations, 0);
  EXPECT_EQ(response.notification_message.data_changes[999].value.value.ToDouble(), 499.5);
}

TEST(PublishDecodeTest, AllocationsDoNotGrowWithTheNumberOfItems) {
  const std::string small = EncodedPublishResponse(10);
  const std::string large = EncodedPublishResponse(5000);
  long small_count = 0;
  long large_count = 0;
  {
    PublishResponse response;
    AllocationCounter counter;
    ASSERT_TRUE(DecodeMessage(small, &response).ok());
    small_count = counter.count();
  }
  {
    PublishResponse response;
    AllocationCounter counter;
    ASSERT_TRUE(DecodeMessage(large, &response).ok());
    large_count = counter.count();
  }
  EXPECT_EQ(small_count, large_count);
  EXPECT_LT(large_count, 20);  // a handful of vectors and strings, not one per item
}

// Builds a NotificationData ExtensionObject with a binary body.
template <class T>
std::string Notification(const T& body) {
  return testing::EncodeToString(ToExtensionObject(body));
}

TEST(PublishDecodeTest, ItemsOfSeveralDataChangeNotificationsAreFlattenedInOrder) {
  DataChangeNotification first;
  first.monitored_items = {{1, testing::SampleDataValue(1.0)}, {2, testing::SampleDataValue(2.0)}};
  first.diagnostic_infos.resize(2);  // skipped by the flattened form
  first.diagnostic_infos[1].additional_info = "ignored";
  DataChangeNotification second;
  second.monitored_items = {{3, testing::SampleDataValue(3.0, kBadSensorFailure)}};
  StatusChangeNotification status;
  status.status = kBadTimeout;

  std::string message = Bytes("2B 00 00 00")    // SequenceNumber 43
                        + std::string(8, '\0')  // PublishTime
                        + Bytes("03 00 00 00")  // three NotificationData
                        + Notification(first) + Notification(status) + Notification(second);
  auto decoded = testing::DecodeAll<NotificationMessage>(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->sequence_number, 43u);
  ASSERT_EQ(decoded->data_changes.size(), 3u);
  EXPECT_EQ(decoded->data_changes[0].client_handle, 1u);
  EXPECT_EQ(decoded->data_changes[1].client_handle, 2u);
  EXPECT_EQ(decoded->data_changes[2].client_handle, 3u);
  EXPECT_EQ(decoded->data_changes[2].value.status, kBadSensorFailure);
  ASSERT_EQ(decoded->status_changes.size(), 1u);
  EXPECT_EQ(decoded->status_changes[0].status, kBadTimeout);
  EXPECT_TRUE(decoded->other_notifications.empty());
  EXPECT_FALSE(decoded->empty());
}

TEST(PublishDecodeTest, UnknownAndXmlNotificationsAreKeptUndecoded) {
  ExtensionObject events;
  events.type_id = NodeId::Numeric(0, kEventNotificationListEncodingId);
  events.encoding = BodyEncoding::kByteString;
  events.body = Bytes("00 00 00 00");
  ExtensionObject xml_data_change;  // a DataChangeNotification id, but an XML body
  xml_data_change.type_id = NodeId::Numeric(0, DataChangeNotification::kBinaryEncodingId);
  xml_data_change.encoding = BodyEncoding::kXmlElement;
  xml_data_change.body = "<x/>";
  std::string message = std::string(12, '\0') + Bytes("02 00 00 00") +
                        testing::EncodeToString(events) + testing::EncodeToString(xml_data_change);
  auto decoded = testing::DecodeAll<NotificationMessage>(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->data_changes.empty());
  ASSERT_EQ(decoded->other_notifications.size(), 2u);
  EXPECT_EQ(decoded->other_notifications[0], events);
  EXPECT_EQ(decoded->other_notifications[1], xml_data_change);
}

TEST(PublishDecodeTest, KeepAliveHasNoNotifications) {
  auto decoded =
      testing::DecodeAll<NotificationMessage>(std::string(12, '\0') + Bytes("FF FF FF FF"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(PublishDecodeTest, BytesAfterAKnownBodyAreSkippedButAShortBodyIsAnError) {
  StatusChangeNotification status;
  status.status = kBadTimeout;
  ExtensionObject padded = ToExtensionObject(status);
  padded.body += "extra";  // a newer server's extra field
  std::string message =
      std::string(12, '\0') + Bytes("01 00 00 00") + testing::EncodeToString(padded);
  auto decoded = testing::DecodeAll<NotificationMessage>(message);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->status_changes.size(), 1u);
  EXPECT_EQ(decoded->status_changes[0].status, kBadTimeout);

  ExtensionObject short_body = ToExtensionObject(status);
  short_body.body.resize(2);  // the Status field cut in half
  message = std::string(12, '\0') + Bytes("01 00 00 00") + testing::EncodeToString(short_body);
  decoded = testing::DecodeAll<NotificationMessage>(message);
  ASSERT_FALSE(decoded.ok());
  // The body starts at byte 25: message header 12, count 4, type id 4, encoding 1, length 4.
  EXPECT_THAT(
      decoded.status().message(),
      HasSubstr("NotificationData[0].Status: at byte 25 reading UInt32: need 4 bytes, 2 left"));
}

TEST(PublishDecodeTest, DataChangeItemErrorsNameTheItem) {
  DataChangeNotification change;
  change.monitored_items = {{1, testing::SampleDataValue(1.0)}, {2, testing::SampleDataValue(2.0)}};
  ExtensionObject eo = ToExtensionObject(change);
  eo.body.resize(eo.body.size() - 6);  // cut into the second item's server timestamp
  std::string message = std::string(12, '\0') + Bytes("01 00 00 00") + testing::EncodeToString(eo);
  auto decoded = testing::DecodeAll<NotificationMessage>(message);
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.status().message(),
              HasSubstr("NotificationData[0].MonitoredItems[1].Value: at byte"));
  EXPECT_THAT(decoded.status().message(), HasSubstr("reading DataValue ServerTimestamp"));
}

}  // namespace
}  // namespace strata::opcua
