// The database's schema, versioned in the repository: store/migrations/NNN_name.sql,
// applied in order of NNN, each once. The build embeds the files (cmake/embed_files.cmake),
// so an instance carries its schema. Every instance migrates at start-up; instances
// starting together take turns under an advisory lock, and all the missing versions are
// applied in one transaction, so a schema is never half-applied.
#pragma once

#include <cstddef>
#include <vector>

#include "common/embedded_file.hpp"
#include "store/database.hpp"

namespace scalelab::store {

// Defined in the generated migrations_sql.cpp.
extern const EmbeddedFile kMigrationFiles[];
extern const std::size_t kMigrationFilesCount;

struct Migration {
  int version = 0;
  std::string name;  // the file name
  std::string_view sql;
};

// The embedded migrations, by version. Throws std::logic_error on a file name without
// a version or two files with one version (a build that must not ship).
std::vector<Migration> migrations();

// Applies the migrations the database does not have yet; returns their versions.
// Throws DbUnavailable or DbQueryError (nothing is applied then).
std::vector<int> migrate(DbSession& session);

}  // namespace scalelab::store
