// The rules of classifier.hpp. Every check parses the body defensively: a body that is
// not the JSON API.md promises is not evidence of a violation, so it is skipped rather
// than guessed at.
#include "lab/load/classifier.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/crypto.hpp"

namespace scalelab::load {
namespace {

nlohmann::json parse(const Response& r) { return nlohmann::json::parse(r.body, nullptr, false); }

std::optional<std::int64_t> int_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

StatusClass class_of(int status) {
  if (status < 200) return StatusClass::s1xx;
  if (status < 300) return StatusClass::s2xx;
  if (status < 400) return StatusClass::s3xx;
  if (status < 500) return StatusClass::s4xx;
  return StatusClass::s5xx;
}

}  // namespace

void Classifier::observe(const Response& r, Tally& t) {
  if (r.aborted) return;
  ++t.requests;
  if (r.transport != Transport::none) {
    ++t.transport[static_cast<std::size_t>(r.transport)];
    return;
  }
  ++t.responses;
  ++t.status[static_cast<std::size_t>(class_of(r.status))];
  if (r.status == 429) ++t.status[static_cast<std::size_t>(StatusClass::s429)];
  if (r.status == 503) ++t.status[static_cast<std::size_t>(StatusClass::s503)];

  // Rate limit: every instance numbers windows alike, so this user can count how many
  // of its requests were allowed in one window, whichever instance allowed them.
  if (!r.ratelimit) return;
  const RateLimitHeaders& h = *r.ratelimit;
  if (h.window != window_) {
    if (h.window < window_) return;  // a late answer for a past window: not countable
    window_ = h.window;
    allowed_in_window_ = 0;
    limit_ = h.limit;
  }
  limit_ = std::min(limit_, h.limit);
  if (r.status == 429) return;
  ++allowed_in_window_;
  t.add(Check::ratelimit);
  if (allowed_in_window_ > limit_) t.add(Violation::rate_limit_exceeded);
}

void Classifier::on_login(const Response& r) {
  // Rotated or not, the cart of the session this user knew is not its cart any more.
  cart_.clear();
  session_ = r.answered() && r.status == 200;
}

void Classifier::on_logout(const Response&) { lose_session(); }

void Classifier::lose_session() {
  session_ = false;
  cart_.clear();
}

void Classifier::check_session(const Response& r, Tally& t) {
  if (!session_ || !r.answered()) return;
  if (r.status == 401) {
    t.add(Check::session);
    t.add(Violation::session_lost);
    lose_session();
  } else if (r.status >= 200 && r.status < 300) {
    t.add(Check::session);
  }
}

void Classifier::on_cart_add(std::string_view sku, int qty, const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered() || r.status != 200) return;
  const auto total = int_field(parse(r), "qty");
  if (!total) return;
  auto it = cart_.find(sku);
  if (it != cart_.end()) {
    t.add(Check::cart);
    if (*total < it->second + qty) t.add(Violation::cart_lost_write);
    it->second = *total;
  } else {
    cart_.emplace(std::string(sku), *total);
  }
}

void Classifier::check_cart(const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered() || r.status != 200) return;
  const auto j = parse(r);
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array()) return;
  std::map<std::string, std::int64_t, std::less<>> seen;
  for (const auto& item : j["items"]) {
    if (!item.is_object()) continue;
    const auto sku = item.find("sku");
    const auto qty = int_field(item, "qty");
    if (sku != item.end() && sku->is_string() && qty) seen[sku->get<std::string>()] = *qty;
  }
  for (const auto& [sku, acked] : cart_) {
    t.add(Check::cart);
    auto it = seen.find(sku);
    if (it == seen.end() || it->second < acked) t.add(Violation::cart_lost_write);
  }
}

std::optional<std::string> Classifier::on_upload(std::string_view sent_sha256, const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered() || r.status != 201) return std::nullopt;
  const auto j = parse(r);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return std::nullopt;
  std::string id = j["id"].get<std::string>();
  if (j.contains("sha256") && j["sha256"].is_string()) {
    t.add(Check::upload);
    if (j["sha256"].get<std::string>() != sent_sha256) {
      t.add(Violation::upload_corrupt);
      detail_ = "the 201 says sha256 " + j["sha256"].get<std::string>() + ", the bytes sent have " + std::string(sent_sha256);
    }
  }
  uploads_.emplace_back(id, std::string(sent_sha256));
  while (uploads_.size() > options_.uploads_remembered) uploads_.pop_front();
  return id;
}

void Classifier::check_upload(std::string_view id, const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered()) return;
  auto it = std::find_if(uploads_.begin(), uploads_.end(), [&](const auto& u) { return u.first == id; });
  if (it == uploads_.end()) return;  // not acknowledged to this user: nothing to compare
  if (r.status == 404) {
    t.add(Check::upload);
    t.add(Violation::upload_missing);
    detail_ = "upload " + std::string(id) + " was acknowledged with sha256 " + it->second;
  } else if (r.status == 200) {
    t.add(Check::upload);
    if (const std::string got = crypto::sha256_hex(r.body); got != it->second) {
      t.add(Violation::upload_corrupt);
      detail_ = "a body of " + std::to_string(r.body.size()) + " bytes with sha256 " + got + "; acknowledged: " + it->second;
    }
  }
}

void Classifier::on_item_write(int id, const Response& r, Clock::time_point acked_at) {
  if (!r.answered() || r.status != 200) return;
  const auto version = int_field(parse(r), "version");
  if (!version) return;
  item_acks_[id].push_back(Ack{*version, acked_at});
}

void Classifier::check_item_read(int id, const Response& r, Clock::time_point sent_at, Tally& t) {
  if (!r.answered() || r.status != 200) return;
  auto acks = item_acks_.find(id);
  if (acks == item_acks_.end()) return;
  const auto version = int_field(parse(r), "version");
  if (!version) return;
  // The highest version acknowledged at least `grace` before this read was sent. Acks
  // still inside their grace period stay pending; settled ones below the best are dropped.
  std::optional<std::int64_t> settled;
  for (const Ack& a : acks->second)
    if (a.at + options_.stale_grace <= sent_at) settled = std::max(settled.value_or(a.version), a.version);
  if (!settled) return;
  std::erase_if(acks->second,
                [&](const Ack& a) { return a.at + options_.stale_grace <= sent_at && a.version < *settled; });
  t.add(Check::item);
  if (*version < *settled) t.add(Violation::stale_read);
}

namespace {

// {"id", "idempotency_key", "lines": [{"item_id", "quantity"}]}, or nullopt when the
// object is not an order as API.md describes it.
std::optional<AckedOrder> order_of(const nlohmann::json& o) {
  const auto id = int_field(o, "id");
  if (!id || !o.contains("idempotency_key") || !o["idempotency_key"].is_string()) return std::nullopt;
  AckedOrder order{*id, o["idempotency_key"].get<std::string>(), {}};
  if (o.contains("lines") && o["lines"].is_array()) {
    for (const auto& line : o["lines"]) {
      const auto item = int_field(line, "item_id");
      const auto qty = int_field(line, "quantity");
      if (item && qty) order.lines.emplace_back(*item, *qty);
    }
  }
  return order;
}

std::optional<AckedOrder> order_in(const Response& r) {
  const auto j = parse(r);
  if (!j.is_object() || !j.contains("order")) return std::nullopt;
  return order_of(j["order"]);
}

}  // namespace

std::optional<AckedOrder> Classifier::on_checkout(std::string_view key, const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered() || (r.status != 200 && r.status != 201)) return std::nullopt;
  auto order = order_in(r);
  if (!order || order->key != key) return std::nullopt;
  auto known = std::find_if(orders_.begin(), orders_.end(), [&](const AckedOrder& o) { return o.key == key; });
  if (known != orders_.end()) {
    // The key was acknowledged before: this answer must replay that very order.
    t.add(Check::order);
    if (order->id != known->id || r.status == 201) t.add(Violation::double_order);
    return std::nullopt;
  }
  orders_.push_back(*order);
  while (orders_.size() > options_.orders_remembered) orders_.pop_front();
  return order;
}

void Classifier::check_order(std::int64_t id, const Response& r, Tally& t) {
  check_session(r, t);
  if (!r.answered()) return;
  auto known = std::find_if(orders_.begin(), orders_.end(), [&](const AckedOrder& o) { return o.id == id; });
  if (known == orders_.end()) return;  // not acknowledged to this user: nothing to compare
  if (r.status == 404) {
    t.add(Check::order);
    t.add(Violation::order_lost);
  } else if (r.status == 200) {
    const auto order = order_in(r);
    if (!order) return;
    t.add(Check::order);
    if (order->id != id || order->key != known->key) t.add(Violation::order_lost);
  }
}

void Classifier::check_order_list(const Response& r, std::size_t limit, Tally& t) {
  check_session(r, t);
  if (!r.answered() || r.status != 200) return;
  const auto j = parse(r);
  if (!j.is_object() || !j.contains("orders") || !j["orders"].is_array()) return;
  std::map<std::string, int, std::less<>> per_key;
  std::vector<std::int64_t> ids;
  for (const auto& o : j["orders"]) {
    const auto order = order_of(o);
    if (!order) return;  // not the promised shape: judge nothing
    ++per_key[order->key];
    ids.push_back(order->id);
  }
  for (const auto& [key, n] : per_key) {
    t.add(Check::order);
    if (n > 1) t.add(Violation::double_order, static_cast<std::uint64_t>(n - 1));
  }
  const bool whole_history = ids.size() < limit;
  const std::int64_t oldest = ids.empty() ? 0 : *std::min_element(ids.begin(), ids.end());
  for (const AckedOrder& acked : orders_) {
    if (!whole_history && acked.id < oldest) continue;
    t.add(Check::order);
    if (std::find(ids.begin(), ids.end(), acked.id) == ids.end()) t.add(Violation::order_lost);
  }
}

}  // namespace scalelab::load
