#include "store/sqlite/block_codec.h"

#include <fmt/format.h>
#include <zstd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace strata {
namespace {

static_assert(sizeof(float) == 4 && sizeof(double) == 8 && std::numeric_limits<float>::is_iec559,
              "the block format stores IEEE 754 float32 samples and a float64 rate");
constexpr bool kLittleEndian = std::endian::native == std::endian::little;
static_assert(kLittleEndian || std::endian::native == std::endian::big, "mixed endianness");

void PutU32(uint32_t v, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}
uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}

Status Corrupt(std::string what) {
  return DataLossError("corrupt waveform block: " + std::move(what));
}

}  // namespace

// --- BlockEncoder ---

struct BlockEncoder::Ctx {
  ~Ctx() { ZSTD_freeCCtx(cctx); }
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string swapped;  // samples in little-endian order, on big-endian hosts only
};

BlockEncoder::BlockEncoder() : ctx_(std::make_unique<Ctx>()) {}
BlockEncoder::~BlockEncoder() = default;

Status BlockEncoder::Encode(const WaveformBlock& block, std::string* out, int level) {
  if (!std::isfinite(block.sample_rate_hz) || block.sample_rate_hz <= 0) {
    return InvalidArgumentError(fmt::format(
        "waveform block: sample rate {} Hz is not a finite number > 0", block.sample_rate_hz));
  }
  if (block.samples.size() > kMaxBlockSamples) {
    return InvalidArgumentError(fmt::format(
        "waveform block: {} samples is more than the {} a block may hold; split the capture",
        block.samples.size(), kMaxBlockSamples));
  }
  if (ctx_->cctx == nullptr) return ResourceExhaustedError("waveform block: out of memory (zstd)");
  const size_t raw_bytes = block.samples.size() * sizeof(float);
  const void* raw = block.samples.data();
  if constexpr (!kLittleEndian) {
    ctx_->swapped.resize(raw_bytes);
    for (size_t i = 0; i < block.samples.size(); ++i) {
      PutU32(std::bit_cast<uint32_t>(block.samples[i]), &ctx_->swapped[4 * i]);
    }
    raw = ctx_->swapped.data();
  }
  const size_t bound = ZSTD_compressBound(raw_bytes);
  out->resize(kBlockHeaderBytes + bound);
  char* p = out->data();
  p[0] = static_cast<char>(kBlockFormatVersion);
  PutU64(std::bit_cast<uint64_t>(block.sample_rate_hz), p + 1);
  PutU32(static_cast<uint32_t>(block.samples.size()), p + 9);
  // The frame declares its content size (zstd's default) and carries a checksum of the
  // samples, so that the decoder detects a flipped bit instead of returning other numbers.
  ZSTD_CCtx_reset(ctx_->cctx, ZSTD_reset_session_and_parameters);
  size_t n = ZSTD_CCtx_setParameter(ctx_->cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(n)) n = ZSTD_CCtx_setParameter(ctx_->cctx, ZSTD_c_checksumFlag, 1);
  if (!ZSTD_isError(n)) {
    n = ZSTD_compress2(ctx_->cctx, p + kBlockHeaderBytes, bound, raw, raw_bytes);
  }
  if (ZSTD_isError(n)) {
    return InternalError(
        fmt::format("waveform block: zstd compression failed: {}", ZSTD_getErrorName(n)));
  }
  out->resize(kBlockHeaderBytes + n);
  return Status::Ok();
}

// --- BlockDecoder ---

struct BlockDecoder::Ctx {
  ~Ctx() { ZSTD_freeDCtx(dctx); }
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
};

BlockDecoder::BlockDecoder() : ctx_(std::make_unique<Ctx>()) {}
BlockDecoder::~BlockDecoder() = default;

StatusOr<WaveformBlock> BlockDecoder::Decode(std::string_view bytes) {
  if (bytes.size() < kBlockHeaderBytes) {
    return Corrupt(fmt::format("{} bytes is shorter than the {}-byte header", bytes.size(),
                               kBlockHeaderBytes));
  }
  const auto version = static_cast<uint8_t>(bytes[0]);
  if (version != kBlockFormatVersion) {
    return Corrupt(fmt::format(
        "format version {} is not {} (the only version this strata reads; a newer strata may "
        "have written it)",
        version, kBlockFormatVersion));
  }
  WaveformBlock block;
  block.sample_rate_hz = std::bit_cast<double>(GetU64(bytes.data() + 1));
  if (!std::isfinite(block.sample_rate_hz) || block.sample_rate_hz <= 0) {
    return Corrupt(
        fmt::format("sample rate {} Hz is not a finite number > 0", block.sample_rate_hz));
  }
  const uint32_t count = GetU32(bytes.data() + 9);
  if (count > kMaxBlockSamples) {
    return Corrupt(fmt::format("sample count {} is over the limit of {}", count, kMaxBlockSamples));
  }
  const std::string_view frame = bytes.substr(kBlockHeaderBytes);
  const size_t raw_bytes = size_t{count} * sizeof(float);
  // A zstd frame proper (not a skippable frame, which would decode to nothing).
  if (frame.size() < 4 || GetU32(frame.data()) != ZSTD_MAGICNUMBER) {
    return Corrupt("the samples are not a zstd frame (bad magic number)");
  }

  const size_t frame_bytes = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_bytes)) {
    return Corrupt(
        fmt::format("the zstd frame is invalid or truncated ({})", ZSTD_getErrorName(frame_bytes)));
  }
  if (frame_bytes != frame.size()) {
    return Corrupt(fmt::format("{} bytes follow the zstd frame", frame.size() - frame_bytes));
  }
  const unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Corrupt("the zstd frame does not declare its content size");
  }
  if (content != raw_bytes) {
    return Corrupt(fmt::format("the zstd frame holds {} bytes but {} samples need {}", content,
                               count, raw_bytes));
  }
  if (ctx_->dctx == nullptr) return ResourceExhaustedError("waveform block: out of memory (zstd)");

  block.samples.resize(count);
  const size_t n =
      ZSTD_decompressDCtx(ctx_->dctx, block.samples.data(), raw_bytes, frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return Corrupt(fmt::format("zstd decompression failed: {}", ZSTD_getErrorName(n)));
  }
  if (n != raw_bytes) {
    return Corrupt(
        fmt::format("the zstd frame decompressed to {} bytes, expected {}", n, raw_bytes));
  }
  if constexpr (!kLittleEndian) {
    for (float& s : block.samples) {
      char le[4];
      std::memcpy(le, &s, 4);
      s = std::bit_cast<float>(GetU32(le));
    }
  }
  return block;
}

// --- one-shot ---

StatusOr<std::string> EncodeBlock(const WaveformBlock& block, int level) {
  std::string out;
  BlockEncoder encoder;
  STRATA_RETURN_IF_ERROR(encoder.Encode(block, &out, level));
  return out;
}

StatusOr<WaveformBlock> DecodeBlock(std::string_view bytes) {
  BlockDecoder decoder;
  return decoder.Decode(bytes);
}

}  // namespace strata
