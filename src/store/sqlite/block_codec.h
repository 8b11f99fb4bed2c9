// The stored form of a WaveformBlock (store column `observations.block`, and what the hub
// receives for a block):
//
//   byte 0      format version (kBlockFormatVersion)
//   bytes 1-8   sample rate, Hz, IEEE 754 float64, little-endian; finite and > 0
//   bytes 9-12  sample count, uint32 little-endian; at most kMaxBlockSamples
//   bytes 13-   exactly one zstd frame, with its content size declared, holding the samples
//               as IEEE 754 float32 little-endian (content size == 4 × sample count); the
//               encoder adds zstd's content checksum, so damaged samples are detected
//
// Decoding reads bytes from disk or from the network: it validates every field and returns
// DataLoss naming what is wrong for any malformed input; it never crashes or allocates more
// than 4 × kMaxBlockSamples bytes, whatever the input.
//
// Threading: BlockEncoder and BlockDecoder hold a zstd context each; one thread at a time
// per object. The free functions are thread-safe (they use a context per call).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/observation.h"
#include "core/status.h"

namespace strata {

inline constexpr uint8_t kBlockFormatVersion = 1;
inline constexpr size_t kBlockHeaderBytes = 13;
// 16 Mi samples (64 MiB raw): minutes of vibration at 100 kHz. Bounds what a corrupt header
// can make the decoder allocate.
inline constexpr uint32_t kMaxBlockSamples = 1u << 24;
// zstd level of stored blocks. Measured on 8192-sample vibration-like captures (two tones plus
// noise; raw float, and quantised as a 16-bit and a 10-bit ADC would): levels 1, 2 and 3 give
// sizes within 2 % of each other (92 %, 71 %, 51 % of raw respectively), level 3 taking about
// 2.5x the time of level 1; negative levels barely compress. Float mantissa noise is what
// limits the ratio, not the effort.
inline constexpr int kBlockZstdLevel = 1;

class BlockEncoder {
 public:
  BlockEncoder();
  ~BlockEncoder();
  BlockEncoder(const BlockEncoder&) = delete;
  BlockEncoder& operator=(const BlockEncoder&) = delete;

  // Replaces `*out` with the stored form of `block` (reusing its capacity). InvalidArgument
  // when the sample rate is not finite and > 0 or there are more than kMaxBlockSamples.
  Status Encode(const WaveformBlock& block, std::string* out, int level = kBlockZstdLevel);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

class BlockDecoder {
 public:
  BlockDecoder();
  ~BlockDecoder();
  BlockDecoder(const BlockDecoder&) = delete;
  BlockDecoder& operator=(const BlockDecoder&) = delete;

  // Decodes the stored form. DataLoss describing the defect when `bytes` is not a valid block.
  StatusOr<WaveformBlock> Decode(std::string_view bytes);

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// One-shot forms of the above.
StatusOr<std::string> EncodeBlock(const WaveformBlock& block, int level = kBlockZstdLevel);
StatusOr<WaveformBlock> DecodeBlock(std::string_view bytes);

}  // namespace strata
