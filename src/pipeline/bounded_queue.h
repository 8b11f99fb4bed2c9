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

  explicit BoundedQueue(size_t capacity, CostFn cost = [](const T&) { return size_t{1}; })
      : capacity_(capacity), cost_fn_(std::move(cost)) {}

  // Blocks while the queue is full. Returns false (and drops nothing: `item` is untouched by
  // the caller's view) only when the queue is closed.
  bool Push(T item) {
    const size_t c = cost_fn_(item);
    std::unique_lock lock(mu_);
    if (!HasRoom(c) && !closed_) {
      const auto start = std::chrono::steady_clock::now();
      ++blocked_pushes_;
      not_full_.wait(lock, [&] { return closed_ || HasRoom(c); });
      blocked_ns_ += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                               start)
              .count());
    }
    if (closed_) return false;
    cost_ += c;
    items_.push_back(Entry{std::move(item), c});
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `timeout` for at least one item, then moves up to `max_items` into `out`.
  // Returns the number moved (0 on timeout, or when closed and empty).
  size_t PopMany(std::vector<T>* out, size_t max_items, std::chrono::nanoseconds timeout) {
    std::unique_lock lock(mu_);
    if (items_.empty() && !closed_) {
      not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
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
  uint64_t blocked_ns() const {
    std::lock_guard lock(mu_);
    return blocked_ns_;
  }

 private:
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
};

}  // namespace strata
