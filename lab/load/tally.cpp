// Names and arithmetic for tally.hpp. The names are JSON keys: changing one changes the
// documented journal format (lab/load/README.md).
#include "lab/load/tally.hpp"

namespace scalelab::load {

namespace {

// Indexed by the enums of tally.hpp and response.hpp, in declaration order.
constexpr const char* kTransportNames[] = {"none", "refused", "reset", "timeout", "protocol", "other"};
constexpr const char* kViolationNames[] = {"session_lost", "cart_lost_write",     "upload_missing",
                                           "upload_corrupt", "stale_read",         "rate_limit_exceeded",
                                           "order_lost",     "double_order",       "oversold"};
constexpr const char* kCheckNames[] = {"session", "cart", "upload", "item", "ratelimit", "order", "stock"};
constexpr const char* kScenarioNames[] = {"session", "cart",     "upload", "catalog", "ratelimit",
                                          "work",    "get",      "checkout", "orders"};
constexpr const char* kCheckoutNames[] = {"acknowledged", "out_of_stock", "refused", "gave_up",
                                          "retries",      "recovered",    "replayed"};
constexpr const char* kStatusNames[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "429", "503"};

template <class E, std::size_t N>
const char* name_of(const char* const (&names)[N], E e) {
  static_assert(N == static_cast<std::size_t>(E::count), "one name per enumerator");
  const auto i = static_cast<std::size_t>(e);
  return i < N ? names[i] : "?";
}

}  // namespace

const char* transport_name(Transport t) { return name_of(kTransportNames, t); }
const char* violation_name(Violation v) { return name_of(kViolationNames, v); }
const char* check_name(Check c) { return name_of(kCheckNames, c); }
const char* scenario_name(Scenario s) { return name_of(kScenarioNames, s); }
const char* status_class_name(StatusClass c) { return name_of(kStatusNames, c); }
const char* checkout_name(Checkout c) { return name_of(kCheckoutNames, c); }

Check check_of(Violation v) {
  switch (v) {
    case Violation::session_lost:
      return Check::session;
    case Violation::cart_lost_write:
      return Check::cart;
    case Violation::upload_missing:
    case Violation::upload_corrupt:
      return Check::upload;
    case Violation::stale_read:
      return Check::item;
    case Violation::order_lost:
    case Violation::double_order:
      return Check::order;
    case Violation::oversold:
      return Check::stock;
    default:
      return Check::ratelimit;
  }
}

bool parse_scenario(std::string_view name, Scenario& out) {
  for (std::size_t i = 0; i < std::size(kScenarioNames); ++i) {
    if (name == kScenarioNames[i]) {
      out = static_cast<Scenario>(i);
      return true;
    }
  }
  return false;
}

std::uint64_t Tally::transport_errors() const {
  std::uint64_t n = 0;
  for (std::size_t i = 1; i < transport.size(); ++i) n += transport[i];
  return n;
}

std::uint64_t Tally::total_violations() const {
  std::uint64_t n = 0;
  for (auto v : violations) n += v;
  return n;
}

namespace {
template <class E, class Name>
nlohmann::json named(const Counters<E>& c, Name name, std::size_t first = 0) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = first; i < c.size(); ++i) j[name(static_cast<E>(i))] = c[i];
  return j;
}
}  // namespace

void Tally::merge(const Tally& o) {
  requests += o.requests;
  responses += o.responses;
  for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
  for (std::size_t i = 0; i < transport.size(); ++i) transport[i] += o.transport[i];
  for (std::size_t i = 0; i < violations.size(); ++i) violations[i] += o.violations[i];
  for (std::size_t i = 0; i < checks.size(); ++i) checks[i] += o.checks[i];
  for (std::size_t i = 0; i < scenarios.size(); ++i) scenarios[i] += o.scenarios[i];
  for (std::size_t i = 0; i < checkouts.size(); ++i) checkouts[i] += o.checkouts[i];
  order_listings += o.order_listings;
  order_listing_queries += o.order_listing_queries;
  failed_reads += o.failed_reads;
}

nlohmann::json counts_json(const Tally& t) {
  return {
      {"requests", t.requests},
      {"responses", t.responses},
      {"errors", t.failed()},
      {"failed_reads", t.failed_reads},
      {"status", named<StatusClass>(t.status, status_class_name)},
      {"transport", named<Transport>(t.transport, transport_name, 1)},
      {"violations", named<Violation>(t.violations, violation_name)},
      {"checks", named<Check>(t.checks, check_name)},
  };
}

}  // namespace scalelab::load
