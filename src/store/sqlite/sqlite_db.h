// A small RAII layer over the SQLite C API: a connection (Db), prepared statements
// (Statement) and a transaction guard (Transaction). Every call that can fail returns a
// Status whose message names the database file, what was being done and SQLite's own message.
//
// Generic on purpose: the edge store and the hub's SQLite engine both build on it.
//
// Threading: connections are opened in SQLite's multi-thread mode (SQLITE_OPEN_NOMUTEX), so a
// Db and every Statement prepared on it must be used by one thread at a time (callers
// synchronize). Separate Db objects, in one process or several, may use the same file
// concurrently as SQLite allows (WAL: one writer, many readers).
//
// Lifetimes: a Statement or Transaction must not outlive the Db it was made from.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace strata::sqlite {

// Maps an SQLite result code to a Status code: BUSY/LOCKED/IOERR -> Unavailable,
// CORRUPT/NOTADB -> DataLoss, FULL/NOMEM -> ResourceExhausted, READONLY/PERM/AUTH ->
// FailedPrecondition, CANTOPEN -> NotFound, CONSTRAINT -> AlreadyExists, MISMATCH/RANGE/TOOBIG
// -> InvalidArgument, anything else -> Internal. OK/ROW/DONE -> Ok.
Status StatusFromSqlite(int rc, std::string message);

class Db;

// Parameter values for Statement::BindAll besides integers, doubles and text (std::string_view,
// copied by SQLite).
struct Null {};
// Copied by SQLite.
struct Blob {
  std::string_view bytes;
};
// Not copied: the bytes must stay valid and unchanged until the parameter is bound again or
// the statement is destroyed (Reset keeps bindings). For values that outlive the statement,
// or that are rebound before every Step.
struct StaticText {
  std::string_view text;
};
struct StaticBlob {
  std::string_view bytes;
};

// A prepared statement; finalized on destruction. Parameter and column indexes follow SQLite:
// parameters count from 1, columns from 0.
//
// The usual cycle is Bind* ... Step (until it returns false) ... Reset. A statement that is
// left stepped (e.g. after an error) keeps its read snapshot open until Reset; use
// Statement::ResetGuard to reset on every path.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  bool valid() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }
  // The SQL text it was prepared from.
  std::string_view sql() const;

  Status BindInt64(int index, int64_t value) {
    return Check(sqlite3_bind_int64(stmt_, index, value));
  }
  Status BindDouble(int index, double value) {
    return Check(sqlite3_bind_double(stmt_, index, value));
  }
  Status BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index)); }
  // The bytes are copied unless `transient` is false, in which case they must stay valid
  // and unchanged until the statement is reset or rebound (SQLITE_STATIC).
  Status BindText(int index, std::string_view text, bool transient = true) {
    return Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(),
                                     transient ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8));
  }
  Status BindBlob(int index, std::string_view bytes, bool transient = true) {
    return Check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(),
                                     transient ? SQLITE_TRANSIENT : SQLITE_STATIC));
  }

  Status BindValue(int index, std::integral auto value) {
    return BindInt64(index, static_cast<int64_t>(value));
  }
  Status BindValue(int index, double value) { return BindDouble(index, value); }
  Status BindValue(int index, std::string_view text) { return BindText(index, text); }
  Status BindValue(int index, StaticText text) { return BindText(index, text.text, false); }
  Status BindValue(int index, Blob blob) { return BindBlob(index, blob.bytes); }
  Status BindValue(int index, StaticBlob blob) { return BindBlob(index, blob.bytes, false); }
  Status BindValue(int index, Null) { return BindNull(index); }
  template <typename T>
  Status BindValue(int index, const std::optional<T>& value) {
    return value.has_value() ? BindValue(index, *value) : BindNull(index);
  }
  // Binds `values` to parameters 1, 2, ... in order; stops at the first error.
  template <typename... Args>
  Status BindAll(const Args&... values) {
    Status status;
    int index = 0;
    ((status.ok() ? static_cast<void>(status = BindValue(++index, values)) : static_cast<void>(0)),
     ...);
    return status;
  }

  // Runs the statement to its next row: true when a row is available, false when done.
  StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return StepError(rc);
  }
  // Steps a statement that returns no rows (or whose rows are not wanted) to completion and
  // resets it, keeping its bindings.
  Status Run();
  // Resets the statement so it can run again; bindings are kept.
  Status Reset();

  int column_count() const { return sqlite3_column_count(stmt_); }
  bool ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
  // Valid until the next Step, Reset or column access of another type on the same column.
  std::string_view ColumnText(int col) const;
  std::string_view ColumnBlob(int col) const;

  // Resets the statement when it goes out of scope (errors on reset are ignored: the step
  // that failed already reported them).
  class ResetGuard {
   public:
    explicit ResetGuard(Statement& stmt) : stmt_(stmt.stmt_) {}
    ResetGuard(const ResetGuard&) = delete;
    ResetGuard& operator=(const ResetGuard&) = delete;
    ~ResetGuard() {
      if (stmt_ != nullptr) sqlite3_reset(stmt_);
    }

   private:
    sqlite3_stmt* stmt_;
  };

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, const Db* db) : stmt_(stmt), db_(db) {}

  Status Check(int rc) const {
    if (rc == SQLITE_OK) return Status::Ok();
    return BindError(rc);
  }
  Status BindError(int rc) const;
  Status StepError(int rc) const;

  sqlite3_stmt* stmt_ = nullptr;
  const Db* db_ = nullptr;
};

// One connection. Unique ownership; closes on destruction (statements must be gone by then).
class Db {
 public:
  // `flags` are SQLITE_OPEN_* flags; SQLITE_OPEN_NOMUTEX is always added. A NotFound or
  // DataLoss error names `path`.
  static StatusOr<std::unique_ptr<Db>> Open(const std::string& path, int flags);

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  sqlite3* get() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more SQL statements, discarding any rows.
  Status Exec(std::string_view sql);
  StatusOr<Statement> Prepare(std::string_view sql) const;
  // Runs `sql`, which must return one row with one integer column (e.g. a PRAGMA).
  StatusOr<int64_t> QueryInt64(std::string_view sql);
  // Same for a text column; NULL reads as "".
  StatusOr<std::string> QueryText(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  int64_t changes() const { return sqlite3_changes64(db_); }
  int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

  // A Status for result code `rc`: "sqlite '<path>': <doing>: <SQLite's message>".
  Status Error(int rc, std::string_view doing) const;

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

// Begins a transaction and rolls it back on destruction unless Commit succeeded.
class Transaction {
 public:
  enum class Mode {
    kDeferred,   // BEGIN: takes locks on first use
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now (writers use this)
  };

  static StatusOr<Transaction> Begin(Db& db, Mode mode = Mode::kImmediate);

  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() { Rollback(); }

  // On error the transaction is still open; the destructor (or Rollback) undoes it.
  Status Commit();
  // Undoes the transaction now if it is still open. Idempotent.
  void Rollback();

 private:
  explicit Transaction(Db* db) : db_(db) {}

  Db* db_;  // null once committed or rolled back
};

}  // namespace strata::sqlite
