// OPC UA StatusCode values that the client acts on or reports, with their names. Values from
// the OPC Foundation's StatusCode.csv (UA-Nodeset, Schema/StatusCode.csv). The top two bits
// are the severity (00 good, 01 uncertain, 10/11 bad); the low 16 bits carry info flags and
// are ignored when a code is named.
//
// strata::StatusCode is Strata's own error code (core/status.h); these are plain uint32_t.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::opcua {

inline constexpr uint32_t kGood = 0x00000000;
inline constexpr uint32_t kUncertain = 0x40000000;
inline constexpr uint32_t kBad = 0x80000000;
inline constexpr uint32_t kBadUnexpectedError = 0x80010000;
inline constexpr uint32_t kBadInternalError = 0x80020000;
inline constexpr uint32_t kBadOutOfMemory = 0x80030000;
inline constexpr uint32_t kBadCommunicationError = 0x80050000;
inline constexpr uint32_t kBadEncodingError = 0x80060000;
inline constexpr uint32_t kBadDecodingError = 0x80070000;
inline constexpr uint32_t kBadEncodingLimitsExceeded = 0x80080000;
inline constexpr uint32_t kBadUnknownResponse = 0x80090000;
inline constexpr uint32_t kBadTimeout = 0x800A0000;
inline constexpr uint32_t kBadServiceUnsupported = 0x800B0000;
inline constexpr uint32_t kBadShutdown = 0x800C0000;
inline constexpr uint32_t kBadServerNotConnected = 0x800D0000;
inline constexpr uint32_t kBadServerHalted = 0x800E0000;
inline constexpr uint32_t kBadNothingToDo = 0x800F0000;
inline constexpr uint32_t kBadTooManyOperations = 0x80100000;
inline constexpr uint32_t kBadDataTypeIdUnknown = 0x80110000;
inline constexpr uint32_t kBadSecurityChecksFailed = 0x80130000;
inline constexpr uint32_t kBadUserAccessDenied = 0x801F0000;
inline constexpr uint32_t kBadIdentityTokenInvalid = 0x80200000;
inline constexpr uint32_t kBadIdentityTokenRejected = 0x80210000;
inline constexpr uint32_t kBadSecureChannelIdInvalid = 0x80220000;
inline constexpr uint32_t kBadInvalidTimestamp = 0x80230000;
inline constexpr uint32_t kBadNonceInvalid = 0x80240000;
inline constexpr uint32_t kBadSessionIdInvalid = 0x80250000;
inline constexpr uint32_t kBadSessionClosed = 0x80260000;
inline constexpr uint32_t kBadSessionNotActivated = 0x80270000;
inline constexpr uint32_t kBadSubscriptionIdInvalid = 0x80280000;
inline constexpr uint32_t kBadRequestHeaderInvalid = 0x802A0000;
inline constexpr uint32_t kBadTimestampsToReturnInvalid = 0x802B0000;
inline constexpr uint32_t kBadNoCommunication = 0x80310000;
inline constexpr uint32_t kBadWaitingForInitialData = 0x80320000;
inline constexpr uint32_t kBadNodeIdInvalid = 0x80330000;
inline constexpr uint32_t kBadNodeIdUnknown = 0x80340000;
inline constexpr uint32_t kBadAttributeIdInvalid = 0x80350000;
inline constexpr uint32_t kBadIndexRangeInvalid = 0x80360000;
inline constexpr uint32_t kBadNotReadable = 0x803A0000;
inline constexpr uint32_t kBadOutOfRange = 0x803C0000;
inline constexpr uint32_t kBadNotSupported = 0x803D0000;
inline constexpr uint32_t kBadNotFound = 0x803E0000;
inline constexpr uint32_t kBadMonitoringModeInvalid = 0x80410000;
inline constexpr uint32_t kBadMonitoredItemIdInvalid = 0x80420000;
inline constexpr uint32_t kBadMonitoredItemFilterInvalid = 0x80430000;
inline constexpr uint32_t kBadContinuationPointInvalid = 0x804A0000;
inline constexpr uint32_t kBadNoContinuationPoints = 0x804B0000;
inline constexpr uint32_t kBadBrowseNameInvalid = 0x80600000;
inline constexpr uint32_t kBadNoMatch = 0x806F0000;
inline constexpr uint32_t kBadSecurityModeRejected = 0x80540000;
inline constexpr uint32_t kBadSecurityPolicyRejected = 0x80550000;
inline constexpr uint32_t kBadTooManySessions = 0x80560000;
inline constexpr uint32_t kBadTypeMismatch = 0x80740000;
inline constexpr uint32_t kBadTooManySubscriptions = 0x80770000;
inline constexpr uint32_t kBadTooManyPublishRequests = 0x80780000;
inline constexpr uint32_t kBadNoSubscription = 0x80790000;
inline constexpr uint32_t kBadSequenceNumberUnknown = 0x807A0000;
inline constexpr uint32_t kBadMessageNotAvailable = 0x807B0000;
inline constexpr uint32_t kBadTcpServerTooBusy = 0x807D0000;
inline constexpr uint32_t kBadTcpMessageTypeInvalid = 0x807E0000;
inline constexpr uint32_t kBadTcpSecureChannelUnknown = 0x807F0000;
inline constexpr uint32_t kBadTcpMessageTooLarge = 0x80800000;
inline constexpr uint32_t kBadTcpNotEnoughResources = 0x80810000;
inline constexpr uint32_t kBadTcpInternalError = 0x80820000;
inline constexpr uint32_t kBadTcpEndpointUrlInvalid = 0x80830000;
inline constexpr uint32_t kBadRequestInterrupted = 0x80840000;
inline constexpr uint32_t kBadRequestTimeout = 0x80850000;
inline constexpr uint32_t kBadSecureChannelClosed = 0x80860000;
inline constexpr uint32_t kBadSecureChannelTokenUnknown = 0x80870000;
inline constexpr uint32_t kBadSequenceNumberInvalid = 0x80880000;
inline constexpr uint32_t kBadConfigurationError = 0x80890000;
inline constexpr uint32_t kBadNotConnected = 0x808A0000;
inline constexpr uint32_t kBadDeviceFailure = 0x808B0000;
inline constexpr uint32_t kBadSensorFailure = 0x808C0000;
inline constexpr uint32_t kBadOutOfService = 0x808D0000;
inline constexpr uint32_t kBadRequestTooLarge = 0x80B80000;
inline constexpr uint32_t kBadResponseTooLarge = 0x80B90000;
inline constexpr uint32_t kBadProtocolVersionUnsupported = 0x80BE0000;
inline constexpr uint32_t kBadConnectionRejected = 0x80AC0000;
inline constexpr uint32_t kBadDisconnect = 0x80AD0000;
inline constexpr uint32_t kBadConnectionClosed = 0x80AE0000;
inline constexpr uint32_t kBadServerTooBusy = 0x80EE0000;
inline constexpr uint32_t kUncertainLastUsableValue = 0x40900000;
inline constexpr uint32_t kUncertainSubstituteValue = 0x40910000;
inline constexpr uint32_t kUncertainInitialValue = 0x40920000;
inline constexpr uint32_t kUncertainSensorNotAccurate = 0x40930000;
inline constexpr uint32_t kUncertainEngineeringUnitsExceeded = 0x40940000;
inline constexpr uint32_t kGoodSubscriptionTransferred = 0x002D0000;
inline constexpr uint32_t kGoodOverload = 0x002F0000;
inline constexpr uint32_t kGoodClamped = 0x00300000;

inline bool IsGood(uint32_t code) { return (code & 0xC0000000u) == 0; }
inline bool IsUncertain(uint32_t code) { return (code & 0xC0000000u) == 0x40000000u; }
inline bool IsBad(uint32_t code) { return (code & 0x80000000u) != 0; }

// "BadNodeIdUnknown" for the codes above (info bits ignored); "" for others.
std::string_view UaStatusCodeName(uint32_t code);

// "BadNodeIdUnknown (0x80340000)", or "0x80AB0000" for a code without a name here.
std::string DescribeUaStatus(uint32_t code);

}  // namespace strata::opcua
