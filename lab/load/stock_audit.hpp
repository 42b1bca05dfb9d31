// The oversold check, the one violation no single virtual user can see: stock is
// shared by every user. Before the run the engine reads the stock of the items the
// checkout scenario buys, from the catalog itself (`Cache-Control: no-cache`, never a
// cached copy a killed instance may have left behind); during the run, users add the
// lines of every order acknowledged to them to one StockLedger; after the run the stock
// is read again, and each item is judged:
//   - stock below zero;
//   - more acknowledged as sold than there was before the run;
//   - more acknowledged as sold than the stock lost (sold units that will be sold again).
// Other buyers (another load run, a person with curl) only make the stock lose more, so
// they never cause a false violation. Items whose stock could not be read before and
// after are not judged, and say so.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lab/load/classifier.hpp"
#include "lab/load/load_config.hpp"
#include "lab/load/tally.hpp"

namespace scalelab::load {

// The quantities acknowledged as sold, per item, by every user of a run. Thread-safe.
class StockLedger {
 public:
  void add(const AckedOrder& order);
  std::map<std::int64_t, std::int64_t> sold() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::int64_t> sold_;
};

// Item id -> its stock as the catalog answered, or nullopt with why not.
struct StockReading {
  std::optional<std::int64_t> stock;
  std::string error;  // empty when read
};
using StockSnapshot = std::map<std::int64_t, StockReading>;

// Reads items 1..`items` through `target`, one GET /api/items/{id} with
// `Cache-Control: no-cache` each, retrying an item a few times on a 5xx or a transport
// error. Bounded: it gives up on what is left after `budget`.
StockSnapshot read_stock(const Target& target, unsigned items, std::chrono::milliseconds budget);

struct ItemAudit {
  std::int64_t item = 0;
  std::optional<std::int64_t> before, after;
  std::int64_t sold = 0;  // acknowledged to this run's users
  bool judged = false;    // both readings present
  std::string oversold;   // why it is oversold; empty when it is not
};

// Judges every item of `before` (see the top of this file): one stock check per item
// judged, one oversold violation per item found oversold, added to `t`.
std::vector<ItemAudit> audit_stock(const StockSnapshot& before, const StockSnapshot& after,
                                   const std::map<std::int64_t, std::int64_t>& sold, Tally& t);

// [{"item", "before", "after", "sold", "judged", "oversold"}], null for a missing reading.
nlohmann::json stock_json(const std::vector<ItemAudit>& audit);

}  // namespace scalelab::load
