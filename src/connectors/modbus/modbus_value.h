// Modbus register values: which table a value lives in, how it is laid out over 16-bit
// registers (type, word/byte order, bit field), and decoding the registers as received into a
// number. Pure functions on bytes that came from a device: total (any input gives a value or
// "too few registers"), no allocation, no I/O.
//
// Word/byte orders, named by where the bytes A (most significant) .. D of a 32-bit value sit
// in the registers as they come off the wire (each register big-endian, as Modbus sends it):
//
//   ABCD  big endian: first register holds the high word          (Modicon, most PLCs)
//   CDAB  word swap: first register holds the low word            (many meters, Schneider)
//   BADC  byte swap within each register, high word first
//   DCBA  little endian: low word first, bytes swapped
//
// 64-bit values generalise the same way: CDAB reverses the order of the four registers, BADC
// swaps the bytes of each register, DCBA does both. 16-bit values only see the byte swap
// (BADC and DCBA read "BA").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace strata {

enum class ModbusTable : uint8_t { kCoil, kDiscreteInput, kHoldingRegister, kInputRegister };

enum class ModbusType : uint8_t {
  kBool,  // a coil or discrete input
  kInt16,
  kUInt16,
  kInt32,
  kUInt32,
  kInt64,
  kUInt64,
  kFloat32,
  kFloat64,
};

enum class WordOrder : uint8_t { kABCD, kCDAB, kBADC, kDCBA };

// Config names: "coil", "discrete", "holding", "input"; "int16", ...; "ABCD", ...
std::string_view ModbusTableName(ModbusTable t);
// Short names used in source addresses: "coil", "di", "hr", "ir".
std::string_view ModbusTableShortName(ModbusTable t);
std::string_view ModbusTypeName(ModbusType t);
std::string_view WordOrderName(WordOrder o);
std::optional<ModbusTable> ParseModbusTable(std::string_view name);
std::optional<ModbusType> ParseModbusType(std::string_view name);
std::optional<WordOrder> ParseWordOrder(std::string_view name);

// Coils and discrete inputs hold bits; holding and input registers hold 16-bit words.
inline bool IsBitTable(ModbusTable t) {
  return t == ModbusTable::kCoil || t == ModbusTable::kDiscreteInput;
}

// Registers a value of type `t` occupies (1 for kBool: one bit of a bit table).
int ModbusTypeWords(ModbusType t);
// Width in bits of the value (1 for kBool).
int ModbusTypeBits(ModbusType t);

struct ModbusValueFormat {
  ModbusType type = ModbusType::kUInt16;
  WordOrder order = WordOrder::kABCD;
  // A bit field: bits [bit, bit + bits) of the integer (after ordering), as an unsigned
  // number. bit < 0: the whole value. Only for integer types; bit + bits <= the type's width.
  int8_t bit = -1;
  uint8_t bits = 1;
};

// Decodes one value from `words`, the registers starting at the value's address, each as
// the 16-bit number received (Modbus sends registers big-endian). Returns nullopt when
// `words` holds fewer registers than the type needs; extra registers are ignored. Float
// values may be NaN or infinite (the pipeline rejects those); 64-bit integers beyond 2^53
// lose precision in the double.
std::optional<double> DecodeModbusValue(const ModbusValueFormat& format,
                                        std::span<const uint16_t> words);

}  // namespace strata
