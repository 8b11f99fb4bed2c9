#include "connectors/opcua/ua_status_codes.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace strata::opcua {
namespace {

struct NamedCode {
  uint32_t code;
  std::string_view name;
};

// Sorted by code at first use; a handful of lookups per error, so a sorted array will do.
const std::array<NamedCode, 90>& SortedCodes() {
  static const auto kCodes = [] {
    std::array<NamedCode, 90> codes{{
        {0x00000000, "Good"},
        {0x40000000, "Uncertain"},
        {0x80000000, "Bad"},
        {0x80010000, "BadUnexpectedError"},
        {0x80020000, "BadInternalError"},
        {0x80030000, "BadOutOfMemory"},
        {0x80050000, "BadCommunicationError"},
        {0x80060000, "BadEncodingError"},
        {0x80070000, "BadDecodingError"},
        {0x80080000, "BadEncodingLimitsExceeded"},
        {0x80090000, "BadUnknownResponse"},
        {0x800A0000, "BadTimeout"},
        {0x800B0000, "BadServiceUnsupported"},
        {0x800C0000, "BadShutdown"},
        {0x800D0000, "BadServerNotConnected"},
        {0x800E0000, "BadServerHalted"},
        {0x800F0000, "BadNothingToDo"},
        {0x80100000, "BadTooManyOperations"},
        {0x80110000, "BadDataTypeIdUnknown"},
        {0x80130000, "BadSecurityChecksFailed"},
        {0x801F0000, "BadUserAccessDenied"},
        {0x80200000, "BadIdentityTokenInvalid"},
        {0x80210000, "BadIdentityTokenRejected"},
        {0x80220000, "BadSecureChannelIdInvalid"},
        {0x80230000, "BadInvalidTimestamp"},
        {0x80240000, "BadNonceInvalid"},
        {0x80250000, "BadSessionIdInvalid"},
        {0x80260000, "BadSessionClosed"},
        {0x80270000, "BadSessionNotActivated"},
        {0x80280000, "BadSubscriptionIdInvalid"},
        {0x802A0000, "BadRequestHeaderInvalid"},
        {0x802B0000, "BadTimestampsToReturnInvalid"},
        {0x80310000, "BadNoCommunication"},
        {0x80320000, "BadWaitingForInitialData"},
        {0x80330000, "BadNodeIdInvalid"},
        {0x80340000, "BadNodeIdUnknown"},
        {0x80350000, "BadAttributeIdInvalid"},
        {0x80360000, "BadIndexRangeInvalid"},
        {0x803A0000, "BadNotReadable"},
        {0x803C0000, "BadOutOfRange"},
        {0x803D0000, "BadNotSupported"},
        {0x803E0000, "BadNotFound"},
        {0x80410000, "BadMonitoringModeInvalid"},
        {0x80420000, "BadMonitoredItemIdInvalid"},
        {0x80430000, "BadMonitoredItemFilterInvalid"},
        {0x804A0000, "BadContinuationPointInvalid"},
        {0x804B0000, "BadNoContinuationPoints"},
        {0x80600000, "BadBrowseNameInvalid"},
        {0x806F0000, "BadNoMatch"},
        {0x80540000, "BadSecurityModeRejected"},
        {0x80550000, "BadSecurityPolicyRejected"},
        {0x80560000, "BadTooManySessions"},
        {0x80740000, "BadTypeMismatch"},
        {0x80770000, "BadTooManySubscriptions"},
        {0x80780000, "BadTooManyPublishRequests"},
        {0x80790000, "BadNoSubscription"},
        {0x807A0000, "BadSequenceNumberUnknown"},
        {0x807B0000, "BadMessageNotAvailable"},
        {0x807D0000, "BadTcpServerTooBusy"},
        {0x807E0000, "BadTcpMessageTypeInvalid"},
        {0x807F0000, "BadTcpSecureChannelUnknown"},
        {0x80800000, "BadTcpMessageTooLarge"},
        {0x80810000, "BadTcpNotEnoughResources"},
        {0x80820000, "BadTcpInternalError"},
        {0x80830000, "BadTcpEndpointUrlInvalid"},
        {0x80840000, "BadRequestInterrupted"},
        {0x80850000, "BadRequestTimeout"},
        {0x80860000, "BadSecureChannelClosed"},
        {0x80870000, "BadSecureChannelTokenUnknown"},
        {0x80880000, "BadSequenceNumberInvalid"},
        {0x80890000, "BadConfigurationError"},
        {0x808A0000, "BadNotConnected"},
        {0x808B0000, "BadDeviceFailure"},
        {0x808C0000, "BadSensorFailure"},
        {0x808D0000, "BadOutOfService"},
        {0x80B80000, "BadRequestTooLarge"},
        {0x80B90000, "BadResponseTooLarge"},
        {0x80BE0000, "BadProtocolVersionUnsupported"},
        {0x80AC0000, "BadConnectionRejected"},
        {0x80AD0000, "BadDisconnect"},
        {0x80AE0000, "BadConnectionClosed"},
        {0x80EE0000, "BadServerTooBusy"},
        {0x40900000, "UncertainLastUsableValue"},
        {0x40910000, "UncertainSubstituteValue"},
        {0x40920000, "UncertainInitialValue"},
        {0x40930000, "UncertainSensorNotAccurate"},
        {0x40940000, "UncertainEngineeringUnitsExceeded"},
        {0x002D0000, "GoodSubscriptionTransferred"},
        {0x002F0000, "GoodOverload"},
        {0x00300000, "GoodClamped"},
    }};
    std::sort(codes.begin(), codes.end(),
              [](const NamedCode& a, const NamedCode& b) { return a.code < b.code; });
    return codes;
  }();
  return kCodes;
}

}  // namespace

std::string_view UaStatusCodeName(uint32_t code) {
  const uint32_t key = code & 0xFFFF0000u;
  const auto& codes = SortedCodes();
  const auto it = std::lower_bound(codes.begin(), codes.end(), key,
                                   [](const NamedCode& c, uint32_t k) { return c.code < k; });
  if (it == codes.end() || it->code != key) return {};
  return it->name;
}

std::string DescribeUaStatus(uint32_t code) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) hex.push_back(kHex[(code >> shift) & 0xF]);
  const std::string_view name = UaStatusCodeName(code);
  if (name.empty()) return hex;
  std::string out(name);
  out += " (";
  out += hex;
  out += ")";
  return out;
}

}  // namespace strata::opcua
