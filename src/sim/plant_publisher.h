// PlantPublisher: runs a Plant against the wall clock and publishes its messages over MQTT
// (QoS 1, counting PUBACKs).
//
// Simulated time starts at now + start_offset. While it is behind the wall clock (a history
// to replay) it runs `speed` times faster; once caught up it runs in real time, so published
// timestamps are never in the future.
//
// Threading: Run blocks the calling thread; Stop may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "core/clock.h"
#include "core/status.h"
#include "sim/plant_config.h"

namespace strata::sim {

class PlantPublisher {
 public:
  PlantPublisher(PlantConfig config, const Clock& clock);

  // Connects (waiting up to `connect_timeout_ns` for the broker), writes the ground truth
  // file, then publishes until Stop() or the configured duration has been simulated.
  Status Run(int64_t connect_timeout_ns = 30'000'000'000LL);
  void Stop();

  uint64_t published() const { return published_.load(); }

 private:
  PlantConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<uint64_t> published_{0};
};

}  // namespace strata::sim
