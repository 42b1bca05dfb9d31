// Identifiers, encoded base64url without padding, so they are safe in cookies, URLs and
// object keys alike. Two kinds: unguessable ones for ids that grant something (a
// session, an upload), from OpenSSL's CSPRNG; and merely unique ones for ids that only
// name something (a request, in the app and the balancer alike), from a fast generator
// the CSPRNG seeds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scalelab::ids {

// `bytes` random bytes, base64url-encoded (16 bytes give 22 characters).
// Throws std::runtime_error if the CSPRNG fails.
std::string random_token(std::size_t bytes = 16);

// `bytes` bytes that no other call in this or any other process returns (short of a
// 2^-64 chance), base64url-encoded like random_token, at a fraction of its cost: no
// system call (OpenSSL's RAND_bytes asks the kernel for the process id on every call),
// no lock. Predictable to whoever saw earlier ones from the same thread: never for a
// secret. Each thread draws from its own generator, reseeded from the CSPRNG after a
// fork(2) so parent and child never share a sequence.
std::string unique_token(std::size_t bytes = 12);
// The same into `out`, whose buffer is reused: no allocation once it is large enough
// (the balancer's hot path). `bytes` is at most 32.
void unique_token_into(std::string& out, std::size_t bytes = 12);

// The length random_token(bytes) and unique_token(bytes) produce.
constexpr std::size_t token_length(std::size_t bytes) { return (bytes * 8 + 5) / 6; }

// True when `s` has the exact shape of random_token(bytes) (and unique_token's): length and alphabet.
// Used to reject forged or garbage ids before they reach a store.
bool is_token(std::string_view s, std::size_t bytes = 16);

}  // namespace scalelab::ids
