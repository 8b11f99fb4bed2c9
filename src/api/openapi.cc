#include "api/openapi.h"

#include <cctype>

#include <fmt/format.h>

namespace strata::api {
namespace {

using nlohmann::json;

json ParamSchema(const ParamSpec& p) {
  switch (p.type) {
    case ParamType::kString:
      return {{"type", "string"}, {"maxLength", p.max_length}};
    case ParamType::kInteger: {
      json s = {{"type", "integer"}, {"format", "int64"}, {"minimum", p.min}, {"maximum", p.max}};
      if (p.default_value) s["default"] = *p.default_value;
      return s;
    }
    case ParamType::kTime:
      return {{"type", "string"},
              {"description",
               "RFC 3339 (2026-11-23T10:15:30Z), integer ns since the epoch, \"now\", or "
               "relative to now (-1h, -30m)"}};
    case ParamType::kBoolean: {
      json s = {{"type", "boolean"}};
      if (p.default_value) s["default"] = *p.default_value != 0;
      return s;
    }
  }
  return {{"type", "string"}};
}

json ErrorResponse(std::string_view description) {
  return {{"description", description},
          {"content",
           {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

json ErrorSchema() {
  json code = {{"type", "string"},
               {"description",
                "bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, "
                "payload_too_large, unavailable, internal"}};
  json error = {{"type", "object"},
                {"required", {"code", "message"}},
                {"properties",
                 {{"code", code},
                  {"message", {{"type", "string"}, {"description", "for a person"}}},
                  {"required_role", {{"type", "string"}, {"description", "403: role needed"}}},
                  {"role", {{"type", "string"}, {"description", "403: role held"}}}}}};
  return {{"type", "object"}, {"required", {"error"}}, {"properties", {{"error", error}}}};
}

json BuildOpenApi(const std::vector<Route>& routes, std::string_view version) {
  json paths = json::object();
  for (const Route& r : routes) {
    json op;
    op["summary"] = r.summary;
    std::string description = r.description;
    if (r.role) {
      description += fmt::format("{}Needs a token with role {} or above.",
                                 description.empty() ? "" : "\n\n", RoleName(*r.role));
      op["x-strata-role"] = std::string(RoleName(*r.role));
      op["security"] = json::array({{{"bearerAuth", json::array()}}});
    } else {
      op["security"] = json::array();
    }
    if (!description.empty()) op["description"] = description;
    if (!r.tag.empty()) op["tags"] = {r.tag};
    std::string operation_id = r.method;
    for (char c : r.path) {
      operation_id += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
    }
    op["operationId"] = operation_id;
    json params = json::array();
    for (const ParamSpec& p : r.params) {
      json param = {{"name", p.name},
                    {"in", p.in == ParamIn::kPath ? "path" : "query"},
                    {"required", p.in == ParamIn::kPath || p.required},
                    {"description", p.description},
                    {"schema", ParamSchema(p)}};
      params.push_back(std::move(param));
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!r.request_schema.is_null()) {
      op["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", r.request_schema}}}}}};
    }
    json responses;
    json ok = {{"description", "success"}};
    if (r.response_content_type == "application/json") {
      ok["content"] = {{"application/json", {{"schema", r.response_schema}}}};
    } else {
      ok["content"] = {{r.response_content_type, {{"schema", {{"type", "string"}}}}}};
    }
    responses[std::to_string(r.success_status)] = std::move(ok);
    if (!r.params.empty() || !r.request_schema.is_null()) {
      responses["400"] = ErrorResponse("a parameter or the body is invalid (the message names it)");
    }
    if (r.role) {
      responses["401"] = ErrorResponse("no token, an unknown token or a revoked token");
      responses["403"] = ErrorResponse("the token's role is below the role this route needs");
    }
    for (const ParamSpec& p : r.params) {
      if (p.in == ParamIn::kPath) {
        responses["404"] = ErrorResponse("no such " + p.name);
        break;
      }
    }
    if (r.role) responses["503"] = ErrorResponse("the hub store is unavailable; retry");
    op["responses"] = std::move(responses);
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = std::move(op);
  }
  return {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Strata hub API"},
        {"version", version},
        {"description",
         "The REST API of the Strata hub. Times are RFC 3339 strings (UTC, ns precision) in "
         "responses; parameters also take integer ns since the epoch, \"now\" and relative "
         "times (-1h). Asset paths contain '/': in a URL path they are one segment with each "
         "'/' written %2F."}}},
      {"servers", json::array({{{"url", "/"}}})},
      {"paths", std::move(paths)},
      {"components",
       {{"securitySchemes",
         {{"bearerAuth",
           {{"type", "http"},
            {"scheme", "bearer"},
            {"description", "st_<id>_<secret>, made by `strata hub token create` or POST "
                            "/api/v1/tokens"}}}}},
        {"schemas", {{"Error", ErrorSchema()}}}}}};
}

}  // namespace strata::api
