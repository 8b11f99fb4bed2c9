#include "store/sqlite/block_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>

namespace strata {
namespace {

WaveformBlock Vibration(size_t n, double rate = 25600.0, uint32_t seed = 1) {
  WaveformBlock b;
  b.sample_rate_hz = rate;
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    b.samples.push_back(static_cast<float>(0.8 * std::sin(2 * std::numbers::pi * 29.5 * t) +
                                           0.2 * std::sin(2 * std::numbers::pi * 3400 * t)) +
                        noise(rng));
  }
  return b;
}

void ExpectSameBits(const WaveformBlock& a, const WaveformBlock& b) {
  EXPECT_EQ(std::bit_cast<uint64_t>(a.sample_rate_hz), std::bit_cast<uint64_t>(b.sample_rate_hz));
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (size_t i = 0; i < a.samples.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(a.samples[i]), std::bit_cast<uint32_t>(b.samples[i]))
        << "sample " << i;
  }
}

std::string Encoded(const WaveformBlock& b) {
  StatusOr<std::string> bytes = EncodeBlock(b);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

void ExpectDataLoss(std::string_view bytes, std::string_view message_part) {
  StatusOr<WaveformBlock> b = DecodeBlock(bytes);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
  EXPECT_NE(b.status().message().find(message_part), std::string::npos) << b.status().ToString();
}

TEST(BlockCodec, RoundTripsBitExactly) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, size_t{65536 + 3}}) {
    SCOPED_TRACE(n);
    const WaveformBlock b = Vibration(n, 51200.0, static_cast<uint32_t>(n));
    StatusOr<WaveformBlock> back = DecodeBlock(Encoded(b));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSameBits(b, *back);
  }
}

TEST(BlockCodec, KeepsSpecialFloatValues) {
  WaveformBlock b;
  b.sample_rate_hz = 0.001;  // one sample every 1000 s is still a valid rate
  b.samples = {0.0f,
               -0.0f,
               std::numeric_limits<float>::infinity(),
               -std::numeric_limits<float>::infinity(),
               std::numeric_limits<float>::quiet_NaN(),
               std::numeric_limits<float>::denorm_min(),
               std::numeric_limits<float>::max()};
  StatusOr<WaveformBlock> back = DecodeBlock(Encoded(b));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSameBits(b, *back);
}

TEST(BlockCodec, LayoutIsVersionRateCountThenZstdFrame) {
  WaveformBlock b = Vibration(100, 12800.0);
  const std::string bytes = Encoded(b);
  ASSERT_GT(bytes.size(), kBlockHeaderBytes + 4);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 1);
  uint64_t rate_bits = 0;
  for (int i = 0; i < 8; ++i) rate_bits |= uint64_t{static_cast<uint8_t>(bytes[1 + i])} << (8 * i);
  EXPECT_EQ(std::bit_cast<double>(rate_bits), 12800.0);
  uint32_t count = 0;
  for (int i = 0; i < 4; ++i) count |= uint32_t{static_cast<uint8_t>(bytes[9 + i])} << (8 * i);
  EXPECT_EQ(count, 100u);
  // zstd magic number 0xFD2FB528, little-endian.
  EXPECT_EQ(static_cast<uint8_t>(bytes[13]), 0x28);
  EXPECT_EQ(static_cast<uint8_t>(bytes[14]), 0xB5);
  EXPECT_EQ(static_cast<uint8_t>(bytes[15]), 0x2F);
  EXPECT_EQ(static_cast<uint8_t>(bytes[16]), 0xFD);
}

TEST(BlockCodec, CompressesSmoothSignals) {
  WaveformBlock b;
  b.sample_rate_hz = 1000;
  b.samples.assign(8192, 1.5f);
  EXPECT_LT(Encoded(b).size(), 200u);
}

TEST(BlockCodec, EncodeRejectsInvalidBlocks) {
  for (double rate : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    WaveformBlock b = Vibration(10);
    b.sample_rate_hz = rate;
    StatusOr<std::string> bytes = EncodeBlock(b);
    ASSERT_FALSE(bytes.ok()) << rate;
    EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bytes.status().message().find("sample rate"), std::string::npos);
  }
  WaveformBlock huge;
  huge.sample_rate_hz = 1;
  huge.samples.resize(size_t{kMaxBlockSamples} + 1);
  StatusOr<std::string> bytes = EncodeBlock(huge);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
}

TEST(BlockCodec, EncoderReusesItsBufferAcrossBlocks) {
  BlockEncoder encoder;
  BlockDecoder decoder;
  std::string buf;
  for (uint32_t i = 0; i < 20; ++i) {
    const WaveformBlock b = Vibration(1000 + 100 * (i % 5), 1000.0 + i, i);
    ASSERT_TRUE(encoder.Encode(b, &buf).ok());
    StatusOr<WaveformBlock> back = decoder.Decode(buf);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSameBits(b, *back);
  }
}

TEST(BlockCodec, TruncatedInputIsDataLoss) {
  const std::string bytes = Encoded(Vibration(2000));
  ExpectDataLoss("", "shorter than the 13-byte header");
  ExpectDataLoss(std::string_view(bytes).substr(0, 12), "shorter than the 13-byte header");
  for (size_t len = kBlockHeaderBytes; len < bytes.size(); ++len) {
    StatusOr<WaveformBlock> b = DecodeBlock(std::string_view(bytes).substr(0, len));
    ASSERT_FALSE(b.ok()) << "prefix of " << len << " bytes decoded";
    ASSERT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
  }
}

TEST(BlockCodec, WrongVersionIsDataLoss) {
  std::string bytes = Encoded(Vibration(10));
  bytes[0] = 2;
  ExpectDataLoss(bytes, "format version 2");
  bytes[0] = 0;
  ExpectDataLoss(bytes, "format version 0");
}

TEST(BlockCodec, BadSampleRateInHeaderIsDataLoss) {
  const std::string good = Encoded(Vibration(10));
  for (double rate : {0.0, -5.0, std::nan(""), -std::numeric_limits<double>::infinity()}) {
    std::string bytes = good;
    const uint64_t bits = std::bit_cast<uint64_t>(rate);
    for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((bits >> (8 * i)) & 0xff);
    ExpectDataLoss(bytes, "sample rate");
  }
}

TEST(BlockCodec, SampleCountMismatchIsDataLoss) {
  const std::string good = Encoded(Vibration(10));
  std::string bytes = good;
  bytes[9] = 11;  // count 11, frame holds 10 samples
  ExpectDataLoss(bytes, "holds 40 bytes but 11 samples need 44");
  bytes[9] = 9;
  ExpectDataLoss(bytes, "holds 40 bytes but 9 samples need 36");
  // A count over the limit is refused before anything is allocated.
  bytes = good;
  bytes[9] = bytes[10] = bytes[11] = bytes[12] = static_cast<char>(0xff);
  ExpectDataLoss(bytes, "over the limit");
}

TEST(BlockCodec, BadZstdFrameIsDataLoss) {
  const std::string good = Encoded(Vibration(500));
  std::string bytes = good;
  bytes[13] ^= 0x01;  // magic number
  ExpectDataLoss(bytes, "not a zstd frame");

  bytes = good.substr(0, kBlockHeaderBytes) + std::string(200, '\x5a');
  ExpectDataLoss(bytes, "not a zstd frame");

  bytes = good + "trailing";
  ExpectDataLoss(bytes, "bytes follow the zstd frame");

  // A zstd skippable frame is not a block's samples, even for an empty block.
  WaveformBlock empty;
  empty.sample_rate_hz = 1;
  bytes = Encoded(empty).substr(0, kBlockHeaderBytes);
  bytes += std::string("\x50\x2a\x4d\x18\x00\x00\x00\x00", 8);
  ExpectDataLoss(bytes, "not a zstd frame");
}

TEST(BlockCodec, EveryFlippedByteOfTheFrameIsDetected) {
  const std::string good = Encoded(Vibration(3000));
  for (size_t i = kBlockHeaderBytes; i < good.size(); ++i) {
    std::string bytes = good;
    // Bits 0 and 6: bit 4 of the frame header descriptor is "unused" and legitimately ignored.
    bytes[i] = static_cast<char>(bytes[i] ^ 0x41);
    StatusOr<WaveformBlock> b = DecodeBlock(bytes);
    ASSERT_FALSE(b.ok()) << "flipping byte " << i << " of " << good.size() << " went unnoticed";
    ASSERT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
  }
}

// Random damage never crashes the decoder (this also runs under ASan/UBSan): it either
// decodes or reports DataLoss.
TEST(BlockCodec, RandomGarbageNeverCrashes) {
  const std::string good = Encoded(Vibration(700));
  std::mt19937 rng(12345);
  BlockDecoder decoder;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
          break;
        case 1:
          bytes.resize(rng() % (bytes.size() + 1));
          if (bytes.empty()) bytes.push_back('\x01');
          break;
        default:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(rng() % bytes.size()),
                       static_cast<char>(rng()));
      }
    }
    StatusOr<WaveformBlock> b = decoder.Decode(bytes);
    if (!b.ok()) {
      ASSERT_EQ(b.status().code(), StatusCode::kDataLoss) << b.status().ToString();
    }
  }
}

}  // namespace
}  // namespace strata
