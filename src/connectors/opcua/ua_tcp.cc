#include "connectors/opcua/ua_tcp.h"

#include <array>
#include <cstdint>
#include <string>

namespace strata::opcua {
namespace {

struct TypeInfo {
  MessageType type;
  std::string_view code;
  uint32_t min_size;  // header + the smallest possible body
};

// Smallest bodies: HEL 5 UInt32 + null String; ACK 5 UInt32; ERR UInt32 + null String;
// RHE two null Strings; OPN channel id + three null strings + sequence header; MSG/CLO channel
// id + token id + sequence header.
constexpr std::array<TypeInfo, 7> kTypes = {{
    {MessageType::kHello, "HEL", 8 + 20 + 4},
    {MessageType::kAcknowledge, "ACK", 8 + 20},
    {MessageType::kError, "ERR", 8 + 4 + 4},
    {MessageType::kReverseHello, "RHE", 8 + 4 + 4},
    {MessageType::kOpenSecureChannel, "OPN", 8 + 4 + 12 + 8},
    {MessageType::kMessage, "MSG", 8 + 4 + 4 + 8},
    {MessageType::kCloseSecureChannel, "CLO", 8 + 4 + 4 + 8},
}};

const TypeInfo& InfoOf(MessageType type) { return kTypes[static_cast<size_t>(type)]; }

bool IsSecureType(MessageType type) {
  return type == MessageType::kOpenSecureChannel || type == MessageType::kMessage ||
         type == MessageType::kCloseSecureChannel;
}

std::string Printable(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) {
    if (b >= 0x20 && b < 0x7F) {
      out.push_back(static_cast<char>(b));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
  return out;
}

// Checks the header of a whole message against its expected type and returns a decoder over
// its body.
Status OpenBody(std::span<const uint8_t> message, MessageType expected, Decoder* body,
                const DecodeLimits& limits = DecodeLimits()) {
  MessageHeader header;
  STRATA_RETURN_IF_ERROR(DecodeMessageHeader(message, &header));
  if (header.type != expected) {
    return InvalidArgumentError("expected an " + std::string(MessageTypeCode(expected)) +
                                " message, got " + std::string(MessageTypeCode(header.type)));
  }
  if (header.size != message.size()) {
    return InvalidArgumentError(std::string(MessageTypeCode(expected)) + " header says " +
                                std::to_string(header.size) + " bytes, the message has " +
                                std::to_string(message.size()));
  }
  *body = Decoder(message.subspan(kMessageHeaderSize), limits, kMessageHeaderSize);
  return Status::Ok();
}

Status WithMessage(const Status& s, MessageType type) {
  return s.ok() ? s : internal::WithField(s, MessageTypeCode(type));
}

void PatchSize(std::string* out, size_t start) {
  Encoder(out).PatchUInt32(start + 4, static_cast<uint32_t>(out->size() - start));
}

Status CheckStringLength(std::string_view value, std::string_view what) {
  if (value.size() < kMaxUrlLength) return Status::Ok();
  return InvalidArgumentError(std::string(what) + " is " + std::to_string(value.size()) +
                              " bytes; OPC UA allows fewer than " + std::to_string(kMaxUrlLength));
}

}  // namespace

std::string_view MessageTypeCode(MessageType type) { return InfoOf(type).code; }

Status DecodeMessageHeader(std::span<const uint8_t> bytes, MessageHeader* out) {
  if (bytes.size() < kMessageHeaderSize) {
    return InvalidArgumentError("at byte 0 reading message header: need 8 bytes, " +
                                std::to_string(bytes.size()) + " left");
  }
  const std::string_view code(reinterpret_cast<const char*>(bytes.data()), 3);
  const TypeInfo* info = nullptr;
  for (const TypeInfo& t : kTypes) {
    if (t.code == code) info = &t;
  }
  if (info == nullptr) {
    return InvalidArgumentError("at byte 0 reading message header: message type '" +
                                Printable(bytes.first(3)) +
                                "' is not HEL/ACK/ERR/RHE/OPN/MSG/CLO (BadTcpMessageTypeInvalid;"
                                " is the peer an OPC UA server?)");
  }
  const char chunk = static_cast<char>(bytes[3]);
  const bool known_chunk = chunk == 'F' || chunk == 'C' || chunk == 'A';
  if (!known_chunk || (chunk != 'F' && info->type != MessageType::kMessage)) {
    return InvalidArgumentError("at byte 3 reading message header: chunk type '" +
                                Printable(bytes.subspan(3, 1)) + "' is not valid for " +
                                std::string(info->code) +
                                " (F, or C/A for MSG) (BadTcpMessageTypeInvalid)");
  }
  out->type = info->type;
  out->chunk_type = static_cast<ChunkType>(chunk);
  Decoder d(bytes.subspan(4, 4), DecodeLimits(), 4);
  return d.ReadUInt32(&out->size);
}

void EncodeMessageHeader(const MessageHeader& header, Encoder& e) {
  e.WriteRaw(MessageTypeCode(header.type));
  e.WriteByte(static_cast<uint8_t>(header.chunk_type));
  e.WriteUInt32(header.size);
}

StatusOr<Frame> SplitFrame(std::span<const uint8_t> buffer, uint32_t max_message_size) {
  Frame frame;
  if (buffer.size() < kMessageHeaderSize) {
    frame.bytes = kMessageHeaderSize - buffer.size();
    return frame;
  }
  STRATA_RETURN_IF_ERROR(DecodeMessageHeader(buffer, &frame.header));
  const TypeInfo& info = InfoOf(frame.header.type);
  if (frame.header.size < info.min_size) {
    return InvalidArgumentError("at byte 4 reading message header: " + std::string(info.code) +
                                " size " + std::to_string(frame.header.size) +
                                " is below the smallest possible " + std::to_string(info.min_size));
  }
  if (frame.header.size > max_message_size) {
    return ResourceExhaustedError("at byte 4 reading message header: " + std::string(info.code) +
                                  " size " + std::to_string(frame.header.size) +
                                  " exceeds the negotiated maximum " +
                                  std::to_string(max_message_size) + " (BadTcpMessageTooLarge)");
  }
  if (buffer.size() < frame.header.size) {
    frame.bytes = frame.header.size - buffer.size();
    return frame;
  }
  frame.kind = Frame::Kind::kComplete;
  frame.bytes = frame.header.size;
  return frame;
}

Status EncodeHello(const HelloMessage& hello, std::string* out) {
  STRATA_RETURN_IF_ERROR(CheckStringLength(hello.endpoint_url, "Hello EndpointUrl"));
  const size_t start = out->size();
  Encoder e(out);
  EncodeMessageHeader({MessageType::kHello, ChunkType::kFinal, 0}, e);
  e.WriteUInt32(hello.protocol_version);
  e.WriteUInt32(hello.receive_buffer_size);
  e.WriteUInt32(hello.send_buffer_size);
  e.WriteUInt32(hello.max_message_size);
  e.WriteUInt32(hello.max_chunk_count);
  e.WriteString(hello.endpoint_url);
  PatchSize(out, start);
  return Status::Ok();
}

void EncodeAcknowledge(const AcknowledgeMessage& ack, std::string* out) {
  const size_t start = out->size();
  Encoder e(out);
  EncodeMessageHeader({MessageType::kAcknowledge, ChunkType::kFinal, 0}, e);
  e.WriteUInt32(ack.protocol_version);
  e.WriteUInt32(ack.receive_buffer_size);
  e.WriteUInt32(ack.send_buffer_size);
  e.WriteUInt32(ack.max_message_size);
  e.WriteUInt32(ack.max_chunk_count);
  PatchSize(out, start);
}

Status EncodeError(const ErrorMessage& error, std::string* out) {
  STRATA_RETURN_IF_ERROR(CheckStringLength(error.reason, "Error Reason"));
  const size_t start = out->size();
  Encoder e(out);
  EncodeMessageHeader({MessageType::kError, ChunkType::kFinal, 0}, e);
  e.WriteUInt32(error.error);
  e.WriteString(error.reason);
  PatchSize(out, start);
  return Status::Ok();
}

Status DecodeHello(std::span<const uint8_t> message, HelloMessage* out) {
  Decoder d(message);
  STRATA_RETURN_IF_ERROR(OpenBody(message, MessageType::kHello, &d));
  Status s = d.ReadUInt32(&out->protocol_version);
  if (s.ok()) s = d.ReadUInt32(&out->receive_buffer_size);
  if (s.ok()) s = d.ReadUInt32(&out->send_buffer_size);
  if (s.ok()) s = d.ReadUInt32(&out->max_message_size);
  if (s.ok()) s = d.ReadUInt32(&out->max_chunk_count);
  if (s.ok()) s = d.ReadString(&out->endpoint_url, "EndpointUrl");
  if (s.ok() && out->endpoint_url.size() >= kMaxUrlLength) {
    s = InvalidArgumentError("EndpointUrl is " + std::to_string(out->endpoint_url.size()) +
                             " bytes (BadTcpEndpointUrlInvalid)");
  }
  if (s.ok()) s = d.ExpectEnd("end of message");
  return WithMessage(s, MessageType::kHello);
}

Status DecodeAcknowledge(std::span<const uint8_t> message, AcknowledgeMessage* out) {
  Decoder d(message);
  STRATA_RETURN_IF_ERROR(OpenBody(message, MessageType::kAcknowledge, &d));
  Status s = d.ReadUInt32(&out->protocol_version);
  if (s.ok()) s = d.ReadUInt32(&out->receive_buffer_size);
  if (s.ok()) s = d.ReadUInt32(&out->send_buffer_size);
  if (s.ok()) s = d.ReadUInt32(&out->max_message_size);
  if (s.ok()) s = d.ReadUInt32(&out->max_chunk_count);
  if (s.ok()) s = d.ExpectEnd("end of message");
  return WithMessage(s, MessageType::kAcknowledge);
}

Status DecodeError(std::span<const uint8_t> message, ErrorMessage* out) {
  Decoder d(message);
  STRATA_RETURN_IF_ERROR(OpenBody(message, MessageType::kError, &d));
  Status s = d.ReadUInt32(&out->error);
  if (s.ok()) s = d.ReadString(&out->reason, "Reason");
  if (s.ok()) s = d.ExpectEnd("end of message");
  return WithMessage(s, MessageType::kError);
}

size_t AsymmetricChunkOverhead(const AsymmetricSecurityHeader& header) {
  return kMessageHeaderSize + 4 + (4 + header.security_policy_uri.size()) +
         (4 + header.sender_certificate.value.size()) +
         (4 + header.receiver_certificate_thumbprint.value.size()) + 8;
}

Status DecodeSecureChunk(std::span<const uint8_t> frame, SecureChunk* out,
                         const DecodeLimits& limits) {
  MessageHeader header;
  STRATA_RETURN_IF_ERROR(DecodeMessageHeader(frame, &header));
  if (!IsSecureType(header.type)) {
    return InvalidArgumentError("expected an OPN, MSG or CLO chunk, got " +
                                std::string(MessageTypeCode(header.type)));
  }
  if (header.size != frame.size()) {
    return InvalidArgumentError(std::string(MessageTypeCode(header.type)) + " header says " +
                                std::to_string(header.size) + " bytes, the chunk has " +
                                std::to_string(frame.size()));
  }
  out->type = header.type;
  out->chunk_type = header.chunk_type;
  Decoder d(frame.subspan(kMessageHeaderSize), limits, kMessageHeaderSize);
  Status s = d.ReadUInt32(&out->secure_channel_id);
  if (!s.ok()) return internal::WithField(s, "SecureChannelId");
  if (header.type == MessageType::kOpenSecureChannel) {
    AsymmetricSecurityHeader& a = out->asymmetric;
    const size_t at = d.position();
    s = d.ReadString(&a.security_policy_uri, "SecurityPolicyUri");
    if (s.ok() && a.security_policy_uri.size() > kMaxSecurityPolicyUriLength) {
      s = d.Error(StatusCode::kInvalidArgument, at, "SecurityPolicyUri",
                  "length " + std::to_string(a.security_policy_uri.size()) + " exceeds 255");
    }
    if (s.ok()) s = Decode(d, &a.sender_certificate);
    if (s.ok()) s = Decode(d, &a.receiver_certificate_thumbprint);
    if (!s.ok()) return internal::WithField(s, "AsymmetricSecurityHeader");
    if (a.security_policy_uri != kSecurityPolicyNone) {
      return FailedPreconditionError("OPN chunk uses SecurityPolicy '" + a.security_policy_uri +
                                     "'; only " + std::string(kSecurityPolicyNone) +
                                     " is supported, configure the endpoint for it");
    }
    out->token_id = 0;
  } else {
    out->asymmetric = AsymmetricSecurityHeader();
    s = d.ReadUInt32(&out->token_id);
    if (!s.ok()) return internal::WithField(s, "TokenId");
  }
  s = d.ReadUInt32(&out->sequence.sequence_number);
  if (s.ok()) s = d.ReadUInt32(&out->sequence.request_id);
  if (!s.ok()) return internal::WithField(s, "SequenceHeader");
  out->body_offset = frame.size() - d.remaining();
  out->body = frame.subspan(out->body_offset);
  return Status::Ok();
}

Status EncodeSecureChunk(const SecureChunk& chunk, std::string* out) {
  if (!IsSecureType(chunk.type)) {
    return InvalidArgumentError("EncodeSecureChunk: " + std::string(MessageTypeCode(chunk.type)) +
                                " is not OPN, MSG or CLO");
  }
  const char ct = static_cast<char>(chunk.chunk_type);
  if ((ct != 'F' && ct != 'C' && ct != 'A') || (ct != 'F' && chunk.type != MessageType::kMessage)) {
    return InvalidArgumentError("EncodeSecureChunk: chunk type is not valid for " +
                                std::string(MessageTypeCode(chunk.type)));
  }
  if (chunk.type == MessageType::kOpenSecureChannel &&
      chunk.asymmetric.security_policy_uri != kSecurityPolicyNone) {
    return FailedPreconditionError("EncodeSecureChunk: SecurityPolicy '" +
                                   chunk.asymmetric.security_policy_uri +
                                   "' needs signing/encryption, which is not implemented");
  }
  const size_t overhead = chunk.type == MessageType::kOpenSecureChannel
                              ? AsymmetricChunkOverhead(chunk.asymmetric)
                              : kSymmetricChunkOverhead;
  if (overhead + chunk.body.size() > UINT32_MAX) {
    return InvalidArgumentError("EncodeSecureChunk: a " + std::to_string(chunk.body.size()) +
                                "-byte body does not fit one chunk; split the message");
  }
  Encoder e(out);
  EncodeMessageHeader(
      {chunk.type, chunk.chunk_type, static_cast<uint32_t>(overhead + chunk.body.size())}, e);
  e.WriteUInt32(chunk.secure_channel_id);
  if (chunk.type == MessageType::kOpenSecureChannel) {
    // Empty certificates go out as null (-1), as policy None asks; a null or empty string
    // takes 4 bytes either way, so AsymmetricChunkOverhead stays exact.
    e.WriteString(chunk.asymmetric.security_policy_uri);
    Encode(e, chunk.asymmetric.sender_certificate);
    Encode(e, chunk.asymmetric.receiver_certificate_thumbprint);
  } else {
    e.WriteUInt32(chunk.token_id);
  }
  e.WriteUInt32(chunk.sequence.sequence_number);
  e.WriteUInt32(chunk.sequence.request_id);
  e.WriteRaw(chunk.body);
  return Status::Ok();
}

}  // namespace strata::opcua
