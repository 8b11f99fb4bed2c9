// The hub store's SQLite engine: one database file in WAL mode with synchronous=FULL, the
// embedded default for a single hub.
//
// Threading: as HubStore says, every method is thread-safe. Writes (ingest, registry, tokens)
// go through one writer connection under a mutex; queries use a small pool of read-only
// connections, so they read a committed snapshot and never wait for a write in progress.
// Several store objects (in one process or several) may open the same file: SQLite lets one
// of them write at a time, the others wait up to a busy timeout (then Unavailable).
#pragma once

#include <memory>

#include "core/status.h"
#include "hub/store/hub_store.h"

namespace strata {

// Opens `options.sqlite_path` (creating the file and the schema when missing). Errors name the
// file and what to do: a missing directory, a file that is not a hub store (e.g. an edge
// store), a schema written by a newer strata.
StatusOr<std::unique_ptr<HubStore>> OpenSqliteHubStore(const HubStoreOptions& options);

}  // namespace strata
