#include "hub/store/ingest_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <tuple>

#include "store/store.h"

namespace strata::hub_store {

static_assert(std::endian::native == std::endian::little,
              "samples are stored as little-endian float32: add a byte swap for this machine");

Status CheckBatch(const UplinkBatch& batch) {
  const auto bad = [&](std::string_view what) {
    return InvalidArgumentError(fmt::format("hub store: batch of edge '{}' stream '{}': {}",
                                            batch.edge_id, batch.stream, what));
  };
  if (batch.edge_id.empty()) return bad("no edge id");
  if (batch.stream != kObservationStream && batch.stream != kDeadLetterStream &&
      !IsRecordStream(batch.stream)) {
    return bad("unknown stream");
  }
  if (batch.count() == 0) return bad("no records");
  if (batch.first_seq == 0) return bad("first_seq must be >= 1");
  constexpr uint64_t kMaxSeq = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (batch.first_seq > kMaxSeq - batch.count()) return bad("seqs past 2^63");
  return Status::Ok();
}

uint64_t InsertedCount(const IngestPlan& plan) {
  uint64_t n = 0;
  for (const SeqRange& r : plan.insert) n += r.last - r.first + 1;
  return n;
}

std::vector<size_t> NewestPerSignal(const IngestPlan& plan, const UplinkBatch& batch) {
  std::vector<size_t> rows;
  ForEachInserted(plan, batch, [&](size_t i) { rows.push_back(i); });
  const auto& obs = batch.observations;
  // Sort by (asset, signal) then newest first; keep the first of each (asset, signal).
  std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
    return std::tie(obs[a].asset, obs[a].signal, obs[b].ts_ns, b) <
           std::tie(obs[b].asset, obs[b].signal, obs[a].ts_ns, a);
  });
  std::vector<size_t> newest;
  for (size_t i : rows) {
    if (!newest.empty() && obs[newest.back()].asset == obs[i].asset &&
        obs[newest.back()].signal == obs[i].signal) {
      continue;
    }
    newest.push_back(i);
  }
  return newest;
}

std::string SamplesToBytes(const std::vector<float>& samples) {
  std::string bytes(samples.size() * sizeof(float), '\0');
  if (!samples.empty()) std::memcpy(bytes.data(), samples.data(), bytes.size());
  return bytes;
}

StatusOr<std::vector<float>> SamplesFromBytes(std::string_view bytes) {
  if (bytes.size() % sizeof(float) != 0) {
    return DataLossError(fmt::format(
        "hub store: a stored waveform block has {} bytes, not a whole number of float32 samples",
        bytes.size()));
  }
  std::vector<float> samples(bytes.size() / sizeof(float));
  if (!samples.empty()) std::memcpy(samples.data(), bytes.data(), bytes.size());
  return samples;
}

namespace {

// Length of the valid UTF-8 sequence (not NUL) at the start of `s`, 0 if there is none.
size_t ValidSequence(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // no overlong forms
    if (c == 0xed) hi = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;  // <= U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

bool IsValidText(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) - 1u < 0x7fu) {  // ASCII, not NUL
      ++i;
      continue;
    }
    const size_t n = ValidSequence(text.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = ValidSequence(text.substr(i));
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool BatchTextIsValid(const UplinkBatch& batch) {
  if (!IsValidText(batch.edge_id) || !IsValidText(batch.stream)) return false;
  for (const ObservationRow& o : batch.observations) {
    if (!IsValidText(o.asset) || !IsValidText(o.signal) || !IsValidText(o.unit) ||
        !IsValidText(o.source.protocol) || !IsValidText(o.source.endpoint) ||
        !IsValidText(o.source.address)) {
      return false;
    }
  }
  for (const DeadLetter& d : batch.dead_letters) {
    if (!IsValidText(d.source) || !IsValidText(d.detail)) return false;
  }
  for (const Record& r : batch.records) {
    if (!IsValidText(r.subject) || !IsValidText(r.body)) return false;
  }
  return true;
}

UplinkBatch WithValidText(const UplinkBatch& batch) {
  UplinkBatch out = batch;
  const auto fix = [](std::string& s) {
    if (!IsValidText(s)) s = ToValidText(s);
  };
  fix(out.edge_id);
  fix(out.stream);
  for (ObservationRow& o : out.observations) {
    for (std::string* s : {&o.asset, &o.signal, &o.unit, &o.source.protocol, &o.source.endpoint,
                           &o.source.address}) {
      fix(*s);
    }
  }
  for (DeadLetter& d : out.dead_letters) {
    fix(d.source);
    fix(d.detail);
  }
  for (Record& r : out.records) {
    fix(r.subject);
    fix(r.body);
  }
  return out;
}

int64_t ClampLimit(size_t limit) {
  return static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

}  // namespace strata::hub_store
