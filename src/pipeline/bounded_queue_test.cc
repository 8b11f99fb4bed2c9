#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

namespace strata {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Upper bound of every wait on another thread: a broken queue fails the test instead of
// hanging it.
constexpr auto kPatience = seconds(20);

// Spins (yielding) until `condition` holds or kPatience passes. Returns whether it held.
bool WaitUntil(const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// A queue whose items cost their own value.
BoundedQueue<int> CostlyQueue(size_t capacity) {
  return BoundedQueue<int>(capacity, [](const int& v) { return static_cast<size_t>(v); });
}

TEST(BoundedQueueTest, CountsItemsByDefault) {
  BoundedQueue<int> q(3);
  EXPECT_TRUE(q.Push(10));
  EXPECT_TRUE(q.Push(20));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.cost(), 2u);
  EXPECT_EQ(q.capacity(), 3u);
  EXPECT_FALSE(q.closed());
}

TEST(BoundedQueueTest, AccountsCostOnPushAndPop) {
  auto q = CostlyQueue(10);
  ASSERT_TRUE(q.Push(4));
  ASSERT_TRUE(q.Push(6));
  EXPECT_EQ(q.cost(), 10u);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.blocked_pushes(), 0u) << "a push that fits exactly must not wait";

  auto first = q.Pop(nanoseconds(0));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 4);
  EXPECT_EQ(q.cost(), 6u);
  auto second = q.Pop(nanoseconds(0));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(*second, 6);
  EXPECT_EQ(q.cost(), 0u);
  EXPECT_EQ(q.size(), 0u);
}

TEST(BoundedQueueTest, IsFifo) {
  BoundedQueue<int> q(100);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(q.Push(i));
  std::vector<int> out;
  EXPECT_EQ(q.PopMany(&out, 100, nanoseconds(0)), 50u);
  std::vector<int> expected(50);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(out, expected);
}

TEST(BoundedQueueTest, PushBlocksWhenFullAndResumesWhenAConsumerPops) {
  auto q = CostlyQueue(10);
  ASSERT_TRUE(q.Push(7));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.Push(5));  // 7 + 5 > 10: must wait
    pushed = true;
  });
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 1; }));
  // blocked_pushes is counted under the lock right before waiting, and the waiter only
  // proceeds once there is room: it cannot have pushed yet.
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(q.size(), 1u);

  auto popped = q.Pop(nanoseconds(0));
  ASSERT_TRUE(popped.has_value());
  EXPECT_EQ(*popped, 7);
  ASSERT_TRUE(WaitUntil([&] { return pushed.load(); }));
  producer.join();
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.cost(), 5u);
  EXPECT_EQ(q.blocked_pushes(), 1u);
  EXPECT_GT(q.blocked_ns(), 0u);
}

// A producer stuck behind a stalled consumer must show as backpressure while it is stuck,
// not only once it gets through (a stalled disk would otherwise read as "no backpressure").
TEST(BoundedQueueTest, BlockedTimeGrowsWhileAProducerIsStillWaiting) {
  auto q = CostlyQueue(10);
  ASSERT_TRUE(q.Push(10));
  std::thread producer([&] { EXPECT_TRUE(q.Push(1)); });
  ASSERT_TRUE(WaitUntil([&] { return q.waiting() == 1; }));
  const uint64_t first = q.blocked_ns();
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_ns() > first; }));
  EXPECT_EQ(q.waiting(), 1u);
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());
  producer.join();
  EXPECT_EQ(q.waiting(), 0u);
  const uint64_t total = q.blocked_ns();
  EXPECT_GT(total, first);
  EXPECT_EQ(q.blocked_ns(), total) << "no producer waits any more: the total must not move";
}

TEST(BoundedQueueTest, BlockedPushWaitsUntilEnoughCostIsFreed) {
  auto q = CostlyQueue(10);
  ASSERT_TRUE(q.Push(3));
  ASSERT_TRUE(q.Push(3));
  ASSERT_TRUE(q.Push(3));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.Push(5));  // needs two of the 3s gone
    pushed = true;
  });
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 1; }));
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());  // cost 6: 6 + 5 > 10, still full
  // The producer was woken by that pop and must have gone back to waiting; prove it by
  // checking the queue still holds exactly the two remaining items.
  EXPECT_EQ(q.size(), 2u);
  EXPECT_FALSE(pushed.load());
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());  // cost 3: now 3 + 5 fits
  ASSERT_TRUE(WaitUntil([&] { return pushed.load(); }));
  producer.join();
  EXPECT_EQ(q.cost(), 8u);
  EXPECT_EQ(q.blocked_pushes(), 1u) << "one push waited, however often it was woken";
}

TEST(BoundedQueueTest, OversizedItemIsAdmittedIntoAnEmptyQueue) {
  auto q = CostlyQueue(5);
  ASSERT_TRUE(q.Push(100));  // would deadlock if it had to fit the capacity
  EXPECT_EQ(q.cost(), 100u);
  EXPECT_EQ(q.blocked_pushes(), 0u);

  // While it is queued, even a small item must wait.
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.Push(1));
    pushed = true;
  });
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 1; }));
  EXPECT_FALSE(pushed.load());
  auto big = q.Pop(nanoseconds(0));
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(*big, 100);
  ASSERT_TRUE(WaitUntil([&] { return pushed.load(); }));
  producer.join();
  EXPECT_EQ(q.cost(), 1u);
}

TEST(BoundedQueueTest, OversizedItemWaitsForTheQueueToEmpty) {
  auto q = CostlyQueue(5);
  ASSERT_TRUE(q.Push(2));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(q.Push(50));
    pushed = true;
  });
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 1; }));
  EXPECT_FALSE(pushed.load());
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());
  ASSERT_TRUE(WaitUntil([&] { return pushed.load(); }));
  producer.join();
  EXPECT_EQ(q.cost(), 50u);
}

TEST(BoundedQueueTest, CloseWakesBlockedPushersWhichReturnFalse) {
  auto q = CostlyQueue(4);
  ASSERT_TRUE(q.Push(4));
  std::vector<std::future<bool>> pushes;
  for (int i = 0; i < 3; ++i) {
    pushes.push_back(std::async(std::launch::async, [&q] { return q.Push(1); }));
  }
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 3; }));
  q.Close();
  for (auto& push : pushes) {
    ASSERT_EQ(push.wait_for(kPatience), std::future_status::ready) << "Close did not wake it";
    EXPECT_FALSE(push.get());
  }
  EXPECT_TRUE(q.closed());
  EXPECT_EQ(q.size(), 1u) << "a failed push must not enqueue";
  EXPECT_EQ(q.cost(), 4u);
}

TEST(BoundedQueueTest, CloseWakesABlockedPopper) {
  BoundedQueue<int> q(4);
  std::latch started(1);
  auto pop = std::async(std::launch::async, [&] {
    started.count_down();
    std::vector<int> out;
    return q.PopMany(&out, 10, std::chrono::hours(1));
  });
  started.wait();
  q.Close();
  ASSERT_EQ(pop.wait_for(kPatience), std::future_status::ready) << "Close did not wake it";
  EXPECT_EQ(pop.get(), 0u);
}

TEST(BoundedQueueTest, AWaitingPopperGetsAnItemPushedLater) {
  BoundedQueue<int> q(4);
  auto pop = std::async(std::launch::async, [&] { return q.Pop(std::chrono::hours(1)); });
  ASSERT_TRUE(q.Push(42));
  ASSERT_EQ(pop.wait_for(kPatience), std::future_status::ready);
  auto v = pop.get();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 42);
}

TEST(BoundedQueueTest, PopWithAnUnboundedTimeoutWaitsForAnItem) {
  // nanoseconds::max() means "forever"; it must not overflow into "already expired".
  BoundedQueue<int> q(4);
  std::latch started(1);
  auto pop = std::async(std::launch::async, [&] {
    started.count_down();
    return q.Pop(nanoseconds::max());
  });
  started.wait();
  // Give a broken implementation every chance to have returned early.
  EXPECT_EQ(pop.wait_for(milliseconds(50)), std::future_status::timeout)
      << "Pop(nanoseconds::max()) returned without an item";
  ASSERT_TRUE(q.Push(9));
  ASSERT_EQ(pop.wait_for(kPatience), std::future_status::ready);
  auto v = pop.get();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 9);
}

TEST(BoundedQueueTest, PushOnAClosedQueueFailsEvenWithRoom) {
  BoundedQueue<int> q(4);
  q.Close();
  EXPECT_FALSE(q.Push(1));
  EXPECT_EQ(q.size(), 0u);
}

TEST(BoundedQueueTest, PopDrainsWhatIsLeftAfterClose) {
  BoundedQueue<int> q(4);
  ASSERT_TRUE(q.Push(1));
  ASSERT_TRUE(q.Push(2));
  q.Close();
  std::vector<int> out;
  EXPECT_EQ(q.PopMany(&out, 10, std::chrono::hours(1)), 2u);
  EXPECT_EQ(out, (std::vector<int>{1, 2}));
  // Closed and empty: returns at once despite the long timeout.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.PopMany(&out, 10, std::chrono::hours(1)), 0u);
  EXPECT_FALSE(q.Pop(std::chrono::hours(1)).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, kPatience);
}

TEST(BoundedQueueTest, PopManyTakesAtMostMaxItemsAndAppends) {
  BoundedQueue<int> q(10);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(q.Push(i));
  std::vector<int> out = {-1};
  EXPECT_EQ(q.PopMany(&out, 3, nanoseconds(0)), 3u);
  EXPECT_EQ(out, (std::vector<int>{-1, 1, 2, 3})) << "PopMany appends; it does not clear";
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.PopMany(&out, 10, nanoseconds(0)), 2u);
  EXPECT_EQ(out, (std::vector<int>{-1, 1, 2, 3, 4, 5}));
  EXPECT_EQ(q.PopMany(&out, 0, nanoseconds(0)), 0u);
}

TEST(BoundedQueueTest, PopManyWithZeroMaxLeavesItemsQueued) {
  BoundedQueue<int> q(10);
  ASSERT_TRUE(q.Push(1));
  std::vector<int> out;
  EXPECT_EQ(q.PopMany(&out, 0, nanoseconds(0)), 0u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(q.size(), 1u);
}

TEST(BoundedQueueTest, PopManyTimesOutOnAnEmptyQueue) {
  BoundedQueue<int> q(10);
  std::vector<int> out;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.PopMany(&out, 5, milliseconds(20)), 0u);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(20)) << "returned before the timeout with nothing to pop";
  EXPECT_LT(waited, kPatience);
  EXPECT_TRUE(out.empty());

  EXPECT_EQ(q.PopMany(&out, 5, nanoseconds(0)), 0u);
  EXPECT_FALSE(q.Pop(nanoseconds(0)).has_value());
  EXPECT_FALSE(q.Pop(nanoseconds(-5)).has_value());
}

TEST(BoundedQueueTest, PoppingFreesRoomForSeveralBlockedPushers) {
  auto q = CostlyQueue(4);
  ASSERT_TRUE(q.Push(4));
  std::vector<std::future<bool>> pushes;
  for (int i = 0; i < 4; ++i) {
    pushes.push_back(std::async(std::launch::async, [&q] { return q.Push(1); }));
  }
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 4; }));
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());
  // All four fit now; every one of them must be woken, not just one.
  for (auto& push : pushes) {
    ASSERT_EQ(push.wait_for(kPatience), std::future_status::ready);
    EXPECT_TRUE(push.get());
  }
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.cost(), 4u);
}

TEST(BoundedQueueTest, UnblockedPushesAreNotCountedAsBackpressure) {
  BoundedQueue<int> q(1000);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Push(i));
  EXPECT_EQ(q.blocked_pushes(), 0u);
  EXPECT_EQ(q.blocked_ns(), 0u);
}

TEST(BoundedQueueTest, BlockedTimeCoversTheWait) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE(q.Push(1));
  const auto start = std::chrono::steady_clock::now();
  std::thread producer([&] { EXPECT_TRUE(q.Push(2)); });
  ASSERT_TRUE(WaitUntil([&] { return q.blocked_pushes() == 1; }));
  // Hold the producer back for a measurable while without sleeping.
  const auto blocked_seen = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitUntil(
      [&] { return std::chrono::steady_clock::now() - blocked_seen >= milliseconds(5); }));
  const auto released = std::chrono::steady_clock::now();
  ASSERT_TRUE(q.Pop(nanoseconds(0)).has_value());
  producer.join();
  const auto end = std::chrono::steady_clock::now();
  const auto blocked = nanoseconds(q.blocked_ns());
  EXPECT_GE(blocked, released - blocked_seen);
  EXPECT_LE(blocked, end - start);
}

TEST(BoundedQueueTest, HoldsMoveOnlyItems) {
  BoundedQueue<std::unique_ptr<int>> q(2);
  ASSERT_TRUE(q.Push(std::make_unique<int>(5)));
  auto v = q.Pop(nanoseconds(0));
  ASSERT_TRUE(v.has_value());
  ASSERT_NE(*v, nullptr);
  EXPECT_EQ(**v, 5);
}

TEST(BoundedQueueTest, ManyProducersAndConsumersConserveEveryItem) {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr int kPerProducer = 20000;
  // Item = producer * kPerProducer + index; cost 1..3 to exercise cost accounting.
  BoundedQueue<int> q(16, [](const int& v) { return static_cast<size_t>(v % 3 + 1); });

  std::vector<std::vector<int>> consumed(kConsumers);
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&q, &out = consumed[static_cast<size_t>(c)]] {
      std::vector<int> batch;
      while (true) {
        batch.clear();
        const size_t n = q.PopMany(&batch, 7, milliseconds(100));
        if (n == 0 && q.closed() && q.size() == 0) break;
        EXPECT_EQ(n, batch.size());
        out.insert(out.end(), batch.begin(), batch.end());
      }
    });
  }
  std::latch go(kProducers);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&q, &go, p] {
      go.arrive_and_wait();
      for (int i = 0; i < kPerProducer; ++i) EXPECT_TRUE(q.Push(p * kPerProducer + i));
    });
  }
  for (auto& t : producers) t.join();
  q.Close();
  for (auto& t : consumers) t.join();

  std::vector<int> seen(static_cast<size_t>(kProducers * kPerProducer), 0);
  size_t total = 0;
  for (const auto& out : consumed) {
    total += out.size();
    // Each consumer pops in queue order, so it sees each producer's items in order.
    std::vector<int> last(kProducers, -1);
    for (int v : out) {
      ASSERT_GE(v, 0);
      ASSERT_LT(v, kProducers * kPerProducer);
      ++seen[static_cast<size_t>(v)];
      const int producer = v / kPerProducer;
      EXPECT_GT(v, last[static_cast<size_t>(producer)]) << "FIFO order broken";
      last[static_cast<size_t>(producer)] = v;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kProducers * kPerProducer));
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }))
      << "an item was lost or delivered twice";
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.cost(), 0u);
}

}  // namespace
}  // namespace strata
