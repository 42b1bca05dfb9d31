// Why this exists: uploads are checked end to end by sha256, the same digest API.md's
// upload acknowledgements carry, so the generator hashes what it sends and reads back.
#pragma once

#include <string>
#include <string_view>

namespace scalelab::load {

// Lowercase hex sha256 of `bytes` (64 characters).
std::string sha256_hex(std::string_view bytes);

}  // namespace scalelab::load
