#include "store/sqlite/chunk_codec.h"

#include <fmt/format.h>

#include <cstring>

#include "core/byte_io.h"

namespace strata {
namespace {

constexpr uint8_t kKnownFlags = kChunkQualityPerObservation | kChunkSourcePerObservation;
constexpr int kMaxQuality = static_cast<int>(Quality::kBad);

Status Corrupt(std::string what) { return DataLossError("corrupt chunk: " + std::move(what)); }

}  // namespace

StatusOr<ChunkSummary> EncodeChunk(std::span<const ChunkPoint> points, std::string* out) {
  if (points.empty()) return InvalidArgumentError("chunk: no observations to encode");
  if (points.size() > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError(
        fmt::format("chunk: {} observations is more than a chunk may hold", points.size()));
  }
  ChunkSummary summary;
  summary.first_ts_ns = points.front().ts_ns;
  summary.last_ts_ns = points.back().ts_ns;
  summary.count = static_cast<uint32_t>(points.size());
  summary.max_ingest_ts_ns = points.front().ingest_ts_ns;
  bool same_quality = true;
  bool same_source = true;
  for (size_t i = 0; i < points.size(); ++i) {
    const ChunkPoint& p = points[i];
    if (i > 0 && p.ts_ns <= points[i - 1].ts_ns) {
      return InvalidArgumentError(
          fmt::format("chunk: observation {} has ts {} after {}: ts must be strictly increasing", i,
                      p.ts_ns, points[i - 1].ts_ns));
    }
    if (static_cast<int>(p.quality) > kMaxQuality) {
      return InvalidArgumentError(fmt::format("chunk: observation {} has quality {} (not 0-2)", i,
                                              static_cast<int>(p.quality)));
    }
    if (p.source < 0) {
      return InvalidArgumentError(
          fmt::format("chunk: observation {} has source id {} (< 0)", i, p.source));
    }
    summary.max_ingest_ts_ns = std::max(summary.max_ingest_ts_ns, p.ingest_ts_ns);
    same_quality = same_quality && p.quality == points.front().quality;
    same_source = same_source && p.source == points.front().source;
  }
  uint8_t flags = 0;
  if (same_quality) {
    summary.shared_quality = static_cast<int64_t>(points.front().quality);
  } else {
    flags |= kChunkQualityPerObservation;
  }
  if (same_source) {
    summary.shared_source = points.front().source;
  } else {
    flags |= kChunkSourcePerObservation;
  }

  // Worst case per observation: two varints, the value, quality and a source varint.
  out->resize(2 + points.size() * (3 * kMaxVarintBytes + 8 + 1));
  char* const begin = out->data();
  char* w = begin;
  *w++ = static_cast<char>(kChunkFormatVersion);
  *w++ = static_cast<char>(flags);
  uint64_t prev_ts = static_cast<uint64_t>(points.front().ts_ns);
  for (size_t i = 0; i < points.size(); ++i) {
    const ChunkPoint& p = points[i];
    const auto ts = static_cast<uint64_t>(p.ts_ns);
    if (i > 0) w = PutVarint(ts - prev_ts, w);
    prev_ts = ts;
    w = PutVarint(ZigZag(static_cast<int64_t>(static_cast<uint64_t>(p.ingest_ts_ns) - ts)), w);
    PutF64(p.value, w);
    w += 8;
    if ((flags & kChunkQualityPerObservation) != 0) *w++ = static_cast<char>(p.quality);
    if ((flags & kChunkSourcePerObservation) != 0) {
      w = PutVarint(static_cast<uint64_t>(p.source), w);
    }
  }
  out->resize(static_cast<size_t>(w - begin));
  return summary;
}

Status DecodeChunk(const ChunkSummary& summary, std::string_view data,
                   std::vector<ChunkPoint>* out) {
  out->clear();
  if (summary.count == 0) return Corrupt("the row says it holds 0 observations");
  if (summary.last_ts_ns < summary.first_ts_ns) {
    return Corrupt(fmt::format("the row's last ts {} is before its first ts {}", summary.last_ts_ns,
                               summary.first_ts_ns));
  }
  if (data.size() < 2) return Corrupt(fmt::format("{} bytes, too short for a header", data.size()));
  ByteReader in(data);
  uint8_t version = 0;
  uint8_t flags = 0;
  static_cast<void>(in.Byte(&version));
  static_cast<void>(in.Byte(&flags));
  if (version != kChunkFormatVersion) {
    return Corrupt(fmt::format("format version {} (this strata reads version {})", version,
                               kChunkFormatVersion));
  }
  if ((flags & ~kKnownFlags) != 0) return Corrupt(fmt::format("unknown flags 0x{:02x}", flags));
  const bool quality_each = (flags & kChunkQualityPerObservation) != 0;
  const bool source_each = (flags & kChunkSourcePerObservation) != 0;
  if (quality_each == summary.shared_quality.has_value()) {
    return Corrupt(quality_each ? "qualities both per observation and shared by the row"
                                : "no quality: neither per observation nor shared by the row");
  }
  Quality shared_quality = Quality::kGood;
  if (!quality_each) {
    if (*summary.shared_quality < 0 || *summary.shared_quality > kMaxQuality) {
      return Corrupt(fmt::format("the row's quality is {} (not 0-2)", *summary.shared_quality));
    }
    shared_quality = static_cast<Quality>(*summary.shared_quality);
  }
  if (summary.shared_source < 0 || (source_each && summary.shared_source != 0)) {
    return Corrupt(fmt::format("the row's source {} does not fit the data (sources {})",
                               summary.shared_source, source_each ? "per observation" : "shared"));
  }
  // Each observation takes at least kChunkMinObservationBytes (the first one byte less).
  if (static_cast<uint64_t>(summary.count) * kChunkMinObservationBytes > in.remaining() + 1) {
    return Corrupt(fmt::format("{} bytes cannot hold the {} observations the row says it holds",
                               data.size(), summary.count));
  }
  out->reserve(summary.count);
  int64_t ts = summary.first_ts_ns;
  int64_t max_ingest = std::numeric_limits<int64_t>::min();
  // Whether the per-observation qualities / sources differ, as the flags promise.
  bool qualities_differ = false;
  bool sources_differ = false;
  for (uint32_t i = 0; i < summary.count; ++i) {
    ChunkPoint p;
    if (i > 0) {
      uint64_t delta = 0;
      if (std::string_view bad = in.Varint(&delta); !bad.empty()) {
        return Corrupt(fmt::format("observation {}: ts delta: {}", i, bad));
      }
      const auto next = static_cast<int64_t>(static_cast<uint64_t>(ts) + delta);
      if (delta == 0 || next <= ts) {
        return Corrupt(
            fmt::format("observation {}: ts delta {} after {} breaks the order", i, delta, ts));
      }
      ts = next;
    }
    p.ts_ns = ts;
    uint64_t ingest = 0;
    if (std::string_view bad = in.Varint(&ingest); !bad.empty()) {
      return Corrupt(fmt::format("observation {}: ingest_ts delta: {}", i, bad));
    }
    p.ingest_ts_ns =
        static_cast<int64_t>(static_cast<uint64_t>(ts) + static_cast<uint64_t>(UnZigZag(ingest)));
    max_ingest = std::max(max_ingest, p.ingest_ts_ns);
    if (!in.F64(&p.value)) return Corrupt(fmt::format("observation {}: truncated value", i));
    p.quality = shared_quality;
    if (quality_each) {
      uint8_t q = 0;
      if (!in.Byte(&q)) return Corrupt(fmt::format("observation {}: truncated quality", i));
      if (q > kMaxQuality)
        return Corrupt(fmt::format("observation {}: quality {} (not 0-2)", i, q));
      p.quality = static_cast<Quality>(q);
      qualities_differ = qualities_differ || (i > 0 && p.quality != out->front().quality);
    }
    p.source = summary.shared_source;
    if (source_each) {
      uint64_t source = 0;
      if (std::string_view bad = in.Varint(&source); !bad.empty()) {
        return Corrupt(fmt::format("observation {}: source id: {}", i, bad));
      }
      if (source > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Corrupt(fmt::format("observation {}: source id {} is over 2^63 - 1", i, source));
      }
      p.source = static_cast<int64_t>(source);
      sources_differ = sources_differ || (i > 0 && p.source != out->front().source);
    }
    out->push_back(p);
  }
  if (in.remaining() != 0) {
    return Corrupt(fmt::format("{} bytes after the {} observations the row says it holds",
                               in.remaining(), summary.count));
  }
  if (ts != summary.last_ts_ns) {
    return Corrupt(
        fmt::format("the last observation's ts is {}, the row says {}", ts, summary.last_ts_ns));
  }
  if (max_ingest != summary.max_ingest_ts_ns) {
    return Corrupt(fmt::format("the latest ingest_ts is {}, the row says {}", max_ingest,
                               summary.max_ingest_ts_ns));
  }
  // EncodeChunk writes a field per observation only when the observations differ in it; one
  // chunk has one encoding.
  if (quality_each && !qualities_differ) {
    return Corrupt(fmt::format(
        "qualities per observation, but every observation has quality {}: the row should share it",
        static_cast<int>(out->front().quality)));
  }
  if (source_each && !sources_differ) {
    return Corrupt(fmt::format(
        "sources per observation, but every observation has source {}: the row should share it",
        out->front().source));
  }
  return Status::Ok();
}

}  // namespace strata
