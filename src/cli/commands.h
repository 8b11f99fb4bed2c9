// The subcommands of `strata`. Each Add*Command registers its options on the root app and
// returns the function that runs it (called when that subcommand was given); the function
// returns the process exit code (see kExitCodes).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace strata {

using CommandRunner = std::function<int()>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // something failed at run time
inline constexpr int kExitUsage = 2;    // bad command line or configuration

inline constexpr const char* kExitCodes =
    "Exit codes: 0 success, 1 failure at run time, 2 bad command line or configuration.";

CommandRunner AddEdgeCommand(CLI::App& root);
CommandRunner AddSimCommand(CLI::App& root);
CommandRunner AddQueryCommand(CLI::App& root);
CommandRunner AddDemoCommand(CLI::App& root);
CommandRunner AddTrainCommand(CLI::App& root);
CommandRunner AddHubCommand(CLI::App& root);

}  // namespace strata
