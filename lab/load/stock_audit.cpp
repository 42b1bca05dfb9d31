// The readings and the judgement of stock_audit.hpp. The readings use the load
// generator's own Connection on a private io_context, so they parse answers exactly as
// the virtual users do.
#include "lab/load/stock_audit.hpp"

#include <memory>
#include <nlohmann/json.hpp>

#include "common/asio.hpp"
#include "lab/load/connection.hpp"

namespace scalelab::load {
namespace asio = boost::asio;

void StockLedger::add(const AckedOrder& order) {
  std::lock_guard lock(mutex_);
  for (const auto& [item, qty] : order.lines) sold_[item] += qty;
}

std::map<std::int64_t, std::int64_t> StockLedger::sold() const {
  std::lock_guard lock(mutex_);
  return sold_;
}

namespace {

constexpr int kAttempts = 5;
// Items are read over this many connections at once: a catalog read may hold a
// connection for the lab's simulated database latency, and the run waits for these.
constexpr unsigned kReaders = 8;

// Reads items until none is left: each takes the next id from `next`.
asio::awaitable<void> read_items(Connection& conn, const Target& target, unsigned items, unsigned& next,
                                 StockSnapshot& out) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  Response r;
  while (next <= items) {
    const unsigned id = next++;
    const std::string head = "GET /api/items/" + std::to_string(id) + " HTTP/1.1\r\nHost: " + target.host_header() +
                             "\r\nUser-Agent: scalelab-load (stock audit)\r\nCache-Control: no-cache\r\n\r\n";
    StockReading& reading = out[id];
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      if (attempt > 0) {
        pause.expires_after(std::chrono::milliseconds(100 << attempt));
        co_await pause.async_wait(asio::use_awaitable);
      }
      co_await conn.exchange(head, {}, r);
      if (r.aborted) co_return;
      if (!r.answered()) {
        reading.error = std::string("transport: ") + transport_name(r.transport);
        continue;
      }
      const auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (r.status == 200 && j.is_object() && j.contains("stock") && j["stock"].is_number_integer()) {
        reading = {j["stock"].get<std::int64_t>(), ""};
        break;
      }
      reading.error = "HTTP " + std::to_string(r.status);
      if (r.status < 500) break;  // an answer, not an outage: asking again changes nothing
    }
  }
}

}  // namespace

StockSnapshot read_stock(const Target& target, unsigned items, std::chrono::milliseconds budget) {
  StockSnapshot out;
  for (unsigned id = 1; id <= items; ++id) out[id].error = "not read within " + std::to_string(budget.count()) + " ms";
  asio::io_context io{1};
  const asio::ip::tcp::endpoint endpoint{asio::ip::make_address_v4(target.ip), target.port};
  std::vector<std::unique_ptr<Connection>> readers;
  unsigned next = 1, running = 0;
  for (unsigned i = 0; i < std::min(items, kReaders); ++i) {
    readers.push_back(std::make_unique<Connection>(io, endpoint, ConnectionLimits{budget, budget}));
    ++running;
    asio::co_spawn(io, read_items(*readers.back(), target, items, next, out),
                   [&](std::exception_ptr) { --running; });
  }
  io.run_for(budget);
  if (running > 0) {
    for (auto& conn : readers) conn->abort();  // what is pending ends now; unread items keep their error
    io.restart();
    io.run();
  }
  return out;
}

std::vector<ItemAudit> audit_stock(const StockSnapshot& before, const StockSnapshot& after,
                                   const std::map<std::int64_t, std::int64_t>& sold, Tally& t) {
  std::vector<ItemAudit> audit;
  for (const auto& [item, reading] : before) {
    ItemAudit a;
    a.item = item;
    a.before = reading.stock;
    if (auto it = after.find(item); it != after.end()) a.after = it->second.stock;
    if (auto it = sold.find(item); it != sold.end()) a.sold = it->second;
    a.judged = a.before && a.after;
    if (a.judged) {
      t.add(Check::stock);
      if (*a.after < 0)
        a.oversold = "stock " + std::to_string(*a.after) + " below zero";
      else if (a.sold > *a.before)
        a.oversold = std::to_string(a.sold) + " sold, " + std::to_string(*a.before) + " there were";
      else if (a.sold > *a.before - *a.after)
        a.oversold = std::to_string(a.sold) + " sold, stock fell only " + std::to_string(*a.before - *a.after);
      if (!a.oversold.empty()) t.add(Violation::oversold);
    }
    audit.push_back(std::move(a));
  }
  return audit;
}

nlohmann::json stock_json(const std::vector<ItemAudit>& audit) {
  nlohmann::json out = nlohmann::json::array();
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  for (const ItemAudit& a : audit)
    out.push_back({{"item", a.item},
                   {"before", opt(a.before)},
                   {"after", opt(a.after)},
                   {"sold", a.sold},
                   {"judged", a.judged},
                   {"oversold", a.oversold.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.oversold)}});
  return out;
}

}  // namespace scalelab::load
