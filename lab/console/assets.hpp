// The console page's files (lab/console/assets/), embedded in the binary by
// cmake/embed_files.cmake so the console needs no installed files, no CDN and no network.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/embedded_file.hpp"

namespace scalelab::console {

using scalelab::EmbeddedFile;

// Defined in the generated console_assets.cpp.
extern const EmbeddedFile kEmbeddedFiles[];
extern const std::size_t kEmbeddedFilesCount;

struct Asset {
  std::string_view body;
  std::string_view content_type;  // from the extension, with charset for text
};

// The embedded file called `name` (no folders), or nullptr.
const Asset* find_asset(std::string_view name);

}  // namespace scalelab::console
