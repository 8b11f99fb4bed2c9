#include "edge/metrics_server.h"

#include <charconv>

#include <fmt/format.h>
#include <httplib.h>

namespace strata {

Status ParseHostPort(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  auto error = [&] {
    return InvalidArgumentError(fmt::format(
        "'{}' is not a listen address: write host:port, e.g. 127.0.0.1:9464 (port 0 picks a "
        "free one)",
        listen));
  };
  if (colon == std::string::npos || colon == 0) return error();
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = listen.substr(colon + 1);
  int value = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || ptr != p.data() + p.size() || value < 0 || value > 65535) {
    return error();
  }
  *host = h;
  *port = value;
  return Status::Ok();
}

MetricsServer::MetricsServer(MetricsRegistry& registry, std::function<std::string()> health)
    : registry_(registry), health_(std::move(health)) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort(listen, &host, &port));
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
