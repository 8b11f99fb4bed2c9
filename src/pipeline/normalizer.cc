#include "pipeline/normalizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

namespace {

// Details quote names and units from payloads; a hostile or broken source must not make each
// dead letter megabytes long (the raw payload is capped separately, in MakeDeadLetter).
constexpr size_t kMaxDetail = 1024;

}  // namespace

void Normalizer::Reject(RejectReason reason, std::string detail, const MessageContext& ctx,
                        WriteBatch* out) {
  if (detail.size() > kMaxDetail) {
    const size_t full = detail.size();
    detail.resize(kMaxDetail);
    detail += fmt::format("... ({} bytes in all)", full);
  }
  counters_->Rejected(reason);
  out->dead_letters.push_back(MakeDeadLetter(clock_.NowNs(), reason, std::string(ctx.source_text),
                                             std::move(detail), ctx.payload));
  if (ctx.payload_truncated) out->dead_letters.back().payload_truncated = true;
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
  const bool bad = obs.quality == Quality::kBad;

  if (waveform) {
    const WaveformBlock& in = *reading.block;
    if (!(in.sample_rate_hz > 0) || !std::isfinite(in.sample_rate_hz) || in.samples.empty()) {
      Reject(RejectReason::kMissingField,
             fmt::format("waveform for '{}' {} needs samples and a positive sample rate",
                         asset_buf_, spec.name),
             ctx, out);
      return;
    }
    // Converted in double and checked before narrowing back to float: a value outside the
    // float range must be rejected, not cast (which is undefined behaviour).
    std::shared_ptr<WaveformBlock> converted;
    if (!total.IsIdentity()) {
      converted = std::make_shared<WaveformBlock>();
      converted->sample_rate_hz = in.sample_rate_hz;
      converted->samples.resize(in.samples.size());
    }
    for (size_t i = 0; i < in.samples.size(); ++i) {
      const double s = total.Apply(in.samples[i]);
      if (!std::isfinite(s)) {
        Reject(
            RejectReason::kNotFinite,
            fmt::format("waveform for '{}' {}: sample {} is not a finite number{}", asset_buf_,
                        spec.name, i,
                        std::isfinite(in.samples[i])
                            ? fmt::format(" in {} ({} before conversion)", spec.unit, in.samples[i])
                            : ""),
            ctx, out);
        return;
      }
      if ((!bad && (s < spec.min || s > spec.max)) ||
          std::fabs(s) > std::numeric_limits<float>::max()) {
        Reject(RejectReason::kOutOfRange,
               fmt::format("waveform for '{}' {}: sample {} = {} {} is outside the valid range "
                           "[{}, {}]",
                           asset_buf_, spec.name, i, s, spec.unit,
                           std::max(spec.min, -double{std::numeric_limits<float>::max()}),
                           std::min(spec.max, double{std::numeric_limits<float>::max()})),
               ctx, out);
        return;
      }
      if (converted) converted->samples[i] = static_cast<float>(s);
    }
    if (converted) {
      obs.block = std::move(converted);
    } else {
      obs.block = reading.block;
    }
  } else if (!reading.has_value) {
    if (!bad) {
      Reject(RejectReason::kMissingField,
             fmt::format("reading for '{}' {} has no value", asset_buf_, spec.name), ctx, out);
      return;
    }
  } else if (!std::isfinite(reading.value)) {
    // Bad quality may carry a non-finite value: stored as "no value" (NaN).
    if (!bad) {
      Reject(RejectReason::kNotFinite,
             fmt::format("value of '{}' {} is {}, not a finite number", asset_buf_, spec.name,
                         reading.value),
             ctx, out);
      return;
    }
  } else {
    const double value = total.Apply(reading.value);
    if (!std::isfinite(value)) {
      // A finite reading that scale or unit conversion pushes past the double range.
      if (!bad) {
        Reject(RejectReason::kNotFinite,
               fmt::format("value {} of '{}' {} is not a finite number once converted to {}",
                           reading.value, asset_buf_, spec.name, spec.unit),
               ctx, out);
        return;
      }
    } else {
      if (!bad && (value < spec.min || value > spec.max)) {
        Reject(RejectReason::kOutOfRange,
               fmt::format("value {} {} of '{}' {} is outside the valid range [{}, {}]", value,
                           spec.unit, asset_buf_, spec.name, spec.min, spec.max),
               ctx, out);
        return;
      }
      obs.value = value;
    }
  }

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
  if (obs.ts_ns > now && obs.ts_ns - now > options_.max_future_ns) {
    Reject(RejectReason::kTimestampInFuture,
           fmt::format("timestamp {} of '{}' {} is {} ahead of the edge clock (limit {}); check "
                       "the source's clock and the decoder's timestamp_unit",
                       FormatTimestamp(obs.ts_ns), asset_buf_, spec.name,
                       FormatDuration(obs.ts_ns - now), FormatDuration(options_.max_future_ns)),
           ctx, out);
    return;
  }

  counters_->normalized().Add();
  out->observations.push_back(std::move(obs));
}

}  // namespace strata
