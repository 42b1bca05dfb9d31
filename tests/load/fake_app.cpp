// The load generator's integration tests run against this server rather than
// scalelab-app: it speaks services/app/API.md in one process ("fake-1", on
// cpp-httplib) with no Redis or S3 behind it, and it can misbehave on purpose, in ways
// it counts, so a test can hold the generator's findings against the truth:
//  - good mode implements sessions, carts, the catalog with versions, uploads, the
//    per-user fixed-window rate limit with X-RateLimit-* headers, and /api/work;
//  - broken mode deviates deterministically and counts every deviation it serves:
//    every 3rd session read forgets the session (401), every 4th non-empty cart read
//    shows one quantity short, every 3rd upload read answers 404 and every 5th of the
//    others flips a byte, every 2nd item read by a user who wrote that item returns
//    the version before the one it was acknowledged, and the rate limit allows twice
//    the limit.
// GET /fake/stats returns those counts, named like the generator's violation kinds,
// so a test can demand that the generator counted exactly what was served.
// GET /fake/slow?ms=N answers after N ms (timeouts, open-loop latency); GET /fake/chunked
// answers with a chunked body; GET /fake/status?code=N answers N in the JSON error shape
// (failed requests, for the exit codes of `scalelab load`).
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/config.hpp"
#include "common/crypto.hpp"
#include "common/ids.hpp"
#include "common/json_error.hpp"

namespace {

using json = nlohmann::json;

struct Item {
  double price = 10;
  std::int64_t version = 1;
};

struct Stats {
  std::uint64_t session_lost = 0, cart_lost_write = 0, upload_missing = 0, upload_corrupt = 0, stale_read = 0,
                rate_limit_exceeded = 0;
};

class FakeApp {
 public:
  FakeApp(bool broken, int limit, int window_seconds, std::string instance)
      : broken_(broken), limit_(limit), window_seconds_(window_seconds), instance_(std::move(instance)) {
    for (int id = 1; id <= 100; ++id) items_[id] = Item{};
  }

  void routes(httplib::Server& svr) {
    svr.Get("/healthz", [](const auto&, auto& res) { res.set_content(R"({"status":"ok"})", "application/json"); });
    svr.Get("/fake/stats", [this](const auto&, auto& res) { stats(res); });
    svr.Get("/fake/slow", [this](const httplib::Request& req, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(req.get_param_value("ms"))));
      res.set_header("X-Instance", instance_);
      res.set_content("slow", "text/plain");
    });
    svr.Get("/fake/chunked", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("X-Instance", instance_);
      res.set_chunked_content_provider("text/plain", [](std::size_t, httplib::DataSink& sink) {
        for (const char* piece : {"chunked ", "body ", "in three pieces"}) sink.write(piece, std::strlen(piece));
        sink.done();
        return true;
      });
    });
    svr.Get("/fake/status", [this](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Instance", instance_);
      error(res, std::stoi(req.get_param_value("code")), "fake_status");
    });
    auto api = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        res.set_header("X-Instance", instance_);
        std::lock_guard lock(mutex_);
        const std::string sid = cookie(req, "sid");
        auto session = sessions_.find(sid);
        std::string user = session == sessions_.end() ? "" : session->second;
        // Broken: forget the session on every 3rd session read, before the rate limit
        // sees the request (so the 401 carries no rate-limit headers, as for a stranger).
        if (broken_ && !user.empty() && req.path == "/api/me" && ++me_reads_ % 3 == 0) {
          sessions_.erase(session);
          carts_.erase(sid);
          ++stats_.session_lost;
          return error(res, 401, "session_not_found");
        }
        if (!user.empty() && !rate_limit(user, res)) return;
        handler(req, res, sid, user);
      };
    };
    svr.Post("/api/login", api([this](const auto& req, auto& res, const std::string& sid, const std::string&) {
               const auto body = json::parse(req.body, nullptr, false);
               if (!body.is_object() || !body.contains("user") || !body["user"].is_string())
                 return error(res, 400, "bad_user");
               sessions_.erase(sid);
               carts_.erase(sid);
               const std::string fresh = scalelab::ids::random_token();
               sessions_[fresh] = body["user"].template get<std::string>();
               res.set_header("Set-Cookie", "sid=" + fresh + "; Path=/; HttpOnly; SameSite=Lax");
               ok(res, {{"user", sessions_[fresh]}, {"created_by", instance_}});
             }));
    svr.Post("/api/logout", api([this](const auto&, auto& res, const std::string& sid, const std::string& user) {
               sessions_.erase(sid);
               carts_.erase(sid);
               res.set_header("Set-Cookie", "sid=; Path=/; Max-Age=0");
               ok(res, {{"logged_out", !user.empty()}});
             }));
    svr.Get("/api/me", api([this](const auto&, auto& res, const std::string&, const std::string& user) {
              if (user.empty()) return error(res, 401, "not_logged_in");
              ok(res, {{"user", user}, {"created_by", instance_}, {"served_by", instance_}});
            }));
    svr.Post("/api/cart/items",
             api([this](const auto& req, auto& res, const std::string& sid, const std::string& user) {
               if (user.empty()) return error(res, 401, "not_logged_in");
               const auto body = json::parse(req.body, nullptr, false);
               if (!body.is_object() || !body.contains("sku") || !body.contains("qty"))
                 return error(res, 400, "bad_cart_item");
               const std::string sku = body["sku"].template get<std::string>();
               const int total = carts_[sid][sku] += body["qty"].template get<int>();
               ok(res, {{"sku", sku}, {"qty", total}});
             }));
    svr.Get("/api/cart", api([this](const auto&, auto& res, const std::string& sid, const std::string& user) {
              if (user.empty()) return error(res, 401, "not_logged_in");
              auto cart = carts_[sid];
              if (broken_ && !cart.empty() && ++cart_reads_ % 4 == 0) {
                if (--cart.begin()->second == 0) cart.erase(cart.begin());
                ++stats_.cart_lost_write;
              }
              json items = json::array();
              int total = 0;
              for (const auto& [sku, qty] : cart) {
                items.push_back({{"sku", sku}, {"qty", qty}});
                total += qty;
              }
              ok(res, {{"items", items}, {"total_qty", total}});
            }));
    svr.Get(R"(/api/items/(\d+))", api([this](const auto& req, auto& res, const std::string&, const std::string& user) {
              auto it = items_.find(std::stoi(req.matches[1]));
              if (it == items_.end()) return error(res, 404, "item_not_found");
              std::int64_t version = it->second.version;
              auto acked = acked_.find({user, it->first});
              if (broken_ && acked != acked_.end() && acked->second >= 2 && ++item_reads_ % 2 == 0) {
                version = acked->second - 1;
                ++stats_.stale_read;
              }
              ok(res, item_json(it->first, it->second, version, "hit"));
            }));
    svr.Put(R"(/api/items/(\d+))", api([this](const auto& req, auto& res, const std::string&, const std::string& user) {
              auto it = items_.find(std::stoi(req.matches[1]));
              if (it == items_.end()) return error(res, 404, "item_not_found");
              const auto body = json::parse(req.body, nullptr, false);
              if (!body.is_object() || !body.contains("price")) return error(res, 400, "bad_price");
              it->second.price = body["price"].template get<double>();
              ++it->second.version;
              if (!user.empty()) acked_[{user, it->first}] = it->second.version;
              ok(res, item_json(it->first, it->second, it->second.version, "invalidated"));
            }));
    svr.Post(
        "/api/uploads", api([this](const auto& req, auto& res, const std::string&, const std::string& user) {
          if (user.empty()) return error(res, 401, "not_logged_in");
          const std::string id = scalelab::ids::random_token();
          uploads_[id] = req.body;
          res.status = 201;
          res.set_content(
              json{{"id", id}, {"size", req.body.size()}, {"sha256", scalelab::crypto::sha256_hex(req.body)}}.dump(),
              "application/json");
        }));
    svr.Get(R"(/api/uploads/([A-Za-z0-9_-]+))",
            api([this](const auto& req, auto& res, const std::string&, const std::string& user) {
              if (user.empty()) return error(res, 401, "not_logged_in");
              auto it = uploads_.find(req.matches[1]);
              if (it == uploads_.end()) return error(res, 404, "upload_not_found");
              std::string bytes = it->second;
              if (broken_ && ++upload_reads_ % 3 == 0) {
                ++stats_.upload_missing;
                return error(res, 404, "upload_not_found");
              }
              if (broken_ && ++upload_served_ % 5 == 0 && !bytes.empty()) {
                bytes[0] = static_cast<char>(bytes[0] ^ 0x5a);
                ++stats_.upload_corrupt;
              }
              res.set_header("X-Upload-Sha256", scalelab::crypto::sha256_hex(it->second));
              res.set_content(bytes, "application/octet-stream");
            }));
    svr.Get("/api/work", api([this](const auto& req, auto& res, const std::string&, const std::string&) {
              const int io_ms = req.has_param("io_ms") ? std::stoi(req.get_param_value("io_ms")) : 0;
              std::this_thread::sleep_for(std::chrono::milliseconds(io_ms));  // holds the lock: fine for a test server
              ok(res, {{"io_ms", io_ms}, {"cpu_ms", 0}, {"served_by", instance_}});
            }));
  }

 private:
  static std::string cookie(const httplib::Request& req, const std::string& name) {
    const std::string header = req.get_header_value("Cookie");
    const std::string key = name + "=";
    for (std::size_t pos = 0; pos < header.size();) {
      while (pos < header.size() && header[pos] == ' ') ++pos;
      const auto end = header.find(';', pos);
      const std::string part = header.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      if (part.rfind(key, 0) == 0) return part.substr(key.size());
      if (end == std::string::npos) break;
      pos = end + 1;
    }
    return {};
  }

  static void ok(httplib::Response& res, const json& body) { res.set_content(body.dump(), "application/json"); }
  static void error(httplib::Response& res, int status, const char* code) {
    res.status = status;
    res.set_content(scalelab::error_body(code, "fake app"), "application/json");
  }
  static json item_json(int id, const Item& item, std::int64_t version, const char* cache) {
    return {{"id", id},
            {"name", "item-" + std::to_string(id)},
            {"price", item.price},
            {"stock", 5},
            {"version", version},
            {"cache", cache}};
  }

  // The fixed-window limit of API.md; broken mode allows twice as many and counts the excess.
  bool rate_limit(const std::string& user, httplib::Response& res) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::int64_t window = now / window_seconds_;
    const int n = ++attempts_[{user, window}];
    const int allowed = broken_ ? 2 * limit_ : limit_;
    res.set_header("X-RateLimit-Limit", std::to_string(limit_));
    res.set_header("X-RateLimit-Remaining", std::to_string(std::max(0, limit_ - n)));
    res.set_header("X-RateLimit-Window", std::to_string(window));
    if (n > allowed) {
      res.set_header("Retry-After", std::to_string(window_seconds_ - now % window_seconds_));
      error(res, 429, "rate_limited");
      return false;
    }
    if (n > limit_) ++stats_.rate_limit_exceeded;
    return true;
  }

  void stats(httplib::Response& res) {
    std::lock_guard lock(mutex_);
    ok(res, {{"session_lost", stats_.session_lost},
             {"cart_lost_write", stats_.cart_lost_write},
             {"upload_missing", stats_.upload_missing},
             {"upload_corrupt", stats_.upload_corrupt},
             {"stale_read", stats_.stale_read},
             {"rate_limit_exceeded", stats_.rate_limit_exceeded}});
  }

  const bool broken_;
  const int limit_;
  const int window_seconds_;
  const std::string instance_;
  std::mutex mutex_;
  std::map<std::string, std::string> sessions_;              // sid -> user
  std::map<std::string, std::map<std::string, int>> carts_;  // sid -> sku -> qty
  std::map<int, Item> items_;
  std::map<std::pair<std::string, int>, std::int64_t> acked_;  // (user, item) -> version acknowledged
  std::map<std::string, std::string> uploads_;
  std::map<std::pair<std::string, std::int64_t>, int> attempts_;  // (user, window) -> requests
  std::uint64_t me_reads_ = 0, cart_reads_ = 0, item_reads_ = 0, upload_reads_ = 0, upload_served_ = 0;
  Stats stats_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string mode = "good";
  int limit = 20;
  int window = 1;
  std::string instance = "fake-1";
  CLI::App app{"scalelab-load-fake-app: a test double of scalelab-app for the load generator's tests"};
  scalelab::config::option(app, "--port", "FAKE_APP_PORT", port, "port on 127.0.0.1")->required();
  scalelab::config::option(app, "--mode", "FAKE_APP_MODE", mode, "good or broken")
      ->check(CLI::IsMember({"good", "broken"}));
  scalelab::config::option(app, "--rate-limit", "FAKE_APP_RATE_LIMIT", limit, "requests per window per user");
  scalelab::config::option(app, "--window", "FAKE_APP_WINDOW", window, "rate-limit window in seconds");
  scalelab::config::option(app, "--instance", "FAKE_APP_INSTANCE", instance, "X-Instance value");
  scalelab::config::parse_or_exit(app, argc, argv);

  FakeApp fake(mode == "broken", limit, window, instance);
  httplib::Server svr;
  svr.set_tcp_nodelay(true);
  svr.set_keep_alive_max_count(1000000);
  svr.new_task_queue = [] { return new httplib::ThreadPool(32); };
  fake.routes(svr);
  if (!svr.bind_to_port("127.0.0.1", port)) {
    std::fprintf(stderr, "fake app: cannot bind 127.0.0.1:%d\n", port);
    return 1;
  }
  svr.listen_after_bind();
  return 0;
}
