// MetricsServer: serves GET /metrics (Prometheus text) and GET /healthz over HTTP.
//
// Runs cpp-httplib's server on its own thread(s). Thread-safe start/stop from one controlling
// thread; handlers only read thread-safe state (MetricsRegistry, the health callback).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/metrics.h"
#include "core/status.h"

namespace httplib {
class Server;
}

namespace strata {

class MetricsServer {
 public:
  // `health` returns "" when healthy, else what is wrong (served as 503).
  MetricsServer(MetricsRegistry& registry, std::function<std::string()> health);
  ~MetricsServer();

  // `listen` is "host:port"; port 0 picks a free port (see port()). Fails with a clear message
  // when the address is taken or invalid.
  Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }

 private:
  MetricsRegistry& registry_;
  std::function<std::string()> health_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> listen_returned_{false};
};

}  // namespace strata
