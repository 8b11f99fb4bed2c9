#include "testing/postgres_server.h"

#include <dirent.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace strata::testing {
namespace {

constexpr int64_t kInitdbTimeoutNs = 120'000'000'000LL;
constexpr auto kStartTimeout = std::chrono::seconds(60);

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// $STRATA_PG_BINDIR, else the newest /usr/lib/postgresql/<version>/bin with a postgres binary.
std::string FindBinDir() {
  if (const char* env = std::getenv("STRATA_PG_BINDIR"); env != nullptr && *env != '\0') {
    return IsFile(std::string(env) + "/postgres") ? std::string(env) : std::string();
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    const int version = std::atoi(name.c_str());
    const std::string bin = entry.path().string() + "/bin";
    if (version > best_version && IsFile(bin + "/postgres") && IsFile(bin + "/initdb")) {
      best = bin;
      best_version = version;
    }
  }
  return best;
}

// The pids whose parent is `parent` (from /proc).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* e = readdir(proc)) {
    const pid_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces and parentheses; parse after the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(pid);
    }
  }
  closedir(proc);
  return children;
}

// True once `pid` has exited (gone, or a zombie nobody reaped yet).
bool Exited(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  return close == std::string::npos || (close + 2 < line.size() && line[close + 2] == 'Z');
}

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  s->bin_dir_ = FindBinDir();
  if (s->bin_dir_.empty()) {
    return NotFoundError(
        "postgresql is not installed (no /usr/lib/postgresql/<version>/bin/postgres, and "
        "$STRATA_PG_BINDIR is not set): run scripts/deps.sh");
  }
  s->dir_ = std::make_unique<TempDir>();
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root: run it as Debian's `postgres` system user.
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return FailedPreconditionError(
          "the tests run as root, which PostgreSQL refuses, and there is no 'postgres' user to "
          "run it as: install the postgresql package (scripts/deps.sh)");
    }
    if (FindExecutable("runuser").empty()) {
      return FailedPreconditionError(
          "the tests run as root and need runuser (util-linux) to start PostgreSQL as the "
          "'postgres' user");
    }
    if (::chown(s->dir_->path().c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return FailedPreconditionError(fmt::format("cannot hand '{}' to the postgres user: {}",
                                                 s->dir_->path(), std::strerror(errno)));
    }
    s->as_postgres_user_ = true;
  }
  STRATA_ASSIGN_OR_RETURN(s->port_, FreeTcpPort());

  ChildProcess::Options initdb;
  // --no-sync: a throwaway cluster need not be flushed by initdb; the server runs with fsync.
  initdb.argv = s->AsOwner({s->bin_dir_ + "/initdb", "-D", s->data_dir(), "-U", "postgres",
                            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"});
  initdb.log_file = s->dir_->File("initdb.log");
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> p, ChildProcess::Spawn(initdb));
  const std::optional<int> code = p->WaitFor(kInitdbTimeoutNs);
  if (code != 0) {
    return UnavailableError(
        fmt::format("initdb ({}) failed{}: {}", s->bin_dir_,
                    code.has_value() ? fmt::format(" with exit code {}", *code) : " to finish",
                    ReadTextFile(s->dir_->File("initdb.log"))));
  }
  STRATA_RETURN_IF_ERROR(s->Launch());
  return s;
}

std::vector<std::string> PostgresServer::AsOwner(std::vector<std::string> argv) const {
  if (!as_postgres_user_) return argv;
  std::vector<std::string> wrapped = {FindExecutable("runuser"), "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

Status PostgresServer::Launch() {
  ChildProcess::Options o;
  o.argv = AsOwner({bin_dir_ + "/postgres", "-D", data_dir(), "-h", "127.0.0.1", "-p",
                    std::to_string(port_), "-k", dir_->path(), "-c", "fsync=on", "-c",
                    "max_connections=200", "-c", "shared_buffers=32MB"});
  o.log_file = dir_->File("postgres.log");
  STRATA_ASSIGN_OR_RETURN(process_, ChildProcess::Spawn(o));
  const std::string ping =
      fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres connect_timeout=2", port_);
  bool exited = false;
  const bool up = WaitUntil(
      [&] {
        if (process_->Poll().has_value()) {
          exited = true;
          return true;
        }
        return PQping(ping.c_str()) == PQPING_OK;
      },
      kStartTimeout);
  if (exited || !up) {
    return UnavailableError(fmt::format("postgres ({}) did not start on 127.0.0.1:{}{}: {}",
                                        bin_dir_, port_, exited ? " (it exited)" : "", log()));
  }
  return Status::Ok();
}

PostgresServer::~PostgresServer() { Stop(); }

std::string PostgresServer::url(std::string_view database) const {
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, database);
}

Status PostgresServer::CreateDatabase(std::string_view name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
      })) {
    return InvalidArgumentError(fmt::format("bad test database name '{}'", name));
  }
  return QueryText("postgres", fmt::format("CREATE DATABASE \"{}\"", name)).status();
}

StatusOr<std::string> PostgresServer::QueryText(std::string_view database, std::string_view sql) {
  const std::unique_ptr<PGconn, PgConnDeleter> c(PQconnectdb(url(database).c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return UnavailableError(
        fmt::format("postgres 127.0.0.1:{}: {}", port_, PQerrorMessage(c.get())));
  }
  const std::unique_ptr<PGresult, PgResultDeleter> r(PQexec(c.get(), std::string(sql).c_str()));
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return InternalError(
        fmt::format("postgres 127.0.0.1:{}: '{}': {}", port_, sql, PQerrorMessage(c.get())));
  }
  if (status == PGRES_TUPLES_OK && PQntuples(r.get()) > 0 && PQnfields(r.get()) > 0) {
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  return std::string();
}

namespace {

pid_t PostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

void PostgresServer::Stop() {
  if (!process_) return;
  // SIGINT to the postmaster: fast shutdown (backends end, a checkpoint is written). The child
  // we own is runuser when running as root; it exits when postgres does.
  const pid_t pm = PostmasterPid(data_dir());
  if (pm > 0 && !process_->Poll().has_value()) ::kill(pm, SIGINT);
  if (!process_->WaitFor(30'000'000'000LL).has_value()) process_->Terminate();
  process_.reset();
}

void PostgresServer::Kill() {
  if (!process_) return;
  // Backends run in their own sessions (postgres calls setsid), so the process group is not
  // enough: kill the postmaster, then each of its children, then wait until all are gone (a
  // new postmaster refuses to start while an old backend holds the shared memory).
  const pid_t pm = PostmasterPid(data_dir());
  std::vector<pid_t> all;
  if (pm > 0) {
    all = ChildrenOf(pm);
    ::kill(pm, SIGKILL);
    for (pid_t child : all) ::kill(child, SIGKILL);
    all.push_back(pm);
  }
  // As root our child is runuser, the postmaster's parent: it reaps the postmaster and exits.
  // Until the postmaster is reaped its pid still exists, and a new postmaster would take the
  // lock file for a live one's.
  if (!process_->WaitFor(10'000'000'000LL).has_value()) process_->Kill();
  process_.reset();
  WaitUntil([&] { return std::all_of(all.begin(), all.end(), Exited); });
}

Status PostgresServer::Restart() {
  if (process_) Stop();
  return Launch();
}

bool PostgresServer::running() { return process_ && !process_->Poll().has_value(); }

std::string PostgresServer::log() const { return ReadTextFile(dir_->File("postgres.log")); }

}  // namespace strata::testing
