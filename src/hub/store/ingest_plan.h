// The engine-independent arithmetic of idempotent ingest: given what a hub has stored for one
// (edge, stream) — everything through `through`, plus some ranges above it — and a batch, which
// seqs to insert and what the new `through` is. Both hub store engines call it inside their
// ingest transaction, so they agree by construction.
//
// Thread-safe: a pure function.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strata {

struct SeqRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive

  friend bool operator==(const SeqRange&, const SeqRange&) = default;
};

struct IngestPlan {
  std::vector<SeqRange> insert;   // parts of the batch not stored yet, ascending
  uint64_t duplicates = 0;        // seqs of the batch already stored
  uint64_t through = 0;           // the new highest contiguous seq stored
  std::vector<SeqRange> pending;  // stored ranges above through + 1 after the batch, ascending,
                                  // disjoint and not adjacent
};

// `pending`: the stored ranges above `through` (ascending, disjoint, each first > through + 1).
// `floor_seq`: the batch's floor (uplink_batch.h); seqs below it that were never stored will
// never come and no longer hold `through` back. `batch`: the batch's seq range.
IngestPlan PlanIngest(uint64_t through, std::span<const SeqRange> pending, uint64_t floor_seq,
                      SeqRange batch);

}  // namespace strata
