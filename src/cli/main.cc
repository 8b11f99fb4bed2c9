// strata: one binary, one verb per layer (see `strata --help`).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <vector>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/version.h"

int main(int argc, char** argv) {
  // Before any thread exists: SIGINT/SIGTERM are then only taken where verbs wait for them.
  strata::BlockTerminationSignals();

  CLI::App app{
      "Strata — edge-to-cloud AIoT runtime for industrial assets.\n"
      "Reads machines over MQTT, maps every reading onto one schema (assets, signals, UCUM "
      "units, quality), validates it and stores it at the edge.",
      "strata"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("strata ") + strata::kStrataVersion);
  std::string log_level =
      std::getenv("STRATA_LOG_LEVEL") ? std::getenv("STRATA_LOG_LEVEL") : "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error (or STRATA_LOG_LEVEL)")
      ->capture_default_str();
  app.footer(std::string("Run `strata <verb> --help` for a verb's options. ") + strata::kExitCodes);

  std::vector<std::pair<CLI::App*, strata::CommandRunner>> commands;
  auto add = [&](strata::CommandRunner runner) {
    commands.emplace_back(app.get_subcommands({}).back(), std::move(runner));
  };
  add(strata::AddDemoCommand(app));
  add(strata::AddEdgeCommand(app));
  add(strata::AddSimCommand(app));
  add(strata::AddQueryCommand(app));
  add(strata::AddTrainCommand(app));
  add(strata::AddHubCommand(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? strata::kExitOk : strata::kExitUsage;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_level(spdlog::level::from_str(log_level));
  for (auto& [cmd, run] : commands) {
    if (cmd->parsed()) return run();
  }
  return strata::kExitUsage;
}
