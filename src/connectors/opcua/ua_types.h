// The OPC UA built-in data types that are not containers (OPC 10000-6 §5.1 and §5.2.2,
// OPC 10000-3 §8): Guid, DateTime, ByteString, XmlElement, NodeId, ExpandedNodeId,
// QualifiedName, LocalizedText, ExtensionObject, and the StatusCode value of a Variant.
// The containers (Variant, DataValue, DiagnosticInfo) are in ua_variant.h, their wire
// encoding in ua_binary.h.
//
// Plain value types: copyable, comparable with ==, no I/O. Thread-compatible.
//
// Null and empty are one thing here: an empty std::string stands for both a null and an empty
// String/ByteString, and the encoder writes it as null (length -1), which every server accepts
// for optional strings (IndexRange, AuditEntryId, EncryptionAlgorithm, ...).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace strata::opcua {

// Built-in type ids (OPC 10000-6 Table 1): the low 6 bits of a Variant's encoding mask.
enum class BuiltinType : uint8_t {
  kNull = 0,
  kBoolean = 1,
  kSByte = 2,
  kByte = 3,
  kInt16 = 4,
  kUInt16 = 5,
  kInt32 = 6,
  kUInt32 = 7,
  kInt64 = 8,
  kUInt64 = 9,
  kFloat = 10,
  kDouble = 11,
  kString = 12,
  kDateTime = 13,
  kGuid = 14,
  kByteString = 15,
  kXmlElement = 16,
  kNodeId = 17,
  kExpandedNodeId = 18,
  kStatusCode = 19,
  kQualifiedName = 20,
  kLocalizedText = 21,
  kExtensionObject = 22,
  kDataValue = 23,
  kVariant = 24,
  kDiagnosticInfo = 25,
};
inline constexpr int kMaxBuiltinType = 25;

// "Int32", "LocalizedText", ...; "Null" for 0 and "Unknown" past 25.
std::string_view BuiltinTypeName(BuiltinType type);

// A heap-allocated value with value semantics (deep copy, deep ==), for the recursive members
// of Variant, DataValue and DiagnosticInfo. May be empty (null); a default Box is empty.
template <class T>
class Box {
 public:
  Box() = default;
  explicit Box(T value) : ptr_(std::make_unique<T>(std::move(value))) {}
  Box(const Box& other) : ptr_(other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr) {}
  Box(Box&&) noexcept = default;
  Box& operator=(const Box& other) {
    if (this != &other) ptr_ = other.ptr_ ? std::make_unique<T>(*other.ptr_) : nullptr;
    return *this;
  }
  Box& operator=(Box&&) noexcept = default;
  ~Box() = default;

  explicit operator bool() const { return ptr_ != nullptr; }
  T* get() const { return ptr_.get(); }
  T& operator*() const { return *ptr_; }
  T* operator->() const { return ptr_.get(); }
  // Replaces the content with a default T and returns it.
  T& emplace() {
    ptr_ = std::make_unique<T>();
    return *ptr_;
  }
  void reset() { ptr_.reset(); }

  friend bool operator==(const Box& a, const Box& b) {
    if (!a.ptr_ || !b.ptr_) return !a.ptr_ && !b.ptr_;
    return *a.ptr_ == *b.ptr_;
  }

 private:
  std::unique_ptr<T> ptr_;
};

// A 16-byte GUID; on the wire Data1..Data3 are little-endian integers, Data4 raw bytes.
struct Guid {
  uint32_t data1 = 0;
  uint16_t data2 = 0;
  uint16_t data3 = 0;
  std::array<uint8_t, 8> data4{};

  // "72962B91-FA75-4AE6-8D28-B404DC7DAF63" (upper case).
  std::string ToString() const;
  // The 36-character form above, either case; nullopt if malformed.
  static std::optional<Guid> Parse(std::string_view text);

  friend bool operator==(const Guid&, const Guid&) = default;
};

// Int64 count of 100 ns intervals since 1601-01-01 00:00 UTC, as on the wire. 0 means
// "no time" (DateTime.MinValue), INT64_MAX means DateTime.MaxValue.
struct DateTime {
  int64_t ticks = 0;

  // Ticks from 1601-01-01 to the Unix epoch.
  static constexpr int64_t kUnixEpochTicks = 116'444'736'000'000'000;
  // The earliest and latest Unix-ns times this platform represents (1677 .. 2262). Part 6
  // §5.2.2.5 maps OPC UA's MinValue/MaxValue to them and back; treat them as "no time".
  static constexpr int64_t kMinUnixNanos = INT64_MIN;
  static constexpr int64_t kMaxUnixNanos = INT64_MAX;

  // kMinUnixNanos -> 0 and kMaxUnixNanos -> INT64_MAX (the clamps of Part 6 §5.2.2.5);
  // otherwise truncates to 100 ns (towards the past).
  static DateTime FromUnixNanos(int64_t ns);
  // 0, negative ticks and times before 1677-09-21 -> kMinUnixNanos; INT64_MAX and times after
  // 2262-04-11 -> kMaxUnixNanos.
  int64_t ToUnixNanos() const;
  bool is_null() const { return ticks == 0; }

  friend bool operator==(const DateTime&, const DateTime&) = default;
};

// Raw bytes of a ByteString (distinct from String so the codec knows which one it holds).
struct ByteString {
  std::string value;
  friend bool operator==(const ByteString&, const ByteString&) = default;
};

// An XML fragment as UTF-8; carried, never parsed.
struct XmlElement {
  std::string value;
  friend bool operator==(const XmlElement&, const XmlElement&) = default;
};

// An OPC UA StatusCode held in a Variant (a bare uint32_t would read as UInt32). Elsewhere
// status codes are plain uint32_t; see ua_status_codes.h for names.
struct StatusCodeValue {
  uint32_t code = 0;
  friend bool operator==(const StatusCodeValue&, const StatusCodeValue&) = default;
};

// Identifies a node in a server's address space (OPC 10000-3 §8.2).
struct NodeId {
  enum class Kind : uint8_t { kNumeric = 0, kString = 1, kGuid = 2, kOpaque = 3 };

  uint16_t namespace_index = 0;
  Kind kind = Kind::kNumeric;
  uint32_t numeric = 0;  // kNumeric
  std::string text;      // kString: UTF-8 identifier; kOpaque: the bytes
  Guid guid;             // kGuid

  static NodeId Numeric(uint16_t ns, uint32_t id);
  static NodeId String(uint16_t ns, std::string id);
  static NodeId FromGuid(uint16_t ns, const Guid& id);
  static NodeId Opaque(uint16_t ns, std::string bytes);

  // ns=0;i=0, the null NodeId.
  bool is_null() const;
  // "i=85", "ns=2;s=Line1.Pump7.Speed", "ns=1;g=72962B91-...", "ns=1;b=<base64>"
  // (OPC 10000-6 §5.3.1.10).
  std::string ToString() const;

  friend bool operator==(const NodeId&, const NodeId&) = default;
};

// Parses the ToString form: optional "ns=<0..65535>;" then i=, s=, g= or b=. Errors quote the
// text and say which part is wrong.
StatusOr<NodeId> ParseNodeId(std::string_view text);

// A NodeId that may name its namespace by URI and its server by index (Part 6 §5.2.2.10).
struct ExpandedNodeId {
  NodeId node_id;
  std::string namespace_uri;  // empty: none (node_id.namespace_index applies)
  uint32_t server_index = 0;  // 0: the local server

  friend bool operator==(const ExpandedNodeId&, const ExpandedNodeId&) = default;
};

struct QualifiedName {
  uint16_t namespace_index = 0;
  std::string name;
  friend bool operator==(const QualifiedName&, const QualifiedName&) = default;
};

struct LocalizedText {
  std::string locale;  // empty: not given
  std::string text;    // empty: not given
  friend bool operator==(const LocalizedText&, const LocalizedText&) = default;
};

// How an ExtensionObject body is encoded (the byte after its type id).
enum class BodyEncoding : uint8_t { kNone = 0, kByteString = 1, kXmlElement = 2 };

// A structure the codec carries without knowing its type: the NodeId of its DataTypeEncoding
// and the encoded body. Callers decode bodies they know (see ua_services.h).
struct ExtensionObject {
  NodeId type_id;
  BodyEncoding encoding = BodyEncoding::kNone;
  std::string body;  // the encoded bytes; empty when encoding is kNone

  bool is_null() const { return encoding == BodyEncoding::kNone && type_id.is_null(); }
  friend bool operator==(const ExtensionObject&, const ExtensionObject&) = default;
};

}  // namespace strata::opcua
