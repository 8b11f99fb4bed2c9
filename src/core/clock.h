// Clock: the one source of wall time, injectable so tests fake time instead of sleeping.
//
// Times are nanoseconds since the Unix epoch, UTC. Implementations are safe for concurrent
// use without external synchronization.
#pragma once

#include <atomic>
#include <cstdint>

namespace strata {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current wall time, ns since the Unix epoch (UTC).
  virtual int64_t NowNs() const = 0;

  // The process-wide real clock. Never null; lives for the whole program.
  static const Clock& System();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ns) : now_ns_(now_ns) {}
  int64_t NowNs() const override { return now_ns_.load(std::memory_order_acquire); }
  void Set(int64_t now_ns) { now_ns_.store(now_ns, std::memory_order_release); }
  void Advance(int64_t delta_ns) { now_ns_.fetch_add(delta_ns, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> now_ns_;
};

inline constexpr int64_t kNsPerUs = 1'000;
inline constexpr int64_t kNsPerMs = 1'000'000;
inline constexpr int64_t kNsPerSec = 1'000'000'000;

}  // namespace strata
