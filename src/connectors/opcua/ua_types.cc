#include "connectors/opcua/ua_types.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::opcua {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";

void AppendHex(std::string* out, uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHexDigits[(value >> (4 * i)) & 0xF]);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHex(std::string_view text, uint64_t* out) {
  uint64_t v = 0;
  for (char c : text) {
    const int h = HexValue(c);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(h);
  }
  *out = v;
  return true;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(kBase64[(n >> 6) & 63]);
    out.push_back(kBase64[n & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1])) << 8;
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = Base64Value(c);
      if (v[k] < 0) return std::nullopt;
    }
    const uint32_t n = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                       (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

Status NodeIdSyntaxError(std::string_view text, std::string_view problem) {
  std::string msg = "NodeId '";
  msg.append(text);
  msg += "': ";
  msg.append(problem);
  msg +=
      " (expected e.g. \"i=85\", \"ns=2;s=Line1.Speed\", \"ns=1;g=<guid>\", \"ns=1;b=<base64>\")";
  return InvalidArgumentError(std::move(msg));
}

}  // namespace

std::string_view BuiltinTypeName(BuiltinType type) {
  static constexpr std::string_view kNames[] = {
      "Null",          "Boolean",       "SByte",           "Byte",           "Int16",
      "UInt16",        "Int32",         "UInt32",          "Int64",          "UInt64",
      "Float",         "Double",        "String",          "DateTime",       "Guid",
      "ByteString",    "XmlElement",    "NodeId",          "ExpandedNodeId", "StatusCode",
      "QualifiedName", "LocalizedText", "ExtensionObject", "DataValue",      "Variant",
      "DiagnosticInfo"};
  const auto index = static_cast<size_t>(type);
  return index < std::size(kNames) ? kNames[index] : std::string_view("Unknown");
}

std::string Guid::ToString() const {
  std::string out;
  out.reserve(36);
  AppendHex(&out, data1, 8);
  out.push_back('-');
  AppendHex(&out, data2, 4);
  out.push_back('-');
  AppendHex(&out, data3, 4);
  out.push_back('-');
  AppendHex(&out, data4[0], 2);
  AppendHex(&out, data4[1], 2);
  out.push_back('-');
  for (size_t i = 2; i < 8; ++i) AppendHex(&out, data4[i], 2);
  return out;
}

std::optional<Guid> Guid::Parse(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return std::nullopt;
  }
  Guid g;
  uint64_t v = 0;
  if (!ParseHex(text.substr(0, 8), &v)) return std::nullopt;
  g.data1 = static_cast<uint32_t>(v);
  if (!ParseHex(text.substr(9, 4), &v)) return std::nullopt;
  g.data2 = static_cast<uint16_t>(v);
  if (!ParseHex(text.substr(14, 4), &v)) return std::nullopt;
  g.data3 = static_cast<uint16_t>(v);
  const std::string_view tail[] = {text.substr(19, 4), text.substr(24, 12)};
  size_t k = 0;
  for (std::string_view part : tail) {
    for (size_t i = 0; i < part.size(); i += 2) {
      if (!ParseHex(part.substr(i, 2), &v)) return std::nullopt;
      g.data4[k++] = static_cast<uint8_t>(v);
    }
  }
  return g;
}

DateTime DateTime::FromUnixNanos(int64_t ns) {
  if (ns == kMinUnixNanos) return DateTime{0};
  if (ns == kMaxUnixNanos) return DateTime{INT64_MAX};
  // Floor division so that times before 1970 truncate towards the past like those after it.
  int64_t ticks = ns / 100;
  if (ns % 100 < 0) --ticks;
  // |ns / 100| < 9.3e16 and kUnixEpochTicks is 1.2e17: the sum is positive and cannot overflow.
  return DateTime{ticks + kUnixEpochTicks};
}

int64_t DateTime::ToUnixNanos() const {
  if (ticks <= 0) return kMinUnixNanos;
  if (ticks == INT64_MAX) return kMaxUnixNanos;
  const int64_t since_epoch = ticks - kUnixEpochTicks;  // ticks > 0: cannot overflow
  if (since_epoch < INT64_MIN / 100) return kMinUnixNanos;
  if (since_epoch > INT64_MAX / 100) return kMaxUnixNanos;
  return since_epoch * 100;
}

NodeId NodeId::Numeric(uint16_t ns, uint32_t id) {
  NodeId n;
  n.namespace_index = ns;
  n.kind = Kind::kNumeric;
  n.numeric = id;
  return n;
}

NodeId NodeId::String(uint16_t ns, std::string id) {
  NodeId n;
  n.namespace_index = ns;
  n.kind = Kind::kString;
  n.text = std::move(id);
  return n;
}

NodeId NodeId::FromGuid(uint16_t ns, const Guid& id) {
  NodeId n;
  n.namespace_index = ns;
  n.kind = Kind::kGuid;
  n.guid = id;
  return n;
}

NodeId NodeId::Opaque(uint16_t ns, std::string bytes) {
  NodeId n;
  n.namespace_index = ns;
  n.kind = Kind::kOpaque;
  n.text = std::move(bytes);
  return n;
}

bool NodeId::is_null() const {
  return namespace_index == 0 && kind == Kind::kNumeric && numeric == 0;
}

std::string NodeId::ToString() const {
  std::string out;
  if (namespace_index != 0) {
    out = "ns=" + std::to_string(namespace_index) + ";";
  }
  switch (kind) {
    case Kind::kNumeric:
      out += "i=" + std::to_string(numeric);
      break;
    case Kind::kString:
      out += "s=" + text;
      break;
    case Kind::kGuid:
      out += "g=" + guid.ToString();
      break;
    case Kind::kOpaque:
      out += "b=" + Base64Encode(text);
      break;
  }
  return out;
}

StatusOr<NodeId> ParseNodeId(std::string_view text) {
  std::string_view rest = text;
  uint16_t ns = 0;
  if (rest.starts_with("ns=")) {
    const size_t semi = rest.find(';');
    if (semi == std::string_view::npos) return NodeIdSyntaxError(text, "missing ';' after ns=");
    const std::string_view digits = rest.substr(3, semi - 3);
    uint32_t v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        v > UINT16_MAX) {
      return NodeIdSyntaxError(text, "namespace index is not a number in 0..65535");
    }
    ns = static_cast<uint16_t>(v);
    rest.remove_prefix(semi + 1);
  }
  if (rest.size() < 2 || rest[1] != '=') {
    return NodeIdSyntaxError(text, "identifier must start with i=, s=, g= or b=");
  }
  const char type = rest[0];
  const std::string_view value = rest.substr(2);
  switch (type) {
    case 'i': {
      uint32_t v = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
        return NodeIdSyntaxError(text, "numeric identifier is not a number in 0..4294967295");
      }
      return NodeId::Numeric(ns, v);
    }
    case 's':
      if (value.empty()) return NodeIdSyntaxError(text, "string identifier is empty");
      return NodeId::String(ns, std::string(value));
    case 'g': {
      auto g = Guid::Parse(value);
      if (!g) return NodeIdSyntaxError(text, "guid identifier is not 8-4-4-4-12 hex digits");
      return NodeId::FromGuid(ns, *g);
    }
    case 'b': {
      auto bytes = Base64Decode(value);
      if (!bytes || bytes->empty()) {
        return NodeIdSyntaxError(text, "opaque identifier is not non-empty base64");
      }
      return NodeId::Opaque(ns, std::move(*bytes));
    }
    default:
      return NodeIdSyntaxError(text, "identifier must start with i=, s=, g= or b=");
  }
}

}  // namespace strata::opcua
