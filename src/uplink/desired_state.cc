#include "uplink/desired_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace strata {
namespace {

using nlohmann::json;

constexpr size_t kMaxConfigVersion = 128;
constexpr size_t kMaxUnknownKeys = 32;
constexpr size_t kMaxKeyShown = 64;

// A document that is already parsed (the API's body, or the "desired" of a message).
StatusOr<DesiredDocument> DocumentFromJson(const json& doc, bool allow_unknown) {
  if (!doc.is_object()) {
    return InvalidArgumentError(
        "the desired state must be a JSON object, like {\"config_version\": \"line-1 v7\"}");
  }
  DesiredDocument d;
  for (const auto& [key, value] : doc.items()) {
    if (key == "config_version") {
      if (!value.is_string()) {
        return InvalidArgumentError("key 'config_version' must be a string");
      }
      std::string v = value.get<std::string>();
      if (Status s = ValidateConfigVersion(v); !s.ok()) {
        return InvalidArgumentError(fmt::format("key 'config_version' {}", s.message()));
      }
      d.config_version = std::move(v);
    } else if (!allow_unknown) {
      return InvalidArgumentError(
          fmt::format("unknown key '{}' in the desired state; it takes: config_version",
                      key.substr(0, kMaxKeyShown)));
    } else if (d.unknown_keys.size() < kMaxUnknownKeys) {
      d.unknown_keys.push_back(key.substr(0, kMaxKeyShown));
    }
  }
  return d;
}

}  // namespace

Status ValidateConfigVersion(std::string_view version) {
  if (version.empty() || version.size() > kMaxConfigVersion) {
    return InvalidArgumentError(fmt::format("must be 1..{} characters (it is {})",
                                            kMaxConfigVersion, version.size()));
  }
  if (std::any_of(version.begin(), version.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return InvalidArgumentError("must not hold control characters");
  }
  return Status::Ok();
}

StatusOr<DesiredDocument> DecodeDesiredDocument(std::string_view text, bool allow_unknown) {
  return DocumentFromJson(json::parse(text, nullptr, /*allow_exceptions=*/false), allow_unknown);
}

std::string EncodeDesiredDocument(const DesiredDocument& document) {
  json doc = json::object();
  if (document.config_version) doc["config_version"] = *document.config_version;
  return doc.dump();
}

std::string EncodeDesiredMessage(std::string_view edge_id, uint64_t version, int64_t updated_ns,
                                 std::string_view document_json) {
  json desired = json::parse(document_json, nullptr, /*allow_exceptions=*/false);
  if (desired.is_discarded() || !desired.is_object()) desired = json::object();
  return json{{"edge", edge_id},
              {"version", version},
              {"updated", updated_ns},
              {"desired", std::move(desired)}}
      .dump();
}

StatusOr<DesiredMessage> DecodeDesiredMessage(std::string_view payload) {
  const json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("a desired state message must be a JSON object");
  }
  DesiredMessage m;
  auto edge = doc.find("edge");
  if (edge == doc.end() || !edge->is_string()) {
    return InvalidArgumentError("a desired state message needs 'edge' (a string)");
  }
  m.edge_id = edge->get<std::string>();
  auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return InvalidArgumentError("a desired state message needs 'version' (a number >= 1)");
  }
  m.version = version->get<uint64_t>();
  if (auto updated = doc.find("updated"); updated != doc.end()) {
    if (!updated->is_number_integer()) {
      return InvalidArgumentError("'updated' of a desired state message must be an integer (ns)");
    }
    m.updated_ns = updated->get<int64_t>();
  }
  auto desired = doc.find("desired");
  if (desired == doc.end() || !desired->is_object()) {
    return InvalidArgumentError("a desired state message needs 'desired' (an object)");
  }
  STRATA_ASSIGN_OR_RETURN(m.desired, DocumentFromJson(*desired, /*allow_unknown=*/true));
  return m;
}

uint64_t DesiredVersionOf(std::string_view payload, std::string_view edge_id) {
  const json doc = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return 0;
  auto edge = doc.find("edge");
  auto version = doc.find("version");
  if (edge == doc.end() || *edge != edge_id || version == doc.end() ||
      !version->is_number_unsigned()) {
    return 0;
  }
  return version->get<uint64_t>();
}

std::string_view AppliedStateName(AppliedReport::State state) {
  switch (state) {
    case AppliedReport::State::kApplied:
      return "applied";
    case AppliedReport::State::kPending:
      return "pending";
    case AppliedReport::State::kRejected:
      return "rejected";
  }
  return "rejected";
}

std::string EncodeAppliedReport(const AppliedReport& report) {
  json doc = {{"kind", "applied"},
              {"edge", report.edge_id},
              {"version", report.version},
              {"ts", report.ts_ns},
              {"state", AppliedStateName(report.state)}};
  json config = {{"running", report.running_config}};
  if (report.desired_config) config["desired"] = *report.desired_config;
  doc["config_version"] = std::move(config);
  if (!report.ignored.empty()) doc["ignored"] = report.ignored;
  if (!report.message.empty()) doc["message"] = report.message;
  if (!report.last_rejected.empty()) doc["last_rejected"] = report.last_rejected;
  // Invalid UTF-8 from a peer is replaced, never a throw.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace strata
