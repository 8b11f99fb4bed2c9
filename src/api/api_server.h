// ApiServer: the hub's HTTP server — the REST API under /api/v1 (JSON, bearer tokens with
// roles; see docs/api.md), its OpenAPI document at /api/v1/openapi.json, Prometheus text at
// /metrics and a health check at /healthz — over HTTP or HTTPS (cpp-httplib).
//
// Every route comes from one table (api_routes.h): the dispatcher, the parameter checks, the
// role checks and the OpenAPI document all read it. Requests run on a fixed pool of worker
// threads with a bounded backlog (bounded_task_queue.h). The server is stateless apart from
// its metrics: several hubs can serve the same store.
//
// Metrics it adds to the registry it is given:
//   strata_api_requests_total{method,route,status}       requests answered
//   strata_api_request_duration_seconds_bucket{route,le} cumulative latency buckets
//   strata_api_request_duration_seconds_sum{route}       total time spent answering
//   strata_api_auth_failures_total{reason}               401s and 403s by why
//
// Threading: Start and Stop are called from one controlling thread; handlers run on the worker
// threads and call the HubStore, which is thread-safe. The store, the registry and the clock
// must outlive the server.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_routes.h"
#include "api/route.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/status.h"
#include "hub/store/hub_store.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace strata::api {

struct ApiServerOptions {
  // "host:port"; port 0 picks a free port (see ApiServer::port()). IPv6 as "[::1]:8443".
  std::string listen = "127.0.0.1:8080";
  // HTTPS when both are set: PEM files of the server certificate (chain) and its key.
  std::string tls_cert_file;
  std::string tls_key_file;
  size_t threads = 8;                  // worker threads
  size_t max_queued_connections = 64;  // accepted, waiting for a worker; then backpressure
  size_t max_body_bytes = 64 << 10;    // request bodies above this get 413
  int keep_alive_seconds = 5;          // an idle keep-alive connection holds a worker this long
  // A directory served at "/" (the web console), or "" for none.
  std::string static_dir;
  // Returns "" when the hub is healthy, else what is wrong (GET /healthz answers 503 with it).
  std::function<std::string()> health;
  // Gives an enrolling edge its own broker login (POST /api/v1/enrol); empty: this hub does not
  // enrol edges (the route answers 409 saying how to turn it on).
  ProvisionEdge provision_edge;
  // Called after PUT /api/v1/edges/{id}/desired stored a new version; may be empty.
  std::function<void()> desired_changed;
};

class ApiServer {
 public:
  ApiServer(HubStore& store, MetricsRegistry& metrics, ApiServerOptions options,
            const Clock& clock = Clock::System());
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the address and starts serving; when it returns OK, connections are accepted.
  // InvalidArgument for a bad listen address or unreadable TLS files; Unavailable when the
  // address is taken. Errors name the option and what to do.
  Status Start();
  // Stops accepting, finishes the requests in progress and joins the threads. Idempotent.
  void Stop();

  int port() const { return port_; }
  bool tls() const;
  // "http://127.0.0.1:<port>" or "https://...": where a client on this host reaches it.
  std::string base_url() const;

  // The route table and the OpenAPI document generated from it.
  const std::vector<Route>& routes() const { return routes_; }
  const nlohmann::json& openapi() const { return openapi_; }

 private:
  // Matches, authenticates, checks parameters and answers one request; sets `route_label` to
  // the route's template for metrics.
  void Handle(const httplib::Request& req, httplib::Response& res, std::string* route_label);

  HubStore& store_;
  MetricsRegistry& metrics_;
  ApiServerOptions options_;
  const Clock& clock_;
  std::vector<Route> routes_;
  nlohmann::json openapi_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_returned_{false};
  std::string host_;
  int port_ = 0;
};

}  // namespace strata::api
