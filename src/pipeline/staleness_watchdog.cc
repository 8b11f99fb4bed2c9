#include "pipeline/staleness_watchdog.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/time_util.h"

namespace strata {

StalenessWatchdog::StalenessWatchdog(std::shared_ptr<const AssetModel> model, double factor,
                                     int64_t start_ns)
    : model_(std::move(model)),
      last_seen_(model_->signal_count(), start_ns),
      limit_ns_(model_->signal_count(), 0),
      stale_(model_->signal_count(), false) {
  for (SignalId id = 0; id < model_->signal_count(); ++id) {
    const int64_t period = model_->signal(id).spec->period_ns;
    if (period <= 0) continue;
    // Clamped: a limit past the int64 range never expires (llround would overflow), and a
    // positive one shorter than 1 ns must not turn into 0, which means "never stale".
    const double limit = static_cast<double>(period) * factor;
    if (!(limit > 0)) continue;  // factor <= 0 or NaN: no sensible limit
    limit_ns_[id] = limit >= 9.2e18 ? std::numeric_limits<int64_t>::max()
                                    : std::max<int64_t>(1, std::llround(limit));
  }
}

void StalenessWatchdog::Check(int64_t now_ns, std::vector<Event>* events) {
  size_t count = 0;
  for (SignalId id = 0; id < last_seen_.size(); ++id) {
    if (limit_ns_[id] == 0) continue;
    const int64_t quiet = now_ns - last_seen_[id];
    const bool stale = quiet > limit_ns_[id];
    if (stale != stale_[id]) {
      const SignalInfo& info = model_->signal(id);
      Event e;
      e.ts_ns = now_ns;
      e.subject = fmt::format("{} {}", info.asset->path, info.spec->name);
      if (stale) {
        e.kind = "signal.stale";
        e.detail = fmt::format("no reading for {} (expected every {}, stale after {})",
                               FormatDuration(quiet), FormatDuration(info.spec->period_ns),
                               FormatDuration(limit_ns_[id]));
      } else {
        e.kind = "signal.fresh";
        e.detail = "readings arrive again";
      }
      events->push_back(std::move(e));
      stale_[id] = stale;
    }
    if (stale) ++count;
  }
  stale_count_.store(count, std::memory_order_relaxed);
}

}  // namespace strata
