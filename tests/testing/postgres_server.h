// A real PostgreSQL server owned by a test: a fresh cluster (initdb) in a temporary directory,
// listening on 127.0.0.1 on a free port and on a unix socket in that directory, with fsync on.
// Stopped and removed on destruction.
//
// PostgreSQL refuses to run as root: when the test runs as root (containers, CI), initdb and
// postgres run as the `postgres` system user that Debian's package creates
// (`runuser -u postgres --`), and the directory is handed to that user.
//
// Binaries are looked up in $STRATA_PG_BINDIR, then the newest /usr/lib/postgresql/<v>/bin.
//
// Not thread-safe: one owner. CreateDatabase may be called from any one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/child_process.h"
#include "core/status.h"
#include "testing/testing.h"

namespace strata::testing {

class PostgresServer {
 public:
  // Initialises a cluster and starts the server; waits (by condition) until it accepts
  // connections. Errors say what to do (e.g. "postgresql is not installed: run
  // scripts/deps.sh") and carry initdb's or the server's log.
  static StatusOr<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  const std::string& bin_dir() const { return bin_dir_; }
  // A libpq URL for `database` as the superuser "postgres" over TCP (trust authentication).
  std::string url(std::string_view database = "postgres") const;
  // Creates an empty database named `name` (letters, digits, '_').
  Status CreateDatabase(std::string_view name);
  // Runs one SQL command on `database` as the superuser (for tests that look inside).
  StatusOr<std::string> QueryText(std::string_view database, std::string_view sql);

  // Fast shutdown (SIGINT to the postmaster), waiting for it to finish.
  void Stop();
  // SIGKILL to the server and every backend (a crash), without shutdown.
  void Kill();
  // Starts the server again on the same port and data directory (after Stop or Kill); the
  // server recovers from its WAL as after a crash.
  Status Restart();
  bool running();
  std::string log() const;

 private:
  PostgresServer() = default;
  Status Launch();
  // argv run as the cluster's owner: prefixed with runuser when the test runs as root.
  std::vector<std::string> AsOwner(std::vector<std::string> argv) const;
  std::string data_dir() const { return dir_->File("data"); }

  std::unique_ptr<TempDir> dir_;
  std::string bin_dir_;
  int port_ = 0;
  bool as_postgres_user_ = false;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace strata::testing
