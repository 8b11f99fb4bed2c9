#include "store/sqlite/sqlite_db.h"

#include <fmt/format.h>

#include <utility>

namespace strata::sqlite {

Status StatusFromSqlite(int rc, std::string message) {
  switch (rc & 0xff) {  // the primary code; extended codes keep it in the low byte
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return UnavailableError(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(message));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return ResourceExhaustedError(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return FailedPreconditionError(std::move(message));
    case SQLITE_CANTOPEN:
      return NotFoundError(std::move(message));
    case SQLITE_CONSTRAINT:
      return AlreadyExistsError(std::move(message));
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return InvalidArgumentError(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

// --- Statement ---

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

std::string_view Statement::sql() const {
  const char* text = stmt_ != nullptr ? sqlite3_sql(stmt_) : nullptr;
  return text != nullptr ? std::string_view(text) : std::string_view();
}

Status Statement::Run() {
  ResetGuard reset(*this);
  for (;;) {
    StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

Status Statement::Reset() {
  // sqlite3_reset repeats the error of the last step, which was already reported.
  sqlite3_reset(stmt_);
  return Status::Ok();
}

std::string_view Statement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::string_view Statement::ColumnBlob(int col) const {
  const void* blob = sqlite3_column_blob(stmt_, col);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

Status Statement::BindError(int rc) const {
  return db_->Error(rc, fmt::format("binding a parameter of '{}'", sql()));
}

Status Statement::StepError(int rc) const {
  return db_->Error(rc, fmt::format("running '{}'", sql()));
}

// --- Db ---

StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  // Even on error SQLite usually allocates a handle (holding the message); own it now.
  std::unique_ptr<Db> db(new Db(raw, path));
  if (rc != SQLITE_OK) {
    if (raw == nullptr)
      return ResourceExhaustedError(fmt::format("sqlite '{}': out of memory opening it", path));
    return db->Error(rc, "opening");
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Db::~Db() {
  // sqlite3_close (not _v2): every Statement must already be finalized; if one is not, the
  // close fails and the handle leaks rather than being used after free.
  sqlite3_close(db_);
}

Status Db::Exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
  return Error(rc, fmt::format("running '{}'", sql));
}

StatusOr<Statement> Db::Prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, fmt::format("preparing '{}'", sql));
  }
  if (stmt == nullptr)
    return InvalidArgumentError(fmt::format("sqlite '{}': no statement in '{}'", path_, sql));
  return Statement(stmt, this);
}

StatusOr<int64_t> Db::QueryInt64(std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError(fmt::format("sqlite '{}': '{}' returned no row", path_, sql));
  return stmt.ColumnInt64(0);
}

StatusOr<std::string> Db::QueryText(std::string_view sql) {
  STRATA_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  STRATA_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return InternalError(fmt::format("sqlite '{}': '{}' returned no row", path_, sql));
  return std::string(stmt.ColumnText(0));
}

Status Db::Error(int rc, std::string_view doing) const {
  // The connection's message belongs to the last failing call; fall back to the generic text
  // of the code when they disagree (e.g. after a later successful call).
  const char* msg = db_ != nullptr && (sqlite3_extended_errcode(db_) & 0xff) == (rc & 0xff)
                        ? sqlite3_errmsg(db_)
                        : sqlite3_errstr(rc);
  return StatusFromSqlite(rc, fmt::format("sqlite '{}': {}: {}", path_, doing, msg));
}

// --- Transaction ---

StatusOr<Transaction> Transaction::Begin(Db& db, Mode mode) {
  STRATA_RETURN_IF_ERROR(db.Exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&db);
}

Status Transaction::Commit() {
  if (db_ == nullptr) return InternalError("sqlite: Commit of a transaction that is not open");
  STRATA_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  db_ = nullptr;
  return Status::Ok();
}

void Transaction::Rollback() {
  if (db_ == nullptr) return;
  // SQLite may already have rolled back by itself (e.g. after SQLITE_FULL); then there is
  // nothing to undo and ROLLBACK would fail.
  if (db_->in_transaction()) db_->Exec("ROLLBACK").IgnoreError();  // nothing more to do
  db_ = nullptr;
}

}  // namespace strata::sqlite
