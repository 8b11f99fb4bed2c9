#include "edge/metrics_server.h"

#include <sys/socket.h>

#include <charconv>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "core/host_port.h"

namespace strata {

MetricsServer::MetricsServer(MetricsRegistry& registry, std::function<std::string()> health)
    : registry_(registry), health_(std::move(health)) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort("metrics.listen", listen, &host, &port));
  server_ = std::make_unique<httplib::Server>();
  // As the hub's API server: only SO_REUSEADDR (cpp-httplib's default SO_REUSEPORT lets a
  // second server bind the same port), and TCP_NODELAY (else each keep-alive response waits
  // ~40 ms for the scraper's delayed ACK).
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_tcp_nodelay(true);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const std::string problem = health_ ? health_() : "";
    if (problem.empty()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(problem + "\n", "text/plain");
    }
  });
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ < 0) {
    server_.reset();
    return UnavailableError(fmt::format(
        "cannot listen on {} for /metrics: address in use or not local; choose another "
        "metrics.listen (\"off\" disables it)",
        listen));
  }
  // The socket is bound already: connections made before the thread accepts wait in the
  // listen backlog.
  listen_returned_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // stop() does nothing until the server is marked running: wait for that (microseconds), so a
  // Stop() right after Start() cannot leave the thread blocked in accept().
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace strata
