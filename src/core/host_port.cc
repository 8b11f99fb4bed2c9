#include "core/host_port.h"

#include <fmt/format.h>

#include <charconv>

namespace strata {

Status ParseHostPort(std::string_view what, const std::string& address, std::string* host,
                     int* port) {
  const size_t colon = address.rfind(':');
  auto error = [&] {
    return InvalidArgumentError(fmt::format(
        "{} '{}' is not an address: write host:port, e.g. 127.0.0.1:8080 (port 0 picks a free "
        "one)",
        what, address));
  };
  if (colon == std::string::npos || colon == 0) return error();
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = address.substr(colon + 1);
  int value = -1;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (h.empty() || ec != std::errc() || ptr != p.data() + p.size() || value < 0 || value > 65535) {
    return error();
  }
  *host = std::move(h);
  *port = value;
  return Status::Ok();
}

}  // namespace strata
