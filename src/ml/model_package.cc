#include "ml/model_package.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <span>

#include "core/config_node.h"
#include "core/file_util.h"
#include "core/sha256.h"
#include "core/time_util.h"

namespace strata::ml {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kRuntimes[] = {"xgboost", "onnx"};
constexpr std::string_view kTasks[] = {"binary_classification", "regression"};

std::string Join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

DecisionPolicy ReadDecision(ConfigNode& node) {
  DecisionPolicy d;
  d.threshold = node.Double("threshold", d.threshold);
  if (auto labels = node.Find("labels")) {
    const std::vector<std::string> names = labels->AsStringList();
    if (names.size() != 2) labels->Fail("give two labels: [below threshold, at or above]");
    d.negative_label = names[0];
    d.positive_label = names[1];
  }
  d.top_k = static_cast<int>(node.Int("top_k", d.top_k));
  if (d.top_k < 0) node.Get("top_k").Fail("must be 0 or more");
  return d;
}

AlertPolicy ReadAlert(ConfigNode& node, const DecisionPolicy& decision) {
  AlertPolicy a;
  a.open_at = node.Double("open_at", decision.threshold);
  a.clear_below = node.Double("clear_below", a.open_at);
  if (a.clear_below > a.open_at) {
    node.Get("clear_below")
        .Fail(fmt::format("must not exceed open_at ({}): an alert would clear while it is still "
                          "above the level that opens it",
                          a.open_at));
  }
  a.min_duration_ns = node.Duration("min_duration", 0);
  a.cooldown_ns = node.Duration("cooldown", 0);
  return a;
}

std::vector<double> Doubles(ConfigNode& node) {
  std::vector<double> out;
  for (ConfigNode& e : node.Elements()) out.push_back(e.AsDouble());
  return out;
}

FeatureHistogram ReadHistogram(ConfigNode& node) {
  FeatureHistogram h;
  h.feature = node.String("feature");
  ConfigNode edges = node.Get("edges");
  h.edges = Doubles(edges);
  ConfigNode counts = node.Get("counts");
  for (ConfigNode& e : counts.Elements()) {
    const int64_t c = e.AsInt();
    if (c < 0) e.Fail("counts must be 0 or more");
    h.counts.push_back(static_cast<uint64_t>(c));
  }
  if (h.edges.size() != h.counts.size() + 1) {
    edges.Fail(fmt::format("{} edges for {} counts: give one edge more than counts", h.edges.size(),
                           h.counts.size()));
  }
  h.missing = static_cast<uint64_t>(node.Int("missing", 0));
  return h;
}

Lineage ReadLineage(ConfigNode& node) {
  Lineage l;
  l.source = node.String("source", "");
  l.labels = node.String("labels", "");
  auto timestamp = [&node](const std::string& key) -> int64_t {
    auto value = node.Find(key);
    if (!value) return 0;
    StatusOr<int64_t> ts = ParseTimestamp(value->AsString());
    if (!ts.ok()) value->Fail(ts.status().message());
    return *ts;
  };
  l.from_ns = timestamp("from");
  l.to_ns = timestamp("to");
  l.rows = static_cast<uint64_t>(node.Int("rows", 0));
  l.positives = static_cast<uint64_t>(node.Int("positives", 0));
  l.seed = static_cast<uint64_t>(node.Int("seed", 0));
  l.trained_at = node.String("trained_at", "");
  return l;
}

ModelManifest ReadManifest(ConfigNode& root) {
  ModelManifest m;
  const std::string format = root.String("format");
  if (format != kPackageFormat) {
    root.Get("format").Fail(
        fmt::format("unknown package format '{}' (this strata reads '{}'); "
                    "was the package made by a newer strata?",
                    format, kPackageFormat));
  }
  m.name = root.String("name");
  m.version = root.String("version");
  m.task = root.Choice("task", {std::string(kTasks[0]), std::string(kTasks[1])}, m.task);
  m.runtime = root.String("runtime");
  if (!IsKnownRuntime(m.runtime)) {
    root.Get("runtime").Fail(
        fmt::format("unknown runtime '{}' (runtimes: {})", m.runtime, Join(kRuntimes)));
  }
  ConfigNode artifact = root.Get("artifact");
  m.artifact_file = artifact.String("file");
  if (m.artifact_file.find('/') != std::string::npos || m.artifact_file.starts_with(".")) {
    artifact.Get("file").Fail("name a file inside the package directory (no '/', no '..')");
  }
  m.artifact_sha256 = artifact.String("sha256");
  if (auto onnx = root.Find("onnx")) {
    m.onnx.input = onnx->String("input", "");
    m.onnx.output = onnx->String("output", "");
    m.onnx.column = static_cast<int>(onnx->Int("column", -1));
  }
  ConfigNode features = root.Get("features");
  m.features = features::ReadFeatureSpec(features);
  if (auto decision = root.Find("decision")) m.decision = ReadDecision(*decision);
  if (auto alert = root.Find("alert")) {
    m.alert = ReadAlert(*alert, m.decision);
  } else {
    m.alert.open_at = m.alert.clear_below = m.decision.threshold;
  }
  if (auto reference = root.Find("reference")) {
    for (ConfigNode& h : reference->Elements()) m.reference.push_back(ReadHistogram(h));
  }
  if (auto lineage = root.Find("lineage")) m.lineage = ReadLineage(*lineage);
  if (auto metrics = root.Find("metrics")) {
    for (auto& [key, value] : metrics->Entries()) m.metrics[key] = value.AsDouble();
  }
  return m;
}

std::string ManifestYaml(const ModelManifest& m) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << kPackageFormat;
  out << YAML::Key << "name" << YAML::Value << m.name;
  out << YAML::Key << "version" << YAML::Value << YAML::DoubleQuoted << m.version;
  out << YAML::Key << "task" << YAML::Value << m.task;
  out << YAML::Key << "runtime" << YAML::Value << m.runtime;
  out << YAML::Key << "artifact" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "file" << YAML::Value << m.artifact_file;
  out << YAML::Key << "sha256" << YAML::Value << m.artifact_sha256 << YAML::EndMap;
  if (m.runtime == "onnx") {
    out << YAML::Key << "onnx" << YAML::Value << YAML::Flow << YAML::BeginMap;
    if (!m.onnx.input.empty()) out << YAML::Key << "input" << YAML::Value << m.onnx.input;
    if (!m.onnx.output.empty()) out << YAML::Key << "output" << YAML::Value << m.onnx.output;
    if (m.onnx.column >= 0) out << YAML::Key << "column" << YAML::Value << m.onnx.column;
    out << YAML::EndMap;
  }
  out << YAML::Key << "features" << YAML::Value
      << YAML::Load(features::WriteFeatureSpecYaml(m.features));
  out << YAML::Key << "decision" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "threshold" << YAML::Value << m.decision.threshold;
  out << YAML::Key << "labels" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << m.decision.negative_label << m.decision.positive_label << YAML::EndSeq;
  out << YAML::Key << "top_k" << YAML::Value << m.decision.top_k;
  out << YAML::EndMap;
  out << YAML::Key << "alert" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "open_at" << YAML::Value << m.alert.open_at;
  out << YAML::Key << "clear_below" << YAML::Value << m.alert.clear_below;
  out << YAML::Key << "min_duration" << YAML::Value << FormatDuration(m.alert.min_duration_ns);
  out << YAML::Key << "cooldown" << YAML::Value << FormatDuration(m.alert.cooldown_ns);
  out << YAML::EndMap;
  if (!m.reference.empty()) {
    out << YAML::Key << "reference" << YAML::Value << YAML::BeginSeq;
    for (const FeatureHistogram& h : m.reference) {
      out << YAML::BeginMap;
      out << YAML::Key << "feature" << YAML::Value << h.feature;
      out << YAML::Key << "edges" << YAML::Value << YAML::Flow << h.edges;
      out << YAML::Key << "counts" << YAML::Value << YAML::Flow << h.counts;
      out << YAML::Key << "missing" << YAML::Value << h.missing;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "lineage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "source" << YAML::Value << m.lineage.source;
  out << YAML::Key << "labels" << YAML::Value << m.lineage.labels;
  if (m.lineage.from_ns != 0) {
    out << YAML::Key << "from" << YAML::Value << FormatTimestamp(m.lineage.from_ns);
  }
  if (m.lineage.to_ns != 0) {
    out << YAML::Key << "to" << YAML::Value << FormatTimestamp(m.lineage.to_ns);
  }
  out << YAML::Key << "rows" << YAML::Value << m.lineage.rows;
  out << YAML::Key << "positives" << YAML::Value << m.lineage.positives;
  out << YAML::Key << "seed" << YAML::Value << m.lineage.seed;
  out << YAML::Key << "trained_at" << YAML::Value << m.lineage.trained_at;
  out << YAML::EndMap;
  if (!m.metrics.empty()) {
    out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : m.metrics) out << YAML::Key << key << YAML::Value << value;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return fmt::format(
      "# A Strata model package (docs/models.md). Its id is the sha256 of this "
      "file.\n{}\n",
      out.c_str());
}

}  // namespace

std::string ModelPackage::Describe() const {
  return fmt::format("{} {} (sha256 {}…)", manifest.name, manifest.version, sha256.substr(0, 12));
}

bool IsKnownRuntime(std::string_view runtime) {
  for (std::string_view r : kRuntimes) {
    if (r == runtime) return true;
  }
  return false;
}

StatusOr<ModelPackage> LoadModelPackage(const std::string& dir,
                                        const std::optional<std::string>& expected_sha256) {
  ModelPackage p;
  p.dir = dir;
  const fs::path manifest_path = fs::path(dir) / kManifestFile;
  StatusOr<std::string> text = ReadWholeFile(manifest_path.string());
  if (!text.ok()) {
    return text.status().WithContext(
        fmt::format("model package '{}': no readable {}; is this a package directory (made by "
                    "`strata train`)?",
                    dir, kManifestFile));
  }
  p.sha256 = Sha256Hex(*text);
  if (expected_sha256 && *expected_sha256 != p.sha256) {
    return FailedPreconditionError(fmt::format(
        "model package '{}': its sha256 is {} but {} was expected; the package changed since it "
        "was assigned. Assign this package again, or restore the expected one",
        dir, p.sha256, *expected_sha256));
  }
  auto doc = ConfigDocument::Parse(*text, manifest_path.string(), dir);
  if (!doc.ok()) return doc.status();
  auto manifest = (*doc)->Read<ModelManifest>([](ConfigNode& root) { return ReadManifest(root); });
  if (!manifest.ok()) return manifest.status();
  p.manifest = std::move(*manifest);
  const fs::path artifact_path = fs::path(dir) / p.manifest.artifact_file;
  StatusOr<std::string> artifact = ReadWholeFile(artifact_path.string());
  if (!artifact.ok()) {
    return artifact.status().WithContext(
        fmt::format("model package '{}': artifact named in {}", dir, kManifestFile));
  }
  const std::string actual = Sha256Hex(*artifact);
  if (actual != p.manifest.artifact_sha256) {
    return DataLossError(fmt::format(
        "model package '{}': artifact '{}' has sha256 {} but {} says {}; the file was changed "
        "or damaged after packaging. Refusing to load it: rebuild the package with `strata "
        "train` or restore the file",
        dir, p.manifest.artifact_file, actual, kManifestFile, p.manifest.artifact_sha256));
  }
  p.artifact = std::move(*artifact);
  return p;
}

StatusOr<ModelPackage> WriteModelPackage(const std::string& dir, ModelManifest manifest,
                                         const std::string& artifact) {
  if (!IsKnownRuntime(manifest.runtime)) {
    return InvalidArgumentError(fmt::format("model package: unknown runtime '{}' (runtimes: {})",
                                            manifest.runtime, Join(kRuntimes)));
  }
  if (manifest.artifact_file.empty()) {
    manifest.artifact_file = manifest.runtime == "onnx" ? "model.onnx" : "model.json";
  }
  manifest.artifact_sha256 = Sha256Hex(artifact);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return UnavailableError(
        fmt::format("model package: cannot create directory '{}': {}", dir, ec.message()));
  }
  STRATA_RETURN_IF_ERROR(
      WriteFileAtomically((fs::path(dir) / manifest.artifact_file).string(), artifact));
  STRATA_RETURN_IF_ERROR(
      WriteFileAtomically((fs::path(dir) / kManifestFile).string(), ManifestYaml(manifest)));
  return LoadModelPackage(dir);
}

}  // namespace strata::ml
