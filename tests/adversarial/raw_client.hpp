// A client that does to a proxy what no HTTP library would: it sends requests in
// pieces of its choosing, with pauses between them, streams endless lines, pipelines,
// and reads back whatever comes, whole or not. Responses are parsed with Beast, so the
// suite judges exactly what a client would see.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace scalelab::adversarial {

struct Response {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names in lower case
  bool has(const std::string& name, const std::string& value_part) const;
};

struct Exchange {
  std::string bytes;                // everything read
  std::vector<Response> responses;  // the complete ones, in order
  bool peer_closed = false;         // the proxy closed (or reset) the connection
  bool timed_out = false;           // the deadline passed first
  double seconds = 0;               // from the first byte sent to the end of reading
  std::uint64_t sent = 0;           // bytes the proxy accepted
  int first_status() const { return responses.empty() ? 0 : responses.front().status; }
};

struct Script {
  std::vector<std::string> parts;  // sent in order
  std::chrono::milliseconds pause{0};  // between parts
  // Sent after the parts, again and again, until the proxy answers or closes, up to
  // `endless_bytes` (0: nothing): a line that never ends.
  std::string endless_piece;
  std::uint64_t endless_bytes = 0;
  int want_responses = 1;  // stop reading once this many complete responses arrived
  bool head = false;       // the first request is a HEAD (its response has no body)
  std::chrono::milliseconds timeout{6000};
};

Exchange run(std::uint16_t port, const Script& script);

// Every complete response in `bytes`; `head`: the first answers a HEAD.
std::vector<Response> parse_responses(const std::string& bytes, bool head);

}  // namespace scalelab::adversarial
