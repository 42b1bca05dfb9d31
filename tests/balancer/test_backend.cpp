// A small real HTTP backend for the balancer's integration tests (the app may not exist
// yet, and the tests need misbehaviour on demand). It names itself in X-Instance and
// serves:
//   GET  /readyz          200, or 503 after POST /ready/off (POST /ready/on restores)
//   ANY  /echo            200 JSON: instance, method, target, headers (lower-case), body
//   GET  /slow?ms=N       200 after N milliseconds
//   GET  /status/NNN      that status, JSON body
//   POST /sink            reads the body as a stream and answers {"bytes": N}
//   GET  /blob?bytes=N    N bytes, streamed chunked, never held in memory
// Usage: balancer_test_backend --port N --id NAME [--host 127.0.0.1] [--threads 64]
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", id = "backend";
  int port = 0, threads = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") port = std::atoi(value.c_str());
    else if (flag == "--id") id = value;
    else if (flag == "--host") host = value;
    else if (flag == "--threads") threads = std::atoi(value.c_str());
  }
  if (port <= 0) return 2;

  httplib::Server svr;
  svr.set_tcp_nodelay(true);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  svr.set_keep_alive_max_count(1000000);
  svr.set_keep_alive_timeout(30);
  svr.set_payload_max_length(1ull << 40);
  svr.set_default_headers({{"X-Instance", id}});
  std::atomic<bool> ready{true};

  svr.Get("/readyz", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ready ? 200 : 503;
    res.set_content(ready ? R"({"ready":true})" : R"({"ready":false})", "application/json");
  });
  svr.Post("/ready/off", [&](const httplib::Request&, httplib::Response& res) {
    ready = false;
    res.set_content("{}", "application/json");
  });
  svr.Post("/ready/on", [&](const httplib::Request&, httplib::Response& res) {
    ready = true;
    res.set_content("{}", "application/json");
  });
  auto echo = [&](const httplib::Request& req, httplib::Response& res) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : req.headers) {
      std::string key = k;
      for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (headers.contains(key))
        headers[key] = headers[key].get<std::string>() + "\n" + v;
      else
        headers[key] = v;
    }
    if (req.has_header("X-Request-Id")) res.set_header("X-Request-Id", req.get_header_value("X-Request-Id"));
    res.set_content(nlohmann::json{{"instance", id},
                                   {"method", req.method},
                                   {"target", req.target},
                                   {"headers", headers},
                                   {"body", req.body}}
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  };
  svr.Get("/echo", echo);
  svr.Post("/echo", echo);
  svr.Put("/echo", echo);
  svr.Delete("/echo", echo);
  svr.Get("/slow", [&](const httplib::Request& req, httplib::Response& res) {
    const int ms = req.has_param("ms") ? std::atoi(req.get_param_value("ms").c_str()) : 100;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    res.set_content(nlohmann::json{{"instance", id}, {"slept_ms", ms}}.dump(), "application/json");
  });
  svr.Get(R"(/status/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = std::atoi(req.matches[1].str().c_str());
    res.set_content(nlohmann::json{{"instance", id}, {"status", res.status}}.dump(), "application/json");
  });
  svr.Post("/sink", [&](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& reader) {
    std::uint64_t bytes = 0;
    reader([&](const char*, std::size_t n) {
      bytes += n;
      return true;
    });
    res.set_content(nlohmann::json{{"instance", id}, {"bytes", bytes}}.dump(), "application/json");
  });
  svr.Get("/blob", [&](const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t total = req.has_param("bytes") ? std::strtoull(req.get_param_value("bytes").c_str(), nullptr, 10) : 0;
    auto sent = std::make_shared<std::uint64_t>(0);
    res.set_chunked_content_provider("application/octet-stream", [total, sent](std::size_t, httplib::DataSink& sink) {
      static const std::string block(64 * 1024, 'x');
      if (*sent >= total) {
        sink.done();
        return true;
      }
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), total - *sent));
      if (!sink.write(block.data(), n)) return false;
      *sent += n;
      return true;
    });
  });

  if (!svr.bind_to_port(host.c_str(), port)) return 1;
  svr.listen_after_bind();
  return 0;
}
