// DecisionEngine: committed observations → windows → features → model → Decision → alerts.
//
//   writer thread ──Offer()──▶ [bounded input queue] ──▶ engine thread
//                                                         per deployed model:
//                                                           WindowAssembler → FeatureExtractor
//                                                           → ModelRuntime (score + TreeSHAP)
//                                                           → Decision record ("dec")
//                                                           → AlertTracker → AlertEvent ("alr")
//                                                             + publish on the local broker
//   engine thread ──submit()──▶ the store writer (IngestPipeline::TrySubmit; never blocks)
//
// Data first: Offer never blocks the store writer. When the engine falls behind, its input
// queue fills and further observations are not windowed (counted in
// strata_edge_decision_input_dropped_total); ingestion is never slowed by inference.
//
// Models are deployed from packages (ml/model_package.h). A package that cannot serve — wrong
// hash, unknown runtime, a feature spec naming a signal the asset type lacks, a model whose
// output has the wrong shape — is refused with a clear error and counted by reason
// (strata_edge_model_rejected_total); whatever was serving keeps serving. The engine watches
// each package's manifest and redeploys it when it changes (same checks).
//
// A window whose features hold a NaN (e.g. no vibration block in it) gets no decision:
// counted as strata_edge_decisions_skipped_total{reason="nan_features"}. Nor does the first
// time window of an asset when its data began after the window's start (the engine saw only
// part of it: a warm-up, a restart): reason="partial_window".
//
// Threading: Deploy/Start/Stop from one controlling thread; Offer from any thread (the store
// writer); counters are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/asset_model.h"
#include "core/clock.h"
#include "core/decision.h"
#include "core/metrics.h"
#include "core/status.h"
#include "features/window.h"
#include "pipeline/bounded_queue.h"
#include "store/store.h"

namespace strata {

// Which package serves which assets (the edge config's `models:` entries).
struct ModelAssignment {
  std::string package_dir;
  std::optional<std::string> sha256;     // the package id the edge must run, if pinned
  std::vector<std::string> asset_globs;  // fnmatch patterns ('*' crosses '/'); empty: all
  std::string where;                     // "edge.yaml:31:5" for messages
};

struct DecisionEngineOptions {
  size_t input_queue_observations = 1 << 18;
  // Windows of a quiet source are completed when their end is idle_flush older than the
  // newest data of the model's other assets, or than now when no data arrived for idle_flush.
  // 0: twice the window length plus the allowed lateness.
  int64_t idle_flush_ns = 0;
  int64_t allowed_lateness_ns = 5'000'000'000;
  int64_t package_check_interval_ns = 5'000'000'000;  // how often manifests are re-read
  std::string alert_topic = "strata/alerts";          // events go to <topic>/<asset path>
  uint64_t seed = 0;                                  // trace ids; 0: random
};

class DecisionEngine {
 public:
  // Hands a batch to the store writer without blocking; false: try again later.
  using Submit = std::function<bool(WriteBatch&)>;
  // Publishes an alert event on the local broker (QoS 1). May be empty (no broker).
  using Publish = std::function<void(std::string topic, std::string payload)>;

  DecisionEngine(std::shared_ptr<const AssetModel> model, const Clock& clock,
                 MetricsRegistry& metrics, DecisionEngineOptions options = {});
  ~DecisionEngine();

  // Loads, checks and deploys a package for the assets of `assignment`. On error nothing
  // changes (a model already serving those assets keeps serving) and the error says why.
  // Before Start, or from the engine thread.
  [[nodiscard]] Status Deploy(const ModelAssignment& assignment);

  void Start(Submit submit, Publish publish);
  // Stops the thread and hands what it decided to `submit` one last time (windows still open
  // are not decided: their data is incomplete).
  void Stop();

  // Called with each committed batch (the store writer's commit observer). Never blocks.
  void Offer(const WriteBatch& committed);

  size_t deployed() const;
  // "bearing-fault 3 (sha256 …) on 4 assets; …" for logs and the demo.
  std::string DescribeDeployments() const;

 private:
  struct Deployment;

  void Loop();
  void Process(std::vector<Observation>& observations);
  void Decide(Deployment& d, const features::CompletedWindow& w);
  void FlushIdle(int64_t now_ns);
  void CheckPackages(int64_t now_ns);
  void SubmitPending();
  void Reject(const ModelAssignment& assignment, std::string_view reason, const Status& status);
  StatusOr<std::unique_ptr<Deployment>> Prepare(const ModelAssignment& assignment);

  std::shared_ptr<const AssetModel> model_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  DecisionEngineOptions options_;
  std::mt19937_64 rng_;

  // Guards deployments_ (replaced by Deploy, read by Describe) and wanted_ (read by Offer).
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Deployment>> deployments_;
  std::vector<bool> wanted_;  // by SignalId: a deployed model reads it

  BoundedQueue<std::vector<Observation>> input_;
  Submit submit_;
  Publish publish_;
  WriteBatch pending_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  int64_t next_package_check_ns_ = 0;

  Counter& input_dropped_;
  Counter& decisions_;
  Counter& skipped_nan_;
  Counter& skipped_error_;
  Counter& skipped_partial_;
  Counter& alerts_open_;
  Counter& alerts_clear_;
  Counter& submit_retries_;
  Gauge& decide_seconds_;
};

}  // namespace strata
