#include "services/app/request_context.hpp"

#include <charconv>
#include <utility>

#include "common/waits.hpp"

namespace scalelab::app {

RequestContext& current_context() { return waits::task_local<RequestContext>(); }

// Milliseconds with three decimals, as printf's %.3f writes them; to_chars, because
// every answer carries this header and snprintf's format parsing is a visible part of
// a request's CPU.
std::string RequestContext::server_timing() const {
  const std::pair<const char*, double> phases[] = {
      {"parse", parse}, {"route", route_time}, {"middleware", middleware}, {"handler", handler}, {"serialize", serialize}};
  std::string out;
  out.reserve(128);
  char number[32];
  for (const auto& [name, seconds] : phases) {
    if (!out.empty()) out += ", ";
    out += name;
    out += ";dur=";
    const auto written = std::to_chars(number, number + sizeof number, seconds * 1e3, std::chars_format::fixed, 3);
    out.append(number, written.ptr);
  }
  return out;
}

}  // namespace scalelab::app
