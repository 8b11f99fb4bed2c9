// The read planner: the values a poll group wants from one table of one device → the fewest
// read requests that cover them. Pure function, no I/O.
//
// Values are merged into one request while the request stays within `max_count` items
// (Modbus allows 125 registers or 2000 coils/discrete inputs per read) and the hole between
// what the request already covers and the next value is at most `max_gap` items. Reading a
// hole costs a few bytes; a hole that the device does not implement costs an exception for
// the whole request, which is why the gap is configurable (0: never read a hole).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace strata {

struct ReadItem {
  uint32_t address = 0;  // first register (or bit) of the value
  uint32_t count = 1;    // registers (or bits) it occupies, >= 1
};

struct PlannedRead {
  uint32_t address = 0;
  uint32_t count = 0;
  std::vector<uint32_t> items;  // indices into the planner's input, by address
};

// Requests in ascending address order. Every item lies wholly inside exactly one request.
// Items may overlap (e.g. bit fields of one register). An item longer than `max_count` gets
// a request of its own (callers reject such items earlier). `max_count` >= 1.
std::vector<PlannedRead> PlanReads(std::span<const ReadItem> items, uint32_t max_gap,
                                   uint32_t max_count);

}  // namespace strata
