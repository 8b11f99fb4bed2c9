// ChildProcess: starts and stops helper processes (the broker, `strata edge`, `strata sim`)
// for `strata demo` and the end-to-end tests.
//
// A child runs in its own process group (Ctrl-C reaches only the parent, which stops the
// children in order) and receives SIGTERM if the parent dies, so nothing is left behind.
//
// Not thread-safe: one owner.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace strata {

class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is the program (a path, or looked up in PATH)
    std::string log_file;           // stdout and stderr appended here; "" = inherit
    std::vector<std::string> env;   // extra "KEY=VALUE" entries
  };

  static StatusOr<std::unique_ptr<ChildProcess>> Spawn(const Options& options);
  // Terminates the child if it still runs.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // The exit code if the child has exited (128 + signal if killed), without blocking.
  std::optional<int> Poll();
  // Waits up to `timeout_ns` for the child to exit.
  std::optional<int> WaitFor(int64_t timeout_ns);
  // SIGTERM, wait up to `timeout_ns`, then SIGKILL. Returns the exit code.
  int Terminate(int64_t timeout_ns = 10'000'000'000LL);
  // SIGKILL and reap (a crash, for tests).
  int Kill();
  bool Signal(int sig);

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::string name_;
  std::optional<int> exit_code_;
};

// `name` found in PATH, or in /usr/sbin and /sbin (where Debian puts mosquitto); "" if none.
std::string FindExecutable(const std::string& name);
// The path of the running program.
std::string SelfExecutable();
// A TCP port on 127.0.0.1 that was free a moment ago, chosen below the kernel's ephemeral range
// so that no outgoing connection or bind(0) of another process takes it meanwhile, and never
// one this process was handed before. Thread-safe.
StatusOr<int> FreeTcpPort();
// Waits until a TCP connection to host:port succeeds, up to `timeout_ns`.
bool WaitForTcpPort(const std::string& host, int port, int64_t timeout_ns);

}  // namespace strata
