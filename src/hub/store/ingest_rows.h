// Engine-independent pieces of IngestBatch shared by the SQLite and PostgreSQL engines: batch
// checks, walking the seqs an IngestPlan inserts, the latest observation per signal of a
// batch, the stored form of waveform samples, and text that PostgreSQL can hold.
//
// Thread-safe: free functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "hub/store/ingest_plan.h"
#include "uplink/uplink_batch.h"

namespace strata::hub_store {

// InvalidArgument (naming the edge and stream) for a batch no engine may store: no records, an
// empty edge id, an unknown stream, first_seq 0 or a seq range past 2^63 (engines keep seqs in
// signed 64-bit columns).
Status CheckBatch(const UplinkBatch& batch);

// Calls fn(index) for the index in the batch of every seq the plan inserts, ascending.
template <typename Fn>
void ForEachInserted(const IngestPlan& plan, const UplinkBatch& batch, Fn&& fn) {
  for (const SeqRange& r : plan.insert) {
    for (uint64_t seq = r.first; seq <= r.last; ++seq)
      fn(static_cast<size_t>(seq - batch.first_seq));
  }
}

uint64_t InsertedCount(const IngestPlan& plan);

// Indexes (into batch.observations) of the newest inserted observation of each (asset, signal)
// of the batch: the one with the highest source time, the highest seq among equal times.
// Ordered by (asset, signal), so that engines that lock rows take the locks in one order.
std::vector<size_t> NewestPerSignal(const IngestPlan& plan, const UplinkBatch& batch);

// Waveform samples as stored: float32 little-endian, back to back.
std::string SamplesToBytes(const std::vector<float>& samples);
// DataLoss when `bytes` is not a whole number of float32.
StatusOr<std::vector<float>> SamplesFromBytes(std::string_view bytes);

// True when every text field of the batch (ids, names, sources, details, subjects, bodies; not
// dead-letter payloads, which are bytes) is valid UTF-8 without NUL bytes: what a PostgreSQL
// text column accepts. The uplink format does not promise it.
bool BatchTextIsValid(const UplinkBatch& batch);
// A copy of `batch` whose text fields are valid UTF-8 without NUL: each invalid sequence and
// each NUL replaced by U+FFFD. For engines that would otherwise refuse the batch forever.
UplinkBatch WithValidText(const UplinkBatch& batch);
bool IsValidText(std::string_view text);
std::string ToValidText(std::string_view text);

// Keeps `limit` within what engines bind as a signed 64-bit integer.
int64_t ClampLimit(size_t limit);

}  // namespace strata::hub_store
