// libFuzzer target for the decision and alert-event JSON readers (core/decision.h): these
// records travel from edges to the hub, so a damaged or hostile record must be refused with a
// Status, and one that parses must survive a round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/decision.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = strata::DecisionFromJson(text); d.ok()) {
    auto again = strata::DecisionFromJson(strata::DecisionToJson(*d));
    if (!again.ok() || again->trace_id != d->trace_id || again->top.size() != d->top.size()) {
      std::abort();
    }
  }
  if (auto a = strata::AlertEventFromJson(text); a.ok()) {
    auto again = strata::AlertEventFromJson(strata::AlertEventToJson(*a));
    if (!again.ok() || again->alert_id != a->alert_id) std::abort();
  }
  strata::IsValidTraceparent(text);
  return 0;
}
