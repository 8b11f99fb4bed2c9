// FeatureSpec: which features a model consumes, as data.
//
// A spec names an asset type, one window definition and an ordered list of features (name,
// source signal, function, parameters). The same spec is read from `strata train --features
// spec.yaml`, embedded verbatim in a model package manifest, and computed on the edge, so
// training and serving cannot disagree about what a feature means. Format and the definition
// of every function: docs/features.md.
//
//   asset_type: centrifugal_pump
//   window: {length: 60s, step: 60s}   # or {samples: 4096, signal: bearing_de.accel}
//   list:
//     - {name: bearing_temp_mean, signal: bearing_de.temp, function: mean}
//     - {name: bpfo_env, signal: bearing_de.accel, function: envelope_amplitude,
//        bearing: bearing_de, defect: bpfo}
//
// Plain values: safe to share between threads once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/asset_model.h"
#include "core/config_node.h"
#include "core/status.h"

namespace strata::features {

enum class FeatureFunction : uint8_t {
  // On scalar signals.
  kMean,  // arithmetic mean
  kStd,   // population standard deviation (divides by n)
  kMin,
  kMax,
  kSlope,  // least-squares slope, signal unit per second
  kLast,   // value with the latest timestamp
  kDelta,  // mean(signal) - mean(other)
  // On waveform signals (all samples of the window's blocks).
  kRms,
  kPeak,              // max |x|
  kPeakToPeak,        // max x - min x
  kCrestFactor,       // peak / rms
  kKurtosis,          // Pearson (non-excess): m4 / m2^2, 3 for a Gaussian
  kSkewness,          // m3 / m2^1.5 (biased, as scipy.stats.skew)
  kBandEnergy,        // mean-square energy in [low_hz, high_hz), Parseval-consistent
  kEnvelopeAmplitude  // envelope spectrum amplitude at a bearing defect frequency
};

// "mean", "std", ..., "envelope_amplitude": the spelling in YAML.
std::string_view FeatureFunctionName(FeatureFunction f);
std::optional<FeatureFunction> ParseFeatureFunction(std::string_view name);
// True for the functions that take a waveform signal.
bool IsWaveformFunction(FeatureFunction f);

enum class BearingDefect : uint8_t { kBpfo, kBpfi, kBsf, kFtf };
std::string_view BearingDefectName(BearingDefect d);  // "bpfo", ...
std::optional<BearingDefect> ParseBearingDefect(std::string_view name);

struct FeatureDef {
  std::string name;    // unique within the spec; the model's feature name
  std::string signal;  // a signal of the spec's asset type
  FeatureFunction function = FeatureFunction::kMean;
  std::string other;  // kDelta: the subtracted signal
  // kBandEnergy: the band [low_hz, high_hz). kEnvelopeAmplitude: optional band-pass applied
  // before the envelope (both 0: the whole spectrum).
  double low_hz = 0;
  double high_hz = 0;
  // kEnvelopeAmplitude: which bearing of the asset type, which defect frequency, and the
  // search half-width around it as a fraction of the frequency (at least 2 FFT bins).
  std::string bearing;
  BearingDefect defect = BearingDefect::kBpfo;
  double tolerance = 0.02;

  bool operator==(const FeatureDef&) const = default;
};

struct WindowSpec {
  enum class Kind : uint8_t { kTime, kCount };
  Kind kind = Kind::kTime;
  // kTime: windows [k*step, k*step + length) on the epoch grid (ns). step == length: tumbling;
  // step < length: sliding.
  int64_t length_ns = 60'000'000'000;
  int64_t step_ns = 60'000'000'000;
  // kCount: windows of `samples` consecutive samples of `count_signal` (waveform samples of a
  // waveform signal, readings of a scalar one), advancing by `step_samples`.
  int64_t samples = 0;
  int64_t step_samples = 0;
  std::string count_signal;

  bool operator==(const WindowSpec&) const = default;
};

struct FeatureSpec {
  std::string asset_type;
  WindowSpec window;
  std::vector<FeatureDef> features;  // in the order of the model's input vector

  // The signals the features read (including `other` of delta and the speed signals of
  // envelope features, and the count signal), each once, in first-use order.
  std::vector<std::string> InputSignals(const AssetType& type) const;

  bool operator==(const FeatureSpec&) const = default;
};

// Reads a spec from the mapping that holds asset_type/window/list (the value of `features:`
// in a spec file or a package manifest). Checks what it can without the asset model: known
// functions, required parameters, positive lengths, unique names. Throws ConfigError naming
// file:line:key.
FeatureSpec ReadFeatureSpec(ConfigNode& node);

// Reads a spec file whose root holds `features:` (e.g. examples/features-bearing.yaml).
StatusOr<FeatureSpec> LoadFeatureSpecFile(const std::string& path);

// Checks a spec against the asset type it names: every signal exists and has the right kind
// (scalar functions on scalar signals, waveform functions on waveform signals), bearings
// exist, band limits are sane. InvalidArgument naming the feature, the key and what to do.
[[nodiscard]] Status CheckFeatureSpec(const FeatureSpec& spec, const AssetType& type);
// Finds the spec's asset type in `model` and checks against it.
[[nodiscard]] Status CheckFeatureSpec(const FeatureSpec& spec, const AssetModel& model);

// The spec as YAML, readable by ReadFeatureSpec on the document root (round-trips exactly).
std::string WriteFeatureSpecYaml(const FeatureSpec& spec);

}  // namespace strata::features
