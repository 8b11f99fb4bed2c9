// Helpers for the strata_opcua tests: hex byte strings, encode/decode shorthands, the
// truncation sweep, and a sample of every service message filled with non-default values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>

#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_services.h"
#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_variant.h"
#include "connectors/opcua/ua_view_services.h"
#include "core/status.h"

namespace strata::opcua::testing {

// "01 0a FF" -> the three bytes; whitespace is ignored.
std::string Bytes(std::string_view hex);
// The bytes as "01 0A FF".
std::string Hex(std::string_view bytes);

inline std::span<const uint8_t> AsSpan(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <class T>
std::string EncodeToString(const T& value) {
  std::string out;
  Encoder e(&out);
  Encode(e, value);
  return out;
}

// Decodes a T that must use every byte of `bytes`.
template <class T>
StatusOr<T> DecodeAll(std::string_view bytes, const DecodeLimits& limits = DecodeLimits()) {
  Decoder d(bytes, limits);
  T value{};
  STRATA_RETURN_IF_ERROR(Decode(d, &value));
  STRATA_RETURN_IF_ERROR(d.ExpectEnd("end of test input"));
  return value;
}

// The byte offset named by an error ("... at byte 17 reading ..."), or -1.
inline long ErrorOffset(const Status& s) {
  static const std::regex kOffset("at byte ([0-9]+)");
  std::smatch m;
  const std::string& msg = s.message();
  if (!std::regex_search(msg, m, kOffset)) return -1;
  return std::stol(m[1]);
}

// Every strict prefix of `bytes` must fail to decode with an error that names a byte offset
// within the prefix. `decode` maps bytes to a Status.
template <class F>
void ExpectEveryTruncationFails(std::string_view bytes, F decode) {
  for (size_t len = 0; len < bytes.size(); ++len) {
    const Status s = decode(bytes.substr(0, len));
    ASSERT_FALSE(s.ok()) << "prefix of " << len << " of " << bytes.size() << " bytes decoded";
    const long at = ErrorOffset(s);
    ASSERT_GE(at, 0) << "no offset in: " << s.ToString();
    ASSERT_LE(at, static_cast<long>(len)) << s.ToString();
  }
}

// Samples with every field set to something other than its default, so that a field written
// but not read (or read in the wrong order) changes the round trip.
RequestHeader SampleRequestHeader();
ResponseHeader SampleResponseHeader();
DataValue SampleDataValue(double value, uint32_t status = 0);
OpenSecureChannelRequest SampleOpenSecureChannelRequest();
OpenSecureChannelResponse SampleOpenSecureChannelResponse();
CloseSecureChannelRequest SampleCloseSecureChannelRequest();
CloseSecureChannelResponse SampleCloseSecureChannelResponse();
CreateSessionRequest SampleCreateSessionRequest();
CreateSessionResponse SampleCreateSessionResponse();
ActivateSessionRequest SampleActivateSessionRequest();
ActivateSessionResponse SampleActivateSessionResponse();
CloseSessionRequest SampleCloseSessionRequest();
CloseSessionResponse SampleCloseSessionResponse();
BrowseRequest SampleBrowseRequest();
BrowseResponse SampleBrowseResponse();
BrowseNextRequest SampleBrowseNextRequest();
BrowseNextResponse SampleBrowseNextResponse();
TranslateBrowsePathsToNodeIdsRequest SampleTranslateRequest();
TranslateBrowsePathsToNodeIdsResponse SampleTranslateResponse();
ReadRequest SampleReadRequest();
ReadResponse SampleReadResponse();
CreateSubscriptionRequest SampleCreateSubscriptionRequest();
CreateSubscriptionResponse SampleCreateSubscriptionResponse();
CreateMonitoredItemsRequest SampleCreateMonitoredItemsRequest();
CreateMonitoredItemsResponse SampleCreateMonitoredItemsResponse();
PublishRequest SamplePublishRequest();
// `items` numeric data changes, a status change and an event list.
PublishResponse SamplePublishResponse(size_t items = 3);
RepublishRequest SampleRepublishRequest();
RepublishResponse SampleRepublishResponse();
ServiceFault SampleServiceFault(uint32_t code);

}  // namespace strata::opcua::testing
