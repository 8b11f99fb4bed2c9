// Fuzz target: bytes from an OPC UA server (or from whatever answers on port 4840). The frame
// splitter, the UACP and secure-chunk decoders, the decoder of every service message and of
// the built-in containers must reject garbage with a Status — never crash, hang, recurse
// without bound or allocate without bound. What they accept must re-encode to bytes that decode
// again and re-encode to the same bytes.
//
// The first input byte picks the entry point, the rest is its input:
//   0 a receive buffer (frames)   1 a service message body   2 Variant   3 DataValue
//   4 DiagnosticInfo              5 NotificationMessage      6 NodeId and friends
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_services.h"
#include "connectors/opcua/ua_session_services.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_tcp.h"
#include "connectors/opcua/ua_variant.h"
#include "connectors/opcua/ua_view_services.h"

namespace {

using namespace strata::opcua;  // NOLINT(google-build-using-namespace): a test harness

DecodeLimits FuzzLimits() {
  DecodeLimits limits;
  limits.max_decoded_bytes = 64ull << 20;
  return limits;
}

[[noreturn]] void Fail() { __builtin_trap(); }

std::string_view AsText(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

template <class T>
std::string EncodeValue(const T& value) {
  std::string out;
  Encoder e(&out);
  Encode(e, value);
  return out;
}

// Decodes a T from the front of `bytes`; if that works, checks encode -> decode -> encode.
template <class T>
void RoundTripValue(std::span<const uint8_t> bytes) {
  Decoder d(bytes, FuzzLimits());
  T value{};
  if (!Decode(d, &value).ok()) return;
  const std::string once = EncodeValue(value);
  Decoder again_decoder(std::string_view(once), FuzzLimits());
  T again{};
  if (!Decode(again_decoder, &again).ok() || again_decoder.remaining() != 0) Fail();
  if (EncodeValue(again) != once) Fail();
}

template <class M>
void RoundTripMessage(std::span<const uint8_t> body) {
  M message;
  if (!DecodeMessage(body, &message, FuzzLimits()).ok()) return;
  std::string once;
  EncodeMessage(message, &once);
  M again;
  if (!DecodeMessage(once, &again, FuzzLimits()).ok()) Fail();
  std::string twice;
  EncodeMessage(again, &twice);
  if (twice != once) Fail();
}

void AnyMessage(std::span<const uint8_t> body) {
  auto type_id = PeekMessageTypeId(body);
  if (!type_id.ok()) return;
  switch (*type_id) {
    case ServiceFault::kBinaryEncodingId:
      return RoundTripMessage<ServiceFault>(body);
    case OpenSecureChannelRequest::kBinaryEncodingId:
      return RoundTripMessage<OpenSecureChannelRequest>(body);
    case OpenSecureChannelResponse::kBinaryEncodingId:
      return RoundTripMessage<OpenSecureChannelResponse>(body);
    case CloseSecureChannelRequest::kBinaryEncodingId:
      return RoundTripMessage<CloseSecureChannelRequest>(body);
    case CloseSecureChannelResponse::kBinaryEncodingId:
      return RoundTripMessage<CloseSecureChannelResponse>(body);
    case CreateSessionRequest::kBinaryEncodingId:
      return RoundTripMessage<CreateSessionRequest>(body);
    case CreateSessionResponse::kBinaryEncodingId:
      return RoundTripMessage<CreateSessionResponse>(body);
    case ActivateSessionRequest::kBinaryEncodingId:
      return RoundTripMessage<ActivateSessionRequest>(body);
    case ActivateSessionResponse::kBinaryEncodingId:
      return RoundTripMessage<ActivateSessionResponse>(body);
    case CloseSessionRequest::kBinaryEncodingId:
      return RoundTripMessage<CloseSessionRequest>(body);
    case CloseSessionResponse::kBinaryEncodingId:
      return RoundTripMessage<CloseSessionResponse>(body);
    case BrowseRequest::kBinaryEncodingId:
      return RoundTripMessage<BrowseRequest>(body);
    case BrowseResponse::kBinaryEncodingId:
      return RoundTripMessage<BrowseResponse>(body);
    case BrowseNextRequest::kBinaryEncodingId:
      return RoundTripMessage<BrowseNextRequest>(body);
    case BrowseNextResponse::kBinaryEncodingId:
      return RoundTripMessage<BrowseNextResponse>(body);
    case TranslateBrowsePathsToNodeIdsRequest::kBinaryEncodingId:
      return RoundTripMessage<TranslateBrowsePathsToNodeIdsRequest>(body);
    case TranslateBrowsePathsToNodeIdsResponse::kBinaryEncodingId:
      return RoundTripMessage<TranslateBrowsePathsToNodeIdsResponse>(body);
    case ReadRequest::kBinaryEncodingId:
      return RoundTripMessage<ReadRequest>(body);
    case ReadResponse::kBinaryEncodingId:
      return RoundTripMessage<ReadResponse>(body);
    case CreateSubscriptionRequest::kBinaryEncodingId:
      return RoundTripMessage<CreateSubscriptionRequest>(body);
    case CreateSubscriptionResponse::kBinaryEncodingId:
      return RoundTripMessage<CreateSubscriptionResponse>(body);
    case CreateMonitoredItemsRequest::kBinaryEncodingId:
      return RoundTripMessage<CreateMonitoredItemsRequest>(body);
    case CreateMonitoredItemsResponse::kBinaryEncodingId:
      return RoundTripMessage<CreateMonitoredItemsResponse>(body);
    case PublishRequest::kBinaryEncodingId:
      return RoundTripMessage<PublishRequest>(body);
    case PublishResponse::kBinaryEncodingId:
      return RoundTripMessage<PublishResponse>(body);
    case RepublishRequest::kBinaryEncodingId:
      return RoundTripMessage<RepublishRequest>(body);
    case RepublishResponse::kBinaryEncodingId:
      return RoundTripMessage<RepublishResponse>(body);
    default: {
      // Unknown ids must still be rejected cleanly by a typed decoder.
      ReadResponse response;
      if (DecodeMessage(body, &response, FuzzLimits()).ok()) Fail();
      return;
    }
  }
}

void SecureChunkFrame(std::span<const uint8_t> frame) {
  SecureChunk chunk;
  if (!DecodeSecureChunk(frame, &chunk, FuzzLimits()).ok()) return;
  if (chunk.body_offset + chunk.body.size() != frame.size()) Fail();
  std::string again;
  if (!EncodeSecureChunk(chunk, &again).ok()) Fail();
  SecureChunk back;
  if (!DecodeSecureChunk(
           std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(again.data()), again.size()),
           &back, FuzzLimits())
           .ok()) {
    Fail();
  }
  if (back.type != chunk.type || back.chunk_type != chunk.chunk_type ||
      back.secure_channel_id != chunk.secure_channel_id || back.token_id != chunk.token_id ||
      !(back.asymmetric == chunk.asymmetric) || !(back.sequence == chunk.sequence) ||
      AsText(back.body) != AsText(chunk.body)) {
    Fail();
  }
  AnyMessage(chunk.body);
}

// Feeds a receive buffer through the splitter the way the channel will: frame after frame.
void Frames(std::span<const uint8_t> buffer) {
  while (true) {
    auto frame = SplitFrame(buffer, 1u << 20);
    if (!frame.ok()) return;
    if (frame->kind == Frame::Kind::kNeedMore) {
      if (frame->bytes == 0) Fail();
      return;
    }
    if (frame->bytes < kMessageHeaderSize || frame->bytes > buffer.size()) Fail();
    const std::span<const uint8_t> message = buffer.first(frame->bytes);
    switch (frame->header.type) {
      case MessageType::kHello: {
        HelloMessage hello;
        if (DecodeHello(message, &hello).ok()) {
          std::string out;
          HelloMessage back;
          if (!EncodeHello(hello, &out).ok()) Fail();
          if (!DecodeHello({reinterpret_cast<const uint8_t*>(out.data()), out.size()}, &back)
                   .ok() ||
              !(back == hello)) {
            Fail();
          }
        }
        break;
      }
      case MessageType::kAcknowledge: {
        AcknowledgeMessage ack;
        if (DecodeAcknowledge(message, &ack).ok()) {
          std::string out;
          EncodeAcknowledge(ack, &out);
          if (out.size() != message.size() || AsText(message) != out) Fail();
        }
        break;
      }
      case MessageType::kError: {
        ErrorMessage error;
        std::string out;
        if (DecodeError(message, &error).ok() && EncodeError(error, &out).ok()) {
          ErrorMessage back;
          if (!DecodeError({reinterpret_cast<const uint8_t*>(out.data()), out.size()}, &back)
                   .ok() ||
              !(back == error)) {
            Fail();
          }
        }
        break;
      }
      case MessageType::kReverseHello:
        break;
      case MessageType::kOpenSecureChannel:
      case MessageType::kMessage:
      case MessageType::kCloseSecureChannel:
        SecureChunkFrame(message);
        break;
    }
    buffer = buffer.subspan(frame->bytes);
  }
}

void DiagnosticInfos(std::span<const uint8_t> bytes) {
  RoundTripValue<DiagnosticInfo>(bytes);
  // Skipping must accept exactly what decoding accepts and consume the same bytes.
  Decoder decode(bytes, FuzzLimits());
  Decoder skip(bytes, FuzzLimits());
  DiagnosticInfo info;
  const bool decoded = Decode(decode, &info).ok();
  const bool skipped = SkipDiagnosticInfo(skip).ok();
  if (decoded != skipped) Fail();
  if (decoded && decode.remaining() != skip.remaining()) Fail();
}

void BuiltIns(std::span<const uint8_t> bytes) {
  RoundTripValue<NodeId>(bytes);
  RoundTripValue<ExpandedNodeId>(bytes);
  RoundTripValue<QualifiedName>(bytes);
  RoundTripValue<LocalizedText>(bytes);
  RoundTripValue<ExtensionObject>(bytes);
  RoundTripValue<Guid>(bytes);
  NodeId id;
  Decoder d(bytes, FuzzLimits());
  if (Decode(d, &id).ok()) {
    // The text form must parse back to the same NodeId (opaque and string ids included),
    // except for empty string/opaque identifiers, which have no text form.
    auto parsed = ParseNodeId(id.ToString());
    const bool empty_text =
        (id.kind == NodeId::Kind::kString || id.kind == NodeId::Kind::kOpaque) && id.text.empty();
    if (!empty_text && (!parsed.ok() || !(*parsed == id))) Fail();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      Frames(rest);
      break;
    case 1:
      AnyMessage(rest);
      break;
    case 2:
      RoundTripValue<Variant>(rest);
      break;
    case 3:
      RoundTripValue<DataValue>(rest);
      break;
    case 4:
      DiagnosticInfos(rest);
      break;
    case 5:
      RoundTripValue<NotificationMessage>(rest);
      break;
    case 6:
      BuiltIns(rest);
      break;
  }
  return 0;
}
