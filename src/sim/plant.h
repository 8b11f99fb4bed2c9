// Plant: the simulated machines and the MQTT messages they send, as a pure function of the
// configuration, the seed and simulated time (no clock, no network): the same config and
// start time give byte-identical messages.
//
//   <topic_prefix>/<machine>/process              {"ts": <ms>, "readings": [{"n": "load",
//   "v": 81.2}, ...]} <topic_prefix>/<machine>/vibration/<signal>   {"ts": <ms>, "fs": 10240,
//   "samples": [...]}
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sim/machine.h"
#include "sim/plant_config.h"

namespace strata::sim {

struct PlantMessage {
  std::string topic;
  std::string payload;
};

class Plant {
 public:
  Plant(const PlantConfig& config, int64_t start_ns);

  int64_t start_ns() const { return start_ns_; }
  // Simulated time of the next messages.
  int64_t next_due() const;
  // Appends the messages due at next_due() and advances.
  int64_t EmitNext(std::vector<PlantMessage>* out);

  // One JSON object per line and fault: asset, machine, fault, onset, full severity.
  std::string GroundTruthJsonLines() const;
  const std::vector<std::unique_ptr<MachineSim>>& machines() const { return machines_; }
  // The process signals of machine `index` as last emitted (what its PLC shows; all zero
  // before the first process tick), and the simulated time of that tick (0 before it).
  const ProcessSample& last_sample(size_t index) const { return last_samples_[index]; }
  int64_t last_process_ns() const { return last_process_ns_; }
  std::string AssetPath(const std::string& machine) const;

 private:
  void EmitProcess(size_t index, int64_t t_ns, std::vector<PlantMessage>* out);
  void EmitVibration(size_t index, int64_t t_ns, std::vector<PlantMessage>* out);
  void EmitBadMessage(int64_t t_ns, std::vector<PlantMessage>* out);

  PlantConfig config_;
  int64_t start_ns_;
  std::vector<std::unique_ptr<MachineSim>> machines_;
  std::vector<ProcessSample> last_samples_;  // by machine index
  int64_t last_process_ns_ = 0;
  int64_t next_process_;
  int64_t next_vibration_;
  int64_t next_bad_;
  uint64_t bad_count_ = 0;
};

}  // namespace strata::sim
