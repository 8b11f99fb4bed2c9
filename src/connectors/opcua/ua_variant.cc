#include "connectors/opcua/ua_variant.h"

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace strata::opcua {
namespace {

// Variant encoding mask (Part 6 §5.2.2.16).
constexpr uint8_t kTypeMask = 0x3F;
constexpr uint8_t kDimensionsBit = 0x40;
constexpr uint8_t kArrayBit = 0x80;

// DataValue encoding mask (Part 6 §5.2.2.17).
constexpr uint8_t kValueBit = 0x01;
constexpr uint8_t kStatusBit = 0x02;
constexpr uint8_t kSourceTimestampBit = 0x04;
constexpr uint8_t kServerTimestampBit = 0x08;
constexpr uint8_t kSourcePicosecondsBit = 0x10;
constexpr uint8_t kServerPicosecondsBit = 0x20;
constexpr uint16_t kMaxPicoseconds = 9999;

// DiagnosticInfo encoding mask (Part 6 §5.2.2.12).
constexpr uint8_t kSymbolicIdBit = 0x01;
constexpr uint8_t kNamespaceUriBit = 0x02;
constexpr uint8_t kLocalizedTextBit = 0x04;
constexpr uint8_t kLocaleBit = 0x08;
constexpr uint8_t kAdditionalInfoBit = 0x10;
constexpr uint8_t kInnerStatusCodeBit = 0x20;
constexpr uint8_t kInnerDiagnosticInfoBit = 0x40;

template <class T>
struct IsBox : std::false_type {};
template <class T>
struct IsBox<Box<T>> : std::true_type {};

std::string Hex2(uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("0x") + kHex[b >> 4] + kHex[b & 0xF];
}

// Decodes alternative I of VariantValue, reusing the held alternative (and its capacity) when
// it is already the right one.
template <size_t I>
Status DecodeAlternative(Decoder& d, VariantValue* v) {
  using T = std::variant_alternative_t<I, VariantValue>;
  if constexpr (I == 0) {
    v->template emplace<0>();
    return Status::Ok();
  } else {
    T* x = v->index() == I ? &std::get<I>(*v) : &v->template emplace<I>();
    if constexpr (IsBox<T>::value) {
      using Inner = std::remove_reference_t<decltype(**x)>;
      if (!*x) {
        STRATA_RETURN_IF_ERROR(d.Charge(sizeof(Inner), "Variant"));
        x->emplace();
      }
      return Decode(d, x->get());
    } else {
      return Decode(d, x);
    }
  }
}

using AlternativeDecoder = Status (*)(Decoder&, VariantValue*);

template <size_t... I>
constexpr std::array<AlternativeDecoder, sizeof...(I)> MakeDecoders(std::index_sequence<I...>) {
  return {&DecodeAlternative<I>...};
}

constexpr auto kAlternativeDecoders =
    MakeDecoders(std::make_index_sequence<std::variant_size_v<VariantValue>>());
static_assert(kAlternativeDecoders.size() == 2 * kMaxBuiltinType + 1);

template <class T>
void EncodeAlternative(Encoder& e, const T& x) {
  if constexpr (std::is_same_v<T, std::monostate>) {
    // Null: the mask byte says it all.
  } else if constexpr (IsBox<T>::value) {
    using Inner = std::remove_cvref_t<decltype(*x)>;
    if (x) {
      Encode(e, *x);
    } else {
      Encode(e, Inner());
    }
  } else {
    Encode(e, x);
  }
}

// Product of the dimensions as Part 6 defines the array length: 0 if any dimension is <= 0.
int64_t DimensionsProduct(const std::vector<int32_t>& dims) {
  int64_t product = 1;
  for (int32_t dim : dims) {
    if (dim <= 0) return 0;
    product *= dim;
    if (product > INT32_MAX) return product;  // already more than any array can hold
  }
  return product;
}

Status DecodeVariantBody(Decoder& d, Variant* v) {
  const size_t at = d.position();
  uint8_t mask = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&mask, "Variant"));
  uint8_t type = mask & kTypeMask;
  const bool array = (mask & kArrayBit) != 0;
  const bool has_dimensions = (mask & kDimensionsBit) != 0;
  if (type == 0) {
    if (mask != 0) {
      return d.Error(StatusCode::kInvalidArgument, at, "Variant",
                     "encoding mask " + Hex2(mask) + " marks an array of type 0 (Null)");
    }
    v->value.emplace<0>();
    v->dimensions.clear();
    return Status::Ok();
  }
  if (has_dimensions && !array) {
    return d.Error(StatusCode::kInvalidArgument, at, "Variant",
                   "encoding mask " + Hex2(mask) + " has array dimensions but no array");
  }
  // Ids 26..31 are reserved: Part 6 asks decoders to read them as ByteString.
  if (type > kMaxBuiltinType) type = static_cast<uint8_t>(BuiltinType::kByteString);
  const size_t index = array ? kMaxBuiltinType + type : type;
  STRATA_RETURN_IF_ERROR(kAlternativeDecoders[index](d, &v->value));
  if (!has_dimensions) {
    v->dimensions.clear();
    return Status::Ok();
  }
  const size_t dims_at = d.position();
  Status s = Decode(d, &v->dimensions);
  if (!s.ok()) return internal::WithField(s, "ArrayDimensions");
  const int64_t expected = DimensionsProduct(v->dimensions);
  if (v->dimensions.empty() || expected != static_cast<int64_t>(v->array_length())) {
    return d.Error(StatusCode::kInvalidArgument, dims_at, "Variant ArrayDimensions",
                   std::to_string(v->dimensions.size()) + " dimensions give " +
                       std::to_string(expected) + " elements, the array has " +
                       std::to_string(v->array_length()));
  }
  return Status::Ok();
}

Status DecodeDataValueBody(Decoder& d, DataValue* v) {
  const size_t at = d.position();
  uint8_t mask = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&mask, "DataValue"));
  if ((mask & 0xC0) != 0) {
    return d.Error(StatusCode::kInvalidArgument, at, "DataValue",
                   "encoding mask " + Hex2(mask) + " has reserved bits 0x40/0x80 set");
  }
  if (mask & kValueBit) {
    Status s = Decode(d, &v->value);
    if (!s.ok()) return internal::WithField(s, "Value");
  } else {
    v->value.value.emplace<0>();
    v->value.dimensions.clear();
  }
  v->status = 0;
  if (mask & kStatusBit) STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->status, "DataValue Status"));
  v->source_timestamp = DateTime();
  if (mask & kSourceTimestampBit) {
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->source_timestamp.ticks, "DataValue SourceTimestamp"));
  }
  v->source_picoseconds = 0;
  if (mask & kSourcePicosecondsBit) {
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->source_picoseconds, "DataValue SourcePicoseconds"));
    if (v->source_picoseconds > kMaxPicoseconds) v->source_picoseconds = kMaxPicoseconds;
  }
  v->server_timestamp = DateTime();
  if (mask & kServerTimestampBit) {
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->server_timestamp.ticks, "DataValue ServerTimestamp"));
  }
  v->server_picoseconds = 0;
  if (mask & kServerPicosecondsBit) {
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->server_picoseconds, "DataValue ServerPicoseconds"));
    if (v->server_picoseconds > kMaxPicoseconds) v->server_picoseconds = kMaxPicoseconds;
  }
  return Status::Ok();
}

// Reads a DiagnosticInfo's encoding mask and rejects the reserved bit.
Status ReadDiagnosticMask(Decoder& d, uint8_t* mask) {
  const size_t at = d.position();
  STRATA_RETURN_IF_ERROR(d.ReadFixed(mask, "DiagnosticInfo"));
  if ((*mask & 0x80) != 0) {
    return d.Error(StatusCode::kInvalidArgument, at, "DiagnosticInfo",
                   "encoding mask " + Hex2(*mask) + " has reserved bit 0x80 set");
  }
  return Status::Ok();
}

Status ReadOptionalInt32(Decoder& d, uint8_t mask, uint8_t bit, int32_t* out, const char* what) {
  *out = -1;
  if ((mask & bit) == 0) return Status::Ok();
  return d.ReadFixed(out, what);
}

Status DecodeDiagnosticBody(Decoder& d, DiagnosticInfo* v) {
  uint8_t mask = 0;
  STRATA_RETURN_IF_ERROR(ReadDiagnosticMask(d, &mask));
  // Field order of Part 6 Table 22 / Opc.Ua.Types.bsd (Locale before LocalizedText), which
  // differs from the bit order.
  STRATA_RETURN_IF_ERROR(
      ReadOptionalInt32(d, mask, kSymbolicIdBit, &v->symbolic_id, "DiagnosticInfo SymbolicId"));
  STRATA_RETURN_IF_ERROR(ReadOptionalInt32(d, mask, kNamespaceUriBit, &v->namespace_uri,
                                           "DiagnosticInfo NamespaceUri"));
  STRATA_RETURN_IF_ERROR(
      ReadOptionalInt32(d, mask, kLocaleBit, &v->locale, "DiagnosticInfo Locale"));
  STRATA_RETURN_IF_ERROR(ReadOptionalInt32(d, mask, kLocalizedTextBit, &v->localized_text,
                                           "DiagnosticInfo LocalizedText"));
  if (mask & kAdditionalInfoBit) {
    STRATA_RETURN_IF_ERROR(d.ReadString(&v->additional_info, "DiagnosticInfo AdditionalInfo"));
  } else {
    v->additional_info.clear();
  }
  v->inner_status_code.reset();
  if (mask & kInnerStatusCodeBit) {
    uint32_t code = 0;
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&code, "DiagnosticInfo InnerStatusCode"));
    v->inner_status_code = code;
  }
  if (mask & kInnerDiagnosticInfoBit) {
    if (!v->inner_diagnostic_info) {
      STRATA_RETURN_IF_ERROR(d.Charge(sizeof(DiagnosticInfo), "DiagnosticInfo"));
      v->inner_diagnostic_info.emplace();
    }
    Status s = Decode(d, v->inner_diagnostic_info.get());
    if (!s.ok()) return internal::WithField(s, "InnerDiagnosticInfo");
  } else {
    v->inner_diagnostic_info.reset();
  }
  return Status::Ok();
}

Status SkipDiagnosticBody(Decoder& d) {
  uint8_t mask = 0;
  STRATA_RETURN_IF_ERROR(ReadDiagnosticMask(d, &mask));
  int32_t ignored = 0;
  for (uint8_t bit : {kSymbolicIdBit, kNamespaceUriBit, kLocaleBit, kLocalizedTextBit}) {
    STRATA_RETURN_IF_ERROR(ReadOptionalInt32(d, mask, bit, &ignored, "DiagnosticInfo index"));
  }
  if (mask & kAdditionalInfoBit) {
    std::string_view text;
    STRATA_RETURN_IF_ERROR(d.ReadStringView(&text, "DiagnosticInfo AdditionalInfo"));
  }
  if (mask & kInnerStatusCodeBit) {
    uint32_t code = 0;
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&code, "DiagnosticInfo InnerStatusCode"));
  }
  if (mask & kInnerDiagnosticInfoBit) {
    Status s = SkipDiagnosticInfo(d);
    if (!s.ok()) return internal::WithField(s, "InnerDiagnosticInfo");
  }
  return Status::Ok();
}

}  // namespace

BuiltinType Variant::type() const {
  const size_t index = value.index();
  return static_cast<BuiltinType>(index > kMaxBuiltinType ? index - kMaxBuiltinType : index);
}

size_t Variant::array_length() const {
  return std::visit(
      [](const auto& x) -> size_t {
        using T = std::remove_cvref_t<decltype(x)>;
        if constexpr (requires {
                        typename T::allocator_type;
                        x.size();
                      } &&
                      !std::is_same_v<T, std::string>) {
          return x.size();
        } else {
          return 0;
        }
      },
      value);
}

std::optional<double> Variant::ToDouble() const {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::remove_cvref_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      value);
}

Status Decode(Decoder& d, Variant* v) {
  STRATA_RETURN_IF_ERROR(d.Enter("Variant"));
  Status s = DecodeVariantBody(d, v);
  d.Leave();
  return s;
}

void Encode(Encoder& e, const Variant& v) {
  const size_t index = v.value.index();
  if (index == 0) {
    e.WriteByte(0);
    return;
  }
  const bool array = index > kMaxBuiltinType;
  const bool has_dimensions = array && !v.dimensions.empty();
  uint8_t mask = static_cast<uint8_t>(array ? index - kMaxBuiltinType : index);
  if (array) mask |= kArrayBit;
  if (has_dimensions) mask |= kDimensionsBit;
  e.WriteByte(mask);
  std::visit([&e](const auto& x) { EncodeAlternative(e, x); }, v.value);
  if (has_dimensions) Encode(e, v.dimensions);
}

Status Decode(Decoder& d, DataValue* v) {
  STRATA_RETURN_IF_ERROR(d.Enter("DataValue"));
  Status s = DecodeDataValueBody(d, v);
  d.Leave();
  return s;
}

void Encode(Encoder& e, const DataValue& v) {
  uint8_t mask = 0;
  if (!v.value.is_null()) mask |= kValueBit;
  if (v.status != 0) mask |= kStatusBit;
  if (!v.source_timestamp.is_null()) mask |= kSourceTimestampBit;
  if (v.source_picoseconds != 0) mask |= kSourcePicosecondsBit;
  if (!v.server_timestamp.is_null()) mask |= kServerTimestampBit;
  if (v.server_picoseconds != 0) mask |= kServerPicosecondsBit;
  e.WriteByte(mask);
  if (mask & kValueBit) Encode(e, v.value);
  if (mask & kStatusBit) e.WriteUInt32(v.status);
  if (mask & kSourceTimestampBit) e.WriteInt64(v.source_timestamp.ticks);
  if (mask & kSourcePicosecondsBit) e.WriteUInt16(v.source_picoseconds);
  if (mask & kServerTimestampBit) e.WriteInt64(v.server_timestamp.ticks);
  if (mask & kServerPicosecondsBit) e.WriteUInt16(v.server_picoseconds);
}

Status Decode(Decoder& d, DiagnosticInfo* v) {
  STRATA_RETURN_IF_ERROR(d.Enter("DiagnosticInfo"));
  Status s = DecodeDiagnosticBody(d, v);
  d.Leave();
  return s;
}

Status SkipDiagnosticInfo(Decoder& d) {
  STRATA_RETURN_IF_ERROR(d.Enter("DiagnosticInfo"));
  Status s = SkipDiagnosticBody(d);
  d.Leave();
  return s;
}

void Encode(Encoder& e, const DiagnosticInfo& v) {
  uint8_t mask = 0;
  if (v.symbolic_id != -1) mask |= kSymbolicIdBit;
  if (v.namespace_uri != -1) mask |= kNamespaceUriBit;
  if (v.localized_text != -1) mask |= kLocalizedTextBit;
  if (v.locale != -1) mask |= kLocaleBit;
  if (!v.additional_info.empty()) mask |= kAdditionalInfoBit;
  if (v.inner_status_code) mask |= kInnerStatusCodeBit;
  if (v.inner_diagnostic_info) mask |= kInnerDiagnosticInfoBit;
  e.WriteByte(mask);
  if (mask & kSymbolicIdBit) e.WriteInt32(v.symbolic_id);
  if (mask & kNamespaceUriBit) e.WriteInt32(v.namespace_uri);
  if (mask & kLocaleBit) e.WriteInt32(v.locale);
  if (mask & kLocalizedTextBit) e.WriteInt32(v.localized_text);
  if (mask & kAdditionalInfoBit) e.WriteString(v.additional_info);
  if (mask & kInnerStatusCodeBit) e.WriteUInt32(*v.inner_status_code);
  if (mask & kInnerDiagnosticInfoBit) Encode(e, *v.inner_diagnostic_info);
}

}  // namespace strata::opcua
