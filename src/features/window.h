// WindowAssembler: cuts committed observations into windows per asset, aligned across the
// asset's signals, for feature extraction.
//
// Time windows are [k*step, k*step + length) on the epoch grid (ns since the Unix epoch), the
// same grid for every signal and every asset, so a window means the same thing on the edge
// (live) and on the hub (replaying stored observations). Count windows hold `samples`
// consecutive samples of one signal (in timestamp order) and advance by `step` samples; the
// other signals contribute what falls in [start_ns, end_ns) of that window.
//
// Event time: each asset has a watermark, the latest timestamp seen in its observations
// (for a waveform block, the time of its last sample). A window completes when
//   watermark - allowed_lateness >= end_ns
// or when Flush(now) is called with now >= end_ns. An observation for a window that has
// already completed is "too late": counted and not used. Within the lateness, out-of-order
// data lands where its timestamp says. (Count windows: an observation before the end of the
// last emitted window is too late.) The content of a window depends only on the set of
// observations accepted for it, never on how they were batched into Add calls, and samples
// are ordered by (ts, seq) before they are handed out.
//
// Waveform blocks are split by sample time: sample i of a block at ts with rate fs is at
// ts + i/fs, and belongs to the windows whose range holds that time. A window carries views
// (WaveformPart) into the shared blocks, never copies.
//
// Bad-quality observations are excluded (counted per window and in the totals). Uncertain
// ones are used. Memory is bounded: at most `max_samples_per_signal` samples (readings, or
// waveform samples) of one signal per window; more are dropped and counted.
//
// Threading: not thread-safe. One thread owns an assembler and calls Add/Flush; completed
// windows are plain values that may be handed to other threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/asset_model.h"
#include "core/observation.h"
#include "core/status.h"
#include "features/feature_spec.h"

namespace strata::features {

struct ScalarSample {
  int64_t ts_ns = 0;
  double value = 0;
  uint64_t seq = 0;
};

// A run of consecutive samples of one waveform block.
struct WaveformPart {
  int64_t ts_ns = 0;  // time of the first sample of the run
  double sample_rate_hz = 0;
  std::shared_ptr<const WaveformBlock> block;
  size_t offset = 0;  // first sample of the run in block->samples
  size_t count = 0;
  uint64_t seq = 0;

  std::span<const float> samples() const {
    return std::span<const float>(block->samples).subspan(offset, count);
  }
};

struct WindowSignal {
  std::string name;                   // the asset type's signal name
  std::vector<ScalarSample> scalars;  // scalar signals, ordered by (ts, seq)
  std::vector<WaveformPart> parts;    // waveform signals, ordered by (ts, seq)
  size_t samples = 0;                 // readings or waveform samples used
  size_t dropped = 0;                 // over max_samples_per_signal
};

struct CompletedWindow {
  const Asset* asset = nullptr;
  int64_t start_ns = 0;               // inclusive
  int64_t end_ns = 0;                 // exclusive
  std::vector<WindowSignal> signals;  // in WindowAssembler::signals() order
  // min and max seq of the observations that contributed at least one sample; 0 when none
  // (e.g. a window holding only bad-quality observations is never emitted).
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  size_t observations = 0;  // observations that contributed samples
  size_t bad_quality = 0;   // bad-quality observations in the window's range, excluded

  // nullptr when `name` is not one of the window's signals.
  const WindowSignal* Find(std::string_view name) const;
};

struct WindowCounters {
  uint64_t accepted = 0;         // observations taken into at least one window
  uint64_t bad_quality = 0;      // excluded for quality
  uint64_t too_late = 0;         // arrived after every window they belong to had completed
  uint64_t dropped_samples = 0;  // over max_samples_per_signal
  uint64_t ignored = 0;          // not a signal of the assembler, or another asset type
  uint64_t windows = 0;          // completed windows emitted
};

class WindowAssembler {
 public:
  struct Options {
    int64_t allowed_lateness_ns = 5'000'000'000;
    size_t max_samples_per_signal = size_t{1} << 22;  // per signal per window
  };

  // Windows of `spec` for every asset of type `type` in `model`, holding `signals` (names of
  // the type's signals, e.g. FeatureSpec::InputSignals). InvalidArgument for an unknown
  // signal or a spec that does not check.
  static StatusOr<std::unique_ptr<WindowAssembler>> Create(std::shared_ptr<const AssetModel> model,
                                                           const AssetType& type,
                                                           const WindowSpec& spec,
                                                           std::vector<std::string> signals,
                                                           Options options);

  // Takes committed observations (any order, any batching); appends the windows they
  // complete to `out`, per asset in start order.
  void Add(std::span<const Observation> observations, std::vector<CompletedWindow>* out);

  // Completes every window with end_ns <= now_ns (processing-time flush, e.g. when a source
  // has gone quiet, or INT64_MAX at end of stream); later data for them is too late.
  void Flush(int64_t now_ns, std::vector<CompletedWindow>* out);

  const std::vector<std::string>& signals() const { return signal_names_; }
  const WindowCounters& counters() const { return counters_; }

  ~WindowAssembler();
  WindowAssembler(const WindowAssembler&) = delete;
  WindowAssembler& operator=(const WindowAssembler&) = delete;

 private:
  struct AssetState;
  WindowAssembler(std::shared_ptr<const AssetModel> model, const AssetType& type,
                  const WindowSpec& spec, std::vector<std::string> signals, Options options);

  void AddOne(const Observation& obs, std::vector<CompletedWindow>* out);
  void Advance(AssetState& state, int64_t horizon, std::vector<CompletedWindow>* out);
  void AdvanceTime(AssetState& state, int64_t horizon, std::vector<CompletedWindow>* out);
  void AdvanceCount(AssetState& state, int64_t horizon, std::vector<CompletedWindow>* out);
  // The window [start_ns, end_ns); for count windows, `count_signal` (an index, or -1) takes
  // its global samples [g0, g1) instead of a time range.
  CompletedWindow Build(AssetState& state, int64_t start_ns, int64_t end_ns, int count_signal,
                        int64_t g0, int64_t g1);

  std::shared_ptr<const AssetModel> model_;
  const AssetType& type_;
  WindowSpec spec_;
  std::vector<std::string> signal_names_;
  std::vector<bool> is_waveform_;
  std::vector<int> index_of_type_signal_;  // type's signal index -> index here, or -1
  int count_index_ = -1;                   // kCount: index of the counted signal in signal_names_
  Options options_;
  std::map<const Asset*, std::unique_ptr<AssetState>> assets_;
  WindowCounters counters_;
};

}  // namespace strata::features
