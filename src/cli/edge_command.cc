#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/time_util.h"
#include "edge/edge_agent.h"

namespace strata {
namespace {

struct EdgeOptions {
  std::string config;
  bool check = false;
  std::string summary_every = "30s";
};

int RunEdge(const EdgeOptions& o) {
  auto config = EdgeConfig::Load(o.config);
  if (!config.ok()) {
    fmt::print(stderr, "strata edge: {}\n", config.status().message());
    return kExitUsage;
  }
  auto summary_ns = ParseDuration(o.summary_every);
  if (!summary_ns.ok()) {
    fmt::print(stderr, "strata edge: --summary-every: {}\n", summary_ns.status().message());
    return kExitUsage;
  }
  if (o.check) {
    // Each assigned model package is loaded and checked as the edge would (hash, runtime,
    // features against the asset model, output shape); Deploy logs why one is refused.
    MetricsRegistry metrics;
    DecisionEngine engine(config->model, Clock::System(), metrics);
    size_t bad = 0;
    for (const ModelAssignment& a : config->models) {
      if (!engine.Deploy(a).ok()) ++bad;
    }
    size_t subscriptions = 0;
    for (const auto& c : config->mqtt) subscriptions += c.subscriptions.size();
    size_t requests = 0;
    for (const auto& c : config->modbus) requests += c.requests.size();
    size_t items = 0;
    for (const auto& c : config->opcua) items += c.items.size();
    fmt::print(
        "{}: {} — {} assets, {} signals, {} connector(s) (mqtt {} with {} subscription(s), "
        "modbus {} with {} read request(s) per cycle, opcua {} with {} item(s)), store {}, "
        "models: {}\n",
        o.config, bad == 0 ? "OK" : fmt::format("{} model package(s) refused", bad),
        config->model->assets().size(), config->model->signal_count(),
        config->mqtt.size() + config->modbus.size() + config->opcua.size(), config->mqtt.size(),
        subscriptions, config->modbus.size(), requests, config->opcua.size(), items,
        config->store_path, engine.DescribeDeployments());
    return bad == 0 ? kExitOk : kExitUsage;
  }
  EdgeAgent agent(std::move(*config), Clock::System());
  if (Status s = agent.Start(); !s.ok()) {
    spdlog::error("edge cannot start: {}", s.message());
    return kExitFailure;
  }
  int64_t next_summary = *summary_ns > 0 ? Clock::System().NowNs() + *summary_ns : 0;
  while (true) {
    const int sig = WaitForTermination(500 * kNsPerMs);
    if (sig != 0) {
      spdlog::info("received signal {}, stopping (draining queues into the store)", sig);
      break;
    }
    if (next_summary != 0 && Clock::System().NowNs() >= next_summary) {
      spdlog::info("{}", agent.Summary());
      next_summary += *summary_ns;
    }
  }
  agent.Stop();
  return kExitOk;
}

}  // namespace

CommandRunner AddEdgeCommand(CLI::App& root) {
  auto o = std::make_shared<EdgeOptions>();
  CLI::App* cmd = root.add_subcommand(
      "edge",
      "Run the edge agent: subscribe to machines, map and validate every reading against the "
      "asset model, and store it (bad readings go to the dead-letter table with a reason).");
  cmd->add_option("-c,--config", o->config, "Edge configuration (YAML), e.g. examples/edge.yaml")
      ->required();
  cmd->add_flag("--check", o->check, "Validate the configuration and exit");
  cmd->add_option("--summary-every", o->summary_every,
                  "Log a summary line this often (e.g. 10s; 0 = never)")
      ->capture_default_str();
  cmd->footer(
      fmt::format("Stops cleanly on Ctrl-C or SIGTERM: what was received is stored before exit.\n"
                  "Metrics: GET http://<metrics.listen>/metrics (Prometheus text), /healthz.\n{}",
                  kExitCodes));
  return [o] { return RunEdge(*o); };
}

}  // namespace strata
