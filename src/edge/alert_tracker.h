// AlertTracker: turns one asset's sequence of decision scores into alert transitions under a
// model's AlertPolicy (ml/model_package.h):
//
//   closed → open   the score has been >= open_at on every decision for at least
//                   min_duration (from the first such decision to this one), and the cooldown
//                   after the last clear has passed;
//   open → closed   a score < clear_below (hysteresis: between clear_below and open_at an
//                   open alert stays open and a closed one stays closed);
//   NaN scores change nothing.
//
// Time is the decisions' window end (event time), so replaying history gives the same alerts.
// Not thread-safe: one tracker per (asset, model), used by one thread.
#pragma once

#include <cstdint>
#include <optional>

#include "ml/model_package.h"

namespace strata {

enum class AlertTransition { kOpen, kClear };

class AlertTracker {
 public:
  explicit AlertTracker(ml::AlertPolicy policy) : policy_(policy) {}

  // Feeds the next decision (ts_ns must not go back; an older one is ignored).
  std::optional<AlertTransition> Observe(int64_t ts_ns, double score);

  bool open() const { return open_; }
  int64_t opened_ns() const { return opened_ns_; }

 private:
  ml::AlertPolicy policy_;
  bool open_ = false;
  int64_t opened_ns_ = 0;
  std::optional<int64_t> above_since_;
  std::optional<int64_t> cooldown_until_;
  std::optional<int64_t> last_ts_;
};

}  // namespace strata
