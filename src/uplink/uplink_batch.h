// The uplink wire format: one batch of committed records of one stream of one edge, as the
// edge publishes it (MQTT QoS 1, see uplink_topics.h) and the hub stores it.
//
// A batch holds `count` records with the consecutive seqs first_seq .. first_seq+count-1 of
// one stream ("obs", "dlq", "dec", "alr"); the edge cuts a batch where its outbox has a gap.
// `floor_seq` is the lowest seq of the stream the edge still holds unacknowledged: everything
// below it was acknowledged by a hub before, or dropped by the edge's retention (and counted
// there). It lets the hub close a gap the edge will never fill.
//
// Layout (integers little-endian):
//   magic       4 bytes "SUB1"
//   stream      u8 length, then the name (1..16 bytes)
//   edge id     u8 length, then the id (1..128 bytes)
//   first_seq   u64, >= 1
//   count       u32, 1..kMaxBatchRecords
//   floor_seq   u64, <= first_seq
//   raw_size    u32, the size of the body before compression, <= kMaxBatchRawBytes
//   checksum    32 bytes: SHA-256 of everything above (magic .. raw_size) followed by the
//               uncompressed body; a batch whose checksum does not match is refused whole
//   body        one zstd frame of raw_size bytes, holding `count` records back to back:
//     obs   asset, signal, unit (str); ts (i64); ingest_ts − ts (zigzag varint); quality (u8,
//           0..2); source protocol, endpoint, address (str); kind (u8: 0 scalar, 1 block);
//           scalar: value (f64, NaN = none); block: sample rate (f64), n (varint), n × f32
//     dlq   ts (i64); reason (str, RejectReasonName); source, detail, payload (str);
//           truncated (u8 0/1)
//     dec, alr (record streams)   ts (i64); subject (str); body (str, a JSON document)
//   where str = varint length + bytes, i64 = zigzag varint, f64/f32 = IEEE 754 LE.
//
// Decoding reads bytes from the network: it checks every field and bound and returns
// InvalidArgument naming what is wrong (never crashes, allocates at most what the limits
// allow). Thread-safe: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dead_letter.h"
#include "core/status.h"
#include "store/store.h"

namespace strata {

inline constexpr std::string_view kUplinkMagic = "SUB1";
inline constexpr uint32_t kMaxBatchRecords = 100'000;
inline constexpr uint32_t kMaxBatchRawBytes = 64u << 20;

// One decoded batch. Exactly one of the vectors is used, by `stream`; each of its elements
// carries its seq (first_seq + index).
struct UplinkBatch {
  std::string edge_id;
  std::string stream;
  uint64_t first_seq = 0;
  uint64_t floor_seq = 0;
  std::vector<ObservationRow> observations;  // stream "obs"
  std::vector<DeadLetter> dead_letters;      // stream "dlq"
  std::vector<Record> records;               // record streams

  uint64_t count() const;
  uint64_t last_seq() const { return first_seq + count() - 1; }
};

struct UplinkEncodeOptions {
  int zstd_level = 3;
};

// Encodes a batch. InvalidArgument when it breaks the format's rules (empty, unknown stream,
// seqs not consecutive from first_seq, over a limit).
StatusOr<std::string> EncodeUplinkBatch(const UplinkBatch& batch,
                                        const UplinkEncodeOptions& options = {});

// Decodes and verifies a batch. `max_bytes` bounds the encoded size accepted (the hub's
// configured limit); InvalidArgument naming the field for anything malformed, "checksum
// mismatch" for a forged or damaged batch.
StatusOr<UplinkBatch> DecodeUplinkBatch(std::string_view bytes,
                                        size_t max_bytes = kMaxBatchRawBytes);

}  // namespace strata
