#include "core/config_node.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "core/time_util.h"

namespace strata {
namespace {

std::string MarkText(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

// The text of a mapping key; a list or mapping used as a key is a ConfigError.
std::string KeyText(const std::string& file, const YAML::Node& key, const std::string& path) {
  if (!key.IsScalar()) {
    throw ConfigError(fmt::format("{}: {}{}a key must be a plain name, not a list or mapping",
                                  MarkText(file, key.Mark()), path, path.empty() ? "" : ": "));
  }
  return key.Scalar();
}

std::string JoinPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// yaml-cpp keeps every pair of a mapping that repeats a key, and lookups see only the first:
// the second value would be ignored without a word. Finds such a key anywhere in `node`.
// Aliases are followed once (`visited` holds the positions of containers already walked), so
// that recursive or exponentially shared anchors terminate.
std::optional<std::string> FindDuplicateKey(const std::string& file, const YAML::Node& node,
                                            const std::string& path, std::set<size_t>* visited) {
  if (!node.IsMap() && !node.IsSequence()) return std::nullopt;
  if (!visited->insert(static_cast<size_t>(node.Mark().pos)).second) return std::nullopt;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto d = FindDuplicateKey(file, node[i], fmt::format("{}[{}]", path, i), visited)) {
        return d;
      }
    }
    return std::nullopt;
  }
  std::map<std::string, YAML::Mark> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string key = it->first.Scalar();
    auto [first, inserted] = seen.emplace(key, it->first.Mark());
    if (!inserted) {
      return fmt::format("{}: {}: duplicate key (first at line {}); keep one of them",
                         MarkText(file, it->first.Mark()), JoinPath(path, key),
                         first->second.line + 1);
    }
    if (auto d = FindDuplicateKey(file, it->second, JoinPath(path, key), visited)) return d;
  }
  return std::nullopt;
}

}  // namespace

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

// ---------------------------------------------------------------- ConfigDocument

StatusOr<std::shared_ptr<ConfigDocument>> ConfigDocument::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return NotFoundError(fmt::format("cannot open config file '{}': {}", path,
                                     std::error_code(errno, std::generic_category()).message()));
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgumentError(
        fmt::format("config file '{}' is a directory: name a YAML file", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = Parse(text.str(), path);
  if (doc.ok()) {
    (*doc)->dir_ = std::filesystem::path(path).parent_path().string();
  }
  return doc;
}

StatusOr<std::shared_ptr<ConfigDocument>> ConfigDocument::Parse(const std::string& text,
                                                                const std::string& name,
                                                                const std::string& dir) {
  auto doc = std::make_shared<ConfigDocument>();
  doc->file_ = name;
  doc->dir_ = dir;
  doc->text_ = text;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(
        fmt::format("{}: not valid YAML: {}", MarkText(name, e.mark), e.msg));
  }
  if (documents.size() > 1) {
    return InvalidArgumentError(
        fmt::format("{}: a second YAML document ('---') starts here; a config file holds one",
                    MarkText(name, documents[1].Mark())));
  }
  if (!documents.empty()) doc->root_ = documents.front();
  if (!doc->root_ || doc->root_.IsNull()) doc->root_ = YAML::Node(YAML::NodeType::Map);
  if (!doc->root_.IsMap()) {
    return InvalidArgumentError(fmt::format(
        "{}: the top level must be a mapping of keys to values", MarkText(name, doc->root_.Mark())));
  }
  std::set<size_t> visited;
  if (auto duplicate = FindDuplicateKey(name, doc->root_, "", &visited)) {
    return InvalidArgumentError(*duplicate);
  }
  return doc;
}

ConfigNode ConfigDocument::root() { return ConfigNode(shared_from_this(), root_, ""); }

ConfigDocument::MapState& ConfigDocument::StateFor(const YAML::Node& node,
                                                   const std::string& path) {
  for (auto& state : maps_) {
    if (state->node.is(node)) return *state;
  }
  maps_.push_back(std::make_unique<MapState>(MapState{node, path, {}}));
  return *maps_.back();
}

void ConfigDocument::CheckUnusedKeys() const {
  for (const auto& state : maps_) {
    for (auto it = state->node.begin(); it != state->node.end(); ++it) {
      const std::string key = KeyText(file_, it->first, state->path);
      if (state->known.count(key)) continue;
      const std::vector<std::string> known(state->known.begin(), state->known.end());
      const std::string suggestion = ClosestMatch(key, known);
      std::string message = fmt::format(
          "{}: {}{}: unknown key", MarkText(file_, it->first.Mark()), state->path,
          state->path.empty() ? key : "." + key);
      if (!suggestion.empty()) {
        message += fmt::format(" (did you mean '{}'?)", suggestion);
      } else if (!known.empty()) {
        message += fmt::format(" (known keys here: {})", fmt::join(known, ", "));
      }
      throw ConfigError(message);
    }
  }
}

// ---------------------------------------------------------------- ConfigNode

ConfigNode::ConfigNode(std::shared_ptr<ConfigDocument> doc, YAML::Node node, std::string path)
    : doc_(std::move(doc)), node_(std::move(node)), path_(std::move(path)) {}

std::string ConfigNode::Where() const { return MarkText(doc_->file_, node_.Mark()); }

void ConfigNode::Fail(const std::string& message) const {
  throw ConfigError(fmt::format("{}: {}{}", Where(), path_.empty() ? "" : path_ + ": ", message));
}

void ConfigNode::RequireMap() const {
  if (!node_.IsMap()) Fail("expected a mapping of keys to values");
}

std::string ConfigNode::ChildPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

bool ConfigNode::Has(const std::string& key) { return Find(key).has_value(); }

std::optional<ConfigNode> ConfigNode::Find(const std::string& key) {
  RequireMap();
  doc_->StateFor(node_, path_).known.insert(key);
  YAML::Node child = node_[key];
  if (!child || child.IsNull()) return std::nullopt;
  return ConfigNode(doc_, child, ChildPath(key));
}

ConfigNode ConfigNode::Get(const std::string& key) {
  auto child = Find(key);
  if (!child) {
    Fail(fmt::format("missing required key '{}'", key));
  }
  return *child;
}

std::vector<std::pair<std::string, ConfigNode>> ConfigNode::Entries() {
  RequireMap();
  auto& state = doc_->StateFor(node_, path_);
  std::vector<std::pair<std::string, ConfigNode>> out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string key = KeyText(doc_->file_, it->first, path_);
    state.known.insert(key);
    out.emplace_back(key, ConfigNode(doc_, it->second, ChildPath(key)));
  }
  return out;
}

std::vector<ConfigNode> ConfigNode::Elements() {
  if (!node_.IsSequence()) Fail("expected a list");
  std::vector<ConfigNode> out;
  for (size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(doc_, node_[i], fmt::format("{}[{}]", path_, i));
  }
  return out;
}

std::string ConfigNode::AsString() const {
  if (!node_.IsScalar()) Fail("expected a single value");
  return node_.Scalar();
}

double ConfigNode::AsDouble() const {
  const std::string text = AsString();
  // YAML's spellings of infinity; NaN is never a useful setting and is rejected.
  if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf" || text == "+.Inf" ||
      text == "+.INF") {
    return std::numeric_limits<double>::infinity();
  }
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") {
    return -std::numeric_limits<double>::infinity();
  }
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size() && !std::isnan(v)) return v;
  } catch (const std::exception&) {
  }
  Fail(fmt::format("'{}' is not a number", text));
}

int64_t ConfigNode::AsInt() const {
  const std::string text = AsString();
  try {
    // Decimal, or hexadecimal after 0x. Not base 0: "010" is ten, as in YAML 1.2, not eight.
    const std::string_view digits =
        std::string_view(text).substr(!text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0);
    const int base = digits.starts_with("0x") || digits.starts_with("0X") ? 16 : 10;
    size_t used = 0;
    long long v = std::stoll(text, &used, base);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  Fail(fmt::format("'{}' is not a whole number", text));
}

bool ConfigNode::AsBool() const {
  const std::string text = AsString();
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  Fail(fmt::format("'{}' is not true or false", text));
}

int64_t ConfigNode::AsDuration() const {
  auto d = ParseDuration(AsString());
  if (!d.ok()) Fail(d.status().message());
  return *d;
}

int64_t ConfigNode::AsByteSize() const {
  auto b = ParseByteSize(AsString());
  if (!b.ok()) Fail(b.status().message());
  return *b;
}

std::vector<std::string> ConfigNode::AsStringList() const {
  if (node_.IsScalar()) return {node_.Scalar()};
  if (!node_.IsSequence()) Fail("expected a value or a list of values");
  std::vector<std::string> out;
  for (size_t i = 0; i < node_.size(); ++i) {
    ConfigNode element(doc_, node_[i], fmt::format("{}[{}]", path_, i));
    out.push_back(element.AsString());
  }
  return out;
}

std::string ConfigNode::String(const std::string& key) { return Get(key).AsString(); }
std::string ConfigNode::String(const std::string& key, const std::string& fallback) {
  auto n = Find(key);
  return n ? n->AsString() : fallback;
}
double ConfigNode::Double(const std::string& key) { return Get(key).AsDouble(); }
double ConfigNode::Double(const std::string& key, double fallback) {
  auto n = Find(key);
  return n ? n->AsDouble() : fallback;
}
int64_t ConfigNode::Int(const std::string& key) { return Get(key).AsInt(); }
int64_t ConfigNode::Int(const std::string& key, int64_t fallback) {
  auto n = Find(key);
  return n ? n->AsInt() : fallback;
}
bool ConfigNode::Bool(const std::string& key, bool fallback) {
  auto n = Find(key);
  return n ? n->AsBool() : fallback;
}
int64_t ConfigNode::Duration(const std::string& key) { return Get(key).AsDuration(); }
int64_t ConfigNode::Duration(const std::string& key, int64_t fallback) {
  auto n = Find(key);
  return n ? n->AsDuration() : fallback;
}
int64_t ConfigNode::ByteSize(const std::string& key, int64_t fallback) {
  auto n = Find(key);
  return n ? n->AsByteSize() : fallback;
}

std::string ConfigNode::Choice(const std::string& key, const std::vector<std::string>& choices,
                               const std::string& fallback) {
  auto n = Find(key);
  if (!n) return fallback;
  std::string v = n->AsString();
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    std::string hint = ClosestMatch(v, choices);
    n->Fail(fmt::format("'{}' is not one of: {}{}", v, fmt::join(choices, ", "),
                        hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }
  return v;
}

std::string ConfigNode::Path(const std::string& key) {
  std::filesystem::path p(String(key));
  if (p.is_relative() && !doc_->dir_.empty()) p = std::filesystem::path(doc_->dir_) / p;
  return p.lexically_normal().string();
}

std::string ConfigNode::Path(const std::string& key, const std::string& fallback) {
  if (!Has(key)) return fallback;
  return Path(key);
}

}  // namespace strata
