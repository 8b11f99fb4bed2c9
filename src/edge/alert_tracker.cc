#include "edge/alert_tracker.h"

#include <cmath>

namespace strata {

std::optional<AlertTransition> AlertTracker::Observe(int64_t ts_ns, double score) {
  if (last_ts_ && ts_ns < *last_ts_) return std::nullopt;
  last_ts_ = ts_ns;
  if (std::isnan(score)) return std::nullopt;
  if (open_) {
    if (score < policy_.clear_below) {
      open_ = false;
      above_since_.reset();
      cooldown_until_ = ts_ns + policy_.cooldown_ns;
      return AlertTransition::kClear;
    }
    return std::nullopt;
  }
  if (score < policy_.open_at) {
    above_since_.reset();
    return std::nullopt;
  }
  if (!above_since_) above_since_ = ts_ns;
  if (ts_ns - *above_since_ < policy_.min_duration_ns) return std::nullopt;
  if (cooldown_until_ && ts_ns < *cooldown_until_) return std::nullopt;
  open_ = true;
  opened_ns_ = ts_ns;
  return AlertTransition::kOpen;
}

}  // namespace strata
