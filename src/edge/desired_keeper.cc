#include "edge/desired_keeper.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/file_util.h"

namespace strata {

DesiredKeeper::DesiredKeeper(std::string file, std::string edge_id, std::string running_config,
                             const Clock& clock, MetricsRegistry& metrics)
    : file_(std::move(file)),
      edge_id_(std::move(edge_id)),
      running_config_(std::move(running_config)),
      clock_(clock),
      version_gauge_(metrics.GetGauge("strata_edge_desired_version",
                                      "Version of the last desired state received from the hub")),
      in_sync_gauge_(metrics.GetGauge(
          "strata_edge_desired_in_sync",
          "1 while the edge runs what the hub desires (or nothing is desired), 0 while pending")),
      rejected_(metrics.GetCounter("strata_edge_desired_rejected_total",
                                   "Desired state messages the edge could not read")) {
  in_sync_gauge_.Set(1);
}

void DesiredKeeper::Load() {
  StatusOr<std::string> text = ReadWholeFile(file_);
  if (!text.ok()) {
    if (text.status().code() != StatusCode::kNotFound) {
      spdlog::warn("desired state: {}; waiting for the hub's", text.status().message());
    }
    return;
  }
  StatusOr<DesiredMessage> m = DecodeDesiredMessage(*text);
  if (!m.ok() || m->edge_id != edge_id_) {
    spdlog::warn(
        "desired state: the kept file '{}' is damaged ({}); the hub's next message "
        "replaces it",
        file_, m.ok() ? "it names another edge" : m.status().message());
    return;
  }
  const AppliedReport r = Compare(*m);
  spdlog::info("desired state: version {} kept from the hub ({}): {}", m->version, file_,
               AppliedStateName(r.state));
  version_gauge_.Set(static_cast<double>(m->version));
  in_sync_gauge_.Set(r.state == AppliedReport::State::kApplied ? 1 : 0);
  std::lock_guard lock(mu_);
  kept_ = std::move(*m);
}

std::optional<std::string> DesiredKeeper::OnMessage(std::string_view payload) {
  if (payload.empty()) return std::nullopt;  // a retained message cleared on the broker
  StatusOr<DesiredMessage> m = DecodeDesiredMessage(payload);
  if (m.ok() && m->edge_id != edge_id_) {
    m = InvalidArgumentError(
        fmt::format("the message is for edge '{}', this is edge '{}'", m->edge_id, edge_id_));
  }
  if (!m.ok()) {
    rejected_.Add();
    const std::string why(m.status().message());
    spdlog::warn("desired state: rejected a message: {}; the edge keeps running on its config",
                 why);
    AppliedReport r;
    // A version of this edge that does not read: "rejected" is that version's answer. Anything
    // else (garbage, another edge's message) leaves the state of the version kept as it is.
    const uint64_t version = DesiredVersionOf(payload, edge_id_);
    std::optional<DesiredMessage> kept = this->kept();
    if (version == 0 && kept) {
      r = Compare(*kept);
      r.last_rejected = why;
      return EncodeAppliedReport(r);
    }
    r.edge_id = edge_id_;
    r.version = version;
    r.ts_ns = clock_.NowNs();
    r.state = AppliedReport::State::kRejected;
    r.running_config = running_config_;
    r.message = why;
    return EncodeAppliedReport(r);
  }
  {
    std::lock_guard lock(mu_);
    // Older: a late message of another hub process. A lower version set later is not older:
    // the hub's store was restored from a backup and counts again from there.
    if (kept_ && m->version < kept_->version && m->updated_ns <= kept_->updated_ns) {
      spdlog::warn("desired state: ignored version {}, older than the version {} kept", m->version,
                   kept_->version);
      return std::nullopt;
    }
    const bool is_new =
        !kept_ || m->version != kept_->version || m->updated_ns != kept_->updated_ns;
    if (is_new) {
      // The canonical message, so the file decodes like what came.
      const std::string text = EncodeDesiredMessage(m->edge_id, m->version, m->updated_ns,
                                                    EncodeDesiredDocument(m->desired));
      if (Status s = WriteFileAtomically(file_, text + "\n"); !s.ok()) {
        spdlog::warn(
            "desired state: cannot keep version {}: {}; after a restart the edge waits "
            "for the hub's",
            m->version, s.message());
      }
    }
    kept_ = *m;
  }
  const AppliedReport r = Compare(*m);
  version_gauge_.Set(static_cast<double>(m->version));
  in_sync_gauge_.Set(r.state == AppliedReport::State::kApplied ? 1 : 0);
  if (r.state == AppliedReport::State::kPending) {
    spdlog::warn("desired state version {}: {}", m->version, r.message);
  } else {
    spdlog::info("desired state version {}: applied", m->version);
  }
  return EncodeAppliedReport(r);
}

std::optional<DesiredMessage> DesiredKeeper::kept() const {
  std::lock_guard lock(mu_);
  return kept_;
}

AppliedReport DesiredKeeper::Compare(const DesiredMessage& m) const {
  AppliedReport r;
  r.edge_id = edge_id_;
  r.version = m.version;
  r.ts_ns = clock_.NowNs();
  r.running_config = running_config_;
  r.desired_config = m.desired.config_version;
  r.ignored = m.desired.unknown_keys;
  if (m.desired.config_version && *m.desired.config_version != running_config_) {
    r.state = AppliedReport::State::kPending;
    r.message = fmt::format(
        "this edge runs config '{}', the hub wants '{}': install that edge.yaml (its "
        "edge.config_version says so) and restart the edge",
        running_config_, *m.desired.config_version);
  }
  if (!r.ignored.empty() && r.message.empty()) {
    r.message =
        fmt::format("this edge does not know: {}; update strata on it", fmt::join(r.ignored, ", "));
  }
  return r;
}

}  // namespace strata
