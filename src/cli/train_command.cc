// `strata train`: an edge store + ground truth + feature spec → a model package.
#include <fmt/format.h>

#include <limits>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/progress.h"
#include "core/clock.h"
#include "core/time_util.h"
#include "ml/training/trainer.h"

namespace strata {
namespace {

struct TrainOptions {
  ml::TrainJob job;
  std::string from;
  std::string to;
  uint32_t seed = 42;
};

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

void PrintSummary(const ml::TrainReport& r) {
  const ml::ModelManifest& m = r.package.manifest;
  auto metric = [&](const char* key) {
    auto it = m.metrics.find(key);
    return it == m.metrics.end() ? std::string("n/a") : fmt::format("{:.3f}", it->second);
  };
  fmt::print(
      "wrote {} to {}\n"
      "  package id (sha256 of manifest.yaml) {}\n"
      "  rows {} ({} positive): {} for training, {} held out (the latest windows)\n"
      "  holdout: auc {}  accuracy {}  precision {}  recall {}  (threshold {})\n"
      "  artifact {} sha256 {}\n"
      "  took {:.1f} s (windows and features {:.1f} s, training {:.2f} s)\n",
      r.package.Describe(), r.package.dir, r.package.sha256, r.rows, r.positives, r.train_rows,
      r.holdout_rows, metric("auc"), metric("accuracy"), metric("precision"), metric("recall"),
      m.decision.threshold, m.artifact_file, m.artifact_sha256,
      r.dataset_seconds + r.training_seconds, r.dataset_seconds, r.training_seconds);
}

int RunTrain(TrainOptions o) {
  auto fail = [](const std::string& message, int code) {
    fmt::print(stderr, "strata train: {}\n", message);
    return code;
  };
  const int64_t now = Clock::System().NowNs();
  if (!o.from.empty()) {
    auto from = ParseTimeArg(o.from, now);
    if (!from.ok()) return fail("--from: " + from.status().message(), kExitUsage);
    o.job.dataset.from_ns = *from;
  }
  if (!o.to.empty()) {
    auto to = ParseTimeArg(o.to, now);
    if (!to.ok()) return fail("--to: " + to.status().message(), kExitUsage);
    o.job.dataset.to_ns = *to;
  }
  if (o.job.dataset.from_ns >= o.job.dataset.to_ns) {
    return fail("--from must be before --to", kExitUsage);
  }
  o.job.params.seed = o.seed;
  ProgressBar bar("boosting rounds");
  ml::TrainProgress progress;
  progress.log = [](std::string_view line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  progress.rounds = [&bar](int round, int rounds) { bar.Update(round, rounds); };
  auto report = ml::TrainPackage(o.job, progress);
  if (!report.ok()) return fail(report.status().message(), ExitCodeFor(report.status()));
  PrintSummary(*report);
  return kExitOk;
}

}  // namespace

CommandRunner AddTrainCommand(CLI::App& root) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = root.add_subcommand(
      "train",
      "Train an XGBoost model from an edge store and write a model package.\n"
      "Replays the stored observations of every asset of the spec's asset type through the "
      "edge's own windowing and feature code (no training/serving skew), labels each window "
      "from the ground-truth fault file (1 when a fault of that asset is active at the window's "
      "end and has reached --min-severity), holds out the latest windows, trains, and writes "
      "<out>/manifest.yaml + <out>/model.json with holdout metrics, reference feature "
      "histograms and lineage. The same data and --seed give the same model.json.\n"
      "Example:\n"
      "  strata train --data demo-data/edge.db --labels demo-data/ground-truth.jsonl \\\n"
      "    --features examples/features-bearing.yaml --model examples/assets.yaml \\\n"
      "    --out models/bearing-fault");
  ml::TrainJob& job = o->job;
  cmd->add_option("--data", job.data_path, "The edge store to read (SQLite, read-only)")
      ->required();
  cmd->add_option("--labels", job.labels_path,
                  "Ground truth: JSON lines with asset, fault, onset_ns, full_severity_ns "
                  "[, end_ns] (what `strata sim` writes)")
      ->required();
  cmd->add_option("--features", job.features_path,
                  "Feature spec file (root key `features:`, see docs/features.md)")
      ->required();
  cmd->add_option("--model", job.model_path, "The asset model (assets.yaml) the edge uses")
      ->required();
  cmd->add_option("--out", job.out_dir, "Package directory to write (created; files replaced)")
      ->required();
  cmd->add_option("--name", job.name, "Package name (default <asset_type>-fault)");
  cmd->add_option("--version", job.version, "Package version")->capture_default_str();
  cmd->add_option(
      "--assets", job.dataset.asset_glob,
      "Only assets whose path matches this glob ('*' crosses '/'), e.g. '*/pump-0[1-3]'");
  cmd->add_option("--from", o->from,
                  "Start of the data (RFC 3339 or relative like -6h; default: all data)");
  cmd->add_option("--to", o->to, "End of the data, exclusive (default: all data)");
  cmd->add_option("--seed", o->seed, "Random seed: same seed and data, same model")
      ->capture_default_str();
  cmd->add_option("--rounds", job.params.rounds, "Boosting rounds (trees)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-depth", job.params.max_depth, "Maximum tree depth")
      ->capture_default_str()
      ->check(CLI::Range(1, 32));
  cmd->add_option("--eta", job.params.eta, "Learning rate, in (0, 1]")->capture_default_str();
  cmd->add_option("--threshold", job.threshold,
                  "Decision threshold on the fault probability (also the alert's open_at)")
      ->capture_default_str();
  cmd->add_option("--holdout", job.holdout,
                  "Fraction of windows held out for metrics: the latest ones, by window end")
      ->capture_default_str();
  cmd->add_option("--min-severity", job.dataset.min_severity,
                  "Fault severity (0..1, grows as ((t-onset)/growth)^2) from which a window is "
                  "labelled 1; windows of a fault below it are left out")
      ->capture_default_str();
  cmd->footer(kExitCodes);
  return [o] { return RunTrain(*o); };
}

}  // namespace strata
