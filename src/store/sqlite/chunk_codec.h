// The stored form of a chunk: the scalar observations of one signal written by one commit
// (store column `chunks.data` of rows of kind 0; see sqlite_store.cc for the table).
//
// A chunk's observations are in strictly increasing source-time order. The chunk row carries
// a summary of them in columns of its own (ChunkSummary: first and last ts, count, latest
// ingest time, and the quality and source when every observation shares one); `data` holds
// the rest:
//
//   byte 0   format version (kChunkFormatVersion)
//   byte 1   flags: bit 0 (kChunkQualityPerObservation) each observation carries its quality;
//            bit 1 (kChunkSourcePerObservation) each observation carries its source; the other
//            bits are 0. Without a bit, the summary's shared quality / source applies to all.
//            A bit is set only when the observations differ in that field, so that each chunk
//            has exactly one encoding.
//   then, per observation in ts order:
//     ts          varint (LEB128) of ts - previous ts, >= 1; absent for the first
//                 observation, whose ts is the summary's first_ts. Unsigned, not zigzag: the
//                 order is strict, so a delta is never < 1 (zigzag would spend a bit on a sign
//                 that is never there and admit encodings that break the order)
//     ingest_ts   zigzag varint of ingest_ts - ts (negative when the source clock is ahead)
//     value       IEEE 754 float64, little-endian; NaN = no value
//     quality     1 byte, 0-2 (Quality), with flag bit 0 only
//     source      varint, the store's sources.id (0 = none), with flag bit 1 only
//
// Deltas are taken modulo 2^64, so every int64 ts and ingest_ts round-trips. Varints are at
// most 10 bytes and minimal (no trailing 0x80 0x00). A typical observation of a periodic
// signal takes 1-5 (ts) + 1-4 (ingest: 1 when ingest_ts = ts, 3-4 for a lag of 1-100 ms) + 8
// (value) = 10-17 bytes.
//
// Decoding reads bytes from disk: it validates every field against the summary and returns
// DataLoss naming what is wrong for any malformed input; it never crashes, and allocates at
// most one ChunkPoint per 10 bytes of input, whatever the input.
//
// Thread-safe: free functions without shared state.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/quality.h"
#include "core/status.h"

namespace strata {

inline constexpr uint8_t kChunkFormatVersion = 1;
inline constexpr uint8_t kChunkQualityPerObservation = 1;
inline constexpr uint8_t kChunkSourcePerObservation = 2;
// The smallest encoded observation (ts delta, ingest delta, value): bounds what a corrupt
// count can make the decoder allocate.
inline constexpr size_t kChunkMinObservationBytes = 10;

// One scalar observation as a chunk holds it.
struct ChunkPoint {
  int64_t ts_ns = 0;
  int64_t ingest_ts_ns = 0;
  double value = std::numeric_limits<double>::quiet_NaN();  // NaN: no value
  Quality quality = Quality::kGood;
  int64_t source = 0;  // the store's sources.id; 0 = none
};

// What the chunk row's columns say about `data`.
struct ChunkSummary {
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  uint32_t count = 0;
  int64_t max_ingest_ts_ns = 0;
  // The quality every observation has (0-2); empty when they differ and `data` carries them.
  std::optional<int64_t> shared_quality;
  // The sources.id every observation has; 0 when none has a source, or when they differ and
  // `data` carries them.
  int64_t shared_source = 0;

  friend bool operator==(const ChunkSummary&, const ChunkSummary&) = default;
};

// Replaces `*out` with the stored form of `points` (reusing its capacity) and returns the
// summary the chunk row must carry. InvalidArgument when `points` is empty or holds more than
// 2^32 - 1 points, when the ts are not strictly increasing, or a quality is not 0-2 or a
// source is negative.
StatusOr<ChunkSummary> EncodeChunk(std::span<const ChunkPoint> points, std::string* out);

// Replaces `*out` with the observations of `data`. DataLoss describing the defect when `data`
// is not a valid chunk or does not match `summary`.
Status DecodeChunk(const ChunkSummary& summary, std::string_view data,
                   std::vector<ChunkPoint>* out);

}  // namespace strata
