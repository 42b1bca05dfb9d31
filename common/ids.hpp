// Unguessable identifiers (session ids, upload ids, request ids). They come from
// OpenSSL's CSPRNG and are encoded base64url without padding, so they are safe in
// cookies, URLs and object keys alike.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scalelab::ids {

// `bytes` random bytes, base64url-encoded (16 bytes give 22 characters).
// Throws std::runtime_error if the CSPRNG fails.
std::string random_token(std::size_t bytes = 16);

// The length random_token(bytes) produces.
constexpr std::size_t token_length(std::size_t bytes) { return (bytes * 8 + 5) / 6; }

// True when `s` has the exact shape of random_token(bytes): length and alphabet.
// Used to reject forged or garbage ids before they reach a store.
bool is_token(std::string_view s, std::size_t bytes = 16);

}  // namespace scalelab::ids
