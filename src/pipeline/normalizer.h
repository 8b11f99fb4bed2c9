// Normalizer: maps a decoded Reading onto the asset model, converts it to the signal's unit
// and validates it. The result is an Observation or a DeadLetter with a reason — a reading is
// never dropped silently.
//
// Checks, in order: asset and signal exist (unknown_asset, unknown_signal); scalar vs waveform
// (wrong_kind); unit parses and converts (unknown_unit, unit_mismatch); value present and
// finite, also after scale and unit conversion (missing_field, not_finite — bad-quality
// readings may have no value, and a non-finite one is stored as NaN); value within the
// signal's range (out_of_range; not checked for bad quality; waveform samples must also fit a
// float); source time not before 2000-01-01 and not more than `max_future` ahead of the edge
// clock (timestamp_too_old, timestamp_in_future).
//
// CPU only: never blocks or does I/O. Not thread-safe: one Normalizer per pipeline thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/asset_model.h"
#include "core/clock.h"
#include "core/dead_letter.h"
#include "core/mapping.h"
#include "core/metrics.h"
#include "core/units.h"
#include "pipeline/reading.h"
#include "store/store.h"

namespace strata {

struct ValidationOptions {
  int64_t max_future_ns = 5 * 60 * kNsPerSec;  // source time ahead of the edge clock
  int64_t min_ts_ns = 946684800 * kNsPerSec;   // 2000-01-01T00:00:00Z
};

// Where the reading being normalized came from.
struct MessageContext {
  SourceId source = kInvalidSource;
  std::string_view source_text;    // "mqtt tcp://host:1883 topic", for dead letters
  std::string_view payload;        // raw bytes, for dead letters
  bool payload_truncated = false;  // `payload` is only the first bytes of the message
  int64_t receive_ts_ns = 0;
};

// Counters of what the pipeline decided, shared by every Normalizer of an agent.
class PipelineCounters {
 public:
  explicit PipelineCounters(MetricsRegistry& registry);
  void Rejected(RejectReason r) { rejected_[static_cast<size_t>(r)]->Add(); }
  uint64_t rejected(RejectReason r) const { return rejected_[static_cast<size_t>(r)]->value(); }
  Counter& normalized() { return *normalized_; }

 private:
  std::array<Counter*, kRejectReasonCount> rejected_{};
  Counter* normalized_ = nullptr;
};

class Normalizer {
 public:
  Normalizer(std::shared_ptr<const AssetModel> model, const Clock& clock,
             ValidationOptions options, PipelineCounters* counters);

  // Resolves `rule` for this reading (its asset/signal templates over `captures` plus the
  // reading's name) and appends an Observation or a DeadLetter to `out`.
  void Accept(const MappingRule& rule, const Captures& captures, const Reading& reading,
              const MessageContext& ctx, WriteBatch* out);

  // Appends a dead letter for a message or reading rejected before mapping (e.g. malformed).
  void Reject(RejectReason reason, std::string detail, const MessageContext& ctx,
              WriteBatch* out);

  const AssetModel& model() const { return *model_; }

 private:
  // The conversion from `source_unit` to the signal's unit, cached.
  const UnitConversion* Conversion(SignalId id, std::string_view source_unit,
                                   std::string* error, RejectReason* reason);

  std::shared_ptr<const AssetModel> model_;
  const Clock& clock_;
  ValidationOptions options_;
  PipelineCounters* counters_;
  std::string asset_buf_;
  std::string signal_buf_;
  Captures captures_buf_;
  struct CachedConversion {
    UnitConversion conversion;
    std::string error;  // non-empty: cannot convert
    RejectReason reason = RejectReason::kUnitMismatch;
  };
  std::unordered_map<std::string, CachedConversion> conversions_;  // "<unit>\x1f<signal unit>"
  std::string conversion_key_;
};

}  // namespace strata
