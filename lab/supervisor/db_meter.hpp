// The database's connections as the server counts them: how many client connections
// PostgreSQL holds for the instances (or for pgbouncer, when it pools) against its
// budget, max_connections minus the superuser's reserve. It asks the server itself
// (pg_stat_activity) over one superuser connection kept open, so it counts what the
// server counts, whoever opened the connections. That is the ceiling the
// connection-budget lesson is about: the instances' pools (their db_connections_open)
// may want more than the server will hold. The experiment runner reads it once a second
// into the journal, and the console's sampler into its history.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace scalelab::store {
class Database;
}

namespace scalelab::lab {

struct DbServerReading {
  std::optional<double> connections;  // client connections held, the superuser's aside
  std::optional<double> budget;       // max_connections minus superuser_reserved_connections
};

class DbMeter {
 public:
  // `superuser_url`: the lab's PostgreSQL as its superuser (services::postgres_url).
  explicit DbMeter(const std::string& superuser_url);
  ~DbMeter();

  // The figures now. Never throws: a server that does not answer leaves them absent.
  DbServerReading read();

 private:
  std::unique_ptr<store::Database> db_;
};

}  // namespace scalelab::lab
