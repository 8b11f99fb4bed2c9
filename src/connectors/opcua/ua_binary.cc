#include "connectors/opcua/ua_binary.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::opcua {
namespace {

std::string Hex2(uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("0x") + kHex[b >> 4] + kHex[b & 0xF];
}

// NodeId encoding byte (Part 6 Table 17): low 6 bits the form, 0x80/0x40 ExpandedNodeId flags.
constexpr uint8_t kTwoByte = 0x00;
constexpr uint8_t kFourByte = 0x01;
constexpr uint8_t kNumeric = 0x02;
constexpr uint8_t kStringId = 0x03;
constexpr uint8_t kGuidId = 0x04;
constexpr uint8_t kOpaqueId = 0x05;
constexpr uint8_t kNamespaceUriFlag = 0x80;
constexpr uint8_t kServerIndexFlag = 0x40;

// LocalizedText mask bits (Part 6 §5.2.2.14).
constexpr uint8_t kLocaleBit = 0x01;
constexpr uint8_t kTextBit = 0x02;

// Reads the part of a NodeId after its encoding byte into *out, resetting the members the form
// does not use so that == compares decoded values sensibly.
Status DecodeNodeIdBody(Decoder& d, uint8_t form, size_t at, NodeId* out) {
  out->numeric = 0;
  out->guid = Guid();
  switch (form) {
    case kTwoByte: {
      uint8_t id = 0;
      STRATA_RETURN_IF_ERROR(d.ReadByte(&id));
      out->namespace_index = 0;
      out->kind = NodeId::Kind::kNumeric;
      out->numeric = id;
      out->text.clear();
      return Status::Ok();
    }
    case kFourByte: {
      uint8_t ns = 0;
      uint16_t id = 0;
      STRATA_RETURN_IF_ERROR(d.ReadByte(&ns));
      STRATA_RETURN_IF_ERROR(d.ReadUInt16(&id));
      out->namespace_index = ns;
      out->kind = NodeId::Kind::kNumeric;
      out->numeric = id;
      out->text.clear();
      return Status::Ok();
    }
    case kNumeric:
      STRATA_RETURN_IF_ERROR(d.ReadUInt16(&out->namespace_index));
      STRATA_RETURN_IF_ERROR(d.ReadUInt32(&out->numeric));
      out->kind = NodeId::Kind::kNumeric;
      out->text.clear();
      return Status::Ok();
    case kStringId:
      STRATA_RETURN_IF_ERROR(d.ReadUInt16(&out->namespace_index));
      out->kind = NodeId::Kind::kString;
      return d.ReadString(&out->text, "NodeId string identifier");
    case kGuidId:
      STRATA_RETURN_IF_ERROR(d.ReadUInt16(&out->namespace_index));
      out->kind = NodeId::Kind::kGuid;
      out->text.clear();
      return Decode(d, &out->guid);
    case kOpaqueId:
      STRATA_RETURN_IF_ERROR(d.ReadUInt16(&out->namespace_index));
      out->kind = NodeId::Kind::kOpaque;
      return d.ReadString(&out->text, "NodeId opaque identifier");
    default:
      return d.Error(StatusCode::kInvalidArgument, at, "NodeId",
                     "encoding byte form " + Hex2(form) + " is not one of 0x00..0x05");
  }
}

void EncodeNodeIdWithFlags(Encoder& e, const NodeId& v, uint8_t flags) {
  switch (v.kind) {
    case NodeId::Kind::kNumeric:
      if (v.namespace_index == 0 && v.numeric <= 0xFF) {
        e.WriteByte(kTwoByte | flags);
        e.WriteByte(static_cast<uint8_t>(v.numeric));
      } else if (v.namespace_index <= 0xFF && v.numeric <= 0xFFFF) {
        e.WriteByte(kFourByte | flags);
        e.WriteByte(static_cast<uint8_t>(v.namespace_index));
        e.WriteUInt16(static_cast<uint16_t>(v.numeric));
      } else {
        e.WriteByte(kNumeric | flags);
        e.WriteUInt16(v.namespace_index);
        e.WriteUInt32(v.numeric);
      }
      return;
    case NodeId::Kind::kString:
      e.WriteByte(kStringId | flags);
      e.WriteUInt16(v.namespace_index);
      e.WriteString(v.text);
      return;
    case NodeId::Kind::kGuid:
      e.WriteByte(kGuidId | flags);
      e.WriteUInt16(v.namespace_index);
      Encode(e, v.guid);
      return;
    case NodeId::Kind::kOpaque:
      e.WriteByte(kOpaqueId | flags);
      e.WriteUInt16(v.namespace_index);
      e.WriteString(v.text);
      return;
  }
}

}  // namespace

// --- Decoder ---------------------------------------------------------------------------------

Status Decoder::Error(StatusCode code, size_t at_pos, std::string_view what,
                      std::string_view problem) const {
  std::string msg = "at byte " + std::to_string(base_offset_ + at_pos) + " reading ";
  msg.append(what);
  msg += ": ";
  msg.append(problem);
  return Status(code, std::move(msg));
}

Status Decoder::Truncated(const char* what, size_t need) const {
  return Error(StatusCode::kInvalidArgument, pos_, what,
               "need " + std::to_string(need) + " bytes, " + std::to_string(end_ - pos_) +
                   " left (truncated or malformed message)");
}

Status Decoder::ReadStringView(std::string_view* out, const char* what) {
  const size_t at = pos_;
  int32_t length = 0;
  if (end_ - pos_ < 4) return Truncated(what, 4);
  length = LoadLittleEndian<int32_t>(data_ + pos_);
  if (length == -1) {
    pos_ += 4;
    *out = std::string_view();
    return Status::Ok();
  }
  if (length < 0) {
    return Error(StatusCode::kInvalidArgument, at, what,
                 "length " + std::to_string(length) + " is negative (only -1, null, is allowed)");
  }
  const auto n = static_cast<uint32_t>(length);
  if (n > limits_.max_string_length) {
    return Error(StatusCode::kResourceExhausted, at, what,
                 "length " + std::to_string(n) + " exceeds max_string_length " +
                     std::to_string(limits_.max_string_length) +
                     "; raise DecodeLimits::max_string_length if the peer really sends this");
  }
  if (n > end_ - pos_ - 4) {
    return Error(StatusCode::kInvalidArgument, at, what,
                 "length " + std::to_string(n) + " exceeds the " + std::to_string(end_ - pos_ - 4) +
                     " bytes left");
  }
  *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_ + 4), n);
  pos_ += 4 + n;
  return Status::Ok();
}

Status Decoder::ReadRaw(size_t n, std::span<const uint8_t>* out, const char* what) {
  if (end_ - pos_ < n) return Truncated(what, n);
  *out = std::span<const uint8_t>(data_ + pos_, n);
  pos_ += n;
  return Status::Ok();
}

Status Decoder::ReadArrayLength(size_t* out, size_t min_wire_size, size_t element_memory,
                                const char* what) {
  const size_t at = pos_;
  int32_t count = 0;
  STRATA_RETURN_IF_ERROR(ReadFixed(&count, what));
  if (count == -1) {
    *out = 0;
    return Status::Ok();
  }
  if (count < 0) {
    return Error(StatusCode::kInvalidArgument, at, what,
                 "count " + std::to_string(count) + " is negative (only -1, null, is allowed)");
  }
  const auto n = static_cast<uint64_t>(count);
  if (n > limits_.max_array_length) {
    return Error(StatusCode::kResourceExhausted, at, what,
                 "count " + std::to_string(n) + " exceeds max_array_length " +
                     std::to_string(limits_.max_array_length) +
                     "; raise DecodeLimits::max_array_length if the peer really sends this");
  }
  if (n * min_wire_size > end_ - pos_) {
    return Error(StatusCode::kInvalidArgument, at, what,
                 "count " + std::to_string(n) + " needs at least " +
                     std::to_string(n * min_wire_size) + " bytes, " + std::to_string(end_ - pos_) +
                     " left");
  }
  STRATA_RETURN_IF_ERROR(Charge(n * element_memory, what));
  *out = static_cast<size_t>(n);
  return Status::Ok();
}

Status Decoder::Charge(uint64_t bytes, const char* what) {
  if (bytes > budget_) {
    return Error(
        StatusCode::kResourceExhausted, pos_, what,
        "decoded data would exceed max_decoded_bytes " + std::to_string(limits_.max_decoded_bytes));
  }
  budget_ -= bytes;
  return Status::Ok();
}

Status Decoder::Enter(const char* what) {
  if (depth_ >= limits_.max_depth) {
    return Error(StatusCode::kResourceExhausted, pos_, what,
                 "nested deeper than max_depth " + std::to_string(limits_.max_depth));
  }
  ++depth_;
  return Status::Ok();
}

Status Decoder::PushLimit(size_t n, const char* what, size_t* saved) {
  if (end_ - pos_ < n) return Truncated(what, n);
  *saved = end_;
  end_ = pos_ + n;
  return Status::Ok();
}

Status Decoder::ExpectEnd(const char* what) const {
  if (pos_ == end_) return Status::Ok();
  return Error(StatusCode::kInvalidArgument, pos_, what,
               std::to_string(end_ - pos_) + " bytes left after the end");
}

// --- Encoder ---------------------------------------------------------------------------------

void Encoder::WriteString(std::string_view s) {
  if (s.empty()) {
    WriteInt32(-1);
    return;
  }
  WriteSizedBytes(s);
}

void Encoder::WriteSizedBytes(std::string_view s) {
  WriteInt32(static_cast<int32_t>(s.size()));
  out_->append(s);
}

void Encoder::WriteArrayLength(size_t n) { WriteInt32(static_cast<int32_t>(n)); }

void Encoder::PatchUInt32(size_t pos, uint32_t v) { StoreLittleEndian(v, out_->data() + pos); }

// --- Built-in types --------------------------------------------------------------------------

namespace internal {

Status WithField(const Status& status, std::string_view field) {
  const std::string& msg = status.message();
  std::string out(field);
  if (msg.starts_with("at byte")) {
    out += ": ";
  } else if (!msg.starts_with("[")) {
    out += ".";
  }
  out += msg;
  return Status(status.code(), std::move(out));
}

Status WithIndex(const Status& status, size_t index) {
  return WithField(status, "[" + std::to_string(index) + "]");
}

}  // namespace internal

Status Decode(Decoder& d, Guid* v) {
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->data1, "Guid"));
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->data2, "Guid"));
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->data3, "Guid"));
  std::span<const uint8_t> tail;
  STRATA_RETURN_IF_ERROR(d.ReadRaw(8, &tail, "Guid"));
  std::memcpy(v->data4.data(), tail.data(), 8);
  return Status::Ok();
}

void Encode(Encoder& e, const Guid& v) {
  e.WriteUInt32(v.data1);
  e.WriteUInt16(v.data2);
  e.WriteUInt16(v.data3);
  e.WriteRaw(std::span<const uint8_t>(v.data4));
}

Status Decode(Decoder& d, NodeId* v) {
  const size_t at = d.position();
  uint8_t encoding = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&encoding, "NodeId"));
  if ((encoding & (kNamespaceUriFlag | kServerIndexFlag)) != 0) {
    return d.Error(
        StatusCode::kInvalidArgument, at, "NodeId",
        "encoding byte " + Hex2(encoding) + " has ExpandedNodeId flags where a NodeId is expected");
  }
  return DecodeNodeIdBody(d, encoding, at, v);
}

void Encode(Encoder& e, const NodeId& v) { EncodeNodeIdWithFlags(e, v, 0); }

Status Decode(Decoder& d, ExpandedNodeId* v) {
  const size_t at = d.position();
  uint8_t encoding = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&encoding, "ExpandedNodeId"));
  STRATA_RETURN_IF_ERROR(DecodeNodeIdBody(d, encoding & 0x3F, at, &v->node_id));
  if (encoding & kNamespaceUriFlag) {
    STRATA_RETURN_IF_ERROR(d.ReadString(&v->namespace_uri, "ExpandedNodeId NamespaceUri"));
  } else {
    v->namespace_uri.clear();
  }
  v->server_index = 0;
  if (encoding & kServerIndexFlag) {
    STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->server_index, "ExpandedNodeId ServerIndex"));
  }
  return Status::Ok();
}

void Encode(Encoder& e, const ExpandedNodeId& v) {
  uint8_t flags = 0;
  if (!v.namespace_uri.empty()) flags |= kNamespaceUriFlag;
  if (v.server_index != 0) flags |= kServerIndexFlag;
  EncodeNodeIdWithFlags(e, v.node_id, flags);
  if (!v.namespace_uri.empty()) e.WriteString(v.namespace_uri);
  if (v.server_index != 0) e.WriteUInt32(v.server_index);
}

Status Decode(Decoder& d, QualifiedName* v) {
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&v->namespace_index, "QualifiedName NamespaceIndex"));
  return d.ReadString(&v->name, "QualifiedName Name");
}

void Encode(Encoder& e, const QualifiedName& v) {
  e.WriteUInt16(v.namespace_index);
  e.WriteString(v.name);
}

Status Decode(Decoder& d, LocalizedText* v) {
  const size_t at = d.position();
  uint8_t mask = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&mask, "LocalizedText"));
  if ((mask & ~(kLocaleBit | kTextBit)) != 0) {
    return d.Error(StatusCode::kInvalidArgument, at, "LocalizedText",
                   "encoding mask " + Hex2(mask) + " has bits other than 0x01 and 0x02");
  }
  if (mask & kLocaleBit) {
    STRATA_RETURN_IF_ERROR(d.ReadString(&v->locale, "LocalizedText Locale"));
  } else {
    v->locale.clear();
  }
  if (mask & kTextBit) {
    STRATA_RETURN_IF_ERROR(d.ReadString(&v->text, "LocalizedText Text"));
  } else {
    v->text.clear();
  }
  return Status::Ok();
}

void Encode(Encoder& e, const LocalizedText& v) {
  uint8_t mask = 0;
  if (!v.locale.empty()) mask |= kLocaleBit;
  if (!v.text.empty()) mask |= kTextBit;
  e.WriteByte(mask);
  if (!v.locale.empty()) e.WriteString(v.locale);
  if (!v.text.empty()) e.WriteString(v.text);
}

Status ReadExtensionObjectHeader(Decoder& d, NodeId* type_id, BodyEncoding* encoding,
                                 size_t* body_length) {
  Status s = Decode(d, type_id);
  if (!s.ok()) return internal::WithField(s, "TypeId");
  const size_t at = d.position();
  uint8_t raw = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&raw, "ExtensionObject Encoding"));
  if (raw > static_cast<uint8_t>(BodyEncoding::kXmlElement)) {
    return d.Error(StatusCode::kInvalidArgument, at, "ExtensionObject Encoding",
                   "byte " + Hex2(raw) + " is not 0 (no body), 1 (binary) or 2 (XML)");
  }
  *encoding = static_cast<BodyEncoding>(raw);
  *body_length = 0;
  if (*encoding == BodyEncoding::kNone) return Status::Ok();
  const size_t length_at = d.position();
  int32_t length = 0;
  STRATA_RETURN_IF_ERROR(d.ReadFixed(&length, "ExtensionObject Length"));
  if (length == -1) return Status::Ok();  // tolerated: an encoded body of no bytes
  if (length < 0 || static_cast<uint32_t>(length) > d.limits().max_string_length) {
    return d.Error(length < 0 ? StatusCode::kInvalidArgument : StatusCode::kResourceExhausted,
                   length_at, "ExtensionObject Length",
                   "length " + std::to_string(length) + " is negative or exceeds " +
                       "max_string_length " + std::to_string(d.limits().max_string_length));
  }
  if (static_cast<size_t>(length) > d.remaining()) {
    return d.Error(StatusCode::kInvalidArgument, length_at, "ExtensionObject Length",
                   "length " + std::to_string(length) + " exceeds the " +
                       std::to_string(d.remaining()) + " bytes left");
  }
  *body_length = static_cast<size_t>(length);
  return Status::Ok();
}

Status Decode(Decoder& d, ExtensionObject* v) {
  size_t length = 0;
  STRATA_RETURN_IF_ERROR(ReadExtensionObjectHeader(d, &v->type_id, &v->encoding, &length));
  std::span<const uint8_t> body;
  STRATA_RETURN_IF_ERROR(d.ReadRaw(length, &body, "ExtensionObject Body"));
  v->body.assign(reinterpret_cast<const char*>(body.data()), body.size());
  return Status::Ok();
}

void Encode(Encoder& e, const ExtensionObject& v) {
  Encode(e, v.type_id);
  e.WriteByte(static_cast<uint8_t>(v.encoding));
  if (v.encoding != BodyEncoding::kNone) e.WriteSizedBytes(v.body);
}

}  // namespace strata::opcua
