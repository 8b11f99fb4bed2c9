#include "uplink/uplink_batch.h"

#include <fmt/format.h>
#include <zstd.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "core/byte_io.h"
#include "core/sha256.h"

namespace strata {
namespace {

constexpr size_t kMaxStreamName = 16;
constexpr size_t kMaxEdgeId = 128;
constexpr size_t kChecksumBytes = 32;
// Bounds on one field of one record: what a corrupt length can make the decoder allocate.
constexpr size_t kMaxField = 1 << 20;
constexpr uint64_t kMaxBlockSamples = 1 << 24;

Status Bad(std::string what) { return InvalidArgumentError("uplink batch: " + std::move(what)); }

bool KnownStream(std::string_view s) {
  return s == kObservationStream || s == kDeadLetterStream || IsRecordStream(s);
}

// The header fields before the checksum, as written and as covered by it.
std::string Header(const UplinkBatch& b, uint32_t count, uint32_t raw_size) {
  std::string h;
  ByteWriter w(&h);
  w.Raw(kUplinkMagic);
  w.Byte(static_cast<uint8_t>(b.stream.size()));
  w.Raw(b.stream);
  w.Byte(static_cast<uint8_t>(b.edge_id.size()));
  w.Raw(b.edge_id);
  w.Fixed(b.first_seq, 8);
  w.Fixed(count, 4);
  w.Fixed(b.floor_seq, 8);
  w.Fixed(raw_size, 4);
  return h;
}

Status CheckSeqs(const UplinkBatch& b) {
  auto check = [&](uint64_t seq, size_t i) -> Status {
    if (seq != b.first_seq + i) {
      return Bad(
          fmt::format("record {} has seq {}, expected {} (seqs must be consecutive from "
                      "first_seq)",
                      i, seq, b.first_seq + i));
    }
    return Status::Ok();
  };
  for (size_t i = 0; i < b.observations.size(); ++i) {
    if (Status s = check(b.observations[i].seq, i); !s.ok()) return s;
  }
  for (size_t i = 0; i < b.dead_letters.size(); ++i) {
    if (Status s = check(b.dead_letters[i].seq, i); !s.ok()) return s;
  }
  for (size_t i = 0; i < b.records.size(); ++i) {
    if (Status s = check(b.records[i].seq, i); !s.ok()) return s;
  }
  return Status::Ok();
}

void EncodeObservation(const ObservationRow& o, ByteWriter& w) {
  w.String(o.asset);
  w.String(o.signal);
  w.String(o.unit);
  w.SignedVarint(o.ts_ns);
  w.SignedVarint(
      static_cast<int64_t>(static_cast<uint64_t>(o.ingest_ts_ns) - static_cast<uint64_t>(o.ts_ns)));
  w.Byte(static_cast<uint8_t>(o.quality));
  w.String(o.source.protocol);
  w.String(o.source.endpoint);
  w.String(o.source.address);
  if (o.is_block && o.block) {
    w.Byte(1);
    w.F64(o.block->sample_rate_hz);
    w.Varint(o.block->samples.size());
    for (float f : o.block->samples) w.F32(f);
  } else {
    w.Byte(0);
    w.F64(o.value ? *o.value : std::nan(""));
  }
}

// Reads one field, turning a reader failure into an error that names record and field.
class RecordReader {
 public:
  RecordReader(ByteReader& in, size_t index) : in_(in), index_(index) {}

  Status String(std::string_view field, std::string* out) {
    std::string_view v;
    if (std::string_view bad = in_.String(kMaxField, &v); !bad.empty()) return Fail(field, bad);
    out->assign(v);
    return Status::Ok();
  }
  Status Signed(std::string_view field, int64_t* out) {
    if (std::string_view bad = in_.SignedVarint(out); !bad.empty()) return Fail(field, bad);
    return Status::Ok();
  }
  Status Unsigned(std::string_view field, uint64_t* out) {
    if (std::string_view bad = in_.Varint(out); !bad.empty()) return Fail(field, bad);
    return Status::Ok();
  }
  Status Byte(std::string_view field, uint8_t max, uint8_t* out) {
    if (!in_.Byte(out)) return Fail(field, "truncated");
    if (*out > max) return Fail(field, fmt::format("{} is not 0..{}", *out, max));
    return Status::Ok();
  }
  Status F64(std::string_view field, double* out) {
    if (!in_.F64(out)) return Fail(field, "truncated");
    return Status::Ok();
  }
  Status F32(std::string_view field, float* out) {
    if (!in_.F32(out)) return Fail(field, "truncated");
    return Status::Ok();
  }
  Status Fail(std::string_view field, std::string_view what) const {
    return Bad(fmt::format("record {}: {}: {}", index_, field, what));
  }
  ByteReader& in() { return in_; }

 private:
  ByteReader& in_;
  size_t index_;
};

Status DecodeObservation(RecordReader& r, ObservationRow* o) {
  STRATA_RETURN_IF_ERROR(r.String("asset", &o->asset));
  STRATA_RETURN_IF_ERROR(r.String("signal", &o->signal));
  STRATA_RETURN_IF_ERROR(r.String("unit", &o->unit));
  STRATA_RETURN_IF_ERROR(r.Signed("ts", &o->ts_ns));
  int64_t lag = 0;
  STRATA_RETURN_IF_ERROR(r.Signed("ingest_ts", &lag));
  o->ingest_ts_ns =
      static_cast<int64_t>(static_cast<uint64_t>(o->ts_ns) + static_cast<uint64_t>(lag));
  uint8_t quality = 0;
  STRATA_RETURN_IF_ERROR(r.Byte("quality", static_cast<uint8_t>(Quality::kBad), &quality));
  o->quality = static_cast<Quality>(quality);
  STRATA_RETURN_IF_ERROR(r.String("source protocol", &o->source.protocol));
  STRATA_RETURN_IF_ERROR(r.String("source endpoint", &o->source.endpoint));
  STRATA_RETURN_IF_ERROR(r.String("source address", &o->source.address));
  uint8_t kind = 0;
  STRATA_RETURN_IF_ERROR(r.Byte("kind", 1, &kind));
  if (kind == 0) {
    double v = 0;
    STRATA_RETURN_IF_ERROR(r.F64("value", &v));
    if (!std::isnan(v)) o->value = v;
    return Status::Ok();
  }
  WaveformBlock* block = &o->block.emplace();
  STRATA_RETURN_IF_ERROR(r.F64("sample rate", &block->sample_rate_hz));
  if (!(block->sample_rate_hz > 0) || !std::isfinite(block->sample_rate_hz)) {
    return r.Fail("sample rate", fmt::format("{} is not a positive number", block->sample_rate_hz));
  }
  uint64_t n = 0;
  STRATA_RETURN_IF_ERROR(r.Unsigned("sample count", &n));
  if (n > kMaxBlockSamples || n * 4 > r.in().remaining()) {
    return r.Fail("sample count", fmt::format("{} samples do not fit in the batch", n));
  }
  block->samples.resize(n);
  for (float& f : block->samples) STRATA_RETURN_IF_ERROR(r.F32("sample", &f));
  o->is_block = true;
  return Status::Ok();
}

Status DecodeDeadLetter(RecordReader& r, DeadLetter* d) {
  STRATA_RETURN_IF_ERROR(r.Signed("ts", &d->ts_ns));
  std::string reason;
  STRATA_RETURN_IF_ERROR(r.String("reason", &reason));
  std::optional<RejectReason> parsed = ParseRejectReason(reason);
  if (!parsed) return r.Fail("reason", fmt::format("unknown reason \"{}\"", reason));
  d->reason = *parsed;
  STRATA_RETURN_IF_ERROR(r.String("source", &d->source));
  STRATA_RETURN_IF_ERROR(r.String("detail", &d->detail));
  STRATA_RETURN_IF_ERROR(r.String("payload", &d->payload));
  uint8_t truncated = 0;
  STRATA_RETURN_IF_ERROR(r.Byte("truncated", 1, &truncated));
  d->payload_truncated = truncated == 1;
  return Status::Ok();
}

Status DecodeRecord(RecordReader& r, Record* rec) {
  STRATA_RETURN_IF_ERROR(r.Signed("ts", &rec->ts_ns));
  STRATA_RETURN_IF_ERROR(r.String("subject", &rec->subject));
  STRATA_RETURN_IF_ERROR(r.String("body", &rec->body));
  return Status::Ok();
}

struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

}  // namespace

uint64_t UplinkBatch::count() const {
  if (stream == kObservationStream) return observations.size();
  if (stream == kDeadLetterStream) return dead_letters.size();
  return records.size();
}

StatusOr<std::string> EncodeUplinkBatch(const UplinkBatch& batch,
                                        const UplinkEncodeOptions& options) {
  if (!KnownStream(batch.stream)) return Bad(fmt::format("unknown stream \"{}\"", batch.stream));
  if (batch.edge_id.empty() || batch.edge_id.size() > kMaxEdgeId) {
    return Bad(fmt::format("edge id must be 1..{} bytes", kMaxEdgeId));
  }
  const uint64_t count = batch.count();
  if (count == 0) return Bad("no records");
  if (count > kMaxBatchRecords) {
    return Bad(fmt::format("{} records, more than {} per batch", count, kMaxBatchRecords));
  }
  if (batch.first_seq == 0) return Bad("first_seq must be >= 1");
  if (batch.floor_seq > batch.first_seq) {
    return Bad(fmt::format("floor_seq {} is above first_seq {}", batch.floor_seq, batch.first_seq));
  }
  if (Status s = CheckSeqs(batch); !s.ok()) return s;

  std::string body;
  ByteWriter w(&body);
  if (batch.stream == kObservationStream) {
    for (const ObservationRow& o : batch.observations) EncodeObservation(o, w);
  } else if (batch.stream == kDeadLetterStream) {
    for (const DeadLetter& d : batch.dead_letters) {
      w.SignedVarint(d.ts_ns);
      w.String(RejectReasonName(d.reason));
      w.String(d.source);
      w.String(d.detail);
      w.String(d.payload);
      w.Byte(d.payload_truncated ? 1 : 0);
    }
  } else {
    for (const Record& r : batch.records) {
      w.SignedVarint(r.ts_ns);
      w.String(r.subject);
      w.String(r.body);
    }
  }
  if (body.size() > kMaxBatchRawBytes) {
    return Bad(fmt::format("{} bytes before compression, more than {} per batch", body.size(),
                           kMaxBatchRawBytes));
  }
  std::string out = Header(batch, static_cast<uint32_t>(count), static_cast<uint32_t>(body.size()));
  out += Sha256Digest(out, body);
  const size_t header_size = out.size();
  out.resize(header_size + ZSTD_compressBound(body.size()));
  static thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> cctx(ZSTD_createCCtx());
  const size_t n = ZSTD_compressCCtx(cctx.get(), out.data() + header_size, out.size() - header_size,
                                     body.data(), body.size(), options.zstd_level);
  if (ZSTD_isError(n)) {
    return InternalError(fmt::format("uplink batch: zstd: {}", ZSTD_getErrorName(n)));
  }
  out.resize(header_size + n);
  return out;
}

StatusOr<UplinkBatch> DecodeUplinkBatch(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return Bad(fmt::format("{} bytes, more than the {} allowed", bytes.size(), max_bytes));
  }
  ByteReader in(bytes);
  std::string_view magic;
  if (!in.Bytes(kUplinkMagic.size(), &magic) || magic != kUplinkMagic) {
    return Bad("not an uplink batch (no \"SUB1\" magic)");
  }
  UplinkBatch b;
  uint8_t len = 0;
  std::string_view field;
  if (!in.Byte(&len) || len == 0 || len > kMaxStreamName || !in.Bytes(len, &field)) {
    return Bad("header: bad stream name");
  }
  b.stream.assign(field);
  if (!KnownStream(b.stream)) return Bad(fmt::format("header: unknown stream \"{}\"", b.stream));
  if (!in.Byte(&len) || len == 0 || len > kMaxEdgeId || !in.Bytes(len, &field)) {
    return Bad("header: bad edge id");
  }
  b.edge_id.assign(field);
  uint64_t count = 0;
  uint64_t raw_size = 0;
  if (!in.Fixed(8, &b.first_seq) || !in.Fixed(4, &count) || !in.Fixed(8, &b.floor_seq) ||
      !in.Fixed(4, &raw_size)) {
    return Bad("header: truncated");
  }
  if (b.first_seq == 0) return Bad("header: first_seq is 0");
  if (count == 0 || count > kMaxBatchRecords) {
    return Bad(fmt::format("header: count {} is not 1..{}", count, kMaxBatchRecords));
  }
  if (b.first_seq > UINT64_MAX - count) return Bad("header: seqs overflow");
  if (b.floor_seq > b.first_seq) {
    return Bad(fmt::format("header: floor_seq {} is above first_seq {}", b.floor_seq, b.first_seq));
  }
  if (raw_size > kMaxBatchRawBytes || raw_size > max_bytes) {
    return Bad(fmt::format("header: {} bytes before compression, more than allowed", raw_size));
  }
  const size_t header_size = bytes.size() - in.remaining();
  std::string_view checksum;
  if (!in.Bytes(kChecksumBytes, &checksum)) return Bad("header: truncated checksum");

  std::string_view frame;
  static_cast<void>(in.Bytes(in.remaining(), &frame));
  const unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content != raw_size) {
    return Bad("body: not one zstd frame of the announced size");
  }
  std::string body(raw_size, '\0');
  static thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> dctx(ZSTD_createDCtx());
  const size_t n =
      ZSTD_decompressDCtx(dctx.get(), body.data(), body.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != raw_size) return Bad("body: zstd frame does not decompress");
  if (Sha256Digest(bytes.substr(0, header_size), body) != checksum) {
    return Bad("checksum mismatch (damaged or forged batch)");
  }

  ByteReader records(body);
  for (uint64_t i = 0; i < count; ++i) {
    RecordReader r(records, i);
    const uint64_t seq = b.first_seq + i;
    if (b.stream == kObservationStream) {
      ObservationRow& o = b.observations.emplace_back();
      o.seq = seq;
      STRATA_RETURN_IF_ERROR(DecodeObservation(r, &o));
    } else if (b.stream == kDeadLetterStream) {
      DeadLetter& d = b.dead_letters.emplace_back();
      d.seq = seq;
      STRATA_RETURN_IF_ERROR(DecodeDeadLetter(r, &d));
    } else {
      Record& rec = b.records.emplace_back();
      rec.stream = b.stream;
      rec.seq = seq;
      STRATA_RETURN_IF_ERROR(DecodeRecord(r, &rec));
    }
  }
  if (!records.done()) {
    return Bad(fmt::format("body: {} bytes after the last record", records.remaining()));
  }
  return b;
}

}  // namespace strata
