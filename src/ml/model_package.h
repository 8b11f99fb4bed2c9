// ModelPackage: a versioned model as a directory — manifest.yaml + one artifact file.
//
//   <dir>/manifest.yaml   name, version, task, runtime, the ordered feature spec, the decision
//                         and alert policy, reference feature histograms (for drift), training
//                         data lineage, metrics, and the artifact's file name and sha256;
//   <dir>/<artifact>      the model itself (XGBoost JSON, or an ONNX file).
//
// A package is identified by the sha256 of its manifest's bytes, which pins the artifact by
// its own sha256: change either and the id changes. Loading checks the artifact's hash (and,
// when the caller names one, the package id) and refuses a mismatch. Format: docs/models.md.
//
// Plain values: safe to share between threads once loaded.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "features/feature_spec.h"

namespace strata::ml {

inline constexpr char kManifestFile[] = "manifest.yaml";
inline constexpr char kPackageFormat[] = "strata-model/1";

// What the score means and how a decision is taken from it.
struct DecisionPolicy {
  double threshold = 0.5;  // score >= threshold: the positive label
  std::string negative_label = "normal";
  std::string positive_label = "fault";
  int top_k = 3;  // contributions kept in a decision
};

// When decisions become alerts: open when the score stays at or above `open_at` for
// `min_duration`; clear when it falls below `clear_below` (hysteresis: clear_below <= open_at);
// after a clear, no new alert for `cooldown`.
struct AlertPolicy {
  double open_at = 0.5;
  double clear_below = 0.4;
  int64_t min_duration_ns = 0;
  int64_t cooldown_ns = 0;
};

// A reference distribution of one feature on the training data, for drift monitoring:
// counts[i] values fell in [edges[i], edges[i+1]); edges.size() == counts.size() + 1.
struct FeatureHistogram {
  std::string feature;
  std::vector<double> edges;
  std::vector<uint64_t> counts;
  uint64_t missing = 0;  // NaN values
};

// Where the training data came from, so that a model can be reproduced.
struct Lineage {
  std::string source;  // e.g. "edge store demo-data/edge.db"
  std::string labels;  // e.g. "ground truth demo-data/ground-truth.jsonl"
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  uint64_t rows = 0;
  uint64_t positives = 0;
  uint64_t seed = 0;
  std::string trained_at;  // RFC 3339
};

// ONNX only: which input and output to use (empty: the model's only/probability output).
struct OnnxBinding {
  std::string input;
  std::string output;
  int column = -1;  // -1: the runtime's default (see onnx/onnx_runtime.h)
};

struct ModelManifest {
  std::string name;                            // e.g. "bearing-fault"
  std::string version;                         // e.g. "3" or "2026.11.24-1"
  std::string task = "binary_classification";  // or "regression"
  std::string runtime;                         // "xgboost" or "onnx"
  std::string artifact_file;                   // relative to the package directory
  std::string artifact_sha256;
  OnnxBinding onnx;
  features::FeatureSpec features;
  DecisionPolicy decision;
  AlertPolicy alert;
  std::vector<FeatureHistogram> reference;
  Lineage lineage;
  std::map<std::string, double> metrics;  // e.g. auc, accuracy, on held-out windows
};

struct ModelPackage {
  std::string dir;
  std::string sha256;  // of manifest.yaml: the package id
  ModelManifest manifest;
  std::string artifact;  // the artifact's bytes

  // "bearing-fault 3 (sha256 1a2b3c4d…)": how logs and errors name a package.
  std::string Describe() const;
};

// The runtimes a manifest may name.
bool IsKnownRuntime(std::string_view runtime);

// Reads and checks a package. `expected_sha256` (optional): the package id the caller was told
// to run; a different manifest is refused. Errors name the file, the key and what to do:
// a missing or unreadable file, an unknown format or runtime, a bad feature spec, an artifact
// whose hash does not match the manifest.
[[nodiscard]] StatusOr<ModelPackage> LoadModelPackage(
    const std::string& dir, const std::optional<std::string>& expected_sha256 = std::nullopt);

// Writes `manifest` (artifact_sha256 is computed here) and `artifact` into `dir` (created if
// needed; existing files are replaced atomically) and returns the package as loaded back.
[[nodiscard]] StatusOr<ModelPackage> WriteModelPackage(const std::string& dir,
                                                       ModelManifest manifest,
                                                       const std::string& artifact);

}  // namespace strata::ml
