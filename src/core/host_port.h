// "host:port" addresses of listeners and peers (IPv6 as "[::1]:8443"), parsed one way for the
// edge's metrics, the hub's API and the command line.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace strata {

// Splits `address` into host and port (0..65535; 0 = pick a free one). InvalidArgument naming
// `what` (e.g. "api.listen") and showing the expected form otherwise.
Status ParseHostPort(std::string_view what, const std::string& address, std::string* host,
                     int* port);

}  // namespace strata
