#include "hub/store/hub_store.h"

#include <fmt/format.h>

#include "hub/store/postgres/postgres_hub_store.h"
#include "hub/store/sqlite/sqlite_hub_store.h"

namespace strata {

namespace {

constexpr std::string_view kRoleNames[] = {"viewer", "technician", "engineer", "admin",
                                           "bootstrap"};

}  // namespace

std::string_view RoleName(Role role) {
  const auto index = static_cast<size_t>(role);
  return index < std::size(kRoleNames) ? kRoleNames[index] : std::string_view("unknown");
}

std::optional<Role> ParseRole(std::string_view name) {
  for (size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

StatusOr<std::unique_ptr<HubStore>> OpenHubStore(const HubStoreOptions& options) {
  switch (options.engine) {
    case HubStoreOptions::Engine::kSqlite:
      if (options.sqlite_path.empty()) {
        return InvalidArgumentError(
            "hub store: engine sqlite needs a path (store: {engine: sqlite, path: ...})");
      }
      return OpenSqliteHubStore(options);
    case HubStoreOptions::Engine::kPostgres:
      if (options.postgres_url.empty()) {
        return InvalidArgumentError(
            "hub store: engine postgres needs a url (store: {engine: postgres, url: "
            "postgresql://user@host:5432/strata})");
      }
      return OpenPostgresHubStore(options);
  }
  return InvalidArgumentError(
      fmt::format("hub store: unknown engine {}", static_cast<int>(options.engine)));
}

}  // namespace strata
