#include "pipeline/normalizer.h"

#include <cmath>

#include <fmt/format.h>

#include "core/time_util.h"

namespace strata {

PipelineCounters::PipelineCounters(MetricsRegistry& registry) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    rejected_[static_cast<size_t>(i)] = &registry.GetCounter(
        "strata_edge_rejected_total",
        "Readings rejected to the dead-letter store, by reason code",
        {{"reason", std::string(RejectReasonName(reason))}});
  }
  normalized_ = &registry.GetCounter(
      "strata_edge_normalized_total",
      "Readings that passed mapping and validation (before the store's duplicate check)");
}

Normalizer::Normalizer(std::shared_ptr<const AssetModel> model, const Clock& clock,
                       ValidationOptions options, PipelineCounters* counters)
    : model_(std::move(model)), clock_(clock), options_(options), counters_(counters) {}

void Normalizer::Reject(RejectReason reason, std::string detail, const MessageContext& ctx,
                        WriteBatch* out) {
  counters_->Rejected(reason);
  out->dead_letters.push_back(MakeDeadLetter(clock_.NowNs(), reason, std::string(ctx.source_text),
                                             std::move(detail), ctx.payload));
}

const UnitConversion* Normalizer::Conversion(SignalId id, std::string_view source_unit,
                                             std::string* error, RejectReason* reason) {
  const SignalSpec& spec = *model_->signal(id).spec;
  conversion_key_.assign(source_unit);
  conversion_key_.push_back('\x1f');
  conversion_key_.append(spec.unit);
  auto it = conversions_.find(conversion_key_);
  if (it == conversions_.end()) {
    CachedConversion cached;
    auto from = ParseUnit(source_unit);
    if (!from.ok()) {
      cached.reason = RejectReason::kUnknownUnit;
      cached.error = from.status().message();
    } else {
      auto conv = ConvertUnits(*from, spec.parsed_unit);
      if (!conv.ok()) {
        cached.reason = RejectReason::kUnitMismatch;
        cached.error = conv.status().message();
      } else {
        cached.conversion = *conv;
      }
    }
    if (conversions_.size() > 4096) conversions_.clear();  // bound memory under unit spam
    it = conversions_.emplace(conversion_key_, std::move(cached)).first;
  }
  if (!it->second.error.empty()) {
    *error = it->second.error;
    *reason = it->second.reason;
    return nullptr;
  }
  return &it->second.conversion;
}

void Normalizer::Accept(const MappingRule& rule, const Captures& captures, const Reading& reading,
                        const MessageContext& ctx, WriteBatch* out) {
  // Resolve the asset and signal names from the rule's templates.
  captures_buf_ = captures;
  if (!reading.name.empty()) captures_buf_.Add(kItemNameCapture, reading.name);
  asset_buf_.clear();
  signal_buf_.clear();
  if (!rule.asset.ExpandTo(captures_buf_, &asset_buf_) ||
      !rule.signal.ExpandTo(captures_buf_, &signal_buf_)) {
    Reject(RejectReason::kMissingField,
           fmt::format("mapping rule at {} needs the payload's item name for {{name}}, and this "
                       "reading has none (configure the decoder's `name` pointer)",
                       rule.where),
           ctx, out);
    return;
  }
  const Asset* asset = model_->FindAsset(asset_buf_);
  if (asset == nullptr) {
    Reject(RejectReason::kUnknownAsset,
           fmt::format("asset '{}' (mapped by the rule at {}) is not in the asset model; add it "
                       "under `assets:` or fix the mapping",
                       asset_buf_, rule.where),
           ctx, out);
    return;
  }
  const SignalId id = asset->FindSignal(signal_buf_);
  if (id == kInvalidSignal) {
    Reject(RejectReason::kUnknownSignal,
           fmt::format("asset '{}' (type '{}') has no signal '{}'; declare it in the asset type "
                       "or fix the mapping rule at {}",
                       asset_buf_, asset->type->name, signal_buf_, rule.where),
           ctx, out);
    return;
  }
  const SignalSpec& spec = *model_->signal(id).spec;
  const bool waveform = spec.kind == SignalKind::kWaveform;
  if (waveform != (reading.block != nullptr)) {
    Reject(RejectReason::kWrongKind,
           fmt::format("signal '{}' of '{}' is a {} signal but the reading is a {}", spec.name,
                       asset_buf_, waveform ? "waveform" : "scalar",
                       reading.block ? "waveform block" : "single value"),
           ctx, out);
    return;
  }

  // Unit: the payload's, else the rule's, else already the signal's.
  const std::string_view source_unit = !reading.unit.empty() ? reading.unit : rule.unit;
  UnitConversion conversion;
  if (!source_unit.empty() && source_unit != spec.unit) {
    std::string error;
    RejectReason reason{};
    const UnitConversion* c = Conversion(id, source_unit, &error, &reason);
    if (c == nullptr) {
      Reject(reason, fmt::format("signal '{}' of '{}': {}", spec.name, asset_buf_, error), ctx,
             out);
      return;
    }
    conversion = *c;
  }
  // Source value = raw * scale + offset (rule), then into the signal's unit.
  UnitConversion total{conversion.scale * rule.scale,
                       conversion.scale * rule.offset + conversion.offset};

  Observation obs;
  obs.signal = id;
  obs.ingest_ts_ns = ctx.receive_ts_ns;
  obs.ts_ns = reading.ts_ns.value_or(ctx.receive_ts_ns);
  obs.quality = reading.quality.value_or(Quality::kGood);
  obs.source = ctx.source;

  if (obs.ts_ns < options_.min_ts_ns) {
    Reject(RejectReason::kTimestampTooOld,
           fmt::format("timestamp {} of '{}' {} is before {}; check the decoder's "
                       "timestamp_unit (s, ms, us, ns)",
                       FormatTimestamp(obs.ts_ns), asset_buf_, spec.name,
                       FormatTimestamp(options_.min_ts_ns, 0)),
           ctx, out);
    return;
  }
  const int64_t now = clock_.NowNs();
  if (obs.ts_ns > now + options_.max_future_ns) {
    Reject(RejectReason::kTimestampInFuture,
           fmt::format("timestamp {} of '{}' {} is {} ahead of the edge clock (limit {}); check "
                       "the source's clock and the decoder's timestamp_unit",
                       FormatTimestamp(obs.ts_ns), asset_buf_, spec.name,
                       FormatDuration(obs.ts_ns - now), FormatDuration(options_.max_future_ns)),
           ctx, out);
    return;
  }

  if (waveform) {
    const WaveformBlock& in = *reading.block;
    if (!(in.sample_rate_hz > 0) || !std::isfinite(in.sample_rate_hz) || in.samples.empty()) {
      Reject(RejectReason::kMissingField,
             fmt::format("waveform for '{}' {} needs samples and a positive sample rate",
                         asset_buf_, spec.name),
             ctx, out);
      return;
    }
    std::shared_ptr<const WaveformBlock> block = reading.block;
    if (!total.IsIdentity()) {
      auto converted = std::make_shared<WaveformBlock>(in);
      for (float& s : converted->samples) {
        s = static_cast<float>(total.Apply(s));
      }
      block = std::move(converted);
    }
    for (size_t i = 0; i < block->samples.size(); ++i) {
      const float s = block->samples[i];
      if (!std::isfinite(s)) {
        Reject(RejectReason::kNotFinite,
               fmt::format("waveform for '{}' {}: sample {} is not a finite number", asset_buf_,
                           spec.name, i),
               ctx, out);
        return;
      }
      if (obs.quality != Quality::kBad && (s < spec.min || s > spec.max)) {
        Reject(RejectReason::kOutOfRange,
               fmt::format("waveform for '{}' {}: sample {} = {} {} is outside the valid range "
                           "[{}, {}]",
                           asset_buf_, spec.name, i, s, spec.unit, spec.min, spec.max),
               ctx, out);
        return;
      }
    }
    obs.block = std::move(block);
  } else if (!reading.has_value) {
    if (obs.quality != Quality::kBad) {
      Reject(RejectReason::kMissingField,
             fmt::format("reading for '{}' {} has no value", asset_buf_, spec.name), ctx, out);
      return;
    }
  } else {
    if (!std::isfinite(reading.value)) {
      if (obs.quality != Quality::kBad) {
        Reject(RejectReason::kNotFinite,
               fmt::format("value of '{}' {} is {}, not a finite number", asset_buf_, spec.name,
                           reading.value),
               ctx, out);
        return;
      }
    } else {
      obs.value = total.Apply(reading.value);
      if (obs.quality != Quality::kBad && (obs.value < spec.min || obs.value > spec.max)) {
        Reject(RejectReason::kOutOfRange,
               fmt::format("value {} {} of '{}' {} is outside the valid range [{}, {}]",
                           obs.value, spec.unit, asset_buf_, spec.name, spec.min, spec.max),
               ctx, out);
        return;
      }
    }
  }
  counters_->normalized().Add();
  out->observations.push_back(std::move(obs));
}

}  // namespace strata
