// Checkout and orders through real instances with a real PostgreSQL: an order is made
// once per key whichever instance a retry reaches, the cart is cleared only after the
// commit, refusals write nothing and answer in their own words, orders belong to their
// user, the three access patterns cost what they say (X-DB-Queries), and a database
// that goes away answers 503 with Retry-After, then serves again within 2 s.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/app/app_test_util.hpp"

using namespace scalelab;
using namespace scalelab::testkit;
using namespace std::chrono_literals;

namespace {

class Orders : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pg_ = new PostgresServer(40);
    cluster_ = new AppCluster(2, {{"SCALELAB_DATABASE_URL", pg_->url()},
                                  {"SCALELAB_DB_POOL", "4"},
                                  {"SCALELAB_DB_LATENCY_MS", "0"},
                                  {"SCALELAB_CATALOG_ITEMS", "20"},
                                  {"SCALELAB_RATE_LIMIT", "100000"}});
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete pg_;
  }
  httplib::Headers with_key(httplib::Headers h, const std::string& key) {
    h.emplace("Idempotency-Key", key);
    return h;
  }
  void add(httplib::Client& c, const httplib::Headers& h, const std::string& sku, int qty) {
    auto r = c.Post("/api/cart/items", h, nlohmann::json{{"sku", sku}, {"qty", qty}}.dump(), "application/json");
    ASSERT_EQ(status_of(r), 200) << (r ? r->body : "");
  }
  static PostgresServer* pg_;
  static AppCluster* cluster_;
};

PostgresServer* Orders::pg_ = nullptr;
AppCluster* Orders::cluster_ = nullptr;

}  // namespace

TEST_F(Orders, ACheckoutIsOneOrderWhicheverInstanceTheRetryReaches) {
  auto a = cluster_->client(0);
  auto b = cluster_->client(1);
  const auto h = login(*a, "ann");
  const std::string stock_before = pg_->query("SELECT stock FROM items WHERE id = 4");
  add(*a, h, "item-4", 2);
  add(*b, h, "item-9", 1);

  auto first = a->Post("/api/checkout", with_key(h, "order-1"), "", "application/json");
  ASSERT_EQ(status_of(first), 201) << (first ? first->body : "");
  const auto order = body(first)["order"];
  EXPECT_EQ(order["lines"].size(), 2u);
  EXPECT_EQ(first->get_header_value("X-DB-Queries"), "8") << "BEGIN, key, order, 2 stock updates, lines, total, COMMIT";
  EXPECT_EQ(body(a->Get("/api/cart", h))["total_qty"], 0) << "the cart is cleared after the commit";
  EXPECT_EQ(std::stoll(pg_->query("SELECT stock FROM items WHERE id = 4")), std::stoll(stock_before) - 2);

  // The client did not see the answer and retries, through the other instance.
  auto retry = b->Post("/api/checkout", with_key(h, "order-1"), "", "application/json");
  ASSERT_EQ(status_of(retry), 200) << (retry ? retry->body : "");
  EXPECT_EQ(retry->get_header_value("Idempotent-Replayed"), "true");
  EXPECT_EQ(body(retry)["order"], order);
  EXPECT_EQ(pg_->query("SELECT count(*) FROM orders WHERE user_name = 'ann'"), "1");

  // The item's cached copy was invalidated: a read shows the new stock.
  auto item = b->Get("/api/items/4", h);
  EXPECT_EQ(body(item)["stock"], std::stoll(stock_before) - 2);

  add(*a, h, "item-5", 1);
  expect_error(a->Post("/api/checkout", with_key(h, "order-1"), "", "application/json"), 422, "idempotency_key_reused");
  EXPECT_EQ(body(a->Get("/api/cart", h))["total_qty"], 1) << "a refused checkout keeps the cart";
}

TEST_F(Orders, RefusalsWriteNothingAndSayWhy) {
  auto c = cluster_->client(0);
  const auto h = login(*c, "bob");
  expect_error(c->Post("/api/checkout", h, "", "application/json"), 400, "idempotency_key_required");
  expect_error(c->Post("/api/checkout", with_key(h, "bad key!"), "", "application/json"), 400, "bad_idempotency_key");
  expect_error(c->Post("/api/checkout", with_key(h, std::string(129, 'k')), "", "application/json"), 400,
               "bad_idempotency_key");
  expect_error(c->Post("/api/checkout", with_key(with_key(h, "k1"), "k2"), "", "application/json"), 400,
               "bad_idempotency_key");
  expect_error(c->Post("/api/checkout", with_key(h, "k1"), "", "application/json"), 400, "cart_empty");
  expect_error(c->Post("/api/checkout", with_key({}, "k1"), "", "application/json"), 401, "not_logged_in");

  add(*c, h, "sku-1", 1);
  expect_error(c->Post("/api/checkout", with_key(h, "k1"), "", "application/json"), 422, "unknown_item");
  c->Post("/api/logout", h, "", "application/json");

  const auto h2 = login(*c, "bob");
  add(*c, h2, "item-999", 1);
  auto unknown = c->Post("/api/checkout", with_key(h2, "k2"), "", "application/json");
  expect_error(unknown, 422, "unknown_item");
  EXPECT_EQ(body(unknown)["item"], 999);

  const auto h3 = login(*c, "bob");
  add(*c, h3, "item-3", 1);
  add(*c, h3, "item-2", 1000);
  auto oversold = c->Post("/api/checkout", with_key(h3, "k3"), "", "application/json");
  expect_error(oversold, 409, "out_of_stock");
  EXPECT_EQ(body(oversold)["item"], 2);
  EXPECT_EQ(pg_->query("SELECT count(*) FROM orders WHERE user_name = 'bob'"), "0");

  const auto h4 = login(*c, "bob");
  for (int i = 1; i <= 101; ++i) add(*c, h4, "item-" + std::to_string(i), 1);
  expect_error(c->Post("/api/checkout", with_key(h4, "k4"), "", "application/json"), 413, "cart_too_large");
}

TEST_F(Orders, OrdersBelongToTheirUserAndThreePatternsCostWhatTheySay) {
  auto c = cluster_->client(1);
  const auto h = login(*c, "carol");
  for (int i = 0; i < 4; ++i) {
    add(*c, h, "item-1", 1);
    add(*c, h, "item-" + std::to_string(6 + i), 1);
    ASSERT_EQ(status_of(c->Post("/api/checkout", with_key(h, "c" + std::to_string(i)), "", "application/json")), 201);
  }
  std::map<std::string, std::string> queries;
  nlohmann::json first;
  for (const char* strategy : {"n_plus_one", "join", "batched"}) {
    auto r = c->Get(std::string("/api/orders?include=lines&strategy=") + strategy, h);
    ASSERT_EQ(status_of(r), 200);
    queries[strategy] = r->get_header_value("X-DB-Queries");
    if (first.is_null()) first = body(r);
    EXPECT_EQ(body(r), first) << strategy << " answers the same JSON";
  }
  EXPECT_EQ(first["orders"].size(), 4u);
  EXPECT_EQ(queries["n_plus_one"], "5");
  EXPECT_EQ(queries["join"], "1");
  EXPECT_EQ(queries["batched"], "2");
  expect_error(c->Get("/api/orders?strategy=orm", h), 400, "bad_strategy");
  expect_error(c->Get("/api/orders?limit=0", h), 400, "bad_limit");
  expect_error(c->Get("/api/orders?include=everything", h), 400, "bad_include");

  const auto id = first["orders"][0]["id"].get<std::int64_t>();
  EXPECT_EQ(status_of(c->Get("/api/orders/" + std::to_string(id), h)), 200);
  const auto other = login(*c, "dave");
  expect_error(c->Get("/api/orders/" + std::to_string(id), other), 404, "order_not_found");
  expect_error(c->Get("/api/orders/x", other), 400, "bad_order_id");
  EXPECT_EQ(body(c->Get("/api/orders", other))["orders"].size(), 0u);
}

TEST_F(Orders, ADatabaseOutageIs503WithRetryAfterAndServingResumesWithinTwoSeconds) {
  auto c = cluster_->client(0);
  const auto h = login(*c, "erin");
  ASSERT_EQ(status_of(c->Get("/api/orders", h)), 200);
  pg_->stop();
  auto down = c->Get("/api/orders", h);
  expect_error(down, 503, "db_unavailable");
  EXPECT_EQ(down->get_header_value("Retry-After"), "1");
  EXPECT_EQ(body(c->Get("/api/me", h))["user"], "erin") << "what needs no database still works";
  pg_->start();
  const auto back = std::chrono::steady_clock::now();
  while (status_of(c->Get("/api/orders", h)) != 200 && std::chrono::steady_clock::now() - back < 10s)
    std::this_thread::sleep_for(20ms);
  EXPECT_LT(std::chrono::steady_clock::now() - back, 2s);
}

TEST_F(Orders, AnInstanceWithoutADatabaseSaysSo) {
  auto& lone = cluster_->add_instance({{"SCALELAB_DATABASE_URL", ""}});
  auto c = cluster_->client(cluster_->size() - 1);
  const auto h = login(*c, "fay");
  expect_error(c->Get("/api/orders", h), 503, "no_database");
  EXPECT_EQ(body(c->Get("/api/items/3", h))["id"], 3) << "the catalog is Redis's then";
  EXPECT_EQ(status_of(c->Get("/api/items/3", h)), 200);
  (void)lone;
}
