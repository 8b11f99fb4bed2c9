#include "hub/store/ingest_plan.h"

#include <algorithm>

namespace strata {

IngestPlan PlanIngest(uint64_t through, std::span<const SeqRange> pending, uint64_t floor_seq,
                      SeqRange batch) {
  IngestPlan plan;
  // What the batch brings that is not stored: [batch] minus [1, through] minus `pending`.
  uint64_t next = std::max(batch.first, through + 1);
  for (const SeqRange& stored : pending) {
    if (next > batch.last) break;
    if (stored.last < next) continue;
    if (stored.first > batch.last) break;
    if (stored.first > next) plan.insert.push_back({next, stored.first - 1});
    next = std::max(next, stored.last + 1);
  }
  if (next <= batch.last) plan.insert.push_back({next, batch.last});
  uint64_t inserted = 0;
  for (const SeqRange& r : plan.insert) inserted += r.last - r.first + 1;
  plan.duplicates = (batch.last - batch.first + 1) - inserted;

  // The stored ranges after the batch, merged, then folded into `through` where contiguous.
  std::vector<SeqRange> ranges(pending.begin(), pending.end());
  ranges.push_back(batch);
  std::sort(ranges.begin(), ranges.end(),
            [](const SeqRange& a, const SeqRange& b) { return a.first < b.first; });
  plan.through = through;
  if (floor_seq > 0) plan.through = std::max(plan.through, floor_seq - 1);
  for (const SeqRange& r : ranges) {
    if (r.last <= plan.through) continue;
    if (r.first <= plan.through + 1) {
      plan.through = r.last;
    } else if (!plan.pending.empty() && r.first <= plan.pending.back().last + 1) {
      plan.pending.back().last = std::max(plan.pending.back().last, r.last);
    } else {
      plan.pending.push_back(r);
    }
  }
  return plan;
}

}  // namespace strata
