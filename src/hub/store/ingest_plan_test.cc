#include "hub/store/ingest_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(IngestPlanTest, FirstBatchIsInsertedAndAcknowledged) {
  IngestPlan plan = PlanIngest(0, {}, 1, {1, 100});
  EXPECT_THAT(plan.insert, ElementsAre(SeqRange{1, 100}));
  EXPECT_EQ(plan.duplicates, 0u);
  EXPECT_EQ(plan.through, 100u);
  EXPECT_THAT(plan.pending, IsEmpty());
}

TEST(IngestPlanTest, ReplayedBatchInsertsNothing) {
  IngestPlan plan = PlanIngest(100, {}, 1, {1, 100});
  EXPECT_THAT(plan.insert, IsEmpty());
  EXPECT_EQ(plan.duplicates, 100u);
  EXPECT_EQ(plan.through, 100u);
}

TEST(IngestPlanTest, OverlappingBatchInsertsOnlyTheNewPart) {
  IngestPlan plan = PlanIngest(100, {}, 1, {51, 150});
  EXPECT_THAT(plan.insert, ElementsAre(SeqRange{101, 150}));
  EXPECT_EQ(plan.duplicates, 50u);
  EXPECT_EQ(plan.through, 150u);
}

TEST(IngestPlanTest, BatchAfterAGapWaitsAsPendingThenTheGapClosesIt) {
  // Two hubs: batch 201-300 is stored before batch 101-200.
  IngestPlan later = PlanIngest(100, {}, 1, {201, 300});
  EXPECT_THAT(later.insert, ElementsAre(SeqRange{201, 300}));
  EXPECT_EQ(later.through, 100u);
  EXPECT_THAT(later.pending, ElementsAre(SeqRange{201, 300}));

  IngestPlan gap = PlanIngest(100, later.pending, 1, {101, 200});
  EXPECT_THAT(gap.insert, ElementsAre(SeqRange{101, 200}));
  EXPECT_EQ(gap.through, 300u);
  EXPECT_THAT(gap.pending, IsEmpty());
}

TEST(IngestPlanTest, BatchSpanningPendingRangesInsertsAroundThem) {
  const SeqRange pending[] = {{20, 29}, {40, 49}};
  IngestPlan plan = PlanIngest(10, pending, 1, {15, 60});
  EXPECT_THAT(plan.insert, ElementsAre(SeqRange{15, 19}, SeqRange{30, 39}, SeqRange{50, 60}));
  EXPECT_EQ(plan.duplicates, 20u);
  EXPECT_EQ(plan.through, 10u);  // 11-14 still missing
  EXPECT_THAT(plan.pending, ElementsAre(SeqRange{15, 60}));
}

TEST(IngestPlanTest, FloorClosesAGapTheEdgeWillNeverFill) {
  // The edge's retention dropped 101-150 before they were sent; its floor says so.
  IngestPlan plan = PlanIngest(100, {}, 151, {151, 200});
  EXPECT_THAT(plan.insert, ElementsAre(SeqRange{151, 200}));
  EXPECT_EQ(plan.through, 200u);
}

TEST(IngestPlanTest, FloorAlsoFoldsPendingRanges) {
  const SeqRange pending[] = {{301, 400}};
  IngestPlan plan = PlanIngest(100, pending, 251, {251, 300});
  EXPECT_EQ(plan.through, 400u);
  EXPECT_THAT(plan.pending, IsEmpty());
}

// Against a set model: random batches in random order, with replays; every seq is inserted
// exactly once and `through` is always the contiguous prefix.
TEST(IngestPlanTest, MatchesASetModelUnderRandomOrderAndReplays) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<SeqRange> batches;
    for (uint64_t first = 1; first <= 500;) {
      const uint64_t n = 1 + rng() % 40;
      batches.push_back({first, first + n - 1});
      first += n;
    }
    std::vector<SeqRange> sends = batches;
    for (int i = 0; i < 30; ++i) sends.push_back(batches[rng() % batches.size()]);
    std::shuffle(sends.begin(), sends.end(), rng);

    uint64_t through = 0;
    std::vector<SeqRange> pending;
    std::multiset<uint64_t> inserted;
    for (const SeqRange& b : sends) {
      IngestPlan plan = PlanIngest(through, pending, 1, b);
      for (const SeqRange& r : plan.insert)
        for (uint64_t s = r.first; s <= r.last; ++s) inserted.insert(s);
      through = plan.through;
      pending = plan.pending;
      uint64_t expect = 0;
      while (inserted.count(expect + 1) == 1) ++expect;
      ASSERT_EQ(through, expect);
    }
    EXPECT_EQ(through, batches.back().last);
    EXPECT_THAT(pending, IsEmpty());
    EXPECT_EQ(inserted.size(), batches.back().last);
    for (uint64_t s : inserted) ASSERT_EQ(inserted.count(s), 1u) << s;
  }
}

}  // namespace
}  // namespace strata
