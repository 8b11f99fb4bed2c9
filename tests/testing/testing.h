// Helpers for tests and benchmarks that run real parts: temporary directories, waiting on a
// condition with a deadline (never a bare sleep), and a real mosquitto broker on a free
// loopback port.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/child_process.h"
#include "core/status.h"

struct mosquitto;

namespace strata::testing {

// A fresh directory under $TMPDIR, removed (with its contents) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Polls `condition` until it holds or `timeout` passes; returns its last value. The waits
// between polls are short and bounded: this is waiting on a condition, not sleeping.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Writes `text` to `path` (overwriting).
void WriteTextFile(const std::string& path, const std::string& text);
std::string ReadTextFile(const std::string& path);

// The login name of the process's user.
std::string CurrentUserName();

// Runs a command to completion (output to `log_file`); an error with the command, its exit code
// and its output when it does not exit 0 within `timeout_ns`.
Status RunCommand(const std::vector<std::string>& argv, const std::string& log_file,
                  int64_t timeout_ns = 60'000'000'000LL);

// Test certificates made with openssl in `dir`: a CA (ca.crt, ca.key) and a server certificate
// for 127.0.0.1 signed by it (server.crt, server.key), valid for two days.
Status MakeTestCertificates(const TempDir& dir);

// The strata binary under test ($STRATA_BINARY, set by ctest) and the source tree.
std::string StrataBinary();
std::string SourceDir();

// A mosquitto broker owned by the test. Listens on 127.0.0.1 only.
class MosquittoBroker {
 public:
  struct Options {
    int port = 0;             // 0: a free port
    bool persistence = true;  // keep sessions and queued messages across restarts
    int max_queued_messages = 1000000;
    std::string extra_config;  // appended lines
  };
  // Starts the broker and waits until it accepts connections.
  static StatusOr<std::unique_ptr<MosquittoBroker>> Start(Options options);
  static StatusOr<std::unique_ptr<MosquittoBroker>> Start() { return Start(Options()); }
  ~MosquittoBroker();

  int port() const { return options_.port; }
  // Clean stop (SIGTERM: mosquitto saves its persistence file).
  void Stop();
  // Hard stop (SIGKILL).
  void Kill();
  // Starts again on the same port with the same persistence directory.
  Status Restart();
  bool running();
  std::string log() const;

 private:
  MosquittoBroker() = default;
  Status Launch();

  Options options_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ChildProcess> process_;
};

// A TCP peer on 127.0.0.1 (a free port) that accepts any number of clients and answers each
// request it reads with `answer(request)`; an empty answer sends nothing (a stalled peer).
// Answers are sent best effort (a client that stops reading never blocks the peer). For tests
// of how a connector survives a misbehaving server. port() is 0 when it could not listen.
class MisbehavingPeer {
 public:
  using Answer = std::function<std::string(std::string_view request)>;
  explicit MisbehavingPeer(Answer answer);
  ~MisbehavingPeer();
  MisbehavingPeer(const MisbehavingPeer&) = delete;
  MisbehavingPeer& operator=(const MisbehavingPeer&) = delete;

  int port() const { return port_; }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void Run();

  const Answer answer_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> clients_;  // peer thread only
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// An MQTT client that collects what the broker delivers on one topic filter (QoS 1), e.g.
// what the edge publishes. Thread-safe accessors.
class MqttListener {
 public:
  MqttListener(int port, const std::string& filter);
  ~MqttListener();
  MqttListener(const MqttListener&) = delete;
  MqttListener& operator=(const MqttListener&) = delete;

  bool subscribed() const { return subscribed_; }
  std::vector<std::pair<std::string, std::string>> messages();  // topic, payload

 private:
  std::string filter_;
  ::mosquitto* m_ = nullptr;
  std::atomic<bool> subscribed_{false};
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

}  // namespace strata::testing
