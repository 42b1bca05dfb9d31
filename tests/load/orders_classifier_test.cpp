// The checkout checks against scripted answers: order_lost, double_order and oversold are
// each produced by the answer (or the stock readings) that should produce them, and by
// nothing else, so a run reporting 0 of them means something.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lab/load/classifier.hpp"
#include "lab/load/stock_audit.hpp"

using namespace scalelab::load;
using json = nlohmann::json;

namespace {

Response reply(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

json order(std::int64_t id, const std::string& key, std::vector<std::pair<int, int>> lines = {{1, 2}}) {
  json l = json::array();
  for (auto [item, qty] : lines) l.push_back({{"item_id", item}, {"quantity", qty}, {"price", 5}});
  return {{"id", id}, {"idempotency_key", key}, {"total", 10}, {"created_at", "2026-12-06T00:00:00Z"}, {"lines", l}};
}

Response checkout_answer(int status, std::int64_t id, const std::string& key) {
  return reply(status, {{"order", order(id, key)}, {"replayed", status == 200}});
}

Classifier logged_in() {
  Classifier c;
  Response ok;
  ok.status = 200;
  c.on_login(ok);
  return c;
}

}  // namespace

TEST(CheckoutChecks, TheFirstAcknowledgementOfAKeySellsItsLinesOnce) {
  Classifier c = logged_in();
  Tally t;
  auto acked = c.on_checkout("k1", checkout_answer(201, 7, "k1"), t);
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->id, 7);
  ASSERT_EQ(acked->lines.size(), 1u);
  EXPECT_EQ(acked->lines[0], (std::pair<std::int64_t, std::int64_t>{1, 2}));
  // The same order replayed (a double click, a retry): checked, not sold again.
  EXPECT_FALSE(c.on_checkout("k1", checkout_answer(200, 7, "k1"), t));
  EXPECT_EQ(t.of(Check::order), 1u);
  EXPECT_EQ(t.total_violations(), 0u);
  // A retry whose first attempt committed unseen: its replay is the first ack.
  Response lost;
  lost.transport = Transport::reset;
  EXPECT_FALSE(c.on_checkout("k2", lost, t));
  EXPECT_TRUE(c.on_checkout("k2", checkout_answer(200, 8, "k2"), t));
  // Refusals acknowledge nothing.
  EXPECT_FALSE(c.on_checkout("k3", reply(409, {{"error", "out_of_stock"}, {"item", "item-1"}}), t));
  EXPECT_FALSE(c.on_checkout("k4", reply(503, {{"error", "db_unavailable"}}), t));
  EXPECT_EQ(t.total_violations(), 0u);
}

TEST(CheckoutChecks, DoubleOrderIsASecondOrderForOneKey) {
  Classifier c = logged_in();
  Tally t;
  ASSERT_TRUE(c.on_checkout("k1", checkout_answer(201, 7, "k1"), t));
  c.on_checkout("k1", checkout_answer(200, 9, "k1"), t);  // another order replayed
  EXPECT_EQ(t.of(Violation::double_order), 1u);
  c.on_checkout("k1", checkout_answer(201, 7, "k1"), t);  // created again
  EXPECT_EQ(t.of(Violation::double_order), 2u);
  // A listing naming one key twice: one extra order.
  c.check_order_list(reply(200, {{"orders", {order(9, "k1"), order(7, "k1"), order(5, "k0")}}}), 200, t);
  EXPECT_EQ(t.of(Violation::double_order), 3u);
  EXPECT_EQ(t.of(Violation::order_lost), 0u);
}

TEST(CheckoutChecks, OrderLostIsAnAcknowledgedOrderMissing) {
  Classifier c = logged_in();
  Tally t;
  ASSERT_TRUE(c.on_checkout("k1", checkout_answer(201, 7, "k1"), t));
  ASSERT_TRUE(c.on_checkout("k2", checkout_answer(201, 8, "k2"), t));
  c.check_order(7, reply(200, {{"order", order(7, "k1")}}), t);
  EXPECT_EQ(t.total_violations(), 0u);
  c.check_order(7, reply(404, {{"error", "order_not_found"}}), t);
  EXPECT_EQ(t.of(Violation::order_lost), 1u);
  c.check_order(8, reply(200, {{"order", order(8, "someone-else")}}), t);  // another order came back
  EXPECT_EQ(t.of(Violation::order_lost), 2u);
  c.check_order(99, reply(404, {{"error", "order_not_found"}}), t);  // never acknowledged: not judged
  EXPECT_EQ(t.of(Violation::order_lost), 2u);
  // The whole history (fewer than the limit): every acknowledged order must be there.
  c.check_order_list(reply(200, {{"orders", {order(8, "k2")}}}), 200, t);
  EXPECT_EQ(t.of(Violation::order_lost), 3u);
  // A full page: only orders newer than its oldest are expected in it.
  c.check_order_list(reply(200, {{"orders", {order(8, "k2")}}}), 1, t);
  EXPECT_EQ(t.of(Violation::order_lost), 3u);
  // Not the promised shape: nothing judged.
  c.check_order_list(reply(200, {{"orders", {{{"id", "x"}}}}}), 200, t);
  c.check_order(7, reply(200, {{"nope", 1}}), t);
  EXPECT_EQ(t.of(Violation::order_lost), 3u);
  EXPECT_EQ(t.of(Violation::double_order), 0u);
}

TEST(CheckoutChecks, AnOrderRouteAnswering401IsASessionLostNotAnOrderLost) {
  Classifier c = logged_in();
  Tally t;
  ASSERT_TRUE(c.on_checkout("k1", checkout_answer(201, 7, "k1"), t));
  c.check_order(7, reply(401, {{"error", "unauthorized"}}), t);
  EXPECT_EQ(t.of(Violation::session_lost), 1u);
  EXPECT_EQ(t.of(Violation::order_lost), 0u);
}

TEST(StockAudit, OversoldWhenBelowZeroOrMoreSoldThanThereWasOrThanTheStockLost) {
  StockSnapshot before, after;
  for (int i = 1; i <= 5; ++i) before[i].stock = 10;
  after[1].stock = 4;   // 6 sold, stock fell by 6: fine
  after[2].stock = 0;   // 12 sold of 10
  after[3].stock = 9;   // 5 sold, stock fell by 1: sold units still on the shelf
  after[4].stock = -1;  // below zero
  after[5].error = "HTTP 503";
  StockLedger ledger;
  ledger.add(AckedOrder{1, "a", {{1, 6}, {2, 12}, {3, 5}}});
  ledger.add(AckedOrder{2, "b", {{5, 3}}});
  Tally t;
  const auto audit = audit_stock(before, after, ledger.sold(), t);
  ASSERT_EQ(audit.size(), 5u);
  EXPECT_TRUE(audit[0].oversold.empty());
  EXPECT_EQ(audit[1].oversold, "12 sold, 10 there were");
  EXPECT_EQ(audit[2].oversold, "5 sold, stock fell only 1");
  EXPECT_EQ(audit[3].oversold, "stock -1 below zero");
  EXPECT_FALSE(audit[4].judged);  // no reading after: not judged, and said so
  EXPECT_EQ(t.of(Check::stock), 4u);
  EXPECT_EQ(t.of(Violation::oversold), 3u);
  const json j = stock_json(audit);
  EXPECT_EQ(j[4]["after"], nullptr);
  EXPECT_EQ(j[4]["judged"], false);
  EXPECT_EQ(j[1]["sold"], 12);
}

TEST(StockAudit, OtherBuyersNeverMakeAFalseViolation) {
  StockSnapshot before, after;
  before[1].stock = 10;
  after[1].stock = 2;  // 3 sold by this run, 5 by someone else
  StockLedger ledger;
  ledger.add(AckedOrder{1, "a", {{1, 3}}});
  Tally t;
  audit_stock(before, after, ledger.sold(), t);
  EXPECT_EQ(t.of(Check::stock), 1u);
  EXPECT_EQ(t.of(Violation::oversold), 0u);
}
