#include "api/route.h"

#include <charconv>

#include <fmt/format.h>

#include "core/time_util.h"

namespace strata::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') return std::nullopt;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Quoted for an error message, shortened so a huge value does not flood the reply.
std::string Shown(std::string_view value) {
  constexpr size_t kMax = 64;
  if (value.size() <= kMax) return fmt::format("'{}'", value);
  return fmt::format("'{}...' ({} bytes)", value.substr(0, kMax), value.size());
}

}  // namespace

const std::string& RouteRequest::Path(const std::string& name) const {
  static const std::string kEmpty;
  auto it = path.find(name);
  return it == path.end() ? kEmpty : it->second;
}

std::string RouteRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

int64_t RouteRequest::Number(const std::string& name) const {
  if (auto it = numbers.find(name); it != numbers.end()) return it->second;
  if (auto it = defaults.find(name); it != defaults.end()) return it->second;
  return 0;
}

StatusOr<std::pair<int64_t, int64_t>> RouteRequest::Range(int64_t default_span_ns) const {
  auto from_it = numbers.find("from");
  auto to_it = numbers.find("to");
  const int64_t to = to_it != numbers.end() ? to_it->second : now_ns;
  int64_t from = 0;
  if (from_it != numbers.end()) {
    from = from_it->second;
  } else {
    from = to > INT64_MIN + default_span_ns ? to - default_span_ns : INT64_MIN;
  }
  if (from >= to) {
    return InvalidArgumentError(fmt::format(
        "parameter 'from' ({}) must be before 'to' ({}): the range is [from, to)",
        FormatTimestamp(from, 9), FormatTimestamp(to, 9)));
  }
  return std::make_pair(from, to);
}

StatusOr<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError(fmt::format(
            "malformed percent-escape at byte {} of the path {}: write %XX with two hex digits "
            "(%2F for '/')",
            i, Shown(text)));
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return InvalidArgumentError("the path contains a NUL byte");
    out.push_back(c);
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

StatusOr<std::vector<std::string>> SplitPath(std::string_view raw_path) {
  std::vector<std::string> segments;
  if (raw_path.empty() || raw_path.front() != '/') {
    return InvalidArgumentError(fmt::format("the request path {} does not start with '/'",
                                            Shown(raw_path)));
  }
  size_t start = 1;
  while (true) {
    const size_t slash = raw_path.find('/', start);
    const std::string_view raw = raw_path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    STRATA_ASSIGN_OR_RETURN(std::string segment, PercentDecode(raw));
    segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

RouteMatch MatchRoute(const std::vector<Route>& routes, std::string_view method,
                      const std::vector<std::string>& segments) {
  RouteMatch result;
  for (const Route& route : routes) {
    // The template is ours: split it without decoding.
    std::vector<std::string_view> parts;
    std::string_view tmpl = route.path;
    tmpl.remove_prefix(1);
    while (true) {
      const size_t slash = tmpl.find('/');
      parts.push_back(tmpl.substr(0, slash));
      if (slash == std::string_view::npos) break;
      tmpl.remove_prefix(slash + 1);
    }
    if (parts.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      const std::string_view part = parts[i];
      if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
        if (segments[i].empty()) {
          match = false;
        } else {
          params.emplace(std::string(part.substr(1, part.size() - 2)), segments[i]);
        }
      } else {
        match = part == segments[i];
      }
    }
    if (!match) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      result.route = &route;
      result.path_params = std::move(params);
      return result;
    }
    result.allowed_methods.push_back(route.method);
  }
  return result;
}

StatusOr<int64_t> ParseTimeParam(std::string_view text, int64_t now_ns) {
  if (AllDigits(text)) {
    if (auto ns = ParseInt(text)) return *ns;
    return OutOfRangeError("too large for ns since the epoch");
  }
  return ParseTimeArg(text, now_ns);
}

Status CheckParams(const Route& route, const std::multimap<std::string, std::string>& params,
                   RouteRequest& request) {
  auto declared = [&](const std::string& name) -> const ParamSpec* {
    for (const ParamSpec& p : route.params) {
      if (p.in == ParamIn::kQuery && p.name == name) return &p;
    }
    return nullptr;
  };
  for (const auto& [name, value] : params) {
    const ParamSpec* spec = declared(name);
    if (spec == nullptr) {
      std::string known;
      for (const ParamSpec& p : route.params) {
        if (p.in != ParamIn::kQuery) continue;
        known += known.empty() ? p.name : ", " + p.name;
      }
      return InvalidArgumentError(fmt::format(
          "unknown parameter {} for {} {}; it takes: {}", Shown(name), route.method, route.path,
          known.empty() ? "no query parameters" : known));
    }
    if (params.count(name) > 1) {
      return InvalidArgumentError(fmt::format("parameter '{}' is given more than once", name));
    }
    switch (spec->type) {
      case ParamType::kString:
        if (value.size() > spec->max_length) {
          return InvalidArgumentError(fmt::format("parameter '{}' is longer than {} bytes", name,
                                                  spec->max_length));
        }
        if (spec->required && value.empty()) {
          return InvalidArgumentError(fmt::format("parameter '{}' cannot be empty", name));
        }
        break;
      case ParamType::kInteger: {
        const std::optional<int64_t> n = ParseInt(value);
        if (!n) {
          return InvalidArgumentError(fmt::format(
              "parameter '{}' must be an integer from {} to {}; got {}", name, spec->min,
              spec->max, Shown(value)));
        }
        if (*n < spec->min || *n > spec->max) {
          return InvalidArgumentError(fmt::format(
              "parameter '{}' must be from {} to {}; got {}", name, spec->min, spec->max, *n));
        }
        request.numbers[name] = *n;
        break;
      }
      case ParamType::kTime: {
        StatusOr<int64_t> t = ParseTimeParam(value, request.now_ns);
        if (!t.ok()) {
          return InvalidArgumentError(fmt::format(
              "parameter '{}' must be a time: RFC 3339 (2026-11-23T10:15:30Z), ns since the "
              "epoch, \"now\" or relative to now (-1h); got {} ({})",
              name, Shown(value), t.status().message()));
        }
        request.numbers[name] = *t;
        break;
      }
      case ParamType::kBoolean:
        if (value == "true" || value == "1") {
          request.numbers[name] = 1;
        } else if (value == "false" || value == "0") {
          request.numbers[name] = 0;
        } else {
          return InvalidArgumentError(fmt::format(
              "parameter '{}' must be true or false; got {}", name, Shown(value)));
        }
        break;
    }
    request.query[name] = value;
  }
  for (const ParamSpec& p : route.params) {
    if (p.in != ParamIn::kQuery) continue;
    if (p.required && request.query.count(p.name) == 0) {
      return InvalidArgumentError(
          fmt::format("parameter '{}' is required for {} {}", p.name, route.method, route.path));
    }
    if (p.default_value) request.defaults[p.name] = *p.default_value;
  }
  return Status::Ok();
}

}  // namespace strata::api
