#include "cli/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <utility>
#include <thread>

#include <fmt/format.h>

#include "cli/signals.h"

namespace strata {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    const size_t colon = path.find(':', start);
    const std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos
                                                                         : colon - start);
    if (!dir.empty()) {
      const std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

std::string SelfExecutable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "strata" : p.string();
}

namespace {

// The kernel's range of ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range): the source
// ports of outgoing connections and the ports handed out by bind(port 0).
std::pair<int, int> EphemeralPortRange() {
  std::FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  int lo = 32768;
  int hi = 60999;
  if (f != nullptr) {
    if (std::fscanf(f, "%d %d", &lo, &hi) != 2) {
      lo = 32768;
      hi = 60999;
    }
    std::fclose(f);
  }
  return {lo, hi};
}

// Binds 127.0.0.1:port (0: the kernel picks); the bound port, or 0 if it is taken.
int TryBindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

// Below the ephemeral range: a port the kernel hands out to bind(0) or to an outgoing
// connection can be taken by any process between this check and the server's own bind — on a
// busy machine (the test suite opens thousands of loopback connections) that happened within
// seconds. Below the range only another caller of this function can take it.
StatusOr<int> FreeTcpPort() {
  // A port handed out is not bound until its user starts (the demo picks all its ports, then
  // starts its parts one by one), so the picker never hands out the same port twice.
  static std::mutex mu;
  static std::set<int> handed_out;
  static std::mt19937 rng(static_cast<uint32_t>(
      std::random_device{}() ^ static_cast<uint32_t>(getpid()) ^
      static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count())));
  std::lock_guard lock(mu);
  const auto [lo, hi] = EphemeralPortRange();
  const int top = lo - 1;
  const int bottom = std::max(1024, lo - 12000);
  if (top > bottom) {
    std::uniform_int_distribution<int> pick(bottom, top);
    for (int attempt = 0; attempt < 64; ++attempt) {
      const int port = pick(rng);
      if (!handed_out.contains(port) && TryBindLoopback(port) == port) {
        handed_out.insert(port);
        return port;
      }
    }
  }
  const int port = TryBindLoopback(0);
  if (port == 0) {
    return UnavailableError(fmt::format("cannot find a free TCP port on 127.0.0.1 (ports {}-{})",
                                        bottom, hi));
  }
  return port;
}

bool WaitForTcpPort(const std::string& host, int port, int64_t timeout_ns) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  while (true) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Polling a condition (the port accepting) in short steps, bounded by the deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const Options& options) {
  if (options.argv.empty()) return InvalidArgumentError("no program to start");
  const std::string program = FindExecutable(options.argv[0]);
  if (program.empty()) {
    return NotFoundError(fmt::format("program '{}' not found in PATH (run `make deps`?)",
                                     options.argv[0]));
  }
  int log_fd = -1;
  if (!options.log_file.empty()) {
    log_fd = open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return UnavailableError(fmt::format("cannot open log file '{}': {}", options.log_file,
                                          std::strerror(errno)));
    }
  }
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const auto& e : options.env) env_storage.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    if (log_fd >= 0) close(log_fd);
    return UnavailableError(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    UnblockAllSignals();
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->name_ = std::filesystem::path(program).filename().string();
  child->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  return child;
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) Terminate(5'000'000'000LL);
  if (pidfd_ >= 0) close(pidfd_);
}

std::optional<int> ChildProcess::Poll() {
  if (exit_code_) return exit_code_;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_code_ = DecodeWaitStatus(status);
  return exit_code_;
}

std::optional<int> ChildProcess::WaitFor(int64_t timeout_ns) {
  if (Poll()) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return Poll();
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    } else {
      // No pidfd (old kernel): poll the exit status in short steps up to the deadline.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(left, 20)));
    }
    if (Poll()) return exit_code_;
  }
}

bool ChildProcess::Signal(int sig) { return !exit_code_ && kill(pid_, sig) == 0; }

int ChildProcess::Terminate(int64_t timeout_ns) {
  if (Poll()) return *exit_code_;
  Signal(SIGTERM);
  if (auto code = WaitFor(timeout_ns)) return *code;
  return Kill();
}

int ChildProcess::Kill() {
  if (Poll()) return *exit_code_;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = DecodeWaitStatus(status);
  return *exit_code_;
}

}  // namespace strata
