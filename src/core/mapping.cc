#include "core/mapping.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/units.h"

namespace strata {

bool Captures::Add(std::string_view name, std::string_view value) {
  if (size_ == kMax) return false;
  items_[size_++] = {name, value};
  return true;
}

const std::string_view* Captures::Find(std::string_view name) const {
  for (size_t i = size_; i-- > 0;) {
    if (items_[i].first == name) return &items_[i].second;
  }
  return nullptr;
}

// ---------------------------------------------------------------- TopicPattern

StatusOr<TopicPattern> TopicPattern::Parse(std::string_view text) {
  TopicPattern p;
  p.text_ = std::string(text);
  if (text.empty()) return InvalidArgumentError("topic pattern is empty");
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    const std::string_view level =
        text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const bool last = slash == std::string_view::npos;
    if (level == "#") {
      if (!last) {
        return InvalidArgumentError(
            fmt::format("topic pattern '{}': '#' may only be the last level", text));
      }
      p.segments_.push_back({Kind::kRest, ""});
    } else if (level == "+") {
      p.segments_.push_back({Kind::kAnyLevel, ""});
    } else if (level.size() >= 2 && level.front() == '{' && level.back() == '}') {
      std::string name(level.substr(1, level.size() - 2));
      if (name.empty() || name.find_first_of("{}/+#") != std::string::npos) {
        return InvalidArgumentError(
            fmt::format("topic pattern '{}': '{}' is not a valid capture name", text, level));
      }
      if (std::find(p.capture_names_.begin(), p.capture_names_.end(), name) !=
          p.capture_names_.end()) {
        return InvalidArgumentError(
            fmt::format("topic pattern '{}': capture '{{{}}}' appears twice", text, name));
      }
      if (name == kItemNameCapture) {
        return InvalidArgumentError(fmt::format(
            "topic pattern '{}': '{{name}}' is reserved for the payload's item name; call the "
            "topic level something else",
            text));
      }
      p.capture_names_.push_back(name);
      p.segments_.push_back({Kind::kCapture, std::move(name)});
    } else {
      if (level.find_first_of("+#{}") != std::string_view::npos) {
        return InvalidArgumentError(fmt::format(
            "topic pattern '{}': level '{}' mixes text with + # {{ }}; a wildcard or capture "
            "must be a whole level",
            text, level));
      }
      p.segments_.push_back({Kind::kLiteral, std::string(level)});
    }
    if (last) break;
    start = slash + 1;
  }
  if (p.capture_names_.size() >= Captures::kMax) {
    return InvalidArgumentError(fmt::format("topic pattern '{}': too many captures", text));
  }
  return p;
}

bool TopicPattern::Match(std::string_view topic, Captures* captures) const {
  // As in MQTT, a filter that starts with a wildcard does not match topics that start with
  // '$' ($SYS/...): those are the broker's, not the plant's.
  if (!topic.empty() && topic.front() == '$' && !segments_.empty() &&
      segments_.front().kind != Kind::kLiteral) {
    return false;
  }
  const size_t mark = captures->size();
  size_t pos = 0;  // start of the current topic level
  bool exhausted = false;  // every level of `topic` has been consumed
  size_t consumed = 0;  // pattern segments matched so far
  for (const Segment& seg : segments_) {
    if (seg.kind == Kind::kRest) return true;  // '#' also matches the parent level, as in MQTT
    if (exhausted) break;
    ++consumed;
    const size_t slash = topic.find('/', pos);
    const std::string_view level = topic.substr(
        pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    bool ok = true;
    switch (seg.kind) {
      case Kind::kLiteral: ok = level == seg.text; break;
      case Kind::kCapture: ok = !level.empty() && captures->Add(seg.text, level); break;
      case Kind::kAnyLevel:
      case Kind::kRest: break;
    }
    if (!ok) {
      captures->Truncate(mark);
      return false;
    }
    if (slash == std::string_view::npos) {
      exhausted = true;
    } else {
      pos = slash + 1;
    }
  }
  // Matched only if the pattern and the topic ran out together.
  const bool matched = exhausted && consumed == segments_.size();
  if (!matched) captures->Truncate(mark);
  return matched;
}

std::string TopicPattern::Filter() const {
  std::string out;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (i) out += '/';
    switch (segments_[i].kind) {
      case Kind::kLiteral: out += segments_[i].text; break;
      case Kind::kCapture:
      case Kind::kAnyLevel: out += '+'; break;
      case Kind::kRest: out += '#'; break;
    }
  }
  return out;
}

// ---------------------------------------------------------------- Template

StatusOr<Template> Template::Parse(std::string_view text) {
  Template t;
  t.text_ = std::string(text);
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find('{', pos);
    if (open == std::string_view::npos) {
      t.parts_.push_back({false, std::string(text.substr(pos))});
      break;
    }
    if (open > pos) t.parts_.push_back({false, std::string(text.substr(pos, open - pos))});
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      return InvalidArgumentError(fmt::format("'{}': '{{' without a closing '}}'", text));
    }
    std::string name(text.substr(open + 1, close - open - 1));
    if (name.empty() || name.find('{') != std::string::npos) {
      return InvalidArgumentError(fmt::format("'{}': empty or nested {{}} placeholder", text));
    }
    t.names_.push_back(name);
    t.parts_.push_back({true, std::move(name)});
    pos = close + 1;
  }
  if (text.find('}', 0) != std::string_view::npos &&
      std::count(text.begin(), text.end(), '}') != std::count(text.begin(), text.end(), '{')) {
    return InvalidArgumentError(fmt::format("'{}': unbalanced braces", text));
  }
  return t;
}

bool Template::ExpandTo(const Captures& captures, std::string* out) const {
  const size_t original_size = out->size();
  for (const Part& part : parts_) {
    if (!part.placeholder) {
      out->append(part.text);
      continue;
    }
    const std::string_view* value = captures.Find(part.text);
    if (!value) {
      out->resize(original_size);
      return false;
    }
    out->append(*value);
  }
  return true;
}

// ---------------------------------------------------------------- Mapping

Mapping Mapping::Read(ConfigNode& node) {
  Mapping m;
  m.version = node.String("version", "unversioned");
  for (auto& rule_node : node.Get("rules").Elements()) {
    MappingRule rule;
    rule.where = rule_node.Where();
    ConfigNode topic_node = rule_node.Get("topic");
    auto topic = TopicPattern::Parse(topic_node.AsString());
    if (!topic.ok()) topic_node.Fail(topic.status().message());
    rule.topic = std::move(*topic);
    rule.decoder = rule_node.String("decoder", "");

    auto read_template = [&](const std::string& key) {
      ConfigNode n = rule_node.Get(key);
      auto t = Template::Parse(n.AsString());
      if (!t.ok()) n.Fail(t.status().message());
      for (const auto& name : t->names()) {
        const auto& captures = rule.topic.capture_names();
        if (name != kItemNameCapture &&
            std::find(captures.begin(), captures.end(), name) == captures.end()) {
          n.Fail(fmt::format("'{{{}}}' is not captured by topic '{}' (captures: {}; '{{name}}' "
                             "is the payload item name)",
                             name, rule.topic.text(),
                             captures.empty() ? "none" : fmt::format("{}", fmt::join(captures, ", "))));
        }
      }
      return std::move(*t);
    };
    rule.asset = read_template("asset");
    rule.signal = read_template("signal");
    if (auto unit_node = rule_node.Find("unit")) {
      rule.unit = unit_node->AsString();
      auto unit = ParseUnit(rule.unit);
      if (!unit.ok()) unit_node->Fail(unit.status().message());
    }
    if (auto scale_node = rule_node.Find("scale")) {
      rule.scale = scale_node->AsDouble();
      if (rule.scale == 0.0 || !std::isfinite(rule.scale)) {
        scale_node->Fail("scale must be a finite number other than 0");
      }
    }
    if (auto offset_node = rule_node.Find("offset")) {
      rule.offset = offset_node->AsDouble();
      if (!std::isfinite(rule.offset)) offset_node->Fail("offset must be a finite number");
    }
    m.rules.push_back(std::move(rule));
  }
  return m;
}

const MappingRule* Mapping::Match(std::string_view topic, Captures* captures) const {
  for (const auto& rule : rules) {
    if (rule.topic.Match(topic, captures)) return &rule;
  }
  return nullptr;
}

std::vector<std::string> Mapping::SubscriptionFilters() const {
  std::vector<std::string> out;
  for (const auto& rule : rules) {
    std::string f = rule.topic.Filter();
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace strata
