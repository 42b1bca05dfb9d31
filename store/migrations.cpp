// Applies the embedded schema migrations; see migrations.hpp.
#include "store/migrations.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <stdexcept>

namespace scalelab::store {
namespace {

// Any fixed number: the key of the advisory lock the instances take turns on.
constexpr const char* kMigrationLock = "7250815";

}  // namespace

std::vector<Migration> migrations() {
  std::vector<Migration> out;
  for (std::size_t i = 0; i < kMigrationFilesCount; ++i) {
    const std::string name(kMigrationFiles[i].name);
    const int version = std::atoi(name.c_str());
    if (version <= 0 || name.size() < 5 || name.substr(name.size() - 4) != ".sql")
      throw std::logic_error("migration file '" + name + "' is not NNN_name.sql");
    out.push_back({version, name, kMigrationFiles[i].body});
  }
  std::sort(out.begin(), out.end(), [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].version == out[i - 1].version)
      throw std::logic_error("two migrations have version " + std::to_string(out[i].version));
  return out;
}

std::vector<int> migrate(DbSession& session) {
  const std::vector<Migration> all = migrations();
  DbSession::Transaction tx(session);
  session.exec(std::string("SELECT pg_advisory_xact_lock(") + kMigrationLock + ")");
  session.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  std::set<int> applied;
  const Rows rows = session.exec("SELECT version FROM schema_migrations");
  for (int r = 0; r < rows.size(); ++r) applied.insert(static_cast<int>(rows.integer(r, 0)));
  std::vector<int> now;
  for (const Migration& m : all) {
    if (applied.count(m.version) != 0) continue;
    session.exec(m.sql);
    session.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", {std::to_string(m.version), m.name});
    now.push_back(m.version);
  }
  tx.commit();
  return now;
}

}  // namespace scalelab::store
