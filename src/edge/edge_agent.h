// EdgeAgent: the edge layer in one object — asset model, store, ingest pipeline, connectors
// and the /metrics endpoint, started and stopped in the right order.
//
// Start order: store → pipeline → decision engine (when models are assigned) → metrics →
// connectors. Stop order: connectors, then the decision engine hands over what it decided,
// then the pipeline drains and commits everything it holds: a clean stop loses nothing that
// reached the edge. A model package that cannot be deployed is logged and counted; the edge
// runs on without it (data collection never waits for a model).
//
// Threading: Start/Stop from one controlling thread; accessors are thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "connectors/connector.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/source_catalog.h"
#include "edge/desired_keeper.h"
#include "edge/edge_config.h"
#include "edge/metrics_server.h"
#include "pipeline/ingest_pipeline.h"

namespace strata {

class EdgeAgent {
 public:
  // Opens the store; tests substitute one that injects disk faults.
  using StoreFactory = std::function<StatusOr<std::unique_ptr<Store>>(const SqliteStoreOptions&)>;

  EdgeAgent(EdgeConfig config, const Clock& clock, StoreFactory store_factory = OpenSqliteStore);
  ~EdgeAgent();

  // Fails on what cannot work (store unusable, metrics address taken, bad TLS files); an
  // unreachable broker is not a failure (connectors retry).
  Status Start();
  void Stop();

  // Called on the store writer thread after every commit (benchmarks, tests). Before Start.
  void SetCommitObserver(IngestPipeline::CommitObserver observer) {
    commit_observer_ = std::move(observer);
  }

  MetricsRegistry& metrics() { return metrics_; }
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }
  IngestPipeline* pipeline() { return pipeline_.get(); }
  DecisionEngine* decisions() { return decisions_.get(); }
  Uplink* uplink() { return uplink_.get(); }
  const DesiredKeeper* desired() const { return desired_.get(); }
  const EdgeConfig& config() const { return config_; }
  // A one-line summary for logs: rates need the previous call's totals.
  std::string Summary();

 private:
  EdgeConfig config_;
  const Clock& clock_;
  StoreFactory store_factory_;
  MetricsRegistry metrics_;
  std::shared_ptr<SourceCatalog> sources_;
  std::unique_ptr<IngestPipeline> pipeline_;
  IngestPipeline::CommitObserver commit_observer_;
  std::vector<std::unique_ptr<Connector>> connectors_;
  std::unique_ptr<DecisionEngine> decisions_;
  std::unique_ptr<DesiredKeeper> desired_;  // with the uplink
  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<MetricsServer> metrics_server_;
  bool started_ = false;
  double last_stored_ = 0;
  double last_rejected_ = 0;
  int64_t last_summary_ns_ = 0;
};

}  // namespace strata
