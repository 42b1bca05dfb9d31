// See db_meter.hpp.
#include "lab/supervisor/db_meter.hpp"

#include <prometheus/registry.h>

#include "store/database.hpp"

namespace scalelab::lab {

DbMeter::DbMeter(const std::string& superuser_url) {
  store::DatabaseOptions o;
  o.url = superuser_url;
  o.pool_size = 1;
  o.connect_timeout = std::chrono::milliseconds(500);
  o.checkout_timeout = std::chrono::milliseconds(500);
  o.statement_timeout = std::chrono::milliseconds(500);
  db_ = std::make_unique<store::Database>(o, std::make_shared<prometheus::Registry>());
}

DbMeter::~DbMeter() = default;

DbServerReading DbMeter::read() {
  DbServerReading out;
  try {
    // Client backends of other roles than ours (the superuser's reserve is not part of
    // the budget, and this meter and the lab's probe use it).
    const store::Rows rows = db_->session().exec(
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend' AND usename IS DISTINCT FROM current_user), "
        "current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int "
        "FROM pg_stat_activity");
    out.connections = static_cast<double>(rows.integer(0, 0));
    out.budget = static_cast<double>(rows.integer(0, 1));
  } catch (const std::exception&) {
    // Down, or past its own budget: the second goes without the server's figures.
  }
  return out;
}

}  // namespace scalelab::lab
