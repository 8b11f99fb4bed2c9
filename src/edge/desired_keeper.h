// DesiredKeeper: the edge's side of desired state (docs/uplink.md#desired-state).
//
// The hub publishes what it wants this edge to run, retained, on .../desired. The keeper
// - keeps the last message in a file next to the store (written atomically), so that after a
//   restart while the hub is away the edge still knows what was wanted of it;
// - compares it with what the edge runs (today: its config version) and writes the report the
//   uplink sends back on .../reported: applied; pending, saying what to do; or rejected, saying
//   why;
// - ignores a message older than the one it keeps (a lower version set no later: a late message
//   of another hub process; a lower version set later is a hub restored from a backup), and never
//   stops the edge: it keeps running on its own config whatever arrives, and when nothing does.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/metrics.h"
#include "uplink/desired_state.h"

namespace strata {

class DesiredKeeper {
 public:
  // `file`: where the last message is kept; `running_config`: the config version this edge runs
  // (EdgeConfig::config_version).
  DesiredKeeper(std::string file, std::string edge_id, std::string running_config,
                const Clock& clock, MetricsRegistry& metrics);

  // Reads the kept file. A missing file means nothing was desired yet; a damaged one is logged
  // and replaced by the next message.
  void Load();

  // A message that arrived on .../desired: the report to send back on .../reported, or nullopt
  // to send nothing (an empty message clears nothing; an older version than the one kept).
  std::optional<std::string> OnMessage(std::string_view payload);

  // The last message kept, if any.
  std::optional<DesiredMessage> kept() const;
  const std::string& running_config() const { return running_config_; }

 private:
  AppliedReport Compare(const DesiredMessage& m) const;

  const std::string file_;
  const std::string edge_id_;
  const std::string running_config_;
  const Clock& clock_;
  Gauge& version_gauge_;
  Gauge& in_sync_gauge_;
  Counter& rejected_;
  mutable std::mutex mu_;
  std::optional<DesiredMessage> kept_;
};

}  // namespace strata
