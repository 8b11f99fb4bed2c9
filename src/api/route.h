// The route table of the REST API: what each route is (method, path template, least role,
// parameters, response schema) and the handler that answers it. The server dispatches by this
// table and the OpenAPI document (openapi.h) is generated from it, so the two cannot drift.
//
// Paths are matched on the raw request target, one segment at a time, and each segment is
// percent-decoded after the split: "/api/v1/assets/acme%2Fplant-1%2Fpump-01" has the single
// path parameter asset = "acme/plant-1/pump-01". (cpp-httplib decodes the whole path before
// its own matching, which would turn %2F into a separator; the server therefore gives every
// request to one dispatcher that uses this matcher.)
//
// Query parameters are checked against the route's declaration before the handler runs: an
// undeclared parameter, a malformed number or time, or a value out of its bounds is answered
// 400 naming the parameter. Handlers read the parsed values from RouteRequest.
//
// Thread-safety: a table is built once and then only read; handlers run concurrently on the
// server's worker threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "hub/store/hub_store.h"

namespace strata::api {

enum class ParamIn { kPath, kQuery };
enum class ParamType {
  kString,
  kInteger,  // a decimal integer within [min, max]
  kTime,     // RFC 3339, ns since the epoch (integer), "now", or relative ("-1h")
  kBoolean,  // true/false/1/0
};

struct ParamSpec {
  std::string name{};
  ParamIn in = ParamIn::kQuery;
  ParamType type = ParamType::kString;
  bool required = false;
  std::string description{};
  int64_t min = 0;  // kInteger: inclusive bounds
  int64_t max = 0;
  std::optional<int64_t> default_value{};  // kInteger / kBoolean
  size_t max_length = 1024;              // kString: bytes
};

// What a handler answers: JSON by default, or text with a content type.
struct Reply {
  int status = 200;
  nlohmann::json body;
  std::string text;          // used when content_type is set
  std::string content_type;  // "" = application/json with `body`
};

// A request after matching and parameter checks.
struct RouteRequest {
  std::map<std::string, std::string> path;   // decoded path parameters
  std::map<std::string, std::string> query;  // declared query parameters present, as sent
  std::map<std::string, int64_t> numbers;    // parsed kInteger / kTime / kBoolean parameters
  std::string body;
  std::optional<ApiToken> token;  // the caller, on routes that need a role
  int64_t now_ns = 0;

  const std::string& Path(const std::string& name) const;
  // The value of a query parameter, "" when absent.
  std::string Query(const std::string& name) const;
  bool Has(const std::string& name) const { return query.count(name) > 0; }
  // A kInteger/kBoolean parameter's parsed value, else its declared default (or 0).
  int64_t Number(const std::string& name) const;
  // The [from, to) range of the "from" and "to" parameters; missing ends default to
  // to = now and from = to - `default_span_ns`. InvalidArgument unless from < to.
  StatusOr<std::pair<int64_t, int64_t>> Range(int64_t default_span_ns) const;

  std::map<std::string, int64_t> defaults;  // declared defaults, filled by the dispatcher
};

using RouteHandler = std::function<StatusOr<Reply>(const RouteRequest&)>;

struct Route {
  std::string method{};  // "GET", "POST", "DELETE"
  std::string path{};  // template, e.g. "/api/v1/assets/{asset}/series"
  std::optional<Role> role{};  // least role needed; nullopt = no token needed
  std::string tag{};
  std::string summary{};
  std::string description{};
  std::vector<ParamSpec> params{};
  nlohmann::json request_schema{};  // null: no request body
  nlohmann::json response_schema{};
  std::string response_content_type = "application/json";
  int success_status = 200;
  RouteHandler handler{};
};

// Splits the path of a raw request target (the part before '?') into percent-decoded
// segments. InvalidArgument for a malformed escape ("%G1", "%4") or a NUL.
StatusOr<std::vector<std::string>> SplitPath(std::string_view raw_path);

// Percent-decodes one segment ('+' stays '+').
StatusOr<std::string> PercentDecode(std::string_view text);
// Percent-encodes everything but unreserved characters (RFC 3986): for building URLs.
std::string PercentEncode(std::string_view text);

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method and path
  std::map<std::string, std::string> path_params;
  std::vector<std::string> allowed_methods;  // path known but not with this method (405)
};

RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view method,
                      const std::vector<std::string>& segments);

// Checks the query parameters of a request against the route's declaration and fills
// `request.query`, `request.numbers` and `request.defaults`. InvalidArgument naming the
// parameter for anything undeclared, missing, malformed or out of bounds.
Status CheckParams(const Route& route, const std::multimap<std::string, std::string>& params,
                   RouteRequest& request);

// Parses a time parameter: RFC 3339, integer ns since the epoch, "now", or a duration
// relative to now ("-1h", "+5m").
StatusOr<int64_t> ParseTimeParam(std::string_view text, int64_t now_ns);

}  // namespace strata::api
