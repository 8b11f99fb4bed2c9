// Fuzz target: a chunk row as read back from disk, its summary columns and its `data` blob.
// DecodeChunk must reject garbage with DataLoss, never crash or allocate without bound; what it
// accepts must be the one encoding of what it decoded: EncodeChunk gives back the same summary
// and the same bytes, and those decode to the same observations (values compared by bits).
//
// Input layout: a kSummaryBytes header that becomes the ChunkSummary, then the blob.
//   bytes  0-7   first_ts_ns        int64, little-endian
//          8-15  last_ts_ns         int64
//         16-19  count              uint32
//         20-27  max_ingest_ts_ns   int64
//         28     shared_quality present when bit 0 is set
//         29-36  shared_quality     int64 (ignored when absent)
//         37-44  shared_source      int64
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/chunk_codec.h"

namespace {

constexpr size_t kSummaryBytes = 45;

uint64_t Le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

strata::ChunkSummary SummaryFrom(const uint8_t* p) {
  strata::ChunkSummary s;
  s.first_ts_ns = static_cast<int64_t>(Le(p, 8));
  s.last_ts_ns = static_cast<int64_t>(Le(p + 8, 8));
  s.count = static_cast<uint32_t>(Le(p + 16, 4));
  s.max_ingest_ts_ns = static_cast<int64_t>(Le(p + 20, 8));
  if ((p[28] & 1) != 0) s.shared_quality = static_cast<int64_t>(Le(p + 29, 8));
  s.shared_source = static_cast<int64_t>(Le(p + 37, 8));
  return s;
}

bool SamePoints(const std::vector<strata::ChunkPoint>& a,
                const std::vector<strata::ChunkPoint>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].ts_ns != b[i].ts_ns || a[i].ingest_ts_ns != b[i].ingest_ts_ns ||
        std::bit_cast<uint64_t>(a[i].value) != std::bit_cast<uint64_t>(b[i].value) ||
        a[i].quality != b[i].quality || a[i].source != b[i].source) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kSummaryBytes) return 0;
  const strata::ChunkSummary summary = SummaryFrom(data);
  const std::string_view blob(reinterpret_cast<const char*>(data) + kSummaryBytes,
                              size - kSummaryBytes);
  std::vector<strata::ChunkPoint> points;
  const strata::Status decoded = strata::DecodeChunk(summary, blob, &points);
  if (!decoded.ok()) {
    if (decoded.code() != strata::StatusCode::kDataLoss) __builtin_trap();
    // The allocation bound of chunk_codec.h, kept even on the way to an error.
    if (points.capacity() > blob.size() / strata::kChunkMinObservationBytes) __builtin_trap();
    return 0;
  }
  std::string again;
  strata::StatusOr<strata::ChunkSummary> resummary = strata::EncodeChunk(points, &again);
  if (!resummary.ok() || !(*resummary == summary) || again != blob) __builtin_trap();
  std::vector<strata::ChunkPoint> back;
  if (!strata::DecodeChunk(*resummary, again, &back).ok() || !SamePoints(back, points)) {
    __builtin_trap();
  }
  return 0;
}
