// The database's connections during a run, once a second, for the journal's samples:
// how many client connections PostgreSQL holds for the instances (or for pgbouncer,
// when it pools) against its budget, max_connections minus the superuser's reserve.
// It asks the server itself (pg_stat_activity), over one superuser connection kept for
// the run, so it counts what the server counts, whoever opened the connections. That is
// the ceiling the connection-budget lesson is about: the instances' pools (read from
// their metrics, churn_meter.hpp) may want more than the server will hold.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lab/journal/journal.hpp"

namespace scalelab::store {
class Database;
}

namespace scalelab::experiment {

class DbMeter {
 public:
  // `superuser_url`: the lab's PostgreSQL as its superuser (services::postgres_url).
  explicit DbMeter(const std::string& superuser_url);
  ~DbMeter();

  // The server's figures now; the pools' are the caller's to add. Never throws: a
  // server that does not answer leaves them absent.
  journal::DbConnections read();

 private:
  std::unique_ptr<store::Database> db_;
};

}  // namespace scalelab::experiment
