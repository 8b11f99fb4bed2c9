#include "connectors/modbus/modbus_planner.h"

#include <algorithm>
#include <numeric>

namespace strata {

std::vector<PlannedRead> PlanReads(std::span<const ReadItem> items, uint32_t max_gap,
                                   uint32_t max_count) {
  std::vector<uint32_t> order(items.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return items[a].address < items[b].address ||
           (items[a].address == items[b].address && items[a].count > items[b].count);
  });
  std::vector<PlannedRead> reads;
  uint64_t end = 0;  // one past the last item of the current request
  for (const uint32_t i : order) {
    const uint64_t address = items[i].address;
    const uint64_t item_end = address + std::max<uint32_t>(items[i].count, 1);
    if (!reads.empty()) {
      PlannedRead& current = reads.back();
      const uint64_t new_end = std::max(end, item_end);
      const bool close_enough = address <= end || address - end <= max_gap;
      if (close_enough && new_end - current.address <= max_count) {
        end = new_end;
        current.count = static_cast<uint32_t>(end - current.address);
        current.items.push_back(i);
        continue;
      }
    }
    reads.push_back(PlannedRead{
        static_cast<uint32_t>(address), static_cast<uint32_t>(item_end - address), {i}});
    end = item_end;
  }
  return reads;
}

}  // namespace strata
