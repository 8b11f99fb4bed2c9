// StalenessWatchdog: notices signals that stop arriving.
//
// A signal with an expected sample period p is stale when nothing arrived for p × factor
// (counted from the watchdog's start for a signal never seen). Check() turns transitions into
// events: "signal.stale" when a signal goes quiet, "signal.fresh" when it comes back.
// Signals without a period are never stale.
//
// Not thread-safe: Seen and Check are called from the pipeline thread. stale_count() may be
// read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/asset_model.h"
#include "core/event.h"

namespace strata {

class StalenessWatchdog {
 public:
  // `factor` > 0 (the edge config requires >= 1); a limit too large for int64 ns never expires.
  StalenessWatchdog(std::shared_ptr<const AssetModel> model, double factor, int64_t start_ns);

  // A reading of `signal` arrived at edge time `now_ns`.
  void Seen(SignalId signal, int64_t now_ns) {
    if (signal < last_seen_.size()) last_seen_[signal] = now_ns;
  }

  // Appends an event for every signal whose state changed since the last call.
  void Check(int64_t now_ns, std::vector<Event>* events);

  size_t stale_count() const { return stale_count_.load(std::memory_order_relaxed); }
  bool IsStale(SignalId signal) const { return signal < stale_.size() && stale_[signal]; }

 private:
  std::shared_ptr<const AssetModel> model_;
  std::vector<int64_t> last_seen_;
  std::vector<int64_t> limit_ns_;  // 0 = never stale
  std::vector<bool> stale_;
  std::atomic<size_t> stale_count_{0};
};

}  // namespace strata
