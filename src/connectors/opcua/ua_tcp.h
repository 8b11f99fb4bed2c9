// Framing of OPC UA over TCP, without sockets:
//   - the OPC UA Connection Protocol (UACP, OPC 10000-6 §7.1): the 8-byte message header and
//     the Hello, Acknowledge and Error messages;
//   - a frame splitter that finds message boundaries in a receive buffer;
//   - the chunk headers of UA Secure Conversation (§6.7.2) for SecurityPolicy None:
//     SecureChannelId, the asymmetric security header of OPN chunks, the symmetric one
//     (TokenId) of MSG and CLO chunks, and the sequence header. With policy None a chunk has
//     no padding and no signature: the body runs to the end of the chunk.
//
// Reassembling a message from 'C' chunks, sequence-number checks and limits negotiated with
// the server are the secure channel's job; this file only reads and writes single chunks.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_types.h"
#include "core/status.h"

namespace strata::opcua {

enum class MessageType : uint8_t {
  kHello,               // "HEL"
  kAcknowledge,         // "ACK"
  kError,               // "ERR"
  kReverseHello,        // "RHE" (recognised by the splitter; no body codec here)
  kOpenSecureChannel,   // "OPN"
  kMessage,             // "MSG"
  kCloseSecureChannel,  // "CLO"
};

// "HEL", "ACK", ...
std::string_view MessageTypeCode(MessageType type);

enum class ChunkType : char {
  kFinal = 'F',
  kIntermediate = 'C',  // MSG only
  kAbort = 'A',         // MSG only: the sender gave up on the message; the body is an error
};

inline constexpr size_t kMessageHeaderSize = 8;
// The smallest ReceiveBufferSize/SendBufferSize a peer may announce without ECC (§7.1.2.3).
inline constexpr uint32_t kMinBufferSize = 8192;
// Hello's EndpointUrl and Error's Reason must encode to fewer bytes than this.
inline constexpr size_t kMaxUrlLength = 4096;

struct MessageHeader {
  MessageType type = MessageType::kMessage;
  ChunkType chunk_type = ChunkType::kFinal;
  uint32_t size = 0;  // of the whole message or chunk, header included
};

// Reads the first 8 bytes of `bytes`. Rejects unknown message types and chunk types other than
// 'F' outside MSG (BadTcpMessageTypeInvalid); does not judge the size.
[[nodiscard]] Status DecodeMessageHeader(std::span<const uint8_t> bytes, MessageHeader* out);
void EncodeMessageHeader(const MessageHeader& header, Encoder& e);

// What SplitFrame found at the front of a receive buffer.
struct Frame {
  enum class Kind { kNeedMore, kComplete };
  Kind kind = Kind::kNeedMore;
  // kNeedMore: at least this many more bytes are needed; kComplete: the size of the message
  // at the front of the buffer (== header.size).
  size_t bytes = 0;
  MessageHeader header;  // valid once 8 bytes have arrived
};

// Finds the message at the front of `buffer` (bytes received and not yet consumed). Errors for
// an invalid header, a size smaller than the smallest message of its type, or a size above
// `max_message_size` (the ReceiveBufferSize the client announced) — after an error the
// connection cannot be resynchronised and must be closed.
[[nodiscard]] StatusOr<Frame> SplitFrame(std::span<const uint8_t> buffer,
                                         uint32_t max_message_size);

struct HelloMessage {
  uint32_t protocol_version = 0;
  uint32_t receive_buffer_size = 65536;  // largest chunk we accept
  uint32_t send_buffer_size = 65536;     // largest chunk we send
  uint32_t max_message_size = 0;         // largest response message; 0 = no limit
  uint32_t max_chunk_count = 0;          // 0 = no limit
  std::string endpoint_url;              // "opc.tcp://host:4840/path"

  friend bool operator==(const HelloMessage&, const HelloMessage&) = default;
};

// The server's answer to Hello: the limits that apply from now on (the server's receive
// buffer size bounds the chunks we send, its send buffer size the chunks we receive).
struct AcknowledgeMessage {
  uint32_t protocol_version = 0;
  uint32_t receive_buffer_size = 0;
  uint32_t send_buffer_size = 0;
  uint32_t max_message_size = 0;  // largest request message; 0 = no limit
  uint32_t max_chunk_count = 0;   // 0 = no limit

  friend bool operator==(const AcknowledgeMessage&, const AcknowledgeMessage&) = default;
};

// Sent by the server before it closes the connection.
struct ErrorMessage {
  uint32_t error = 0;  // a status code (ua_status_codes.h)
  std::string reason;

  friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

// Append a whole message (header included) to *out. EncodeHello and EncodeError reject strings
// of kMaxUrlLength bytes or more.
[[nodiscard]] Status EncodeHello(const HelloMessage& hello, std::string* out);
void EncodeAcknowledge(const AcknowledgeMessage& ack, std::string* out);
[[nodiscard]] Status EncodeError(const ErrorMessage& error, std::string* out);

// Decode a whole message (header included, as SplitFrame delimits it) of the named type.
[[nodiscard]] Status DecodeHello(std::span<const uint8_t> message, HelloMessage* out);
[[nodiscard]] Status DecodeAcknowledge(std::span<const uint8_t> message, AcknowledgeMessage* out);
[[nodiscard]] Status DecodeError(std::span<const uint8_t> message, ErrorMessage* out);

inline constexpr std::string_view kSecurityPolicyNone =
    "http://opcfoundation.org/UA/SecurityPolicy#None";
// Part 6 §6.7.2.3: the SecurityPolicyUri of an asymmetric header is at most 255 bytes.
inline constexpr size_t kMaxSecurityPolicyUriLength = 255;

// Security header of OPN chunks. With policy None both certificates are null.
struct AsymmetricSecurityHeader {
  std::string security_policy_uri = std::string(kSecurityPolicyNone);
  ByteString sender_certificate;
  ByteString receiver_certificate_thumbprint;

  friend bool operator==(const AsymmetricSecurityHeader&,
                         const AsymmetricSecurityHeader&) = default;
};

struct SequenceHeader {
  uint32_t sequence_number = 0;  // per chunk, monotonic per channel
  uint32_t request_id = 0;       // the same for every chunk of a request and its response

  friend bool operator==(const SequenceHeader&, const SequenceHeader&) = default;
};

// One OPN, MSG or CLO chunk under SecurityPolicy None.
struct SecureChunk {
  MessageType type = MessageType::kMessage;
  ChunkType chunk_type = ChunkType::kFinal;
  uint32_t secure_channel_id = 0;       // 0 in the first OPN request
  AsymmetricSecurityHeader asymmetric;  // OPN only
  uint32_t token_id = 0;                // MSG and CLO only
  SequenceHeader sequence;
  // Decoding: a view into the decoded frame (valid while it is); encoding: the bytes to send.
  std::span<const uint8_t> body;
  size_t body_offset = 0;  // decoding: where the body starts in the frame, for error offsets
};

// Bytes of a MSG or CLO chunk before its body: message header, SecureChannelId, TokenId and
// sequence header. A chunk's body may be at most the negotiated buffer size minus this.
inline constexpr size_t kSymmetricChunkOverhead = kMessageHeaderSize + 4 + 4 + 8;
// Same for an OPN chunk with `header`.
size_t AsymmetricChunkOverhead(const AsymmetricSecurityHeader& header);

// Decodes a whole OPN/MSG/CLO chunk as SplitFrame delimits it. An OPN chunk whose policy is
// not None is FailedPrecondition: its body would be signed or encrypted.
[[nodiscard]] Status DecodeSecureChunk(std::span<const uint8_t> frame, SecureChunk* out,
                                       const DecodeLimits& limits = DecodeLimits());
// Appends a whole chunk, computing its size. Rejects a type that is not OPN/MSG/CLO, a chunk
// type other than 'F' for OPN/CLO, and an OPN policy other than None.
[[nodiscard]] Status EncodeSecureChunk(const SecureChunk& chunk, std::string* out);

}  // namespace strata::opcua
