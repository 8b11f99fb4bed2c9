#include "features/feature_extractor.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/bearing.h"
#include "features/process_features.h"

namespace strata::features {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Order(const DefectOrders& o, BearingDefect d) {
  switch (d) {
    case BearingDefect::kBpfo:
      return o.bpfo;
    case BearingDefect::kBpfi:
      return o.bpfi;
    case BearingDefect::kBsf:
      return o.bsf;
    case BearingDefect::kFtf:
      return o.ftf;
  }
  return kNaN;
}

}  // namespace

StatusOr<std::unique_ptr<FeatureExtractor>> FeatureExtractor::Create(const FeatureSpec& spec,
                                                                     const AssetType& type) {
  if (Status s = CheckFeatureSpec(spec, type); !s.ok()) return s;
  std::unique_ptr<FeatureExtractor> x(new FeatureExtractor());
  x->spec_ = spec;
  x->inputs_ = spec.InputSignals(type);
  for (const FeatureDef& f : x->spec_.features) {
    Resolved r;
    r.def = &f;
    r.signal = f.signal;
    r.other = f.other;
    if (f.function == FeatureFunction::kEnvelopeAmplitude) {
      const BearingSpec* b = type.FindBearing(f.bearing);
      r.speed_signal = b->speed_signal;
      r.speed_to_hz = b->speed_to_hz;
      r.order = Order(ComputeDefectOrders(b->geometry), f.defect);
    }
    x->resolved_.push_back(std::move(r));
  }
  return x;
}

Status FeatureExtractor::Compute(const CompletedWindow& window, std::span<float> out) {
  if (out.size() != resolved_.size()) {
    return InvalidArgumentError(
        fmt::format("features: {} outputs for {} features", out.size(), resolved_.size()));
  }
  auto find = [&](const std::string& name) -> StatusOr<const WindowSignal*> {
    const WindowSignal* s = window.Find(name);
    if (s == nullptr) {
      return InvalidArgumentError(fmt::format(
          "features: the window of '{}' carries no signal '{}'; make its WindowAssembler with "
          "FeatureExtractor::input_signals()",
          window.asset ? window.asset->path : "?", name));
    }
    return s;
  };
  for (size_t i = 0; i < resolved_.size(); ++i) {
    const Resolved& r = resolved_[i];
    const FeatureDef& f = *r.def;
    STRATA_ASSIGN_OR_RETURN(const WindowSignal* s, find(r.signal));
    double v = kNaN;
    const std::span<const ScalarSample> xs = s->scalars;
    const std::span<const WaveformPart> parts = s->parts;
    switch (f.function) {
      case FeatureFunction::kMean:
        v = Mean(xs);
        break;
      case FeatureFunction::kStd:
        v = StdDev(xs);
        break;
      case FeatureFunction::kMin:
        v = Min(xs);
        break;
      case FeatureFunction::kMax:
        v = Max(xs);
        break;
      case FeatureFunction::kSlope:
        v = Slope(xs);
        break;
      case FeatureFunction::kLast:
        v = Last(xs);
        break;
      case FeatureFunction::kDelta: {
        STRATA_ASSIGN_OR_RETURN(const WindowSignal* o, find(r.other));
        v = Mean(xs) - Mean(o->scalars);
        break;
      }
      case FeatureFunction::kRms:
        v = ComputeWaveformStats(parts).rms;
        break;
      case FeatureFunction::kPeak:
        v = ComputeWaveformStats(parts).peak;
        break;
      case FeatureFunction::kPeakToPeak:
        v = ComputeWaveformStats(parts).peak_to_peak;
        break;
      case FeatureFunction::kCrestFactor:
        v = ComputeWaveformStats(parts).crest_factor;
        break;
      case FeatureFunction::kKurtosis:
        v = ComputeWaveformStats(parts).kurtosis;
        break;
      case FeatureFunction::kSkewness:
        v = ComputeWaveformStats(parts).skewness;
        break;
      case FeatureFunction::kBandEnergy:
        v = BandEnergy(workspace_, parts, f.low_hz, f.high_hz);
        break;
      case FeatureFunction::kEnvelopeAmplitude: {
        STRATA_ASSIGN_OR_RETURN(const WindowSignal* speed, find(r.speed_signal));
        const double shaft_hz = Mean(speed->scalars) * r.speed_to_hz;
        v = EnvelopeAmplitude(workspace_, parts, r.order * shaft_hz, f.tolerance, f.low_hz,
                              f.high_hz);
        break;
      }
    }
    out[i] = static_cast<float>(v);
  }
  return Status::Ok();
}

}  // namespace strata::features
