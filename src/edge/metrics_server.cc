#include "edge/metrics_server.h"

#include <charconv>

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
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace strata
