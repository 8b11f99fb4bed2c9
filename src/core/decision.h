// Decision and AlertEvent: what the edge concludes from a window of data, with provenance.
//
// A Decision says which model (name, version, package sha256) scored which asset's window
// (start, end, and the seq range of the observations that fed it), the score, label and
// threshold, the whole feature vector, the top contributions (exact SHAP, in margin units)
// and a W3C trace context id that follows it to the hub, the console and the audit trail.
// An AlertEvent opens or clears an alert and carries the decision that triggered it.
//
// Both travel as JSON (the bodies of the store's "dec" and "alr" record streams, and the
// payload published on the local broker). Plain values.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace strata {

struct Contribution {
  std::string feature;
  double value = 0;         // the feature's value in this window
  double contribution = 0;  // its SHAP value: how much it moved the margin
};

struct Decision {
  std::string trace_id;  // W3C traceparent: "00-<32 hex trace id>-<16 hex span id>-01"
  std::string asset;
  int64_t window_start_ns = 0;
  int64_t window_end_ns = 0;
  int64_t decided_ns = 0;  // when the edge decided (its clock)
  uint64_t first_seq = 0;  // the observations that fed the window (stream "obs")
  uint64_t last_seq = 0;
  std::string model_name;
  std::string model_version;
  std::string model_sha256;
  double score = 0;
  double threshold = 0;
  std::string label;
  std::vector<std::pair<std::string, double>> features;  // in the model's order
  std::vector<Contribution> top;                         // largest |contribution| first
  double bias = 0;  // expected margin; bias + all contributions = margin
};

struct AlertEvent {
  std::string kind;      // "open" or "clear"
  std::string alert_id;  // the same for an alert's open and clear
  std::string asset;
  std::string model_name;
  std::string model_version;
  int64_t ts_ns = 0;                  // the triggering decision's window end
  int64_t opened_ns = 0;              // when the alert opened (equals ts_ns for "open")
  double score = 0;                   // of the triggering decision
  std::string trace_id;               // of the triggering decision
  std::vector<Contribution> reasons;  // the triggering decision's top contributions
};

std::string DecisionToJson(const Decision& d);
StatusOr<Decision> DecisionFromJson(std::string_view json);
std::string AlertEventToJson(const AlertEvent& a);
StatusOr<AlertEvent> AlertEventFromJson(std::string_view json);

// A new W3C traceparent (version 00, sampled) with random trace and span ids from `rng`.
std::string NewTraceparent(std::mt19937_64& rng);
// True when `id` is a well-formed version-00 traceparent with non-zero ids.
bool IsValidTraceparent(std::string_view id);

}  // namespace strata
