// A file the build embedded in the binary (cmake/embed_files.cmake): the console's page,
// the database's migrations. A generated .cpp defines a table of them.
#pragma once

#include <string_view>

namespace scalelab {

struct EmbeddedFile {
  std::string_view name;  // the file's name, without folders: "index.html", "001_catalog.sql"
  std::string_view body;
};

}  // namespace scalelab
