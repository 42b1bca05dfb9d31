// PostgreSQL through libpq: connections, the pool in front of them, the error causes and
// the db_* metrics. Its contract is in database.hpp.
#include "store/database.hpp"

#include <poll.h>

#include <charconv>
#include <regex>
#include <stdexcept>
#include <thread>

#include "common/waits.hpp"

namespace scalelab::store {
namespace {

using Clock = std::chrono::steady_clock;

// The queries of the request being served: per thread, or per fiber on an event loop.
struct QueriesThisRequest {
  int count = 0;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What the server (or pgbouncer in front of it) says when its connection budget is spent.
bool says_too_many(const std::string& message) {
  return message.find("too many clients") != std::string::npos ||
         message.find("remaining connection slots are reserved") != std::string::npos ||
         message.find("no more connections allowed") != std::string::npos;
}

// A connect that timed out is the database unreachable (down, frozen, or shutting down
// on a loaded machine), not `timeout`, which names a statement the server itself cut short.
DbCause connect_cause(const std::string& message) {
  return says_too_many(message) ? DbCause::too_many_connections : DbCause::unavailable;
}

std::string first_line(const char* text) {
  std::string s = text != nullptr ? text : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

// The URL without a password, for messages.
std::string redacted(const std::string& url) { return std::regex_replace(url, std::regex(":[^:@/]*@"), ":***@"); }

}  // namespace

std::string_view to_string(DbCause cause) {
  switch (cause) {
    case DbCause::unavailable: return "unavailable";
    case DbCause::too_many_connections: return "too_many_connections";
    case DbCause::pool_exhausted: return "pool_exhausted";
    case DbCause::timeout: return "timeout";
    case DbCause::constraint: return "constraint";
    case DbCause::query: return "query";
  }
  return "unavailable";
}

DbConnect parse_db_connect(const std::string& text) {
  if (text == "pooled") return DbConnect::pooled;
  if (text == "per-request" || text == "per_request") return DbConnect::per_request;
  throw std::invalid_argument("database connect mode must be 'pooled' or 'per-request' (got '" + text + "')");
}

std::string_view to_string(DbConnect mode) { return mode == DbConnect::pooled ? "pooled" : "per-request"; }

std::optional<std::string_view> Rows::cell(int row, int column) const {
  if (PQgetisnull(result_.get(), row, column)) return std::nullopt;
  return std::string_view(PQgetvalue(result_.get(), row, column),
                          static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::string Rows::text(int row, int column) const { return std::string(cell(row, column).value_or("")); }

std::int64_t Rows::integer(int row, int column) const {
  const auto c = cell(row, column).value_or("");
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
  if (ec != std::errc() || end != c.data() + c.size())
    throw StoreError("postgres", "column " + std::to_string(column) + " is not an integer: '" + std::string(c) + "'");
  return v;
}

double Rows::number(int row, int column) const {
  const auto c = cell(row, column).value_or("");
  double v = 0;
  auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), v);
  if (ec != std::errc() || end != c.data() + c.size())
    throw StoreError("postgres", "column " + std::to_string(column) + " is not a number: '" + std::string(c) + "'");
  return v;
}

std::string Rows::sqlstate() const {
  const char* code = ok() ? PQresultErrorField(result_.get(), PG_DIAG_SQLSTATE) : nullptr;
  return code != nullptr ? code : "";
}

std::int64_t Rows::affected() const {
  const char* n = PQcmdTuples(result_.get());
  return n == nullptr || *n == '\0' ? 0 : std::atoll(n);
}

DbConnection::DbConnection(const DatabaseOptions& options)
    : answer_timeout_(options.statement_timeout + options.connect_timeout) {
  const std::string server_options = "-c statement_timeout=" + std::to_string(options.statement_timeout.count());
  const char* keys[] = {"dbname", "options", "application_name", nullptr};
  const char* values[] = {options.url.c_str(), server_options.c_str(), "scalelab", nullptr};
  // libpq's non-blocking connect, each step waited for through waits.hpp; the timeout is
  // enforced here (libpq's connect_timeout only applies to its blocking connect).
  conn_ = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (conn_ == nullptr) throw DbUnavailable(DbCause::unavailable, "libpq could not allocate a connection");
  const auto deadline = Clock::now() + options.connect_timeout;
  std::string message;
  PostgresPollingStatusType step = PGRES_POLLING_WRITING;
  while (PQstatus(conn_) != CONNECTION_BAD && step != PGRES_POLLING_OK && step != PGRES_POLLING_FAILED) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0 ||
        waits::wait_fd(PQsocket(conn_), step == PGRES_POLLING_READING ? POLLIN : POLLOUT, left) == 0) {
      message = "timeout expired";
      break;
    }
    step = PQconnectPoll(conn_);
  }
  if (message.empty() && PQstatus(conn_) != CONNECTION_OK) message = first_line(PQerrorMessage(conn_));
  if (!message.empty()) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw DbUnavailable(connect_cause(message), "connect to " + redacted(options.url) + ": " + message);
  }
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // NOTICEs are not for the instance's log
  PQsetnonblocking(conn_, 1);
}

DbConnection::~DbConnection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PGresult* DbConnection::send_and_collect(const std::string& text, const std::vector<const char*>& values) {
  // Without parameters, the simple protocol, which also runs a script of several
  // statements (a migration); with them, the extended one, values never spliced in.
  const int sent = values.empty() ? PQsendQuery(conn_, text.c_str())
                                  : PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                                      values.data(), nullptr, nullptr, 0);
  if (sent == 0) return nullptr;
  const auto deadline = Clock::now() + answer_timeout_;
  // Waits for the socket; false once the deadline passed (the connection is then
  // useless: the server may still answer this query on it).
  auto wait = [&](short events) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    return left.count() > 0 && waits::wait_fd(PQsocket(conn_), events, left) > 0;
  };
  // No answer even past the server's own statement timeout: the server is frozen or
  // unreachable, so `unavailable`, as a connect that timed out.
  auto timed_out = [&] {
    broken_ = true;
    throw DbUnavailable(DbCause::unavailable, "no answer within " + std::to_string(answer_timeout_.count()) + " ms");
  };
  for (int flushed; (flushed = PQflush(conn_)) != 0;) {
    if (flushed < 0) return nullptr;
    if (!wait(POLLOUT | POLLIN)) timed_out();
    if (PQconsumeInput(conn_) == 0) return nullptr;  // the server may answer while we still send
  }
  // As PQexec: the last result, or the first error (a script stops at its first error).
  PGresult* kept = nullptr;
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      if (!wait(POLLIN)) {
        PQclear(kept);
        timed_out();
      }
      if (PQconsumeInput(conn_) == 0) {
        PQclear(kept);
        return nullptr;
      }
    }
    PGresult* next = PQgetResult(conn_);
    if (next == nullptr) return kept;
    const bool kept_error = kept != nullptr && PQresultStatus(kept) == PGRES_FATAL_ERROR;
    if (kept_error) {
      PQclear(next);
    } else {
      PQclear(kept);
      kept = next;
    }
  }
}

Rows DbConnection::exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  const std::string text(sql);
  Rows rows(send_and_collect(text, values));
  const ExecStatusType status = rows.status();
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return rows;

  const std::string sqlstate = rows.sqlstate();
  const std::string message = first_line(rows.ok() ? rows.error_message() : PQerrorMessage(conn_));
  if (!rows.ok() || PQstatus(conn_) == CONNECTION_BAD || sqlstate.rfind("08", 0) == 0 ||
      sqlstate.rfind("57P0", 0) == 0) {
    broken_ = true;  // lost, or the server is shutting it: never pooled again
    throw DbUnavailable(DbCause::unavailable, message.empty() ? "the connection was lost" : message);
  }
  if (sqlstate == "57014") throw DbUnavailable(DbCause::timeout, message);  // the statement timeout
  if (sqlstate == "53300") throw DbUnavailable(DbCause::too_many_connections, message);
  throw DbQueryError(sqlstate, message);
}

bool DbConnection::idle_and_open() const {
  if (conn_ == nullptr || broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  // An idle connection has nothing to read: readable means the server closed it or said
  // goodbye (a restart's "terminating connection due to administrator command").
  return ::poll(&p, 1, 0) == 0;
}

DbSession::DbSession(Database& db, std::optional<Lease> lease, std::unique_ptr<DbConnection> own)
    : db_(&db), lease_(std::move(lease)), own_(std::move(own)) {}

DbSession::DbSession(DbSession&& other) noexcept
    : db_(other.db_), lease_(std::move(other.lease_)), own_(std::move(other.own_)), queries_(other.queries_) {
  other.db_ = nullptr;
  other.lease_.reset();
}

DbSession::~DbSession() {
  if (db_ == nullptr) return;
  if (queries_ > 0) db_->queries_per_request_->Observe(queries_);
  if (lease_) {
    if ((*lease_)->broken()) lease_->discard();
    lease_.reset();
  }
  if (own_) {
    own_.reset();
    --db_->per_request_open_;
  }
  db_->update_gauges();
}

DbConnection& DbSession::connection() { return lease_ ? **lease_ : *own_; }

Rows DbSession::exec(std::string_view sql, const std::vector<std::optional<std::string>>& params) {
  if (db_->options_.query_delay.count() > 0) waits::sleep_for(db_->options_.query_delay);
  ++queries_;
  ++waits::task_local<QueriesThisRequest>().count;
  const auto start = Clock::now();
  try {
    Rows rows = connection().exec(sql, params);
    db_->query_seconds_->Observe(seconds_since(start));
    db_->last_ok_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
    return rows;
  } catch (const DbUnavailable& e) {
    db_->count_error(e.db_cause());
    throw;
  } catch (const DbQueryError& e) {
    db_->count_error(e.sqlstate().starts_with("23") ? DbCause::constraint : DbCause::query);
    throw;
  }
}

DbSession::Transaction::Transaction(DbSession& session) : session_(session) { session_.exec("BEGIN"); }

void DbSession::Transaction::commit() {
  open_ = false;
  session_.exec("COMMIT");
}

DbSession::Transaction::~Transaction() {
  if (!open_ || session_.connection().broken()) return;
  try {
    session_.exec("ROLLBACK");
  } catch (const StoreError&) {
    // The connection failed under us: it is closed, not pooled, and the server rolls
    // the transaction back when the connection goes.
  }
}

Database::Database(DatabaseOptions options, std::shared_ptr<prometheus::Registry> registry)
    : options_(std::move(options)),
      pool_({.backend = "postgres",
             .address = redacted(options_.url),
             .max_size = options_.pool_size,
             .checkout_timeout = options_.checkout_timeout,
             .backoff_min = std::chrono::milliseconds(0),
             .backoff_max = std::chrono::milliseconds(0)},
            [this] {
              auto conn = std::make_unique<DbConnection>(options_);
              opened_->Increment();
              return conn;
            },
            [](DbConnection& c) { return c.idle_and_open(); }) {
  registry_ = registry ? std::move(registry) : std::make_shared<prometheus::Registry>();
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  };
  pool_size_ = gauge("db_pool_size", "Connections the instance's pool may hold (0 when it connects per request)");
  open_ = gauge("db_connections_open", "Connections to the database open now, idle or in use");
  in_use_ = gauge("db_connections_in_use", "Connections checked out by a request now");
  waiting_ = gauge("db_pool_waiting", "Requests waiting for a pooled connection now");
  pool_size_->Set(options_.connect == DbConnect::pooled ? static_cast<double>(options_.pool_size) : 0);
  wait_seconds_ = &prometheus::BuildHistogram()
                       .Name("db_pool_wait_seconds")
                       .Help("Time a request waited for a connection (checkout or, per request, connect)")
                       .Register(*registry_)
                       .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025,
                                                                         0.05, 0.1, 0.25, 0.5, 1, 2.5});
  queries_per_request_ = &prometheus::BuildHistogram()
                              .Name("db_queries_per_request")
                              .Help("Statements a request sent to the database (requests that used it)")
                              .Register(*registry_)
                              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 3, 5, 10, 20, 50, 100, 200});
  query_seconds_ = &prometheus::BuildHistogram()
                        .Name("db_query_duration_seconds")
                        .Help("Time of one statement, from send to result")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                                          0.025, 0.05, 0.1, 0.25, 1});
  opened_ = &prometheus::BuildCounter()
                 .Name("db_connections_opened_total")
                 .Help("Connections this instance opened to the database (its churn)")
                 .Register(*registry_)
                 .Add({});
  auto& errors = prometheus::BuildCounter()
                     .Name("db_errors_total")
                     .Help("Database calls that failed, by cause")
                     .Register(*registry_);
  for (DbCause cause : kDbCauses) errors_.push_back(&errors.Add({{"cause", std::string(to_string(cause))}}));
}

void Database::count_error(DbCause cause) { errors_[static_cast<std::size_t>(cause)]->Increment(); }

void Database::update_gauges() {
  if (options_.connect == DbConnect::pooled) {
    open_->Set(static_cast<double>(pool_.open()));
    in_use_->Set(static_cast<double>(pool_.in_use()));
    waiting_->Set(static_cast<double>(pool_.waiting()));
  } else {
    open_->Set(static_cast<double>(per_request_open_.load()));
    in_use_->Set(static_cast<double>(per_request_open_.load()));
  }
}

DbSession Database::session() {
  const auto start = Clock::now();
  try {
    if (options_.connect == DbConnect::per_request) {
      auto conn = std::make_unique<DbConnection>(options_);
      opened_->Increment();
      ++per_request_open_;
      wait_seconds_->Observe(seconds_since(start));
      DbSession s(*this, std::nullopt, std::move(conn));
      update_gauges();
      return s;
    }
    waiting_->Increment();
    std::optional<DbSession::Lease> lease;
    try {
      lease.emplace(pool_.acquire());
    } catch (...) {
      waiting_->Decrement();
      throw;
    }
    waiting_->Decrement();
    wait_seconds_->Observe(seconds_since(start));
    DbSession s(*this, std::move(lease), nullptr);
    update_gauges();
    return s;
  } catch (const DbUnavailable& e) {
    count_error(e.db_cause());
    throw;
  } catch (const PoolExhausted& e) {
    count_error(DbCause::pool_exhausted);
    throw DbUnavailable(DbCause::pool_exhausted, e.cause());
  }
}

std::optional<std::string> Database::unready_reason() noexcept {
  const auto now = Clock::now().time_since_epoch();
  if (std::chrono::nanoseconds(now.count() - last_ok_ns_.load()) < std::chrono::seconds(2)) return std::nullopt;
  try {
    session().exec("SELECT 1");
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

void DbQueryCounter::reset() noexcept { waits::task_local<QueriesThisRequest>().count = 0; }
int DbQueryCounter::count() noexcept { return waits::task_local<QueriesThisRequest>().count; }

bool server_accepts(const std::string& url) noexcept {
  const char* keys[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {url.c_str(), "2", nullptr};
  return PQpingParams(keys, values, 1) == PQPING_OK;
}

void bootstrap_database(const std::string& superuser_url, const std::string& app_role, const std::string& name) {
  static const std::regex identifier("[a-z_][a-z0-9_]{0,62}");
  if (!std::regex_match(app_role, identifier) || !std::regex_match(name, identifier))
    throw std::invalid_argument("bootstrap_database: role and database names must be lower-case identifiers");
  DatabaseOptions o;
  o.url = superuser_url;
  DbConnection conn(o);
  auto run = [&](const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) {
    Rows rows = conn.exec(sql, params);
    return rows;
  };
  if (run("SELECT 1 FROM pg_roles WHERE rolname = $1", {app_role}).empty())
    run("CREATE ROLE " + app_role + " LOGIN");
  if (run("SELECT 1 FROM pg_database WHERE datname = $1", {name}).empty())
    run("CREATE DATABASE " + name + " OWNER " + app_role);
}

}  // namespace scalelab::store
