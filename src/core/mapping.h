// Mapping: where a reading goes. A rule takes a source address (for MQTT, the topic) to an
// (asset, signal) of the asset model, with scale/offset and the source's unit.
//
//   mapping:
//     version: "2026-11-23.1"          # travels in lineage
//     rules:
//       - topic: "plant/{site}/{machine}/process"   # {x} captures one topic level; + and #
//         decoder: readings                          # as in MQTT filters
//         asset: "acme/{site}/line-1/{machine}"
//         signal: "{name}"                           # {name}: the item name from the payload
//         unit: "[degF]"      # unit the source sends in (default: the signal's own unit)
//         scale: 0.1          # source value = raw * scale + offset, then unit conversion
//         offset: 0
//
// Rules are tried in order; the first whose topic matches wins.
// Immutable after Read; safe for concurrent reads.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_node.h"
#include "core/status.h"

namespace strata {

// Named values taken from a topic (and the payload item name), as views into their source.
class Captures {
 public:
  static constexpr size_t kMax = 12;
  bool Add(std::string_view name, std::string_view value);
  // Value of `name`, or nullptr.
  const std::string_view* Find(std::string_view name) const;
  void Clear() { size_ = 0; }
  // Drops captures added after the first `n`.
  void Truncate(size_t n) {
    if (n < size_) size_ = n;
  }
  size_t size() const { return size_; }

 private:
  std::array<std::pair<std::string_view, std::string_view>, kMax> items_;
  size_t size_ = 0;
};

// MQTT topic-filter syntax plus named single-level captures: "plant/{site}/+/{asset}/#".
class TopicPattern {
 public:
  static StatusOr<TopicPattern> Parse(std::string_view text);

  // True when `topic` matches, as an MQTT broker would match the filter (a capture is '+', and
  // matches only a non-empty level; a filter starting with a wildcard does not match '$'
  // topics). Captures (views into `topic`) are appended to `captures`; on no match,
  // `captures` is left as it was.
  bool Match(std::string_view topic, Captures* captures) const;
  // The MQTT subscription filter: every capture becomes '+'.
  std::string Filter() const;
  const std::vector<std::string>& capture_names() const { return capture_names_; }
  const std::string& text() const { return text_; }

 private:
  enum class Kind : uint8_t { kLiteral, kCapture, kAnyLevel, kRest };
  struct Segment {
    Kind kind;
    std::string text;  // literal text or capture name
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<std::string> capture_names_;
};

// Text with {name} placeholders filled from Captures: "acme/{site}/line-1/{machine}".
class Template {
 public:
  static StatusOr<Template> Parse(std::string_view text);

  // Appends the expansion to `out`. False, leaving `out` as it was, when a placeholder has no
  // capture.
  bool ExpandTo(const Captures& captures, std::string* out) const;
  const std::vector<std::string>& names() const { return names_; }
  const std::string& text() const { return text_; }
  bool is_literal() const { return names_.empty(); }

 private:
  struct Part {
    bool placeholder;
    std::string text;
  };
  std::string text_;
  std::vector<Part> parts_;
  std::vector<std::string> names_;
};

struct MappingRule {
  TopicPattern topic;
  std::string decoder;  // name of a decoder declared by the connector ("" = connector default)
  Template asset;
  Template signal;
  std::string unit;  // UCUM code the source sends in; "" = the signal's model unit
  double scale = 1.0;
  double offset = 0.0;
  std::string where;  // "file:line" of the rule, for messages
};

// The name of the capture that a payload's item name fills (see MappingRule::signal).
inline constexpr std::string_view kItemNameCapture = "name";

struct Mapping {
  std::string version;
  std::vector<MappingRule> rules;

  // Reads `version:` and `rules:` from a mapping node. Throws ConfigError.
  static Mapping Read(ConfigNode& node);

  // The first rule matching `topic` (its topic captures appended to `captures`), or nullptr.
  const MappingRule* Match(std::string_view topic, Captures* captures) const;
  // Distinct subscription filters covering every rule, in rule order.
  std::vector<std::string> SubscriptionFilters() const;
};

}  // namespace strata
