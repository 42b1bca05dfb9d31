// The lab's claim, asserted: with shared state every instance sees every change; with
// local state each change stays on the instance that made it, and the breakage is
// exactly the one the lab predicts.
#include <random>

#include "common/crypto.hpp"
#include "tests/app/app_test_util.hpp"

using namespace scalelab::testkit;
using nlohmann::json;

namespace {
std::string random_blob(std::size_t n) {
  std::mt19937 gen(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}
}  // namespace

TEST(SharedMode, EveryInstanceSeesSessionsCartsUploadsAndPrices) {
  AppCluster cluster(3);
  auto c1 = cluster.client(0), c2 = cluster.client(1), c3 = cluster.client(2);
  const auto alice = login(*c1, "alice");
  for (auto* c : {c1.get(), c2.get(), c3.get()}) {
    auto me = c->Get("/api/me", alice);
    ASSERT_EQ(me->status, 200) << me->body;
    EXPECT_EQ(body(me)["user"], "alice");
    EXPECT_EQ(body(me)["created_by"], "app-1");
    EXPECT_EQ(body(me)["served_by"], me->get_header_value("X-Instance"));
  }
  EXPECT_EQ(body(c1->Get("/api/me", alice))["requests"], 4) << "every request of the session is counted";

  ASSERT_EQ(c1->Post("/api/cart/items", alice, R"({"sku":"sku-1","qty":2})", "application/json")->status, 200);
  EXPECT_EQ(body(c2->Post("/api/cart/items", alice, R"({"sku":"sku-1","qty":3})", "application/json"))["qty"], 5);
  EXPECT_EQ(body(c3->Get("/api/cart", alice)), (json{{"items", {{{"sku", "sku-1"}, {"qty", 5}}}}, {"total_qty", 5}}));

  const std::string blob = random_blob(200 * 1024);
  auto up = c1->Post("/api/uploads", alice, blob, "application/x-demo");
  ASSERT_EQ(up->status, 201) << up->body;
  EXPECT_EQ(body(up)["sha256"], scalelab::crypto::sha256_hex(blob));
  const std::string id = body(up)["id"];
  auto down = c2->Get("/api/uploads/" + id, alice);
  ASSERT_EQ(down->status, 200);
  EXPECT_EQ(down->body, blob);
  EXPECT_EQ(down->get_header_value("Content-Type"), "application/x-demo");
  auto head = c3->Head("/api/uploads/" + id, alice);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(blob.size()));
  httplib::Headers ranged = alice;
  ranged.emplace("Range", "bytes=100-199");
  auto part = c3->Get("/api/uploads/" + id, ranged);
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, blob.substr(100, 100));

  EXPECT_EQ(body(c3->Get("/api/items/5"))["cache"], "miss");
  auto warm = body(c3->Get("/api/items/5"));
  EXPECT_EQ(warm["cache"], "hit");
  auto put = c1->Put("/api/items/5", R"({"price": 12.5})", "application/json");
  ASSERT_EQ(put->status, 200);
  EXPECT_EQ(body(put)["version"], warm["version"].get<int>() + 1);
  auto after = body(c3->Get("/api/items/5"));
  EXPECT_EQ(after["version"], body(put)["version"]) << "the shared cache was invalidated for everyone";
  EXPECT_EQ(after["price"], 12.5);

  // Logged in, the cache entry arrives with the session, in the admission's round
  // trip: it must be just as fresh.
  EXPECT_EQ(body(c2->Get("/api/items/6", alice))["cache"], "miss");
  EXPECT_EQ(body(c3->Get("/api/items/6", alice))["cache"], "hit");
  auto put6 = body(c1->Put("/api/items/6", alice, R"({"price": 3.25})", "application/json"));
  auto after6 = body(c2->Get("/api/items/6", alice));
  EXPECT_EQ(after6["version"], put6["version"]);
  EXPECT_EQ(after6["cache"], "miss");
  EXPECT_EQ(after6["price"], 3.25);
  EXPECT_EQ(body(c3->Get("/api/items/6", alice))["cache"], "hit");
}

TEST(LocalMode, SessionsAndCartsStayOnTheInstanceThatMadeThem) {
  AppCluster cluster(3, {{"SCALELAB_STATE", "local"}});
  auto c1 = cluster.client(0), c2 = cluster.client(1);
  const auto alice = login(*c1, "alice");
  EXPECT_EQ(c1->Get("/api/me", alice)->status, 200);
  auto elsewhere = c2->Get("/api/me", alice);
  EXPECT_EQ(elsewhere->status, 401);
  EXPECT_EQ(body(elsewhere)["error"], "session_not_found");
  EXPECT_EQ(elsewhere->get_header_value("X-Scalelab-State"), "local");
  ASSERT_EQ(c1->Post("/api/cart/items", alice, R"({"sku":"sku-1","qty":2})", "application/json")->status, 200);
  EXPECT_EQ(c2->Get("/api/cart", alice)->status, 401);
  EXPECT_EQ(body(c1->Get("/api/cart", alice))["total_qty"], 2);
  auto metrics = c2->Get("/metrics")->body;
  EXPECT_GE(metric_value(metrics, "app_session_lookups_total{result=\"missing\"}"), 2)
      << "a cookie no store knows is a lost session, counted";
}

TEST(LocalMode, UploadsOnLocalDiskAreMissingElsewhere) {
  AppCluster cluster(2, {{"SCALELAB_STATE_UPLOADS", "local"}});
  auto c1 = cluster.client(0), c2 = cluster.client(1);
  const auto alice = login(*c1, "alice");
  auto up = c1->Post("/api/uploads", alice, "hello from app-1", "text/plain");
  ASSERT_EQ(up->status, 201);
  const std::string id = body(up)["id"];
  EXPECT_EQ(c1->Get("/api/uploads/" + id, alice)->body, "hello from app-1");
  auto missing = c2->Get("/api/uploads/" + id, alice);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(body(missing)["error"], "upload_not_found");
  EXPECT_EQ(metric_value(c2->Get("/metrics")->body, "app_upload_reads_total{result=\"missing\"}"), 1);
}

TEST(LocalMode, ACacheUpdateLeavesOtherInstancesStale) {
  AppCluster cluster(2, {{"SCALELAB_STATE_CACHE", "local"}});
  auto c1 = cluster.client(0), c2 = cluster.client(1);
  const int v1 = body(c2->Get("/api/items/7"))["version"];
  EXPECT_EQ(body(c2->Get("/api/items/7"))["cache"], "hit");
  const int v2 = body(c1->Put("/api/items/7", R"({"price": 1.5})", "application/json"))["version"];
  EXPECT_EQ(v2, v1 + 1);
  auto stale = body(c2->Get("/api/items/7"));
  EXPECT_EQ(stale["version"], v1) << "app-2's cache still holds the old version: a stale read";
  EXPECT_EQ(stale["cache"], "hit");
  EXPECT_EQ(body(c1->Get("/api/items/7"))["version"], v2);
  // Cache-Control: no-cache reads the catalog itself (what the load's stock audit
  // relies on), and refreshes the stale copy on the way.
  auto fresh = body(c2->Get("/api/items/7", {{"Cache-Control", "max-age=0, No-Cache"}}));
  EXPECT_EQ(fresh["version"], v2);
  EXPECT_EQ(fresh["cache"], "bypass");
  auto refreshed = body(c2->Get("/api/items/7"));
  EXPECT_EQ(refreshed["version"], v2);
  EXPECT_EQ(refreshed["cache"], "hit");
}

namespace {
// Sends 30 requests for one user round-robin over the cluster; returns how many passed.
int allowed_requests(AppCluster& cluster) {
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (std::size_t i = 0; i < cluster.size(); ++i) clients.push_back(cluster.client(i));
  const auto bob = login(*clients[0], "bob");
  int allowed = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = clients[i % clients.size()]->Get("/api/me", bob);
    if (r->status == 200) ++allowed;
    if (r->status == 429) {
      EXPECT_FALSE(r->get_header_value("Retry-After").empty());
    }
  }
  return allowed;
}
const std::map<std::string, std::string> kTightLimit{{"SCALELAB_RATE_LIMIT", "5"},
                                                     {"SCALELAB_RATE_WINDOW_SECONDS", "3600"}};
}  // namespace

TEST(RateLimit, SharedEnforcesOneLimitAcrossInstances) {
  AppCluster cluster(3, kTightLimit);
  EXPECT_EQ(allowed_requests(cluster), 5);
}

TEST(RateLimit, LocalMultipliesTheLimitByTheInstanceCount) {
  auto env = kTightLimit;
  env["SCALELAB_STATE_RATELIMIT"] = "local";
  AppCluster cluster(3, env);
  EXPECT_EQ(allowed_requests(cluster), 15);
}

TEST(Toggle, FlipsAtRunTimeThroughTheAdminApi) {
  AppCluster cluster(2);
  auto c1 = cluster.client(0), c2 = cluster.client(1);
  auto admin1 = cluster.admin_client(0), admin2 = cluster.admin_client(1);
  const auto before = login(*c1, "carol");
  EXPECT_EQ(c2->Get("/api/me", before)->status, 200);
  for (auto* c : {admin1.get(), admin2.get()}) {
    auto r = c->Put("/admin/state", R"({"sessions": "local"})", "application/json");
    ASSERT_EQ(status_of(r), 200) << (r ? r->body : httplib::to_string(r.error()));
    EXPECT_EQ(body(r)["sessions"], "local");
  }
  const auto after = login(*c1, "carol");
  auto me = c2->Get("/api/me", after);
  EXPECT_EQ(me->status, 401);
  EXPECT_EQ(me->get_header_value("X-Scalelab-State"), "sessions=local,cache=shared,uploads=shared,ratelimit=shared");
  EXPECT_EQ(metric_value(c2->Get("/metrics")->body, "app_state_mode{concern=\"sessions\",mode=\"local\"}"), 1);
  EXPECT_EQ(status_of(admin1->Put("/admin/state", R"({"sessions": "sideways"})", "application/json")), 400);
  EXPECT_EQ(body(admin1->Get("/admin/state"))["sessions"], "local");
  ASSERT_EQ(status_of(admin2->Put("/admin/state", R"({"mode": "shared"})", "application/json")), 200);
  EXPECT_EQ(c2->Get("/healthz")->get_header_value("X-Scalelab-State"), "shared");
}
