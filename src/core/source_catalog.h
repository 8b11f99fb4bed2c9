// SourceCatalog: interns where readings come from (protocol, endpoint, address), so that an
// observation carries a 4-byte SourceId instead of three strings.
//
// Thread-safe: Intern and Get may be called concurrently. Entries are never removed or
// changed, so a SourceId stays valid for the catalog's lifetime.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/ids.h"

namespace strata {

struct Source {
  std::string protocol;  // "mqtt", "modbus", "opcua", "sparkplug"
  std::string endpoint;  // "tcp://127.0.0.1:1883"
  std::string address;   // topic, register, node id

  friend bool operator==(const Source&, const Source&) = default;
};

class SourceCatalog {
 public:
  SourceId Intern(std::string_view protocol, std::string_view endpoint, std::string_view address);
  // The source with this id; `id` must come from Intern on this catalog.
  Source Get(SourceId id) const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::deque<Source> sources_;  // deque: references stay valid as it grows
  std::unordered_map<std::string, SourceId> index_;
};

}  // namespace strata
