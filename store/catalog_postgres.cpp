// The catalog in PostgreSQL, its source of truth when the instance has a database
// (store/migrations/001_catalog.sql). Every call checks a connection out for itself.
#include "store/catalog.hpp"

#include <charconv>

namespace scalelab::store {
namespace {

constexpr const char* kColumns = "id, name, price, stock, version";

Item item_at(const Rows& rows, int r) {
  return Item{rows.integer(r, 0), rows.text(r, 1), rows.number(r, 2), rows.integer(r, 3), rows.integer(r, 4)};
}

std::string price_text(double price) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, price, std::chars_format::fixed, 2);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(price);
}

class PostgresCatalog : public Catalog {
 public:
  PostgresCatalog(Database& db, StoreMetrics& metrics)
      : db_(db),
        get_(metrics.op("postgres", "catalog_get")),
        set_price_(metrics.op("postgres", "catalog_set_price")),
        seed_(metrics.op("postgres", "catalog_seed")) {}

  const char* backend() const override { return "postgres"; }

  // The same names, prices and stock as the Redis catalog seeds.
  void seed(std::int64_t count) override {
    OpTimer t(seed_);
    db_.session().exec(
        "INSERT INTO items (id, name, price, stock, version) "
        "SELECT g, 'Item ' || g, 5 + (g * 37) % 200, (g * 13) % 100 + 1, 1 FROM generate_series(1, $1::bigint) g "
        "ON CONFLICT (id) DO NOTHING",
        {std::to_string(count)});
    t.ok();
  }

  std::optional<Item> get(std::int64_t id) override {
    OpTimer t(get_);
    const Rows rows =
        db_.session().exec(std::string("SELECT ") + kColumns + " FROM items WHERE id = $1", {std::to_string(id)});
    if (rows.empty()) return t.found(std::optional<Item>());
    return t.found(std::optional<Item>(item_at(rows, 0)));
  }

  std::optional<Item> set_price(std::int64_t id, double price) override {
    OpTimer t(set_price_);
    const Rows rows = db_.session().exec(
        std::string("UPDATE items SET price = $2, version = version + 1 WHERE id = $1 RETURNING ") + kColumns,
        {std::to_string(id), price_text(price)});
    if (rows.empty()) return t.found(std::optional<Item>());
    return t.found(std::optional<Item>(item_at(rows, 0)));
  }

 private:
  Database& db_;
  OpMetrics get_, set_price_, seed_;
};

}  // namespace

std::unique_ptr<Catalog> make_postgres_catalog(Database& db, StoreMetrics& metrics) {
  return std::make_unique<PostgresCatalog>(db, metrics);
}

}  // namespace scalelab::store
