#include "connectors/modbus/modbus_planner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <numeric>
#include <random>
#include <vector>

namespace strata {
namespace {

using ::testing::ElementsAre;

struct Span {
  uint32_t address;
  uint32_t count;
  friend bool operator==(const Span&, const Span&) = default;
};

std::vector<Span> Spans(const std::vector<PlannedRead>& reads) {
  std::vector<Span> out;
  for (const auto& r : reads) out.push_back({r.address, r.count});
  return out;
}

std::vector<Span> Plan(const std::vector<ReadItem>& items, uint32_t max_gap, uint32_t max_count) {
  return Spans(PlanReads(items, max_gap, max_count));
}

TEST(PlanReads, ContiguousValuesBecomeOneRead) {
  EXPECT_THAT(Plan({{0, 1}, {1, 2}, {3, 4}, {7, 1}}, 0, 125), ElementsAre(Span{0, 8}));
}

TEST(PlanReads, GapsUpToMaxGapAreReadThroughAndLargerOnesSplit) {
  // Hole of 5 between 1 and 6.
  EXPECT_THAT(Plan({{0, 1}, {6, 1}}, 5, 125), ElementsAre(Span{0, 7}));
  EXPECT_THAT(Plan({{0, 1}, {6, 1}}, 4, 125), ElementsAre(Span{0, 1}, Span{6, 1}));
  EXPECT_THAT(Plan({{0, 1}, {1, 1}}, 0, 125), ElementsAre(Span{0, 2}));
}

TEST(PlanReads, RespectsTheRequestLimitWithoutSplittingAValue) {
  std::vector<ReadItem> items;
  for (uint32_t a = 0; a < 130; ++a) items.push_back({a, 1});
  EXPECT_THAT(Plan(items, 0, 125), ElementsAre(Span{0, 125}, Span{125, 5}));
  // float32s at 0, 2, ..., 124: the one at 124 would end at 126 > 125.
  items.clear();
  for (uint32_t a = 0; a <= 124; a += 2) items.push_back({a, 2});
  EXPECT_THAT(Plan(items, 0, 125), ElementsAre(Span{0, 124}, Span{124, 2}));
  // 2000 coils per read.
  items.clear();
  for (uint32_t a = 0; a < 4001; ++a) items.push_back({a, 1});
  EXPECT_THAT(Plan(items, 0, 2000), ElementsAre(Span{0, 2000}, Span{2000, 2000}, Span{4000, 1}));
}

TEST(PlanReads, UnsortedAndOverlappingItemsAreEachCoveredOnce) {
  // Bit fields of register 10 (several items at one address) and a uint32 overlapping a
  // uint16.
  const std::vector<ReadItem> items = {{10, 1}, {3, 2}, {10, 1}, {4, 1}, {10, 1}, {200, 4}};
  const auto reads = PlanReads(items, 10, 125);
  ASSERT_THAT(Spans(reads), ElementsAre(Span{3, 8}, Span{200, 4}));
  EXPECT_THAT(reads[0].items, ElementsAre(1, 3, 0, 2, 4));
  EXPECT_THAT(reads[1].items, ElementsAre(5));
}

TEST(PlanReads, EmptyInputAndTopOfAddressSpace) {
  EXPECT_TRUE(PlanReads({}, 10, 125).empty());
  EXPECT_THAT(Plan({{65532, 4}, {65535, 1}}, 0, 125), ElementsAre(Span{65532, 4}));
}

// Randomized: every item in exactly one read that contains it; reads within limits and in
// order; no read could absorb the first value of the next.
TEST(PlanReads, RandomizedInvariants) {
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    const uint32_t max_gap = rng() % 20;
    const uint32_t max_count = 4 + rng() % 122;
    std::vector<ReadItem> items(1 + rng() % 60);
    for (auto& it : items) {
      it.count = std::array<uint32_t, 3>{1, 2, 4}[rng() % 3];
      it.address = rng() % 400;
    }
    const auto reads = PlanReads(items, max_gap, max_count);
    std::vector<int> seen(items.size(), 0);
    for (size_t r = 0; r < reads.size(); ++r) {
      const auto& read = reads[r];
      ASSERT_LE(read.count, max_count);
      ASSERT_FALSE(read.items.empty());
      if (r > 0) {
        const auto& prev = reads[r - 1];
        ASSERT_LT(prev.address, read.address);
        // Either the hole is too big, or merging would break the limit. (Reads overlap only
        // when overlapping values straddle a limit.)
        const uint32_t prev_end = prev.address + prev.count;
        const uint32_t hole = read.address >= prev_end ? read.address - prev_end : 0;
        uint32_t first_end = 0;
        for (auto i : read.items) {
          if (items[i].address == read.address) {
            first_end = std::max(first_end, items[i].address + items[i].count);
          }
        }
        ASSERT_TRUE(hole > max_gap || first_end - prev.address > max_count);
      }
      for (auto i : read.items) {
        ++seen[i];
        ASSERT_GE(items[i].address, read.address);
        ASSERT_LE(items[i].address + items[i].count, read.address + read.count);
      }
    }
    for (int s : seen) ASSERT_EQ(s, 1);
  }
}

}  // namespace
}  // namespace strata
