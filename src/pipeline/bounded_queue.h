// BoundedQueue: a blocking multi-producer multi-consumer queue bounded by a cost (items, rows
// or bytes). The backpressure between pipeline stages: when a consumer is slow, producers
// block in Push, so memory stays bounded and the slowness propagates upstream (down to the
// MQTT connector, which then stops reading and lets the broker hold the messages).
//
// An item costlier than the whole capacity is still admitted when the queue is empty, so a
// single large item can never deadlock the pipeline.
//
// Thread-safe. Close() wakes every waiter: Push then fails, Pop drains what is left.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace strata {

template <typename T>
class BoundedQueue {
 public:
  using CostFn = std::function<size_t(const T&)>;

  explicit BoundedQueue(
      size_t capacity, CostFn cost = [](const T&) { return size_t{1}; })
      : capacity_(capacity), cost_fn_(std::move(cost)) {}

  // Blocks while the queue is full. Returns false only when the queue is closed (before or
  // while waiting); `item` is then not enqueued and is destroyed with this call's argument, so
  // a caller that must keep it has to hold its own copy.
  bool Push(T item) {
    const size_t c = cost_fn_(item);
    std::unique_lock lock(mu_);
    if (!HasRoom(c) && !closed_) {
      const int64_t start = SteadyNs();
      ++blocked_pushes_;
      ++waiting_;
      waiting_since_sum_ += start;
      not_full_.wait(lock, [&] { return closed_ || HasRoom(c); });
      --waiting_;
      waiting_since_sum_ -= start;
      blocked_ns_ += static_cast<uint64_t>(SteadyNs() - start);
    }
    if (closed_) return false;
    cost_ += c;
    items_.push_back(Entry{std::move(item), c});
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Enqueues `item` only if there is room now (or the queue is empty); never blocks. Returns
  // false when full or closed, leaving `item` with the caller.
  bool TryPush(T& item) {
    const size_t c = cost_fn_(item);
    {
      std::lock_guard lock(mu_);
      if (closed_ || !HasRoom(c)) return false;
      cost_ += c;
      items_.push_back(Entry{std::move(item), c});
    }
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `timeout` for at least one item, then moves up to `max_items` into `out`.
  // Returns the number moved (0 on timeout, or when closed and empty). A timeout too long to
  // add to the current time (e.g. nanoseconds::max()) waits without limit.
  size_t PopMany(std::vector<T>* out, size_t max_items, std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mu_);
    if (items_.empty() && !closed_) {
      const auto ready = [&] { return closed_ || !items_.empty(); };
      const auto now = std::chrono::steady_clock::now();
      if (timeout >= std::chrono::steady_clock::time_point::max() - now) {
        not_empty_.wait(lock, ready);
      } else {
        not_empty_.wait_until(lock, now + timeout, ready);
      }
    }
    size_t n = 0;
    while (!items_.empty() && n < max_items) {
      cost_ -= items_.front().cost;
      out->push_back(std::move(items_.front().item));
      items_.pop_front();
      ++n;
    }
    lock.unlock();
    if (n > 0) not_full_.notify_all();
    return n;
  }

  std::optional<T> Pop(std::chrono::nanoseconds timeout) {
    std::vector<T> one;
    if (PopMany(&one, 1, timeout) == 0) return std::nullopt;
    return std::move(one.front());
  }

  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  size_t cost() const {
    std::lock_guard lock(mu_);
    return cost_;
  }
  size_t capacity() const { return capacity_; }
  // How many pushes had to wait, and for how long in total: the backpressure exerted.
  uint64_t blocked_pushes() const {
    std::lock_guard lock(mu_);
    return blocked_pushes_;
  }
  // Includes the waits still in progress, so a producer stuck behind a stalled consumer shows.
  uint64_t blocked_ns() const {
    std::lock_guard lock(mu_);
    return blocked_ns_ + static_cast<uint64_t>(waiting_ * SteadyNs() - waiting_since_sum_);
  }
  // Producers waiting right now.
  size_t waiting() const {
    std::lock_guard lock(mu_);
    return static_cast<size_t>(waiting_);
  }

 private:
  static int64_t SteadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  struct Entry {
    T item;
    size_t cost;
  };
  bool HasRoom(size_t c) const { return items_.empty() || cost_ + c <= capacity_; }

  const size_t capacity_;
  const CostFn cost_fn_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Entry> items_;
  size_t cost_ = 0;
  bool closed_ = false;
  uint64_t blocked_pushes_ = 0;
  uint64_t blocked_ns_ = 0;
  int64_t waiting_ = 0;            // producers blocked in Push now
  int64_t waiting_since_sum_ = 0;  // sum of their start times (SteadyNs)
};

}  // namespace strata
