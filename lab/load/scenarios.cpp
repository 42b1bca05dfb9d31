// The scenario coroutines of scenarios.hpp. Request bodies are built with nlohmann so
// that every value is escaped, even though user names and skus are plain by design.
#include "lab/load/scenarios.hpp"

#include <nlohmann/json.hpp>

#include "common/crypto.hpp"
#include "lab/load/virtual_user.hpp"

namespace scalelab::load {
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

constexpr std::string_view kJson = "application/json";

bool ok(const Response* r, int status = 200) { return r->answered() && r->status == status; }

asio::awaitable<void> login(VirtualUser& vu) {
  const std::string body = json{{"user", vu.name()}}.dump();
  const Response* r = co_await vu.send({"POST", "/api/login", body, kJson});
  vu.judge([&](Classifier& c, Tally&) { c.on_login(*r); });
}

asio::awaitable<bool> ensure_session(VirtualUser& vu) {
  if (!vu.classifier().holds_session()) co_await login(vu);
  co_return vu.classifier().holds_session();
}

asio::awaitable<void> session(VirtualUser& vu) {
  co_await login(vu);
  if (!vu.classifier().holds_session()) co_return;
  const Response* r = co_await vu.send({"GET", "/api/me"});
  vu.judge([&](Classifier& c, Tally& t) { c.check_session(*r, t); });
}

asio::awaitable<void> cart(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  const int additions = 1 + static_cast<int>(vu.rng()() % 3);
  for (int i = 0; i < additions; ++i) {
    const std::string sku = "sku-" + std::to_string(1 + vu.rng()() % 5);
    const int qty = 1 + static_cast<int>(vu.rng()() % 3);
    const std::string body = json{{"sku", sku}, {"qty", qty}}.dump();
    const Response* r = co_await vu.send({"POST", "/api/cart/items", body, kJson});
    vu.judge([&](Classifier& c, Tally& t) { c.on_cart_add(sku, qty, *r, t); });
    if (!ok(r)) co_return;
  }
  const Response* r = co_await vu.send({"GET", "/api/cart"});
  vu.judge([&](Classifier& c, Tally& t) { c.check_cart(*r, t); });
}

asio::awaitable<void> read_upload(VirtualUser& vu, std::string id) {
  const std::string target = "/api/uploads/" + id;
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_upload(id, *r, t); });
}

asio::awaitable<void> upload(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  std::string bytes(vu.config().upload_bytes, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = vu.rng()();
    for (std::size_t k = 0; k < 8 && i + k < bytes.size(); ++k) bytes[i + k] = static_cast<char>(word >> (8 * k));
  }
  const std::string sha = crypto::sha256_hex(bytes);
  const Response* r = co_await vu.send({"POST", "/api/uploads", bytes, "application/octet-stream"});
  std::optional<std::string> id;
  vu.judge([&](Classifier& c, Tally& t) { id = c.on_upload(sha, *r, t); });
  if (!id) co_return;
  co_await read_upload(vu, *id);
  const auto& known = vu.classifier().uploads();
  if (known.size() > 1 && vu.rng()() % 2 == 0 && vu.classifier().holds_session()) {
    co_await read_upload(vu, known[vu.rng()() % (known.size() - 1)].first);
  }
}

asio::awaitable<void> catalog(VirtualUser& vu) {
  // A shopper is logged in; the catalog does not need it, so go on without one.
  co_await ensure_session(vu);
  const int id = 1 + static_cast<int>(vu.rng()() % vu.config().items);
  const std::string target = "/api/items/" + std::to_string(id);
  const Response* r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_item_read(id, *r, vu.sent_at(), t); });
  if (!ok(r)) co_return;
  const double price = static_cast<double>(vu.rng()() % 100000) / 100.0;
  const std::string body = json{{"price", price}}.dump();
  r = co_await vu.send({"PUT", target, body, kJson});
  vu.judge([&](Classifier& c, Tally&) { c.on_item_write(id, *r, Classifier::Clock::now()); });
  if (!ok(r)) co_return;
  r = co_await vu.send({"GET", target});
  vu.judge([&](Classifier& c, Tally& t) { c.check_item_read(id, *r, vu.sent_at(), t); });
}

asio::awaitable<void> burst(VirtualUser& vu) {
  const bool logged_in = co_await ensure_session(vu);  // not inside if(): g++ 12 miscompiles that
  if (!logged_in) co_return;
  const std::int64_t limit = vu.classifier().rate_limit() > 0 ? vu.classifier().rate_limit() : 10;
  const std::int64_t n = std::min<std::int64_t>(limit + vu.config().burst_extra, 1000);
  for (std::int64_t i = 0; i < n; ++i) {
    const Response* r = co_await vu.send({"GET", "/api/me"});
    vu.judge([&](Classifier& c, Tally& t) { c.check_session(*r, t); });
    if (!r->answered() || r->status == 401 || r->status >= 500) co_return;
  }
}

asio::awaitable<void> get(VirtualUser& vu) { co_await vu.send({"GET", vu.config().path}); }

asio::awaitable<void> work(VirtualUser& vu) {
  const std::string target = "/api/work?io_ms=" + std::to_string(vu.config().work_io_ms) +
                             "&cpu_ms=" + std::to_string(vu.config().work_cpu_ms);
  co_await vu.send({"GET", target});
}

}  // namespace

// Not a coroutine: it hands back the scenario's own awaitable, one frame less per run.
asio::awaitable<void> run_scenario(Scenario scenario, VirtualUser& vu) {
  switch (scenario) {
    case Scenario::session:
      return session(vu);
    case Scenario::cart:
      return cart(vu);
    case Scenario::upload:
      return upload(vu);
    case Scenario::catalog:
      return catalog(vu);
    case Scenario::ratelimit:
      return burst(vu);
    case Scenario::work:
      return work(vu);
    case Scenario::get:
    case Scenario::count:
      break;
  }
  return get(vu);
}

}  // namespace scalelab::load
