#include "core/decision.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace strata {
namespace {

using nlohmann::json;

json ContributionsToJson(const std::vector<Contribution>& list) {
  json out = json::array();
  for (const Contribution& c : list) {
    out.push_back({{"feature", c.feature}, {"value", c.value}, {"contribution", c.contribution}});
  }
  return out;
}

std::vector<Contribution> ContributionsFromJson(const json& j) {
  std::vector<Contribution> out;
  for (const json& c : j) {
    out.push_back({c.at("feature").get<std::string>(), c.at("value").get<double>(),
                   c.at("contribution").get<double>()});
  }
  return out;
}

// NaN and infinities are not JSON: they travel as null.
json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double NumberFrom(const json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string DecisionToJson(const Decision& d) {
  json features = json::array();
  for (const auto& [name, value] : d.features) features.push_back({name, Number(value)});
  json j = {
      {"trace_id", d.trace_id},
      {"asset", d.asset},
      {"window_start_ns", d.window_start_ns},
      {"window_end_ns", d.window_end_ns},
      {"decided_ns", d.decided_ns},
      {"first_seq", d.first_seq},
      {"last_seq", d.last_seq},
      {"model", {{"name", d.model_name}, {"version", d.model_version}, {"sha256", d.model_sha256}}},
      {"score", Number(d.score)},
      {"threshold", d.threshold},
      {"label", d.label},
      {"features", std::move(features)},
      {"top", ContributionsToJson(d.top)},
      {"bias", Number(d.bias)}};
  return j.dump();
}

StatusOr<Decision> DecisionFromJson(std::string_view text) {
  try {
    const json j = json::parse(text);
    Decision d;
    d.trace_id = j.at("trace_id").get<std::string>();
    d.asset = j.at("asset").get<std::string>();
    d.window_start_ns = j.at("window_start_ns").get<int64_t>();
    d.window_end_ns = j.at("window_end_ns").get<int64_t>();
    d.decided_ns = j.at("decided_ns").get<int64_t>();
    d.first_seq = j.at("first_seq").get<uint64_t>();
    d.last_seq = j.at("last_seq").get<uint64_t>();
    const json& m = j.at("model");
    d.model_name = m.at("name").get<std::string>();
    d.model_version = m.at("version").get<std::string>();
    d.model_sha256 = m.at("sha256").get<std::string>();
    d.score = NumberFrom(j.at("score"));
    d.threshold = j.at("threshold").get<double>();
    d.label = j.at("label").get<std::string>();
    for (const json& f : j.at("features")) {
      d.features.emplace_back(f.at(0).get<std::string>(), NumberFrom(f.at(1)));
    }
    d.top = ContributionsFromJson(j.at("top"));
    d.bias = NumberFrom(j.at("bias"));
    return d;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("decision JSON: {}", e.what()));
  }
}

std::string AlertEventToJson(const AlertEvent& a) {
  json j = {{"kind", a.kind},
            {"alert_id", a.alert_id},
            {"asset", a.asset},
            {"model", {{"name", a.model_name}, {"version", a.model_version}}},
            {"ts_ns", a.ts_ns},
            {"opened_ns", a.opened_ns},
            {"score", Number(a.score)},
            {"trace_id", a.trace_id},
            {"reasons", ContributionsToJson(a.reasons)}};
  return j.dump();
}

StatusOr<AlertEvent> AlertEventFromJson(std::string_view text) {
  try {
    const json j = json::parse(text);
    AlertEvent a;
    a.kind = j.at("kind").get<std::string>();
    a.alert_id = j.at("alert_id").get<std::string>();
    a.asset = j.at("asset").get<std::string>();
    a.model_name = j.at("model").at("name").get<std::string>();
    a.model_version = j.at("model").at("version").get<std::string>();
    a.ts_ns = j.at("ts_ns").get<int64_t>();
    a.opened_ns = j.at("opened_ns").get<int64_t>();
    a.score = NumberFrom(j.at("score"));
    a.trace_id = j.at("trace_id").get<std::string>();
    a.reasons = ContributionsFromJson(j.at("reasons"));
    return a;
  } catch (const json::exception& e) {
    return InvalidArgumentError(fmt::format("alert event JSON: {}", e.what()));
  }
}

std::string NewTraceparent(std::mt19937_64& rng) {
  uint64_t hi = 0, lo = 0, span = 0;
  while (hi == 0 && lo == 0) {
    hi = rng();
    lo = rng();
  }
  while (span == 0) span = rng();
  return fmt::format("00-{:016x}{:016x}-{:016x}-01", hi, lo, span);
}

bool IsValidTraceparent(std::string_view id) {
  // 00-<32 hex>-<16 hex>-<2 hex>
  if (id.size() != 55 || id.substr(0, 3) != "00-" || id[35] != '-' || id[52] != '-') {
    return false;
  }
  const std::string_view trace = id.substr(3, 32), span = id.substr(36, 16),
                         flags = id.substr(53, 2);
  if (!IsLowerHex(trace) || !IsLowerHex(span) || !IsLowerHex(flags)) return false;
  return trace != std::string(32, '0') && span != std::string(16, '0');
}

}  // namespace strata
