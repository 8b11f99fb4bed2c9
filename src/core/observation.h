// The canonical record every connector ends in. Names and meanings are stable API.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "core/ids.h"
#include "core/quality.h"

namespace strata {

// A waveform: equally spaced samples, e.g. a vibration capture at kHz rates.
// `samples[0]` was taken at the observation's `ts_ns`.
struct WaveformBlock {
  double sample_rate_hz = 0;
  std::vector<float> samples;

  int64_t DurationNs() const {
    return sample_rate_hz > 0
               ? static_cast<int64_t>(static_cast<double>(samples.size()) / sample_rate_hz * 1e9)
               : 0;
  }
};

// One reading of one signal of one asset, already mapped, converted to the signal's model
// unit and validated. Asset, signal and unit are known through `signal` (see AssetModel).
struct Observation {
  SignalId signal = kInvalidSignal;
  int64_t ts_ns = 0;         // source time, ns since the Unix epoch, UTC
  int64_t ingest_ts_ns = 0;  // when this edge received it
  // The value in the signal's model unit. NaN only when quality is bad and the source sent
  // no usable value, and for waveform observations (which carry `block`).
  double value = std::numeric_limits<double>::quiet_NaN();
  std::shared_ptr<const WaveformBlock> block;  // set iff the signal is a waveform
  Quality quality = Quality::kGood;
  SourceId source = kInvalidSource;
  uint64_t seq = 0;  // per edge and stream, assigned by the store when committed; 0 before

  bool is_block() const { return block != nullptr; }
};

}  // namespace strata
