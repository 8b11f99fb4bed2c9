// Simulated history for the demo's starter model: the demo's plant run in-process, much faster
// than real time, through the edge's own MQTT decoding, mapping and validation, into a
// training store, with a ground-truth file whose episodes end (the machine was repaired).
//
// The history is `segments` consecutive runs of `segment` simulated time each. Every run starts
// with healthy machines (a fresh simulator, seed + run index) and gives about half of them a
// fault that develops over the run; the fault kinds rotate over machines and runs, so every
// kind occurs on several machines. Deterministic: the same options give the same store
// content and ground truth.
//
// Threading: runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "edge/edge_config.h"
#include "sim/plant_config.h"

namespace strata {

struct HistoryOptions {
  sim::PlantConfig plant;  // machines, periods, seed (broker settings unused)
  int64_t start_ns = 0;    // simulated start, ns since the epoch
  int64_t segment_ns = 40 * 60 * 1'000'000'000LL;
  int segments = 4;
  std::string store_path;         // created (replaced if it exists)
  std::string ground_truth_path;  // JSON lines with end_ns
};

struct HistoryResult {
  uint64_t observations = 0;
  uint64_t dead_letters = 0;  // should be 0: the simulator's history is clean
  int episodes = 0;
  double seconds = 0;
};

// `edge`: the demo's edge config (asset model and its first MQTT connector's decoders and
// mapping). `progress(done, total)` after each simulated minute; returning false stops the run
// (Cancelled; the store then holds part of the history).
[[nodiscard]] StatusOr<HistoryResult> GenerateHistory(
    const HistoryOptions& options, const EdgeConfig& edge,
    const std::function<bool(int64_t done_ns, int64_t total_ns)>& progress = {});

}  // namespace strata
