#include "connectors/modbus/modbus_value.h"

#include <array>
#include <bit>
#include <cstring>

namespace strata {
namespace {

constexpr std::array<std::string_view, 4> kTableNames = {"coil", "discrete", "holding", "input"};
constexpr std::array<std::string_view, 4> kTableShortNames = {"coil", "di", "hr", "ir"};
constexpr std::array<std::string_view, 9> kTypeNames = {
    "bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"};
constexpr std::array<std::string_view, 4> kOrderNames = {"ABCD", "CDAB", "BADC", "DCBA"};

template <typename Enum, size_t N>
std::optional<Enum> Parse(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

uint16_t ByteSwap(uint16_t w) { return static_cast<uint16_t>((w >> 8) | (w << 8)); }

}  // namespace

std::string_view ModbusTableName(ModbusTable t) { return kTableNames[static_cast<size_t>(t)]; }
std::string_view ModbusTableShortName(ModbusTable t) {
  return kTableShortNames[static_cast<size_t>(t)];
}
std::string_view ModbusTypeName(ModbusType t) { return kTypeNames[static_cast<size_t>(t)]; }
std::string_view WordOrderName(WordOrder o) { return kOrderNames[static_cast<size_t>(o)]; }
std::optional<ModbusTable> ParseModbusTable(std::string_view name) {
  return Parse<ModbusTable>(kTableNames, name);
}
std::optional<ModbusType> ParseModbusType(std::string_view name) {
  return Parse<ModbusType>(kTypeNames, name);
}
std::optional<WordOrder> ParseWordOrder(std::string_view name) {
  return Parse<WordOrder>(kOrderNames, name);
}

int ModbusTypeWords(ModbusType t) {
  switch (t) {
    case ModbusType::kBool:
    case ModbusType::kInt16:
    case ModbusType::kUInt16:
      return 1;
    case ModbusType::kInt32:
    case ModbusType::kUInt32:
    case ModbusType::kFloat32:
      return 2;
    case ModbusType::kInt64:
    case ModbusType::kUInt64:
    case ModbusType::kFloat64:
      return 4;
  }
  return 1;
}

int ModbusTypeBits(ModbusType t) { return t == ModbusType::kBool ? 1 : 16 * ModbusTypeWords(t); }

std::optional<double> DecodeModbusValue(const ModbusValueFormat& format,
                                        std::span<const uint16_t> words) {
  const int n = ModbusTypeWords(format.type);
  if (words.size() < static_cast<size_t>(n)) return std::nullopt;
  if (format.type == ModbusType::kBool) return words[0] != 0 ? 1.0 : 0.0;

  // Put the registers into ABCD order: most significant word first, each word's high byte
  // first. CDAB and DCBA reverse the words; BADC and DCBA swap the bytes within each word.
  const bool reverse_words = format.order == WordOrder::kCDAB || format.order == WordOrder::kDCBA;
  const bool swap_bytes = format.order == WordOrder::kBADC || format.order == WordOrder::kDCBA;
  uint64_t raw = 0;
  for (int i = 0; i < n; ++i) {
    uint16_t w = words[static_cast<size_t>(reverse_words ? n - 1 - i : i)];
    if (swap_bytes) w = ByteSwap(w);
    raw = (raw << 16) | w;
  }

  if (format.bit >= 0) {
    const int width = ModbusTypeBits(format.type);
    const int bits = format.bits;
    if (format.bit + bits > width || bits < 1) return std::nullopt;  // Read rejects these
    const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    return static_cast<double>((raw >> format.bit) & mask);
  }
  switch (format.type) {
    case ModbusType::kInt16:
      return static_cast<double>(static_cast<int16_t>(static_cast<uint16_t>(raw)));
    case ModbusType::kUInt16:
      return static_cast<double>(static_cast<uint16_t>(raw));
    case ModbusType::kInt32:
      return static_cast<double>(static_cast<int32_t>(static_cast<uint32_t>(raw)));
    case ModbusType::kUInt32:
      return static_cast<double>(static_cast<uint32_t>(raw));
    case ModbusType::kInt64:
      return static_cast<double>(static_cast<int64_t>(raw));
    case ModbusType::kUInt64:
      return static_cast<double>(raw);
    case ModbusType::kFloat32:
      return static_cast<double>(std::bit_cast<float>(static_cast<uint32_t>(raw)));
    case ModbusType::kFloat64:
      return std::bit_cast<double>(raw);
    case ModbusType::kBool:
      break;
  }
  return std::nullopt;
}

}  // namespace strata
