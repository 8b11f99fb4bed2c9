#include "api/api_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <exception>
#include <fstream>

#include "api/api_routes.h"
#include "api/auth.h"
#include "api/bounded_task_queue.h"
#include "api/openapi.h"
#include "core/host_port.h"

#ifndef STRATA_API_VERSION
#define STRATA_API_VERSION "0.0.0"
#endif

namespace strata::api {
namespace {

using nlohmann::json;

// Upper bounds (seconds) of the latency buckets.
constexpr double kLatencyBuckets[] = {0.001, 0.005, 0.025, 0.1, 0.5, 2.5};

std::string ErrorCodeFor(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

// Invalid UTF-8 (a dead letter's raw payload, a mangled name) becomes U+FFFD instead of
// failing the whole response.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void SetError(httplib::Response& res, int status, const std::string& message,
              json extra = json::object()) {
  json error = {{"code", ErrorCodeFor(status)}, {"message", message}};
  for (auto& [k, v] : extra.items()) error[k] = v;
  res.status = status;
  res.set_content(Dump({{"error", std::move(error)}}), "application/json");
}

bool Readable(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

ApiServer::ApiServer(HubStore& store, MetricsRegistry& metrics, ApiServerOptions options,
                     const Clock& clock)
    : store_(store), metrics_(metrics), options_(std::move(options)), clock_(clock) {
  routes_ = MakeApiRoutes(
      {store_, metrics_, options_.health, options_.provision_edge, options_.desired_changed});
  routes_.push_back({.method = "GET",
                     .path = "/api/v1/openapi.json",
                     .tag = "operations",
                     .summary = "This API's OpenAPI 3 document",
                     .response_schema = {{"type", "object"}},
                     .handler = [this](const RouteRequest&) -> StatusOr<Reply> {
                       return Reply{200, openapi_, {}, {}};
                     }});
  openapi_ = BuildOpenApi(routes_, STRATA_API_VERSION);
}

ApiServer::~ApiServer() { Stop(); }

bool ApiServer::tls() const {
  return !options_.tls_cert_file.empty() && !options_.tls_key_file.empty();
}

std::string ApiServer::base_url() const {
  const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
  const std::string shown = host == "0.0.0.0" ? "127.0.0.1" : host == "[::]" ? "[::1]" : host;
  return fmt::format("{}://{}:{}", tls() ? "https" : "http", shown, port_);
}

Status ApiServer::Start() {
  if (server_) return FailedPreconditionError("the API server is already started");
  int port = 0;
  STRATA_RETURN_IF_ERROR(ParseHostPort("api.listen", options_.listen, &host_, &port));
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return InvalidArgumentError(
        "api.tls needs both cert_file and key_file; set both for HTTPS or neither for HTTP");
  }
  if (options_.threads == 0 || options_.max_queued_connections == 0) {
    return InvalidArgumentError("api.threads and the connection backlog must be at least 1");
  }
  if (tls()) {
    for (const std::string* f : {&options_.tls_cert_file, &options_.tls_key_file}) {
      if (!Readable(*f)) {
        return InvalidArgumentError(fmt::format(
            "cannot read the API's TLS file {}: check the path and its permissions", *f));
      }
    }
    auto ssl = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                    options_.tls_key_file.c_str());
    if (!ssl->is_valid()) {
      return InvalidArgumentError(fmt::format(
          "the API's TLS certificate {} and key {} were not accepted by OpenSSL: check both are "
          "PEM and that the key belongs to the certificate",
          options_.tls_cert_file, options_.tls_key_file));
    }
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }

  const size_t threads = options_.threads;
  const size_t queued = options_.max_queued_connections;
  // cpp-httplib owns and deletes the queue it gets from this factory (its API).
  server_->new_task_queue = [threads, queued] { return new BoundedTaskQueue(threads, queued); };
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind the same
  // port and silently take half of the connections: keep only SO_REUSEADDR (a restart can
  // bind while old connections linger in TIME_WAIT).
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // A response goes out in two writes (headers, body); without TCP_NODELAY the second waits
  // for the client's delayed ACK, ~40 ms on every keep-alive request (measured by hub_bench).
  server_->set_tcp_nodelay(true);
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_keep_alive_timeout(options_.keep_alive_seconds);
  server_->set_read_timeout(10);
  server_->set_write_timeout(10);
  // The console's files: revalidated on every load (cpp-httplib sends no validators, so a hub
  // upgrade is picked up at once), never sniffed into another type, and limited by a policy
  // that lets them run only the hub's own scripts (text from the edges is never markup).
  const httplib::Headers console_headers = {
      {"Cache-Control", "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'"}};
  if (!options_.static_dir.empty() &&
      !server_->set_mount_point("/", options_.static_dir, console_headers)) {
    server_.reset();
    return InvalidArgumentError(fmt::format(
        "the console directory {} does not exist or is not a directory", options_.static_dir));
  }

  auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    std::string route_label = "unmatched";
    try {
      Handle(req, res, &route_label);
    } catch (const std::exception& e) {
      spdlog::error("api: {} {} failed: {}", req.method, req.path, e.what());
      SetError(res, 500, "the hub failed answering this request; its log has the details");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_
        .GetCounter("strata_api_requests_total", "API requests answered, by route and status",
                    {{"method", req.method},
                     {"route", route_label},
                     {"status", std::to_string(res.status)}})
        .Add();
    for (double le : kLatencyBuckets) {
      if (seconds <= le) {
        metrics_
            .GetCounter("strata_api_request_duration_seconds_bucket",
                        "API requests answered within `le` seconds (cumulative)",
                        {{"route", route_label}, {"le", fmt::format("{}", le)}})
            .Add();
      }
    }
    metrics_
        .GetCounter("strata_api_request_duration_seconds_bucket",
                    "API requests answered within `le` seconds (cumulative)",
                    {{"route", route_label}, {"le", "+Inf"}})
        .Add();
    metrics_
        .GetGauge("strata_api_request_duration_seconds_sum",
                  "Total seconds spent answering API requests", {{"route", route_label}})
        .Add(seconds);
  };
  // Every request goes to one dispatcher that matches the route table on the raw target (see
  // route.h: cpp-httplib's own matching runs on the decoded path, where %2F is a '/').
  const std::string all = ".*";
  server_->Get(all, dispatch);
  server_->Post(all, dispatch);
  server_->Put(all, dispatch);
  server_->Patch(all, dispatch);
  server_->Delete(all, dispatch);
  server_->Options(all, dispatch);
  // What cpp-httplib refuses before a handler runs (a body over the limit, a malformed
  // request line) still gets a JSON error body.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    SetError(res, res.status,
             res.status == 413 ? "the request body is too large" : "the request was refused");
  });

  if (port == 0) {
    port_ = server_->bind_to_any_port(host_);
  } else {
    port_ = server_->bind_to_port(host_, port) ? port : -1;
  }
  if (port_ < 0) {
    server_.reset();
    port_ = 0;
    return UnavailableError(fmt::format(
        "cannot listen on {} for the API: the address is in use or not an address of this "
        "host; choose another api.listen",
        options_.listen));
  }
  listen_returned_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    listen_returned_ = true;
  });
  // cpp-httplib's stop() does nothing until listen_after_bind has marked the server running;
  // wait for that (microseconds), so that a Stop() right after Start() cannot leave the accept
  // thread blocked in accept() forever.
  while (!server_->is_running() && !listen_returned_) std::this_thread::yield();
  spdlog::info("api: serving on {} ({} routes, OpenAPI at /api/v1/openapi.json)", base_url(),
               routes_.size());
  return Status::Ok();
}

void ApiServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

void ApiServer::Handle(const httplib::Request& req, httplib::Response& res,
                       std::string* route_label) {
  const std::string_view target = req.target;
  const std::string_view raw_path = target.substr(0, target.find('?'));
  StatusOr<std::vector<std::string>> segments = SplitPath(raw_path);
  if (!segments.ok()) {
    SetError(res, 400, segments.status().message());
    return;
  }
  const RouteMatch match = MatchRoute(routes_, req.method, *segments);
  if (match.route == nullptr) {
    if (!match.allowed_methods.empty()) {
      std::string allowed;
      for (const std::string& m : match.allowed_methods) {
        allowed += (allowed.empty() ? "" : ", ") + m;
      }
      res.set_header("Allow", allowed);
      SetError(res, 405,
               fmt::format("{} is not allowed on {}; use {}", req.method, raw_path, allowed));
      return;
    }
    std::string hint;
    if (raw_path.starts_with("/api/v1/assets/")) {
      hint =
          "; an asset path is one segment: write each '/' in it as %2F "
          "(/api/v1/assets/acme%2Fplant-1%2Fpump-01)";
    } else if (raw_path == "/" && options_.static_dir.empty()) {
      hint =
          "; this hub serves no web console: set api.console in hub.yaml to the console's "
          "directory (docs/console.md)";
    } else if (raw_path == "/") {
      hint = fmt::format("; the console directory {} has no index.html", options_.static_dir);
    }
    SetError(res, 404,
             fmt::format("no route {} {}{} (GET /api/v1/openapi.json lists the routes)", req.method,
                         raw_path, hint));
    return;
  }
  const Route& route = *match.route;
  *route_label = route.path;

  RouteRequest request;
  request.now_ns = clock_.NowNs();
  request.path = match.path_params;
  for (const ParamSpec& p : route.params) {
    if (p.in != ParamIn::kPath) continue;
    if (request.Path(p.name).size() > p.max_length) {
      SetError(res, 400,
               fmt::format("path parameter '{}' is longer than {} bytes", p.name, p.max_length));
      return;
    }
  }

  if (route.role) {
    StatusOr<AuthResult> auth = Authenticate(store_, req.get_header_value("Authorization"));
    if (!auth.ok()) {
      spdlog::warn("api: cannot check a token: {}", auth.status().message());
      SetError(res, 503, "the hub cannot check tokens right now (its store is unavailable); retry");
      return;
    }
    if (!auth->token) {
      metrics_
          .GetCounter("strata_api_auth_failures_total", "API requests refused 401 or 403",
                      {{"reason", std::string(AuthFailureName(auth->failure))}})
          .Add();
      res.set_header("WWW-Authenticate", "Bearer realm=\"strata\"");
      SetError(res, 401, auth->message);
      return;
    }
    if (!RoleAtLeast(auth->token->role, *route.role)) {
      metrics_
          .GetCounter("strata_api_auth_failures_total", "API requests refused 401 or 403",
                      {{"reason", "role"}})
          .Add();
      const std::string needs =
          *route.role == Role::kBootstrap
              ? std::string("a bootstrap or admin token")
              : fmt::format("role {} or above", RoleName(*route.role));
      const std::string note = auth->token->role == Role::kBootstrap
                                   ? " (a bootstrap token can only enrol edges)"
                                   : "";
      SetError(res, 403,
               fmt::format("{} {} needs {}; token {} (\"{}\") has role {}{}", route.method,
                           route.path, needs, auth->token->id, auth->token->name,
                           RoleName(auth->token->role), note),
               {{"required_role", std::string(RoleName(*route.role))},
                {"role", std::string(RoleName(auth->token->role))}});
      return;
    }
    request.token = std::move(auth->token);
  }

  if (Status s = CheckParams(route, req.params, request); !s.ok()) {
    SetError(res, 400, s.message());
    return;
  }
  if (!route.request_schema.is_null()) {
    const std::string type = req.get_header_value("Content-Type");
    if (!type.empty() && type.find("json") == std::string::npos) {
      SetError(res, 400,
               fmt::format("the body must be JSON (Content-Type: application/json); got {}", type));
      return;
    }
    request.body = req.body;
  } else if (!req.body.empty()) {
    SetError(res, 400, fmt::format("{} {} takes no request body", route.method, route.path));
    return;
  }

  StatusOr<Reply> reply = route.handler(request);
  if (!reply.ok()) {
    const int status = HttpStatusFor(reply.status().code());
    if (status >= 500) {
      spdlog::error("api: {} {}: {}", req.method, route.path, reply.status().ToString());
    }
    SetError(res, status,
             status == 500 ? "the hub failed answering this request; its log has the details"
                           : reply.status().message());
    return;
  }
  res.status = reply->status;
  if (!reply->content_type.empty()) {
    res.set_content(reply->text, reply->content_type);
  } else {
    res.set_content(Dump(reply->body), "application/json");
  }
}

}  // namespace strata::api
