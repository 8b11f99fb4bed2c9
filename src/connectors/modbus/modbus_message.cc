#include "connectors/modbus/modbus_message.h"

#include <fmt/format.h>

#include <array>

namespace strata {

std::string_view ModbusOutcomeName(ModbusOutcome o) {
  static constexpr std::array<std::string_view, kModbusOutcomeCount> kNames = {
      "ok", "timeout", "exception", "connection", "bad_response"};
  return kNames[static_cast<size_t>(o)];
}

std::string ModbusExceptionName(uint8_t code) {
  switch (code) {
    case 1:
      return "illegal function";
    case 2:
      return "illegal data address";
    case 3:
      return "illegal data value";
    case 4:
      return "server device failure";
    case 5:
      return "acknowledge";
    case 6:
      return "server device busy";
    case 8:
      return "memory parity error";
    case 10:
      return "gateway path unavailable";
    case 11:
      return "gateway target device failed to respond";
    default:
      return fmt::format("exception {}", code);
  }
}

void AppendModbusHeader(const ModbusMessageHeader& header, std::string* out) {
  const char bytes[kModbusHeaderSize] = {static_cast<char>(kModbusMessageVersion),
                                         static_cast<char>(header.outcome),
                                         static_cast<char>(header.exception_code),
                                         0,
                                         static_cast<char>(header.request & 0xff),
                                         static_cast<char>((header.request >> 8) & 0xff),
                                         static_cast<char>((header.request >> 16) & 0xff),
                                         static_cast<char>((header.request >> 24) & 0xff)};
  out->append(bytes, kModbusHeaderSize);
}

std::optional<ModbusMessageHeader> ParseModbusHeader(std::string_view payload) {
  if (payload.size() < kModbusHeaderSize) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(payload[i]); };
  if (byte(0) != kModbusMessageVersion || byte(1) >= kModbusOutcomeCount) return std::nullopt;
  ModbusMessageHeader h;
  h.outcome = static_cast<ModbusOutcome>(byte(1));
  h.exception_code = byte(2);
  h.request = uint32_t{byte(4)} | uint32_t{byte(5)} << 8 | uint32_t{byte(6)} << 16 |
              uint32_t{byte(7)} << 24;
  return h;
}

}  // namespace strata
