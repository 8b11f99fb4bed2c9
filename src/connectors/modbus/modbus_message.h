// The RawMessage a Modbus connector pushes for each read request: a small header, then the
// data exactly as the device sent it. The MessageHandler decodes it against the same read
// plan (ModbusConnectorConfig::requests), so the message names the request by index.
//
//   byte 0     format version (1)
//   byte 1     ModbusOutcome
//   byte 2     Modbus exception code (kException), else 0
//   byte 3     0
//   bytes 4-7  request index, little endian
//   bytes 8-   kOk: registers as 2 bytes each, big endian (as on the wire), or bits as one
//              byte each (0 or 1); otherwise nothing
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace strata {

// What became of a read request. The names are metric label values (stable).
enum class ModbusOutcome : uint8_t {
  kOk = 0,
  kTimeout = 1,      // no (complete) answer within response_timeout
  kException = 2,    // the device answered with a Modbus exception code
  kConnection = 3,   // not connected, or the connection broke
  kBadResponse = 4,  // an answer that is not a valid response to the request
};
inline constexpr int kModbusOutcomeCount = 5;
std::string_view ModbusOutcomeName(ModbusOutcome o);
// "illegal data address" for 2, ...; "exception N" for codes Modbus does not define.
std::string ModbusExceptionName(uint8_t code);

inline constexpr size_t kModbusHeaderSize = 8;
inline constexpr uint8_t kModbusMessageVersion = 1;

struct ModbusMessageHeader {
  ModbusOutcome outcome = ModbusOutcome::kOk;
  uint8_t exception_code = 0;
  uint32_t request = 0;
};

// Appends the header to `out` (the data follows).
void AppendModbusHeader(const ModbusMessageHeader& header, std::string* out);
// The header of `payload`, or nullopt when it is too short, of another version or names an
// unknown outcome. The data is payload.substr(kModbusHeaderSize).
std::optional<ModbusMessageHeader> ParseModbusHeader(std::string_view payload);

}  // namespace strata
