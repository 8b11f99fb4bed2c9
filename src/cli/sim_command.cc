#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/host_port.h"
#include "cli/signals.h"
#include "core/time_util.h"
#include "edge/metrics_server.h"
#include "sim/plant_publisher.h"

namespace strata {
namespace {

struct SimOptions {
  std::string config;
  bool check = false;
  std::string broker;
  std::string duration;
  int64_t seed = -1;
};

int RunSim(const SimOptions& o) {
  auto config = sim::PlantConfig::Load(o.config);
  if (!config.ok()) {
    fmt::print(stderr, "strata sim: {}\n", config.status().message());
    return kExitUsage;
  }
  if (!o.broker.empty()) {
    if (Status s = ParseHostPort("--broker", o.broker, &config->host, &config->port); !s.ok()) {
      fmt::print(stderr, "strata sim: --broker: {}\n", s.message());
      return kExitUsage;
    }
  }
  if (!o.duration.empty()) {
    auto d = ParseDuration(o.duration);
    if (!d.ok()) {
      fmt::print(stderr, "strata sim: --duration: {}\n", d.status().message());
      return kExitUsage;
    }
    config->duration_ns = *d;
  }
  if (o.seed >= 0) config->seed = static_cast<uint64_t>(o.seed);
  if (o.check) {
    fmt::print("{}: OK — {} machines, {} faults, publishing to {}:{}\n", o.config,
               config->machines.size(), config->faults.size(), config->host, config->port);
    return kExitOk;
  }
  sim::PlantPublisher publisher(std::move(*config), Clock::System());
  std::atomic<bool> done{false};
  Status result;
  std::thread runner([&] {
    result = publisher.Run();
    done = true;
  });
  while (!done.load()) {
    if (WaitForTermination(200 * kNsPerMs) != 0) {
      publisher.Stop();
      break;
    }
  }
  runner.join();
  if (!result.ok()) {
    spdlog::error("sim: {}", result.message());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

CommandRunner AddSimCommand(CLI::App& root) {
  auto o = std::make_shared<SimOptions>();
  CLI::App* cmd = root.add_subcommand(
      "sim",
      "Run the simulated plant: pumps and motors with physically plausible signals (vibration "
      "waveforms with bearing defect tones, temperatures, current, energy, production) and "
      "faults that develop, published over MQTT. Writes the fault ground truth to a file.");
  cmd->add_option("-c,--config", o->config, "Plant configuration (YAML), e.g. examples/plant.yaml")
      ->required();
  cmd->add_flag("--check", o->check, "Validate the configuration and exit");
  cmd->add_option("--broker", o->broker, "Override the broker, host:port");
  cmd->add_option("--duration", o->duration, "Stop after this much simulated time (e.g. 1h)");
  cmd->add_option("--seed", o->seed, "Override the random seed");
  cmd->footer(kExitCodes);
  return [o] { return RunSim(*o); };
}

}  // namespace strata
