// PlantPublisher: runs a Plant against the wall clock and publishes its messages over MQTT
// (QoS 1, counting PUBACKs).
//
// Simulated time starts at now + start_offset. While it is behind the wall clock (a history
// to replay) it runs `speed` times faster; once caught up it runs in real time, so published
// timestamps are never in the future.
//
// With a `modbus:` section it also serves every machine's PLC registers over Modbus TCP
// (sim/plc_register_map.h) from the moment the broker connection is up until Run returns,
// updated at every process tick from the same samples it publishes.
//
// Threading: Run blocks the calling thread; Stop, published and modbus_port may be called
// from any thread.
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
  // file, starts the Modbus server if configured, then publishes until Stop() or the
  // configured duration has been simulated.
  Status Run(int64_t connect_timeout_ns = 30'000'000'000LL);
  void Stop();

  uint64_t published() const { return published_.load(); }
  // The Modbus server's port while it listens (the real one if modbus.port is 0), else 0.
  int modbus_port() const { return modbus_port_.load(); }

 private:
  PlantConfig config_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<uint64_t> published_{0};
  std::atomic<int> modbus_port_{0};
};

}  // namespace strata::sim
