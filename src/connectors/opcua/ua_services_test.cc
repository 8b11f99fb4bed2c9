#include "connectors/opcua/ua_services.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_test_util.h"
#include "connectors/opcua/ua_view_services.h"

namespace strata::opcua {
namespace {

using testing::AsSpan;
using testing::Bytes;
using testing::ExpectEveryTruncationFails;
using ::testing::HasSubstr;
using testing::Hex;
using ::testing::StartsWith;

// Encodes `m`, checks the envelope's type id, decodes it back (twice into the same object, as
// a client reusing its response objects would), and checks every truncation fails.
template <class M>
void ExpectMessageRoundTrip(const M& m) {
  SCOPED_TRACE(std::string(M::kTypeName));
  std::string body;
  EncodeMessage(m, &body);
  auto id = PeekMessageTypeId(AsSpan(body));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, M::kBinaryEncodingId);
  M back;
  for (int pass = 0; pass < 2; ++pass) {
    const Status s = DecodeMessage(body, &back);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(back == m) << "pass " << pass;
  }
  ExpectEveryTruncationFails(body, [](std::string_view b) {
    M x;
    return DecodeMessage(b, &x);
  });
}

TEST(UaServicesTest, SecureChannelMessagesRoundTrip) {
  ExpectMessageRoundTrip(testing::SampleOpenSecureChannelRequest());
  ExpectMessageRoundTrip(testing::SampleOpenSecureChannelResponse());
  ExpectMessageRoundTrip(testing::SampleCloseSecureChannelRequest());
  ExpectMessageRoundTrip(testing::SampleCloseSecureChannelResponse());
}

TEST(UaServicesTest, SessionMessagesRoundTrip) {
  ExpectMessageRoundTrip(testing::SampleCreateSessionRequest());
  ExpectMessageRoundTrip(testing::SampleCreateSessionResponse());
  ExpectMessageRoundTrip(testing::SampleActivateSessionRequest());
  ExpectMessageRoundTrip(testing::SampleActivateSessionResponse());
  ExpectMessageRoundTrip(testing::SampleCloseSessionRequest());
  ExpectMessageRoundTrip(testing::SampleCloseSessionResponse());
}

TEST(UaServicesTest, ViewMessagesRoundTrip) {
  ExpectMessageRoundTrip(testing::SampleBrowseRequest());
  ExpectMessageRoundTrip(testing::SampleBrowseResponse());
  ExpectMessageRoundTrip(testing::SampleBrowseNextRequest());
  ExpectMessageRoundTrip(testing::SampleBrowseNextResponse());
  ExpectMessageRoundTrip(testing::SampleTranslateRequest());
  ExpectMessageRoundTrip(testing::SampleTranslateResponse());
}

TEST(UaServicesTest, ReadMessagesRoundTrip) {
  ExpectMessageRoundTrip(testing::SampleReadRequest());
  ExpectMessageRoundTrip(testing::SampleReadResponse());
}

TEST(UaServicesTest, SubscriptionMessagesRoundTrip) {
  ExpectMessageRoundTrip(testing::SampleCreateSubscriptionRequest());
  ExpectMessageRoundTrip(testing::SampleCreateSubscriptionResponse());
  ExpectMessageRoundTrip(testing::SampleCreateMonitoredItemsRequest());
  ExpectMessageRoundTrip(testing::SampleCreateMonitoredItemsResponse());
  ExpectMessageRoundTrip(testing::SamplePublishRequest());
  ExpectMessageRoundTrip(testing::SamplePublishResponse());
  ExpectMessageRoundTrip(testing::SampleRepublishRequest());
  ExpectMessageRoundTrip(testing::SampleRepublishResponse());
  ExpectMessageRoundTrip(testing::SampleServiceFault(kBadTimeout));
}

TEST(UaServicesTest, EncodingIdsAreThoseOfNodeIdsCsv) {
  // Spot checks against Schema/NodeIds.csv, "<Type>_Encoding_DefaultBinary".
  EXPECT_EQ(OpenSecureChannelRequest::kBinaryEncodingId, 446u);
  EXPECT_EQ(OpenSecureChannelResponse::kBinaryEncodingId, 449u);
  EXPECT_EQ(CreateSessionRequest::kBinaryEncodingId, 461u);
  EXPECT_EQ(ActivateSessionRequest::kBinaryEncodingId, 467u);
  EXPECT_EQ(BrowseRequest::kBinaryEncodingId, 527u);
  EXPECT_EQ(TranslateBrowsePathsToNodeIdsRequest::kBinaryEncodingId, 554u);
  EXPECT_EQ(ReadRequest::kBinaryEncodingId, 631u);
  EXPECT_EQ(ReadResponse::kBinaryEncodingId, 634u);
  EXPECT_EQ(CreateMonitoredItemsRequest::kBinaryEncodingId, 751u);
  EXPECT_EQ(CreateSubscriptionRequest::kBinaryEncodingId, 787u);
  EXPECT_EQ(PublishRequest::kBinaryEncodingId, 826u);
  EXPECT_EQ(PublishResponse::kBinaryEncodingId, 829u);
  EXPECT_EQ(DataChangeNotification::kBinaryEncodingId, 811u);
  EXPECT_EQ(StatusChangeNotification::kBinaryEncodingId, 820u);
  EXPECT_EQ(ServiceFault::kBinaryEncodingId, 397u);
  EXPECT_EQ(AnonymousIdentityToken::kBinaryEncodingId, 321u);
  EXPECT_EQ(UserNameIdentityToken::kBinaryEncodingId, 324u);
}

TEST(UaServicesTest, ReadRequestHandComputed) {
  ReadRequest r;
  r.request_header.request_handle = 1;
  r.request_header.timeout_hint = 10000;
  r.timestamps_to_return = TimestampsToReturn::kBoth;
  r.nodes_to_read = {ReadValueId{NodeId::String(2, "Speed"), kAttributeValue, "", {}}};
  std::string body;
  EncodeMessage(r, &body);
  EXPECT_EQ(Hex(body), Hex(Bytes("01 00 77 02"               // i=631, four-byte form
                                 " 00 00"                    // AuthenticationToken: null
                                 " 00 00 00 00 00 00 00 00"  // Timestamp
                                 " 01 00 00 00"              // RequestHandle
                                 " 00 00 00 00"              // ReturnDiagnostics
                                 " FF FF FF FF"              // AuditEntryId: null
                                 " 10 27 00 00"              // TimeoutHint 10000
                                 " 00 00 00"                 // AdditionalHeader: null
                                 " 00 00 00 00 00 00 00 00"  // MaxAge 0.0
                                 " 02 00 00 00"              // TimestampsToReturn Both
                                 " 01 00 00 00"              // one ReadValueId
                                 " 03 02 00 05 00 00 00 53 70 65 65 64"  // ns=2;s=Speed
                                 " 0D 00 00 00"                          // AttributeId Value
                                 " FF FF FF FF"                          // IndexRange: null
                                 " 00 00 FF FF FF FF")));                // DataEncoding: null name
}

// A ServiceFault with ServiceResult BadSessionIdInvalid, written out by hand.
std::string HandMadeServiceFault() {
  return Bytes(
      "01 00 8D 01"               // i=397
      " 00 80 3E D5 DE B1 9D 01"  // Timestamp: the Unix epoch
      " 05 00 00 00"              // RequestHandle 5
      " 00 00 25 80"              // ServiceResult BadSessionIdInvalid
      " 00"                       // ServiceDiagnostics: empty
      " FF FF FF FF"              // StringTable: null
      " 00 00 00");               // AdditionalHeader: null
}

TEST(UaServicesTest, ServiceFaultInPlaceOfAResponseIsReportedWithItsCode) {
  ReadResponse response;
  response.results.resize(3);
  const Status s = DecodeMessage(HandMadeServiceFault(), &response);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("ServiceFault instead of ReadResponse (i=634)"));
  EXPECT_THAT(s.message(), HasSubstr("BadSessionIdInvalid (0x80250000)"));
  EXPECT_EQ(response.response_header.service_result, kBadSessionIdInvalid);
  EXPECT_EQ(response.response_header.request_handle, 5u);
  EXPECT_EQ(response.response_header.timestamp.ToUnixNanos(), 0);

  ServiceFault fault;
  ASSERT_TRUE(DecodeMessage(HandMadeServiceFault(), &fault).ok());
  EXPECT_EQ(fault.response_header.service_result, kBadSessionIdInvalid);
  EXPECT_EQ(Hex([&] {
              std::string body;
              EncodeMessage(fault, &body);
              return body;
            }()),
            Hex(Bytes("01 00 8D 01 00 80 3E D5 DE B1 9D 01 05 00 00 00 00 00 25 80 00"
                      " 00 00 00 00 00 00 00")));  // re-encoded: empty StringTable is count 0
}

TEST(UaServicesTest, TruncatedServiceFaultIsADecodingError) {
  const std::string fault = HandMadeServiceFault();
  for (size_t len = 4; len < fault.size(); ++len) {
    PublishResponse response;
    const Status s = DecodeMessage(std::string_view(fault).substr(0, len), &response);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_THAT(s.message(), StartsWith("ServiceFault.ResponseHeader")) << s.ToString();
  }
}

TEST(UaServicesTest, UnexpectedTypesAndTrailingBytesAreErrors) {
  std::string body;
  EncodeMessage(testing::SampleReadResponse(), &body);
  BrowseResponse browse;
  Status s = DecodeMessage(body, &browse);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              HasSubstr("expected a BrowseResponse (i=530) message, got type id i=634"));

  ReadResponse read;
  s = DecodeMessage(body + "x", &read);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("ReadResponse: at byte " + std::to_string(body.size()) +
                                     " reading end of message: 1 bytes left"));

  s = DecodeMessage(Bytes("03 01 00 01 00 00 00 78"), &read);  // ns=1;s=x as the type id
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("ns=1;s=x is not a numeric NodeId in namespace 0"));
}

TEST(UaServicesTest, ErrorsNameThePathOfTheBrokenField) {
  ReadResponse r;
  r.results = {DataValue{MakeVariant(1.0)}, DataValue{MakeVariant(2.0)}};
  std::string body;
  EncodeMessage(r, &body);
  // Cut into the second value's Double: type id 4 + header 24 + count 4 + first DataValue 10,
  // then the second DataValue's mask and Variant mask put the Double at byte 44.
  const Status s = DecodeMessage(std::string_view(body).substr(0, 47), &r);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(),
              HasSubstr("ReadResponse.Results[1].Value: at byte 44 reading Double: need 8 bytes, "
                        "3 left"));
}

TEST(UaServicesTest, BaseOffsetShiftsReportedOffsets) {
  const std::string fault = HandMadeServiceFault();
  ServiceFault out;
  const Status s = DecodeMessage(std::string_view(fault).substr(0, 10), &out, DecodeLimits(), 24);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("at byte 28 reading DateTime"));
}

TEST(UaServicesTest, IdentityTokensAreExtensionObjectsWithBinaryBodies) {
  const ExtensionObject anonymous = MakeAnonymousIdentityToken("anon");
  EXPECT_EQ(Hex(testing::EncodeToString(anonymous)),
            Hex(Bytes("01 00 41 01 01 08 00 00 00 04 00 00 00 61 6E 6F 6E")));

  const ExtensionObject user = MakeUserNameIdentityToken("user", "operator", "pw");
  EXPECT_EQ(user.type_id, NodeId::Numeric(0, 324));
  UserNameIdentityToken token;
  ASSERT_TRUE(FromExtensionObject(user, &token).ok());
  EXPECT_EQ(token.policy_id, "user");
  EXPECT_EQ(token.user_name, "operator");
  EXPECT_EQ(token.password.value, "pw");
  EXPECT_TRUE(token.encryption_algorithm.empty());
  // EncryptionAlgorithm is sent as null: the last four bytes of the body.
  EXPECT_EQ(Hex(user.body.substr(user.body.size() - 4)), "FF FF FF FF");

  AnonymousIdentityToken wrong;
  const Status s = FromExtensionObject(user, &wrong);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("holds i=324"));
  EXPECT_THAT(s.message(), HasSubstr("expected binary i=321"));
}

TEST(UaServicesTest, DataChangeFilterWrapsForMonitoringParameters) {
  const ExtensionObject filter =
      ToExtensionObject(DataChangeFilter{DataChangeTrigger::kStatusValue, kDeadbandPercent, 2.5});
  EXPECT_EQ(Hex(testing::EncodeToString(filter)),
            Hex(Bytes("01 00 D4 02 01 10 00 00 00"    // i=724, binary, 16 bytes
                      " 01 00 00 00 02 00 00 00"      // StatusValue, Percent
                      " 00 00 00 00 00 00 04 40")));  // 2.5
  DataChangeFilter back;
  ASSERT_TRUE(FromExtensionObject(filter, &back).ok());
  EXPECT_EQ(back.deadband_value, 2.5);
}

TEST(UaServicesTest, LimitsApplyToWholeMessages) {
  ReadResponse r = testing::SampleReadResponse();
  std::string body;
  EncodeMessage(r, &body);
  DecodeLimits limits;
  limits.max_array_length = 2;  // the sample has 4 results
  ReadResponse out;
  const Status s = DecodeMessage(body, &out, limits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("ReadResponse.Results: at byte"));
}

}  // namespace
}  // namespace strata::opcua
