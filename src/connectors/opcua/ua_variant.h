// The container built-in types and their binary codec (OPC 10000-6 §5.2.2.12, .16, .17):
//   DiagnosticInfo  vendor diagnostics, recursive through its inner DiagnosticInfo;
//   Variant         any built-in value, scalar or (multi-dimensional) array;
//   DataValue       a Variant with status, source/server timestamps and picoseconds.
// Nesting of the three is limited by DecodeLimits::max_depth.
//
// A Variant holds scalars of fixed size inline, so a DataValue of a number decodes without
// allocating; strings, arrays and boxed containers live on the heap.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "connectors/opcua/ua_binary.h"
#include "connectors/opcua/ua_types.h"
#include "core/status.h"

namespace strata::opcua {

struct DataValue;
struct Variant;

// OPC 10000-4 §7.8. The four Int32 fields index the ResponseHeader's string table; -1 = absent.
struct DiagnosticInfo {
  int32_t symbolic_id = -1;
  int32_t namespace_uri = -1;
  int32_t locale = -1;
  int32_t localized_text = -1;
  std::string additional_info;  // empty: absent
  std::optional<uint32_t> inner_status_code;
  Box<DiagnosticInfo> inner_diagnostic_info;

  friend bool operator==(const DiagnosticInfo&, const DiagnosticInfo&) = default;
};

// The value of a Variant. Alternative index i in 1..25 is a scalar of built-in type i, index
// 25 + i an array of it; index 0 is Null. DataValue, Variant and DiagnosticInfo scalars are
// boxed. (Part 6 says a scalar Variant shall not hold a Variant; decoders accept one.)
using VariantValue = std::variant<
    std::monostate,  // 0 Null
    bool, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, float, double,
    std::string, DateTime, Guid, ByteString, XmlElement, NodeId, ExpandedNodeId, StatusCodeValue,
    QualifiedName, LocalizedText, ExtensionObject, Box<DataValue>, Box<Variant>,
    Box<DiagnosticInfo>,
    // arrays, in the same order
    std::vector<bool>, std::vector<int8_t>, std::vector<uint8_t>, std::vector<int16_t>,
    std::vector<uint16_t>, std::vector<int32_t>, std::vector<uint32_t>, std::vector<int64_t>,
    std::vector<uint64_t>, std::vector<float>, std::vector<double>, std::vector<std::string>,
    std::vector<DateTime>, std::vector<Guid>, std::vector<ByteString>, std::vector<XmlElement>,
    std::vector<NodeId>, std::vector<ExpandedNodeId>, std::vector<StatusCodeValue>,
    std::vector<QualifiedName>, std::vector<LocalizedText>, std::vector<ExtensionObject>,
    std::vector<DataValue>, std::vector<Variant>, std::vector<DiagnosticInfo>>;

struct Variant {
  VariantValue value;
  // Multi-dimensional arrays only: the length of each dimension, highest rank first; their
  // product is the array length. Empty for scalars and one-dimensional arrays.
  std::vector<int32_t> dimensions;

  // Built-in type of the value or of its elements; kNull when empty.
  BuiltinType type() const;
  bool is_null() const { return value.index() == 0; }
  bool is_array() const { return value.index() > kMaxBuiltinType; }
  // Elements of an array value; 0 for scalars.
  size_t array_length() const;

  // A numeric or Boolean scalar as double (Int64/UInt64 may round); nullopt for anything else.
  std::optional<double> ToDouble() const;

  friend bool operator==(const Variant&, const Variant&) = default;
};

// OPC 10000-4 §7.11. Absent fields read as their defaults: a null value, status Good (0), a
// null DateTime, 0 picoseconds. Picoseconds count 10 ps units below the 100 ns of the
// timestamp; decoders clamp them to 9999.
struct DataValue {
  Variant value;
  uint32_t status = 0;
  DateTime source_timestamp{};
  uint16_t source_picoseconds = 0;
  DateTime server_timestamp{};
  uint16_t server_picoseconds = 0;

  friend bool operator==(const DataValue&, const DataValue&) = default;
};

// A Variant holding `value`, which must be one of the VariantValue alternatives exactly:
// MakeVariant(21.5), MakeVariant(std::string("on")), MakeVariant(std::vector<float>{...}),
// MakeVariant(Box<DataValue>(dv)). `dimensions` is for multi-dimensional arrays.
template <class T>
Variant MakeVariant(T value, std::vector<int32_t> dimensions = {}) {
  Variant v;
  v.value.template emplace<T>(std::move(value));
  v.dimensions = std::move(dimensions);
  return v;
}

[[nodiscard]] Status Decode(Decoder& d, DiagnosticInfo* v);
void Encode(Encoder& e, const DiagnosticInfo& v);
// Reads past one DiagnosticInfo without storing it (same checks as Decode).
[[nodiscard]] Status SkipDiagnosticInfo(Decoder& d);

// Built-in type ids 26..31 (reserved) decode as ByteString, as Part 6 §5.2.2.16 asks. Array
// dimensions must multiply to the array length.
[[nodiscard]] Status Decode(Decoder& d, Variant* v);
void Encode(Encoder& e, const Variant& v);

[[nodiscard]] Status Decode(Decoder& d, DataValue* v);
void Encode(Encoder& e, const DataValue& v);

}  // namespace strata::opcua
