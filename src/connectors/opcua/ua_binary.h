// OPC UA Binary encoding (OPC 10000-6 §5.2): a bounds-checked Decoder over received bytes, an
// Encoder that appends to a std::string, and the codec of the built-in types of ua_types.h.
// Variant, DataValue and DiagnosticInfo are in ua_variant.h.
//
// The codec is an overload set, so that structures and arrays compose:
//   Status Decode(Decoder&, T*)     overwrites every part of *out (vectors and strings keep
//                                   their capacity, so decoding into the same object again
//                                   allocates nothing for fixed-size content);
//   void   Encode(Encoder&, const T&).
// Every read is checked. A failed decode returns InvalidArgument for malformed or truncated
// input and ResourceExhausted for input beyond DecodeLimits; the message says where and what:
//   "at byte 57 reading Double: need 8 bytes, 3 left"
// and callers that know more prefix a path ("ReadResponse.Results[3].Value: at byte 57 ...").
// After an error *out is partly written and should be discarded.
//
// Wire rules that differ from C++ defaults: little-endian; a String/ByteString is an Int32
// length (-1 = null) and bytes; an array is an Int32 count (-1 = null) and elements; empty
// strings are encoded as null, empty arrays as count 0.
//
// Threading: Decoder and Encoder are single-threaded cursors; the free functions are
// reentrant.
#pragma once

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "connectors/opcua/ua_types.h"
#include "core/status.h"

namespace strata::opcua {

// Bounds that protect the decoder from hostile or broken peers. A message may not make the
// decoder use more than about max_decoded_bytes beyond its own size.
struct DecodeLimits {
  // Bytes in one String, ByteString, XmlElement or ExtensionObject body.
  uint32_t max_string_length = 16u << 20;
  // Elements in one array.
  uint32_t max_array_length = 1u << 20;
  // Nesting of Variant, DataValue and DiagnosticInfo inside each other. Part 6 asks decoders
  // to support at least 100 levels of Variant nesting.
  uint32_t max_depth = 100;
  // Memory for array elements and boxed values, summed over one Decoder.
  uint64_t max_decoded_bytes = 256ull << 20;
};

class Decoder {
 public:
  // `base_offset` is added to every offset this decoder reports, so that a decoder over the
  // body of a chunk can report offsets within the chunk. `data` must outlive the decoder and
  // every view read from it.
  explicit Decoder(std::span<const uint8_t> data, const DecodeLimits& limits = DecodeLimits(),
                   size_t base_offset = 0)
      : data_(data.data()),
        end_(data.size()),
        base_offset_(base_offset),
        limits_(limits),
        budget_(limits.max_decoded_bytes) {}
  explicit Decoder(std::string_view data, const DecodeLimits& limits = DecodeLimits(),
                   size_t base_offset = 0)
      : Decoder(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
            limits, base_offset) {}
  // A decoder keeps views of its input: a temporary string would dangle.
  Decoder(std::string&&, const DecodeLimits& = DecodeLimits(), size_t = 0) = delete;

  // Offset of the next byte, as reported in errors.
  size_t offset() const { return base_offset_ + pos_; }
  // Bytes left before the end (or before the window of PushLimit).
  size_t remaining() const { return end_ - pos_; }
  const DecodeLimits& limits() const { return limits_; }

  [[nodiscard]] Status ReadBoolean(bool* out) {
    uint8_t b = 0;
    STRATA_RETURN_IF_ERROR(ReadFixed(&b, "Boolean"));
    *out = b != 0;  // Part 6: any non-zero byte is true
    return Status::Ok();
  }
  [[nodiscard]] Status ReadSByte(int8_t* out) { return ReadFixed(out, "SByte"); }
  [[nodiscard]] Status ReadByte(uint8_t* out) { return ReadFixed(out, "Byte"); }
  [[nodiscard]] Status ReadInt16(int16_t* out) { return ReadFixed(out, "Int16"); }
  [[nodiscard]] Status ReadUInt16(uint16_t* out) { return ReadFixed(out, "UInt16"); }
  [[nodiscard]] Status ReadInt32(int32_t* out) { return ReadFixed(out, "Int32"); }
  [[nodiscard]] Status ReadUInt32(uint32_t* out) { return ReadFixed(out, "UInt32"); }
  [[nodiscard]] Status ReadInt64(int64_t* out) { return ReadFixed(out, "Int64"); }
  [[nodiscard]] Status ReadUInt64(uint64_t* out) { return ReadFixed(out, "UInt64"); }
  [[nodiscard]] Status ReadFloat(float* out) { return ReadFixed(out, "Float"); }
  [[nodiscard]] Status ReadDouble(double* out) { return ReadFixed(out, "Double"); }

  // Fixed-size little-endian value of an arithmetic type.
  template <class T>
  requires std::is_arithmetic_v<T>
  [[nodiscard]] Status ReadFixed(T* out, const char* what) {
    if (end_ - pos_ < sizeof(T)) return Truncated(what, sizeof(T));
    *out = LoadLittleEndian<T>(data_ + pos_);
    pos_ += sizeof(T);
    return Status::Ok();
  }

  // A length-prefixed String/ByteString/XmlElement as a view into the input (null -> empty).
  // The length must be -1 or 0..max_string_length and fit in what is left.
  [[nodiscard]] Status ReadStringView(std::string_view* out, const char* what = "String");
  // Same, copied into *out (its capacity is reused).
  [[nodiscard]] Status ReadString(std::string* out, const char* what = "String") {
    std::string_view v;
    STRATA_RETURN_IF_ERROR(ReadStringView(&v, what));
    out->assign(v.data(), v.size());
    return Status::Ok();
  }

  // The next n bytes as a view.
  [[nodiscard]] Status ReadRaw(size_t n, std::span<const uint8_t>* out, const char* what);

  // An array's Int32 element count: -1 (null) reads as 0. Rejects other negatives, counts
  // above max_array_length, counts whose elements cannot fit in what is left (each takes at
  // least `min_wire_size` bytes), and charges count * element_memory to max_decoded_bytes.
  [[nodiscard]] Status ReadArrayLength(size_t* out, size_t min_wire_size, size_t element_memory,
                                       const char* what);

  // Charges memory that the caller is about to allocate to max_decoded_bytes.
  [[nodiscard]] Status Charge(uint64_t bytes, const char* what);

  // Bracket one level of nesting (Variant, DataValue, DiagnosticInfo): Enter fails past
  // max_depth; every successful Enter needs one Leave.
  [[nodiscard]] Status Enter(const char* what);
  void Leave() { --depth_; }

  // Restricts reading to the next n bytes (e.g. an ExtensionObject body) and returns the old
  // end in *saved. PopLimit(saved) skips what was not read of the window and restores the end.
  [[nodiscard]] Status PushLimit(size_t n, const char* what, size_t* saved);
  void PopLimit(size_t saved) {
    pos_ = end_;
    end_ = saved;
  }

  // Fails if bytes are left ("12 bytes left after <what>").
  [[nodiscard]] Status ExpectEnd(const char* what) const;

  // "at byte <offset of at_pos> reading <what>: <problem>" with the given code; for decoders
  // of composite types. `at_pos` is a value of position().
  Status Error(StatusCode code, size_t at_pos, std::string_view what,
               std::string_view problem) const;
  // Position within this decoder's input, for Error().
  size_t position() const { return pos_; }

 private:
  template <class T>
  static T LoadLittleEndian(const uint8_t* p) {
    using U = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<sizeof(T) == 2, uint16_t,
                           std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U u;
    std::memcpy(&u, p, sizeof(U));
    if constexpr (std::endian::native == std::endian::big) {
      U swapped = 0;
      for (size_t i = 0; i < sizeof(U); ++i) swapped = (swapped << 8) | ((u >> (8 * i)) & 0xFF);
      u = swapped;
    }
    return std::bit_cast<T>(u);
  }

  Status Truncated(const char* what, size_t need) const;

  const uint8_t* data_;
  size_t pos_ = 0;
  size_t end_;
  size_t base_offset_;
  DecodeLimits limits_;
  uint32_t depth_ = 0;
  uint64_t budget_;
};

class Encoder {
 public:
  // Appends to *out, which must outlive the encoder.
  explicit Encoder(std::string* out) : out_(out) {}

  // Size of *out, including what it held before.
  size_t size() const { return out_->size(); }

  void WriteBoolean(bool v) { out_->push_back(v ? 1 : 0); }
  void WriteSByte(int8_t v) { WriteFixed(v); }
  void WriteByte(uint8_t v) { WriteFixed(v); }
  void WriteInt16(int16_t v) { WriteFixed(v); }
  void WriteUInt16(uint16_t v) { WriteFixed(v); }
  void WriteInt32(int32_t v) { WriteFixed(v); }
  void WriteUInt32(uint32_t v) { WriteFixed(v); }
  void WriteInt64(int64_t v) { WriteFixed(v); }
  void WriteUInt64(uint64_t v) { WriteFixed(v); }
  void WriteFloat(float v) { WriteFixed(v); }
  void WriteDouble(double v) { WriteFixed(v); }

  template <class T>
  requires std::is_arithmetic_v<T>
  void WriteFixed(T v) {
    char bytes[sizeof(T)];
    StoreLittleEndian(v, bytes);
    out_->append(bytes, sizeof(T));
  }

  // Int32 length and bytes; an empty string is written as null (-1).
  void WriteString(std::string_view s);
  // Int32 length and bytes, 0 for empty (ExtensionObject bodies).
  void WriteSizedBytes(std::string_view s);
  // An array's element count. Counts above INT32_MAX are a caller bug.
  void WriteArrayLength(size_t n);
  void WriteRaw(std::string_view bytes) { out_->append(bytes); }
  void WriteRaw(std::span<const uint8_t> bytes) {
    out_->append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  // Overwrites 4 bytes at `pos` (an offset into the output) with a little-endian UInt32; for
  // sizes known only at the end.
  void PatchUInt32(size_t pos, uint32_t v);

  template <class T>
  static void StoreLittleEndian(T v, char* out) {
    using U = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<sizeof(T) == 2, uint16_t,
                           std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U u = std::bit_cast<U>(v);
    for (size_t i = 0; i < sizeof(U); ++i) out[i] = static_cast<char>((u >> (8 * i)) & 0xFF);
  }

 private:
  std::string* out_;
};

// --- Codec of the built-in types -------------------------------------------------------------

[[nodiscard]] inline Status Decode(Decoder& d, bool* v) { return d.ReadBoolean(v); }
[[nodiscard]] inline Status Decode(Decoder& d, int8_t* v) { return d.ReadSByte(v); }
[[nodiscard]] inline Status Decode(Decoder& d, uint8_t* v) { return d.ReadByte(v); }
[[nodiscard]] inline Status Decode(Decoder& d, int16_t* v) { return d.ReadInt16(v); }
[[nodiscard]] inline Status Decode(Decoder& d, uint16_t* v) { return d.ReadUInt16(v); }
[[nodiscard]] inline Status Decode(Decoder& d, int32_t* v) { return d.ReadInt32(v); }
[[nodiscard]] inline Status Decode(Decoder& d, uint32_t* v) { return d.ReadUInt32(v); }
[[nodiscard]] inline Status Decode(Decoder& d, int64_t* v) { return d.ReadInt64(v); }
[[nodiscard]] inline Status Decode(Decoder& d, uint64_t* v) { return d.ReadUInt64(v); }
[[nodiscard]] inline Status Decode(Decoder& d, float* v) { return d.ReadFloat(v); }
[[nodiscard]] inline Status Decode(Decoder& d, double* v) { return d.ReadDouble(v); }
[[nodiscard]] inline Status Decode(Decoder& d, std::string* v) { return d.ReadString(v); }
[[nodiscard]] inline Status Decode(Decoder& d, ByteString* v) {
  return d.ReadString(&v->value, "ByteString");
}
[[nodiscard]] inline Status Decode(Decoder& d, XmlElement* v) {
  return d.ReadString(&v->value, "XmlElement");
}
[[nodiscard]] inline Status Decode(Decoder& d, DateTime* v) {
  return d.ReadFixed(&v->ticks, "DateTime");
}
[[nodiscard]] inline Status Decode(Decoder& d, StatusCodeValue* v) {
  return d.ReadFixed(&v->code, "StatusCode");
}
[[nodiscard]] Status Decode(Decoder& d, Guid* v);
[[nodiscard]] Status Decode(Decoder& d, NodeId* v);
[[nodiscard]] Status Decode(Decoder& d, ExpandedNodeId* v);
[[nodiscard]] Status Decode(Decoder& d, QualifiedName* v);
[[nodiscard]] Status Decode(Decoder& d, LocalizedText* v);
[[nodiscard]] Status Decode(Decoder& d, ExtensionObject* v);

inline void Encode(Encoder& e, bool v) { e.WriteBoolean(v); }
inline void Encode(Encoder& e, int8_t v) { e.WriteSByte(v); }
inline void Encode(Encoder& e, uint8_t v) { e.WriteByte(v); }
inline void Encode(Encoder& e, int16_t v) { e.WriteInt16(v); }
inline void Encode(Encoder& e, uint16_t v) { e.WriteUInt16(v); }
inline void Encode(Encoder& e, int32_t v) { e.WriteInt32(v); }
inline void Encode(Encoder& e, uint32_t v) { e.WriteUInt32(v); }
inline void Encode(Encoder& e, int64_t v) { e.WriteInt64(v); }
inline void Encode(Encoder& e, uint64_t v) { e.WriteUInt64(v); }
inline void Encode(Encoder& e, float v) { e.WriteFloat(v); }
inline void Encode(Encoder& e, double v) { e.WriteDouble(v); }
inline void Encode(Encoder& e, const std::string& v) { e.WriteString(v); }
inline void Encode(Encoder& e, const ByteString& v) { e.WriteString(v.value); }
inline void Encode(Encoder& e, const XmlElement& v) { e.WriteString(v.value); }
inline void Encode(Encoder& e, DateTime v) { e.WriteInt64(v.ticks); }
inline void Encode(Encoder& e, StatusCodeValue v) { e.WriteUInt32(v.code); }
void Encode(Encoder& e, const Guid& v);
// Uses the smallest form: two-byte, four-byte, then numeric.
void Encode(Encoder& e, const NodeId& v);
void Encode(Encoder& e, const ExpandedNodeId& v);
void Encode(Encoder& e, const QualifiedName& v);
void Encode(Encoder& e, const LocalizedText& v);
void Encode(Encoder& e, const ExtensionObject& v);

// Enumerations are Int32 on the wire (Part 6 §5.2.4). Values outside the C++ enumerators are
// kept as they are.
template <class E>
concept WireEnum = std::is_enum_v<E> && std::is_same_v<std::underlying_type_t<E>, int32_t>;

template <WireEnum E>
[[nodiscard]] Status Decode(Decoder& d, E* v) {
  int32_t raw = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&raw, "Enumeration"));
  *v = static_cast<E>(raw);
  return Status::Ok();
}
template <WireEnum E>
void Encode(Encoder& e, E v) {
  e.WriteInt32(static_cast<int32_t>(v));
}

// Fewest bytes one encoded T can take: bounds an array's count by the bytes left.
template <class T>
constexpr size_t MinWireSize() {
  if constexpr (std::is_arithmetic_v<T> || WireEnum<T>)
    return WireEnum<T> ? 4 : sizeof(T);
  else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, ByteString> ||
                     std::is_same_v<T, XmlElement> || std::is_same_v<T, StatusCodeValue>)
    return 4;
  else if constexpr (std::is_same_v<T, DateTime>)
    return 8;
  else if constexpr (std::is_same_v<T, Guid>)
    return 16;
  else if constexpr (std::is_same_v<T, NodeId> || std::is_same_v<T, ExpandedNodeId>)
    return 2;
  else if constexpr (std::is_same_v<T, QualifiedName>)
    return 6;
  else if constexpr (std::is_same_v<T, ExtensionObject>)
    return 3;
  else
    return 1;
}

namespace internal {
// Prefixes the path of a decode error with a field name: "Value: at byte ..." ->
// "Results[3].Value: at byte ...". Only called on the error path.
Status WithField(const Status& status, std::string_view field);
Status WithIndex(const Status& status, size_t index);
}  // namespace internal

// Arrays: Int32 count then the elements. Arrays of fixed-size numbers are copied in bulk.
template <class T>
[[nodiscard]] Status Decode(Decoder& d, std::vector<T>* out) {
  size_t n = 0;
  STRATA_RETURN_IF_ERROR(d.ReadArrayLength(&n, MinWireSize<T>(), sizeof(T), "array length"));
  if constexpr (std::is_same_v<T, bool>) {
    out->clear();
    for (size_t i = 0; i < n; ++i) {
      bool b = false;
      STRATA_RETURN_IF_ERROR(d.ReadBoolean(&b));
      out->push_back(b);
    }
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::span<const uint8_t> raw;
    STRATA_RETURN_IF_ERROR(d.ReadRaw(n * sizeof(T), &raw, "array elements"));
    out->resize(n);
    if constexpr (std::endian::native == std::endian::little) {
      if (n > 0) std::memcpy(out->data(), raw.data(), n * sizeof(T));
    } else {
      Decoder elements(raw);
      for (size_t i = 0; i < n; ++i) elements.ReadFixed(&(*out)[i], "element").IgnoreError();
    }
  } else {
    out->resize(n);
    for (size_t i = 0; i < n; ++i) {
      Status s = Decode(d, &(*out)[i]);
      if (!s.ok()) return internal::WithIndex(s, i);
    }
  }
  return Status::Ok();
}

template <class T>
void Encode(Encoder& e, const std::vector<T>& v) {
  e.WriteArrayLength(v.size());
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool> &&
                std::endian::native == std::endian::little) {
    e.WriteRaw(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)));
  } else {
    for (const auto& x : v) Encode(e, static_cast<const T&>(x));
  }
}

// The parts of an ExtensionObject before its body: type id, encoding byte and (unless the
// encoding is kNone) the body length, checked against what is left. Lets a caller decode a
// body it knows in place, inside Decoder::PushLimit(*body_length).
[[nodiscard]] Status ReadExtensionObjectHeader(Decoder& d, NodeId* type_id, BodyEncoding* encoding,
                                               size_t* body_length);

// Wraps a structure that has a static kBinaryEncodingId (e.g. an identity token or a
// monitoring filter) in an ExtensionObject with a binary body.
template <class T>
ExtensionObject ToExtensionObject(const T& value) {
  ExtensionObject eo;
  eo.type_id = NodeId::Numeric(0, T::kBinaryEncodingId);
  eo.encoding = BodyEncoding::kByteString;
  Encoder e(&eo.body);
  Encode(e, value);
  return eo;
}

// Decodes the body of an ExtensionObject that must hold a binary T. Offsets in errors are
// within the body.
template <class T>
[[nodiscard]] Status FromExtensionObject(const ExtensionObject& eo, T* out,
                                         const DecodeLimits& limits = DecodeLimits()) {
  if (eo.encoding != BodyEncoding::kByteString ||
      eo.type_id != NodeId::Numeric(0, T::kBinaryEncodingId)) {
    return InvalidArgumentError("ExtensionObject holds " + eo.type_id.ToString() + " (encoding " +
                                std::to_string(static_cast<int>(eo.encoding)) +
                                "), expected binary i=" + std::to_string(T::kBinaryEncodingId));
  }
  Decoder d(std::string_view(eo.body), limits);
  return Decode(d, out);
}

}  // namespace strata::opcua
