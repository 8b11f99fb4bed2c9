// The hub store's PostgreSQL engine (libpqxx): for several hub replicas sharing one database,
// and for data that outgrows one file.
//
// - Observations live in a table partitioned by source-time range; a partition covers
//   HubStoreOptions::partition_ns (fixed when the database is created, kept in strata_meta) and
//   is created on demand before the first row that needs it, idempotently, under an advisory
//   lock, so two hubs racing to create the same partition both succeed.
// - IngestBatch runs in one transaction: it locks the (edge, stream) progress row
//   (SELECT ... FOR UPDATE; the row is inserted first with ON CONFLICT DO NOTHING), plans with
//   PlanIngest, bulk-inserts the new rows with COPY (pqxx::stream_to), upserts the latest state
//   per signal and writes progress. Concurrent batches of one (edge, stream) from several hubs
//   therefore serialize; batches of other streams do not wait for each other.
// - Text PostgreSQL cannot hold (NUL bytes, invalid UTF-8) in an uplinked batch is stored with
//   U+FFFD in its place rather than refusing the batch for ever.
// - Every value reaches the server as a parameter or as COPY data; nothing a user or an edge
//   sent is put into SQL text.
//
// Threading: every method is thread-safe. A pool of HubStoreOptions::postgres_connections
// connections is shared by the calling threads; a call waits for a free connection. A lost
// connection is replaced on the next call (a call that loses its connection is retried once
// on a new one, as ingest is idempotent; calls that fail that way return Unavailable).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/store/hub_store.h"

namespace strata {

// Connects to `options.postgres_url` and creates the schema when the database has none. Errors
// name the server (the URL without its password) and what to do.
StatusOr<std::unique_ptr<HubStore>> OpenPostgresHubStore(const HubStoreOptions& options);

// `url` with any password replaced by "***", for messages and logs.
std::string RedactPostgresUrl(std::string_view url);

}  // namespace strata
