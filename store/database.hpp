// The database of record: PostgreSQL through libpq, behind a bounded pool per instance.
// This is where horizontal scaling meets its next wall. Every instance holds up to
// `pool_size` connections, and N instances x pool size must fit in the server's
// max_connections; an instance that opens a connection per request (as a function-as-
// a-service instance does) pays a connect for every request instead. Both are
// measured here (the db_* metrics), and both fail in their own words:
//  - DbUnavailable(pool_exhausted): our own pool had no connection free within the
//    checkout timeout: the instance is the bound;
//  - DbUnavailable(too_many_connections): the server refused a new connection: the
//    budget shared by every instance is spent;
//  - DbUnavailable(timeout): the server cut a statement short at the statement timeout;
//  - DbUnavailable(unavailable): the server is down or unreachable, or did not answer
//    at all: a connect that timed out, a statement with no answer past its timeout.
// All of them are StoreUnavailable (the service answers 503 with Retry-After). A query
// the server rejected is DbQueryError with its SQLSTATE, for the caller to judge.
// A connection that saw a transport error is closed, never pooled again, and an idle
// one is probed before use, so a restarted server costs no failed request.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "store/bounded_pool.hpp"
#include "store/errors.hpp"

namespace scalelab::store {

// Why a database call failed. `constraint` is a statement the schema refused (a CHECK,
// a unique key: SQLSTATE class 23), which callers usually turn into an answer of their
// own (409 out_of_stock); `query` is any other refused statement.
enum class DbCause { unavailable, too_many_connections, pool_exhausted, timeout, constraint, query };
std::string_view to_string(DbCause cause);
inline constexpr DbCause kDbCauses[] = {DbCause::unavailable, DbCause::too_many_connections, DbCause::pool_exhausted,
                                        DbCause::timeout,     DbCause::constraint,           DbCause::query};

class DbUnavailable : public StoreUnavailable {
 public:
  DbUnavailable(DbCause cause, const std::string& detail)
      : StoreUnavailable("postgres", std::string(to_string(cause)) + ": " + detail), cause_(cause) {}
  DbCause db_cause() const { return cause_; }

 private:
  DbCause cause_;
};

class DbQueryError : public StoreError {
 public:
  DbQueryError(std::string sqlstate, const std::string& detail)
      : StoreError("postgres", detail), sqlstate_(std::move(sqlstate)) {}
  // Five characters (https://www.postgresql.org/docs/15/errcodes-appendix.html).
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// How an instance connects: through its pool, or a connection of its own per request.
enum class DbConnect { pooled, per_request };
// "pooled" or "per-request". Throws std::invalid_argument otherwise.
DbConnect parse_db_connect(const std::string& text);
std::string_view to_string(DbConnect mode);

struct DatabaseOptions {
  std::string url;  // libpq's: postgresql://user@host:port/dbname
  std::size_t pool_size = 10;
  DbConnect connect = DbConnect::pooled;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds checkout_timeout{1000};
  std::chrono::milliseconds statement_timeout{5000};
  // Added to every query while it holds its connection: a slower database, so what a
  // cache in front of it saves stays visible on one laptop.
  std::chrono::milliseconds query_delay{0};
};

// A query's rows; cells are text (libpq's text format), NULL is nullopt.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result, &PQclear) {}
  int size() const { return PQntuples(result_.get()); }
  bool empty() const { return size() == 0; }
  std::optional<std::string_view> cell(int row, int column) const;
  std::string text(int row, int column) const;  // "" for NULL
  std::int64_t integer(int row, int column) const;
  double number(int row, int column) const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t affected() const;

  // For DbConnection: a null result means libpq lost the connection.
  bool ok() const { return result_ != nullptr; }
  ExecStatusType status() const { return ok() ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR; }
  std::string sqlstate() const;
  const char* error_message() const { return PQresultErrorMessage(result_.get()); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// A libpq connection. Not thread-safe; a request uses it through a DbSession.
class DbConnection {
 public:
  // Throws DbUnavailable (unavailable, too_many_connections); a connect that timed out
  // is unavailable.
  explicit DbConnection(const DatabaseOptions& options);
  ~DbConnection();
  DbConnection(const DbConnection&) = delete;
  DbConnection& operator=(const DbConnection&) = delete;

  // Waits for the server through common/waits.hpp (on an event loop, the loop serves
  // others meanwhile), at most the statement timeout plus the connect timeout: past
  // that the server is not answering, and the connection is broken (DbUnavailable
  // unavailable). The server's own statement timeout is DbUnavailable timeout.
  Rows exec(std::string_view sql, const std::vector<std::optional<std::string>>& params);
  // False when the server closed it or sent something unasked (a restart's goodbye).
  bool idle_and_open() const;
  bool broken() const { return broken_; }

 private:
  // Sends the query and collects its last result as PQexec would, without blocking in
  // libpq. nullptr when the connection failed (PQerrorMessage says why).
  PGresult* send_and_collect(const std::string& text, const std::vector<const char*>& values);

  PGconn* conn_;
  bool broken_ = false;
  std::chrono::milliseconds answer_timeout_;
};

class Database;

// One request's use of the database: a connection checked out of the pool (or opened,
// per request) for as long as the session lives. It counts its queries, for the
// X-DB-Queries header and the db_queries_per_request histogram.
class DbSession {
 public:
  DbSession(DbSession&&) noexcept;
  DbSession& operator=(DbSession&&) = delete;
  ~DbSession();

  // One statement, $1.. bound to `params` (without params, a script of statements may
  // run; the rows are the last one's). Throws DbUnavailable or DbQueryError.
  Rows exec(std::string_view sql, const std::vector<std::optional<std::string>>& params = {});
  int queries() const { return queries_; }

  // BEGIN ... COMMIT. A transaction neither committed nor already failed is rolled
  // back when it goes out of scope.
  class Transaction {
   public:
    explicit Transaction(DbSession& session);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

   private:
    DbSession& session_;
    bool open_ = true;
  };

 private:
  friend class Database;
  using Lease = BoundedPool<DbConnection>::Lease;
  DbSession(Database& db, std::optional<Lease> lease, std::unique_ptr<DbConnection> own);
  DbConnection& connection();

  Database* db_;
  std::optional<Lease> lease_;         // pooled
  std::unique_ptr<DbConnection> own_;  // per request
  int queries_ = 0;
};

class Database {
 public:
  // Connects lazily: the first session opens the first connection.
  Database(DatabaseOptions options, std::shared_ptr<prometheus::Registry> registry);

  // Checks a connection out (or opens one, per request). Throws DbUnavailable.
  DbSession session();
  // Why the database cannot serve now, or nullopt: a statement succeeded within the
  // last two seconds (a busy pool is not a down database), or a SELECT 1 does now.
  // Never throws.
  std::optional<std::string> unready_reason() noexcept;

  const DatabaseOptions& options() const { return options_; }
  std::size_t open_connections() { return pool_.open() + per_request_open_.load(); }

 private:
  friend class DbSession;
  void count_error(DbCause cause);
  void update_gauges();

  DatabaseOptions options_;
  BoundedPool<DbConnection> pool_;
  std::atomic<std::size_t> per_request_open_{0};
  std::atomic<std::int64_t> last_ok_ns_{0};  // steady clock, of the last successful statement
  std::shared_ptr<prometheus::Registry> registry_;  // keeps the series below alive
  prometheus::Gauge* pool_size_;
  prometheus::Gauge* open_;
  prometheus::Gauge* in_use_;
  prometheus::Gauge* waiting_;
  prometheus::Histogram* wait_seconds_;
  prometheus::Histogram* queries_per_request_;
  prometheus::Histogram* query_seconds_;
  prometheus::Counter* opened_;
  std::vector<prometheus::Counter*> errors_;  // by DbCause
};

// Statements the request being served sent since its last reset(): kept per thread, or
// per fiber on an event loop (waits::task_local), the unit that serves one request.
// An instance resets the count when a request starts and reads it when it ends: the
// X-DB-Queries header.
struct DbQueryCounter {
  static void reset() noexcept;
  static int count() noexcept;
};

// True when the server at `url` accepts connections now (libpq's PQping: a server
// still starting up says no). Never throws.
bool server_accepts(const std::string& url) noexcept;

// Creates the role `app_role` (login, no superuser) and a database `name` it owns,
// when they do not exist: run once by the lab or a test against a new server, as its
// superuser, so the instances connect as an ordinary role whose connections count
// against max_connections minus the superuser's reserve. Throws DbUnavailable or
// DbQueryError.
void bootstrap_database(const std::string& superuser_url, const std::string& app_role, const std::string& name);

}  // namespace scalelab::store
