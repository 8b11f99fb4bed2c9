// The OpenAPI 3.0 document of the REST API, generated from the route table (route.h): every
// route appears with its method, summary, parameters, least role (in the description and as
// the extension "x-strata-role"), request body and response schema. Pure function.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/route.h"

namespace strata::api {

nlohmann::json BuildOpenApi(const std::vector<Route>& routes, std::string_view version);

// The schema of every error body: {"error": {"code": ..., "message": ...}}.
nlohmann::json ErrorSchema();

}  // namespace strata::api
