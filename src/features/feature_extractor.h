// FeatureExtractor: a FeatureSpec applied to completed windows, the one code path that
// computes features on the edge (live) and for training (replayed observations).
//
// Output: one float per feature, in spec order. A feature without data is NaN: a scalar
// function whose signal has no good reading in the window (slope: fewer than two distinct
// timestamps; delta: either side empty), a waveform function without samples, statistics of
// a constant waveform that divide by zero (crest factor, kurtosis, skewness), an envelope
// feature without a shaft-speed reading in the window or whose defect frequency is 0 or above
// the Nyquist frequency. Models and alerting decide what NaN means; nothing is imputed here.
//
// Threading: Compute uses a cached FFT workspace; one extractor per thread. Create is cheap.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/asset_model.h"
#include "core/status.h"
#include "features/feature_spec.h"
#include "features/vibration_features.h"
#include "features/window.h"

namespace strata::features {

class FeatureExtractor {
 public:
  // Checks `spec` against `type` (CheckFeatureSpec) and resolves signals and bearings.
  static StatusOr<std::unique_ptr<FeatureExtractor>> Create(const FeatureSpec& spec,
                                                            const AssetType& type);

  // The signals windows must carry (pass to WindowAssembler::Create).
  const std::vector<std::string>& input_signals() const { return inputs_; }
  const FeatureSpec& spec() const { return spec_; }
  size_t size() const { return spec_.features.size(); }

  // Writes size() features of `window` into `out` in spec order. InvalidArgument when `out`
  // has the wrong size or the window lacks one of input_signals() (a window from an
  // assembler made for another spec).
  [[nodiscard]] Status Compute(const CompletedWindow& window, std::span<float> out);

 private:
  struct Resolved {
    const FeatureDef* def = nullptr;
    std::string signal;
    std::string other;
    std::string speed_signal;
    double speed_to_hz = 0;
    double order = 0;  // defect frequency / shaft frequency
  };
  FeatureExtractor() = default;

  FeatureSpec spec_;
  std::vector<Resolved> resolved_;
  std::vector<std::string> inputs_;
  SpectrumWorkspace workspace_;
};

}  // namespace strata::features
