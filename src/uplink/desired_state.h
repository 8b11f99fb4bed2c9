// Desired state: what the hub wants an edge to run, and what the edge reports it runs
// (docs/uplink.md#desired-state). Shared by the hub (API, publisher) and the edge.
//
//   document  PUT /api/v1/edges/{id}/desired, kept by the hub:
//               {"config_version": "line-1 2026-11-24"}
//   message   hub → edge, retained, QoS 1, on strata/v1/<tenant>/edge/<id>/desired:
//               {"edge": "edge-1", "version": 3, "updated": <ns>, "desired": <document>}
//   report    edge → hub, QoS 1, on .../reported, after every message it receives:
//               {"kind": "applied", "edge": "edge-1", "version": 3, "ts": <ns>,
//                "state": "applied" | "pending" | "rejected",
//                "config_version": {"desired": "A", "running": "B"},
//                "ignored": ["models"], "message": "...", "last_rejected": "..."}
//
// The hub accepts only the keys it knows; an edge reports the keys it does not know as
// "ignored" (a newer hub, an older edge) and applies the rest. `version` grows by one with every
// change, so an edge can tell a stale message from a new one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace strata {

struct DesiredDocument {
  // The configuration revision the edge should run (its edge.yaml `edge.config_version`, or the
  // "sha256:..." of its config file when it has none). Absent: no wish.
  std::optional<std::string> config_version;
  std::vector<std::string> unknown_keys;  // only when decoded with allow_unknown
};

// The rule for a config version (here and in edge.yaml): 1..128 characters, no control
// characters. The message says what is wrong, without naming the key.
Status ValidateConfigVersion(std::string_view version);

// A document from the API (allow_unknown false: an unknown key is an error naming it) or from
// a message (allow_unknown true: listed in unknown_keys). InvalidArgument says what is wrong.
StatusOr<DesiredDocument> DecodeDesiredDocument(std::string_view text, bool allow_unknown);
// The canonical JSON of a document (without unknown keys).
std::string EncodeDesiredDocument(const DesiredDocument& document);

struct DesiredMessage {
  std::string edge_id;
  uint64_t version = 0;  // >= 1
  int64_t updated_ns = 0;
  DesiredDocument desired;
};

// `document_json` is a document as the hub keeps it (EncodeDesiredDocument).
std::string EncodeDesiredMessage(std::string_view edge_id, uint64_t version, int64_t updated_ns,
                                 std::string_view document_json);
StatusOr<DesiredMessage> DecodeDesiredMessage(std::string_view payload);
// The version of a message for `edge_id` that does not decode as a whole (so that the edge can
// answer "rejected" for that version); 0 when the payload names no version or another edge.
uint64_t DesiredVersionOf(std::string_view payload, std::string_view edge_id);

struct AppliedReport {
  enum class State { kApplied, kPending, kRejected };
  std::string edge_id;
  uint64_t version = 0;  // of the message this answers; 0 when it could not be read
  int64_t ts_ns = 0;
  State state = State::kApplied;
  std::optional<std::string> desired_config;  // config_version desired, if any
  std::string running_config;                 // config_version the edge runs
  std::vector<std::string> ignored;
  std::string message;  // what is pending or why it was rejected; "" when applied
  // A message that was not for this version and could not be read (garbage, another edge's):
  // why, reported beside the state of the version kept, which it does not change.
  std::string last_rejected;
};
std::string EncodeAppliedReport(const AppliedReport& report);
std::string_view AppliedStateName(AppliedReport::State state);

}  // namespace strata
