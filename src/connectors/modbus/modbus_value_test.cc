#include "connectors/modbus/modbus_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace strata {
namespace {

double Decode(ModbusType type, WordOrder order, std::vector<uint16_t> words, int bit = -1,
              int bits = 1) {
  ModbusValueFormat f;
  f.type = type;
  f.order = order;
  f.bit = static_cast<int8_t>(bit);
  f.bits = static_cast<uint8_t>(bits);
  auto v = DecodeModbusValue(f, words);
  EXPECT_TRUE(v.has_value());
  return v.value_or(std::nan(""));
}

using enum ModbusType;
using enum WordOrder;

// 16-bit 0x8001: bytes A=0x80 B=0x01. Word swaps do nothing; byte swaps read 0x0180.
TEST(DecodeModbusValue, SixteenBitValuesInEveryOrder) {
  EXPECT_EQ(Decode(kInt16, kABCD, {0x8001}), -32767);
  EXPECT_EQ(Decode(kInt16, kCDAB, {0x8001}), -32767);
  EXPECT_EQ(Decode(kInt16, kBADC, {0x0180}), -32767);
  EXPECT_EQ(Decode(kInt16, kDCBA, {0x0180}), -32767);
  EXPECT_EQ(Decode(kUInt16, kABCD, {0x8001}), 32769);
  EXPECT_EQ(Decode(kUInt16, kCDAB, {0x8001}), 32769);
  EXPECT_EQ(Decode(kUInt16, kBADC, {0x0180}), 32769);
  EXPECT_EQ(Decode(kUInt16, kDCBA, {0x0180}), 32769);
  EXPECT_EQ(Decode(kInt16, kABCD, {0xFFFF}), -1);
  EXPECT_EQ(Decode(kUInt16, kABCD, {0xFFFF}), 65535);
}

// -123456789 = 0xF8A432EB: A=F8 B=A4 C=32 D=EB.
TEST(DecodeModbusValue, ThirtyTwoBitIntegersInEveryOrder) {
  EXPECT_EQ(Decode(kInt32, kABCD, {0xF8A4, 0x32EB}), -123456789);
  EXPECT_EQ(Decode(kInt32, kCDAB, {0x32EB, 0xF8A4}), -123456789);
  EXPECT_EQ(Decode(kInt32, kBADC, {0xA4F8, 0xEB32}), -123456789);
  EXPECT_EQ(Decode(kInt32, kDCBA, {0xEB32, 0xA4F8}), -123456789);
  EXPECT_EQ(Decode(kUInt32, kABCD, {0xF8A4, 0x32EB}), 4171510507.0);
  EXPECT_EQ(Decode(kUInt32, kCDAB, {0x32EB, 0xF8A4}), 4171510507.0);
  EXPECT_EQ(Decode(kUInt32, kBADC, {0xA4F8, 0xEB32}), 4171510507.0);
  EXPECT_EQ(Decode(kUInt32, kDCBA, {0xEB32, 0xA4F8}), 4171510507.0);
}

// 123.456f = 0x42F6E979.
TEST(DecodeModbusValue, Float32InEveryOrder) {
  const double expected = static_cast<double>(123.456f);
  EXPECT_EQ(Decode(kFloat32, kABCD, {0x42F6, 0xE979}), expected);
  EXPECT_EQ(Decode(kFloat32, kCDAB, {0xE979, 0x42F6}), expected);
  EXPECT_EQ(Decode(kFloat32, kBADC, {0xF642, 0x79E9}), expected);
  EXPECT_EQ(Decode(kFloat32, kDCBA, {0x79E9, 0xF642}), expected);
  // Reading the wrong order gives another number, not an error: the map must say the order.
  EXPECT_NE(Decode(kFloat32, kABCD, {0xE979, 0x42F6}), expected);
  EXPECT_TRUE(std::isnan(Decode(kFloat32, kABCD, {0x7FC0, 0x0000})));
  EXPECT_TRUE(std::isinf(Decode(kFloat32, kABCD, {0xFF80, 0x0000})));
}

// 0x0102030405060708 and 123.456 = 0x405EDD2F1A9FBE77.
TEST(DecodeModbusValue, SixtyFourBitValuesInEveryOrder) {
  EXPECT_EQ(Decode(kInt64, kABCD, {0x0102, 0x0304, 0x0506, 0x0708}), 72623859790382856.0);
  EXPECT_EQ(Decode(kInt64, kCDAB, {0x0708, 0x0506, 0x0304, 0x0102}), 72623859790382856.0);
  EXPECT_EQ(Decode(kInt64, kBADC, {0x0201, 0x0403, 0x0605, 0x0807}), 72623859790382856.0);
  EXPECT_EQ(Decode(kInt64, kDCBA, {0x0807, 0x0605, 0x0403, 0x0201}), 72623859790382856.0);
  EXPECT_EQ(Decode(kInt64, kABCD, {0xFFFF, 0xFFFF, 0xFFFF, 0xFF85}), -123);
  EXPECT_EQ(Decode(kUInt64, kABCD, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}), 18446744073709551615.0);
  EXPECT_EQ(Decode(kUInt64, kDCBA, {0x0807, 0x0605, 0x0403, 0x0201}), 72623859790382856.0);
  EXPECT_EQ(Decode(kFloat64, kABCD, {0x405E, 0xDD2F, 0x1A9F, 0xBE77}), 123.456);
  EXPECT_EQ(Decode(kFloat64, kCDAB, {0xBE77, 0x1A9F, 0xDD2F, 0x405E}), 123.456);
  EXPECT_EQ(Decode(kFloat64, kBADC, {0x5E40, 0x2FDD, 0x9F1A, 0x77BE}), 123.456);
  EXPECT_EQ(Decode(kFloat64, kDCBA, {0x77BE, 0x9F1A, 0x2FDD, 0x5E40}), 123.456);
}

TEST(DecodeModbusValue, BitFieldsAreUnsignedAndReadAfterTheWordOrder) {
  // 0xA008 = 1010 0000 0000 1000
  EXPECT_EQ(Decode(kUInt16, kABCD, {0xA008}, 3), 1);
  EXPECT_EQ(Decode(kUInt16, kABCD, {0xA008}, 4), 0);
  EXPECT_EQ(Decode(kUInt16, kABCD, {0xA008}, 15), 1);
  EXPECT_EQ(Decode(kUInt16, kABCD, {0xA008}, 13, 3), 5);
  EXPECT_EQ(Decode(kInt16, kABCD, {0xA008}, 0, 16), 0xA008);  // unsigned, even of an int16
  EXPECT_EQ(Decode(kUInt16, kBADC, {0x08A0}, 3), 1);          // byte-swapped register
  // uint32 0x00010000 in CDAB: bit 16 is in the second register on the wire.
  EXPECT_EQ(Decode(kUInt32, kCDAB, {0x0000, 0x0001}, 16), 1);
  EXPECT_EQ(Decode(kUInt32, kABCD, {0x0000, 0x0001}, 16), 0);
  EXPECT_EQ(Decode(kUInt32, kABCD, {0x0000, 0x0001}, 0), 1);
  EXPECT_EQ(Decode(kUInt64, kABCD, {0x8000, 0, 0, 0}, 63), 1);
  EXPECT_EQ(Decode(kUInt64, kABCD, {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF}, 0, 64),
            18446744073709551615.0);
}

TEST(DecodeModbusValue, BoolsAndShortInput) {
  EXPECT_EQ(Decode(kBool, kABCD, {1}), 1);
  EXPECT_EQ(Decode(kBool, kABCD, {0}), 0);
  EXPECT_EQ(Decode(kBool, kABCD, {7}), 1);
  ModbusValueFormat f;
  f.type = kFloat64;
  const std::vector<uint16_t> three = {1, 2, 3};
  EXPECT_FALSE(DecodeModbusValue(f, three).has_value());
  f.type = kUInt16;
  EXPECT_FALSE(DecodeModbusValue(f, std::span<const uint16_t>()).has_value());
  // Extra registers are ignored.
  EXPECT_EQ(DecodeModbusValue(f, three), 1.0);
  // An impossible bit field (Read rejects it) decodes to nothing rather than UB.
  f.bit = 15;
  f.bits = 2;
  EXPECT_FALSE(DecodeModbusValue(f, three).has_value());
}

TEST(ModbusNames, RoundTrip) {
  for (int i = 0; i < 4; ++i) {
    const auto t = static_cast<ModbusTable>(i);
    EXPECT_EQ(ParseModbusTable(ModbusTableName(t)), t);
    const auto o = static_cast<WordOrder>(i);
    EXPECT_EQ(ParseWordOrder(WordOrderName(o)), o);
  }
  for (int i = 0; i < 9; ++i) {
    const auto t = static_cast<ModbusType>(i);
    EXPECT_EQ(ParseModbusType(ModbusTypeName(t)), t);
  }
  EXPECT_FALSE(ParseModbusType("float").has_value());
  EXPECT_FALSE(ParseWordOrder("abcd").has_value());
  EXPECT_EQ(ModbusTypeWords(kFloat64), 4);
  EXPECT_EQ(ModbusTypeWords(kInt32), 2);
  EXPECT_EQ(ModbusTypeWords(kBool), 1);
}

}  // namespace
}  // namespace strata
