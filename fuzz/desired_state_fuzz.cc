// The desired state (uplink/desired_state.h): documents the hub's API reads from a user, and
// messages an edge reads from the broker. Neither may crash, and what decodes must round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "uplink/desired_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = strata::DecodeDesiredDocument(text, false); d.ok()) {
    auto again = strata::DecodeDesiredDocument(strata::EncodeDesiredDocument(*d), false);
    if (!again.ok() || again->config_version != d->config_version) std::abort();
  }
  if (auto m = strata::DecodeDesiredMessage(text); m.ok()) {
    const std::string payload = strata::EncodeDesiredMessage(
        m->edge_id, m->version, m->updated_ns, strata::EncodeDesiredDocument(m->desired));
    auto again = strata::DecodeDesiredMessage(payload);
    if (!again.ok() || again->version != m->version || again->edge_id != m->edge_id ||
        again->desired.config_version != m->desired.config_version) {
      std::abort();
    }
    strata::AppliedReport r;
    r.edge_id = m->edge_id;
    r.version = m->version;
    r.ignored = m->desired.unknown_keys;
    if (strata::EncodeAppliedReport(r).empty()) std::abort();
  }
  return 0;
}
