// ConfigNode: strict reading of YAML configuration.
//
// Every value is read through a ConfigNode, which knows the file, line and key path it came
// from, so every error reads like
//   examples/edge.yaml:12:5: connectors[0].broker.prot: unknown key (did you mean 'port'?)
// Keys that are present in a mapping but never asked for are reported by
// ConfigDocument::CheckUnusedKeys(), which loaders call once they have read everything: a
// typo in a config file is an error, never silently ignored.
//
// Errors are thrown as ConfigError while a document is being read (start-up only) and turned
// into a Status at the loader's boundary (see ConfigDocument::Read).
//
// Not thread-safe: a document is read by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/status.h"

namespace strata {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConfigNode;

// A parsed YAML file and the bookkeeping of which keys were read.
class ConfigDocument : public std::enable_shared_from_this<ConfigDocument> {
 public:
  static StatusOr<std::shared_ptr<ConfigDocument>> LoadFile(const std::string& path);
  // `name` stands for the file name in messages (e.g. "<embedded plant.yaml>"); relative
  // paths in the document resolve against `dir`.
  static StatusOr<std::shared_ptr<ConfigDocument>> Parse(const std::string& text,
                                                         const std::string& name,
                                                         const std::string& dir = "");

  ConfigNode root();
  const std::string& file() const { return file_; }
  // The YAML text as read (e.g. to tell one revision of a config from another).
  const std::string& text() const { return text_; }
  // Directory of the file ("" for parsed text), for resolving relative paths.
  const std::string& dir() const { return dir_; }

  // Throws ConfigError naming the first key that no reader asked for.
  void CheckUnusedKeys() const;

  // Runs `reader` on the root and converts a ConfigError into InvalidArgument; then checks
  // unused keys. The usual way to turn a document into a typed config.
  template <typename T>
  StatusOr<T> Read(const std::function<T(ConfigNode&)>& reader);

 private:
  friend class ConfigNode;
  struct MapState {
    YAML::Node node;
    std::string path;
    std::set<std::string> known;
  };
  MapState& StateFor(const YAML::Node& node, const std::string& path);

  std::string file_;
  std::string dir_;
  std::string text_;
  YAML::Node root_;
  std::vector<std::unique_ptr<MapState>> maps_;
};

class ConfigNode {
 public:
  ConfigNode(std::shared_ptr<ConfigDocument> doc, YAML::Node node, std::string path);

  // Key path from the document root, e.g. "connectors[0].broker". "" for the root.
  const std::string& path() const { return path_; }
  const ConfigDocument& document() const { return *doc_; }
  bool IsMap() const { return node_.IsMap(); }
  bool IsSequence() const { return node_.IsSequence(); }
  bool IsScalar() const { return node_.IsScalar(); }
  bool IsNull() const { return !node_ || node_.IsNull(); }

  // "file:line:col" of this node.
  std::string Where() const;
  // Throws ConfigError "file:line:col: path: message".
  [[noreturn]] void Fail(const std::string& message) const;

  // --- mapping access. Every key asked about, present or not, counts as known. ---
  bool Has(const std::string& key);
  ConfigNode Get(const std::string& key);  // required
  std::optional<ConfigNode> Find(const std::string& key);
  // Keys of a mapping whose keys are names (e.g. asset types), in document order. All of them
  // count as known.
  std::vector<std::pair<std::string, ConfigNode>> Entries();
  // Elements of a sequence.
  std::vector<ConfigNode> Elements();

  // --- this node as a scalar ---
  std::string AsString() const;
  double AsDouble() const;
  int64_t AsInt() const;
  bool AsBool() const;
  int64_t AsDuration() const;  // ns, from "500ms", "1h"
  int64_t AsByteSize() const;  // bytes, from "64MiB"
  std::vector<std::string> AsStringList() const;

  // --- shorthands: a key's value, required or with a default ---
  std::string String(const std::string& key);
  std::string String(const std::string& key, const std::string& fallback);
  double Double(const std::string& key);
  double Double(const std::string& key, double fallback);
  int64_t Int(const std::string& key);
  int64_t Int(const std::string& key, int64_t fallback);
  bool Bool(const std::string& key, bool fallback);
  int64_t Duration(const std::string& key);
  int64_t Duration(const std::string& key, int64_t fallback);
  int64_t ByteSize(const std::string& key, int64_t fallback);
  // One of `choices`; the error lists them.
  std::string Choice(const std::string& key, const std::vector<std::string>& choices,
                     const std::string& fallback);

  // A path value resolved against the document's directory when relative.
  std::string Path(const std::string& key);
  std::string Path(const std::string& key, const std::string& fallback);

 private:
  void RequireMap() const;
  std::string ChildPath(const std::string& key) const;

  std::shared_ptr<ConfigDocument> doc_;
  YAML::Node node_;
  std::string path_;
};

template <typename T>
StatusOr<T> ConfigDocument::Read(const std::function<T(ConfigNode&)>& reader) {
  try {
    ConfigNode node = root();
    T value = reader(node);
    CheckUnusedKeys();
    return value;
  } catch (const ConfigError& e) {
    return InvalidArgumentError(e.what());
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(file_ + ": " + e.what());
  }
}

// Edit distance, for "did you mean" suggestions.
size_t EditDistance(const std::string& a, const std::string& b);
// The closest of `candidates` to `word` within a small distance, or "".
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace strata
