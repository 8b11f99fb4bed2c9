#include "core/source_catalog.h"

namespace strata {

SourceId SourceCatalog::Intern(std::string_view protocol, std::string_view endpoint,
                               std::string_view address) {
  std::string key;
  key.reserve(protocol.size() + endpoint.size() + address.size() + 2);
  key.append(protocol).push_back('\x1f');
  key.append(endpoint).push_back('\x1f');
  key.append(address);
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  const auto id = static_cast<SourceId>(sources_.size());
  sources_.push_back(Source{std::string(protocol), std::string(endpoint), std::string(address)});
  index_.emplace(std::move(key), id);
  return id;
}

Source SourceCatalog::Get(SourceId id) const {
  std::lock_guard lock(mu_);
  return sources_.at(id);
}

size_t SourceCatalog::size() const {
  std::lock_guard lock(mu_);
  return sources_.size();
}

}  // namespace strata
