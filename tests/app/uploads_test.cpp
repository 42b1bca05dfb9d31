// Reading uploads back, checked on the wire with raw keep-alive connections: a response
// carries exactly the bytes it declares (whatever the store does with Range, and with
// several ranges at once), an upload goes only to the user who made it, and it never
// comes back as a page a browser would run. Each case runs with uploads in S3 (s3rver)
// and on the instance's local disk.
#include <fstream>
#include <random>
#include <sstream>

#include "common/net.hpp"
#include "tests/app/app_test_util.hpp"
#include "tests/support/raw_server.hpp"

using namespace scalelab::testkit;

namespace {

std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + gen() % 26);
  return s;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A GET (or `method`) for `target` with the session cookie and any extra header lines.
std::string request(const std::string& target, const std::string& cookie, const std::string& extra = "",
                    const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie + "\r\n" + extra + "\r\n";
}

}  // namespace

class Uploads : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    shared_ = new AppCluster(1);
    local_ = new AppCluster(1, {{"SCALELAB_STATE_UPLOADS", "local"}});
  }
  static void TearDownTestSuite() {
    for (auto* cluster : {shared_, local_}) {
      // However the suite went, no request may have produced a 500.
      EXPECT_EQ(cluster->client(0)->Get("/metrics")->body.find("status=\"500\""), std::string::npos);
      delete cluster;
    }
    shared_ = local_ = nullptr;
  }
  void SetUp() override {
    c_ = cluster().client(0);
    alice_ = login(*c_, "alice");
    cookie_ = alice_.begin()->second;
  }

  AppCluster& cluster() const { return GetParam() == "s3" ? *shared_ : *local_; }
  std::uint16_t port() const { return cluster().app(0).port; }

  // Uploads `data` as alice; returns its id.
  std::string upload(const std::string& data, const std::string& type = "application/octet-stream") {
    auto r = c_->Post("/api/uploads", alice_, data, type);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : httplib::to_string(r.error()));
    return r && r->status == 201 ? body(r)["id"].get<std::string>() : std::string("none");
  }

  // GETs upload `id` with `Range: range` on `c` and reads the answer.
  std::optional<RawResponse> get_range(RawConnection& c, const std::string& id, const std::string& range) {
    if (!c.send(request("/api/uploads/" + id, cookie_, "Range: " + range + "\r\n"))) return std::nullopt;
    return c.read_response();
  }

  // After the responses read on `c`, the connection must be in step: nothing more
  // arrived, and another request gets a whole, well-formed answer.
  void expect_in_step(RawConnection& c) {
    EXPECT_EQ(c.extra_bytes(), "") << "bytes past the declared Content-Length";
    ASSERT_TRUE(c.send(request("/api/me", cookie_)));
    auto me = c.read_response();
    ASSERT_TRUE(me) << "no well-formed response to the next request";
    EXPECT_EQ(me->status, 200) << me->head;
    EXPECT_EQ(nlohmann::json::parse(me->body, nullptr, false)["user"], "alice") << me->body;
  }

  static AppCluster* shared_;
  static AppCluster* local_;
  std::unique_ptr<httplib::Client> c_;
  httplib::Headers alice_;
  std::string cookie_;
};
AppCluster* Uploads::shared_ = nullptr;
AppCluster* Uploads::local_ = nullptr;

INSTANTIATE_TEST_SUITE_P(Backends, Uploads, ::testing::Values("s3", "local"),
                         [](const auto& info) { return info.param; });

TEST_P(Uploads, RangeZeroZeroSendsExactlyOneByteAndTheConnectionStaysInStep) {
  // s3rver reads the end of bytes=0-0 as "no end" and sends the whole object; the app
  // once declared one byte and relayed all 317, and a balancer would have handed the
  // other 316 to the next client on that connection.
  const std::string data = random_text(317, 1);
  const std::string id = upload(data);
  RawConnection c(port());
  auto r = get_range(c, id, "bytes=0-0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206) << r->head;
  EXPECT_EQ(r->header("Content-Length"), "1");
  EXPECT_EQ(r->header("Content-Range"), "bytes 0-0/317");
  EXPECT_EQ(r->body, data.substr(0, 1));
  expect_in_step(c);
}

TEST_P(Uploads, ASingleRangeIsServedExactly) {
  const std::string data = random_text(317, 2);
  const std::string id = upload(data);
  struct Case {
    const char* range;
    std::size_t first, last;
  };
  RawConnection c(port());
  for (const Case& k : {Case{"bytes=5-9", 5, 9}, Case{"bytes=-10", 307, 316}, Case{"bytes=300-", 300, 316},
                        Case{"bytes=310-99999", 310, 316}, Case{"bytes=0-316", 0, 316}, Case{"bytes=316-316", 316, 316},
                        Case{"bytes=-1000", 0, 316}, Case{"bytes=1-1", 1, 1}}) {
    SCOPED_TRACE(k.range);
    auto r = get_range(c, id, k.range);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 206) << r->head;
    EXPECT_EQ(r->header("Content-Range"),
              "bytes " + std::to_string(k.first) + "-" + std::to_string(k.last) + "/317");
    EXPECT_EQ(r->header("Content-Length"), std::to_string(k.last - k.first + 1));
    EXPECT_EQ(r->body, data.substr(k.first, k.last - k.first + 1));
  }
  // HEAD declares what GET would send, and sends nothing.
  ASSERT_TRUE(c.send(request("/api/uploads/" + id, cookie_, "Range: bytes=5-9\r\n", "HEAD")));
  auto head = c.read_response(/*head_only=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 206);
  EXPECT_EQ(head->header("Content-Length"), "5");
  expect_in_step(c);
}

TEST_P(Uploads, SeveralRangesGetTheWholeBodyWith200) {
  // cpp-httplib's multipart/byteranges length underflowed on an open-ended range:
  // Content-Length 18446744073709550933 with a 317-byte body. RFC 9110 lets a server
  // ignore Range, and the app does so for more than one range.
  const std::string data = random_text(317, 3);
  const std::string id = upload(data);
  RawConnection c(port());
  for (const char* range : {"bytes=0-1,1000-", "bytes=0-1,5000-6000", "bytes=0-1,3-4", "bytes=0-0, -1"}) {
    SCOPED_TRACE(range);
    auto r = get_range(c, id, range);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->head;
    EXPECT_EQ(r->header("Content-Length"), "317");
    EXPECT_FALSE(r->has_header("Content-Range"));
    EXPECT_EQ(r->body, data);
  }
  expect_in_step(c);
}

TEST_P(Uploads, AnUnsatisfiableRangeIs416WithJson) {
  const std::string id = upload(random_text(317, 4));
  RawConnection c(port());
  for (const char* range : {"bytes=317-", "bytes=1000-2000", "bytes=317-317"}) {
    SCOPED_TRACE(range);
    auto r = get_range(c, id, range);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 416) << r->head;
    EXPECT_EQ(r->header("Content-Range"), "bytes */317");
    EXPECT_EQ(r->header("Content-Type"), "application/json");
    EXPECT_EQ(nlohmann::json::parse(r->body, nullptr, false)["error"], "range_not_satisfiable") << r->body;
  }
  expect_in_step(c);
}

TEST_P(Uploads, ARangeThatIsNotValidIsIgnored) {
  // "bytes=-" names no range at all, and If-Range holds a validator the app never
  // issued: either way the answer is the whole upload.
  const std::string data = random_text(100, 5);
  const std::string id = upload(data);
  RawConnection c(port());
  for (const char* extra : {"Range: bytes=-\r\n", "Range: bytes=0-9\r\nIf-Range: \"some-etag\"\r\n"}) {
    SCOPED_TRACE(extra);
    ASSERT_TRUE(c.send(request("/api/uploads/" + id, cookie_, extra)));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->head;
    EXPECT_EQ(r->body, data);
  }
  expect_in_step(c);
}

TEST_P(Uploads, JsonAnswersIgnoreRange) {
  const std::string id = upload("x");
  RawConnection c(port());
  ASSERT_TRUE(c.send(request("/api/me", cookie_, "Range: bytes=0-3\r\n")));
  auto me = c.read_response();
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_FALSE(me->has_header("Content-Range"));
  EXPECT_EQ(me->header("Content-Length"), std::to_string(me->body.size()));
  EXPECT_EQ(nlohmann::json::parse(me->body, nullptr, false)["user"], "alice");
  // Errors too, with one range or several (one of them unsatisfiable): JSON, whole.
  for (const std::string& target : {std::string("/api/nothing"), "/api/uploads/" + std::string(22, 'Z')}) {
    for (const char* range : {"bytes=0-1", "bytes=0-1,3-4", "bytes=0-1,100000-"}) {
      SCOPED_TRACE(target + " " + range);
      ASSERT_TRUE(c.send(request(target, cookie_, std::string("Range: ") + range + "\r\n")));
      auto r = c.read_response();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 404) << r->head;
      EXPECT_EQ(r->header("Content-Type"), "application/json");
      EXPECT_FALSE(r->has_header("Content-Range"));
      EXPECT_TRUE(nlohmann::json::parse(r->body, nullptr, false)["error"].is_string()) << r->body;
    }
  }
  // The upload's own ranges still work on the same connection.
  auto r = get_range(c, id, "bytes=0-0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "x");
  expect_in_step(c);
}

TEST_P(Uploads, AnotherUserGetsTheSame404AsForAMissingUpload) {
  const std::string id = upload("alice's notes", "text/plain");
  const auto bob = login(*c_, "bob");
  auto foreign = c_->Get("/api/uploads/" + id, bob);
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404);
  const std::string missing_id(22, 'Q');
  auto missing = c_->Get("/api/uploads/" + missing_id, bob);
  ASSERT_TRUE(missing);
  std::string expected = missing->body;
  expected.replace(expected.find(missing_id), missing_id.size(), id);
  EXPECT_EQ(foreign->body, expected) << "nothing tells bob that the upload exists";
  EXPECT_EQ(c_->Head("/api/uploads/" + id, bob)->status, 404);
  httplib::Headers bob_ranged = bob;
  bob_ranged.emplace("Range", "bytes=0-0");
  EXPECT_EQ(c_->Get("/api/uploads/" + id, bob_ranged)->status, 404);
  // Its owner, from a new session, still reads it.
  const auto alice_again = login(*c_, "alice");
  auto own = c_->Get("/api/uploads/" + id, alice_again);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200);
  EXPECT_EQ(own->body, "alice's notes");
}

TEST_P(Uploads, UploadsAreNeverServedAsActiveContent) {
  struct Case {
    std::string sent;       // the uploader's Content-Type
    bool inline_ok;         // served inline (an inert type), else as an attachment
  };
  for (const Case& k : {Case{"text/html", false}, Case{"TEXT/HTML; charset=utf-8", false},
                        Case{"image/svg+xml", false}, Case{"application/xhtml+xml", false},
                        Case{"application/javascript", false}, Case{"text/xml", false},
                        Case{"application/x-demo", false}, Case{"image/png", true}, Case{"image/jpeg", true},
                        Case{"text/plain", true}, Case{"text/plain; charset=utf-8", true}}) {
    SCOPED_TRACE(k.sent);
    const std::string id = upload("<script>alert(document.cookie)</script>", k.sent);
    auto r = c_->Get("/api/uploads/" + id, alice_);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("Content-Disposition"), k.inline_ok ? "" : "attachment");
    EXPECT_EQ(r->get_header_value("Content-Type"), k.sent) << "the type is kept; the browser is told not to run it";
  }
  // A multipart upload's part type is the stored type, under the same rules.
  httplib::MultipartFormDataItems items{{"file", "<html><script>1</script></html>", "page.html", "text/html"}};
  auto up = c_->Post("/api/uploads", alice_, items);
  ASSERT_TRUE(up && up->status == 201) << (up ? up->body : "");
  auto r = c_->Get("/api/uploads/" + body(up)["id"].get<std::string>(), alice_);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html");
  EXPECT_EQ(r->get_header_value("Content-Disposition"), "attachment");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
}

// A store that answers a range with other bytes (as s3rver does for "bytes=0-0", here
// for any range) behind a real app: once the 206's headers are out, the app cuts the
// connection rather than send a byte that is not the range, or one past it.
TEST(UploadsFromAMisbehavingStore, TheConnectionIsCutNeverOverrun) {
  const std::string object(317, 'o');
  const std::string id(22, 'K');
  RawServer fake_s3([&](int fd) {
    const std::string request = read_request_head(fd);
    const bool head = request.rfind("HEAD ", 0) == 0, ranged = request.find("\r\nRange: ") != std::string::npos;
    const bool bucket_only = request.find(" /" + std::string(S3Server::kBucket) + " ") != std::string::npos;
    std::string answer;
    if (bucket_only) {
      answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (head || !ranged) {
      answer = "HTTP/1.1 200 OK\r\nContent-Length: 317\r\nContent-Type: text/plain\r\nx-amz-meta-owner: alice\r\n"
               "Connection: close\r\n\r\n" + (head ? std::string() : object);
    } else {
      answer = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-316/317\r\nContent-Length: 317\r\n"
               "Content-Type: text/plain\r\nConnection: close\r\n\r\n" + object;
    }
    answer_and_close(fd, answer);
  });
  RedisServer redis;
  TempDir dir{"scalelab-misbehaving-s3"};
  const std::uint16_t port = scalelab::net::free_port();
  scalelab::process::SpawnOptions options;
  options.argv = {AppCluster::binary("scalelab-app")};
  options.env = {{"SCALELAB_LISTEN", "127.0.0.1:" + std::to_string(port)},
                 {"SCALELAB_ADMIN_LISTEN", "0"},
                 {"SCALELAB_REDIS_URL", redis.url()},
                 {"SCALELAB_S3_ENDPOINT", "http://127.0.0.1:" + std::to_string(fake_s3.port())},
                 {"SCALELAB_S3_BUCKET", S3Server::kBucket},
                 {"SCALELAB_DATA_DIR", (dir / "data").string()},
                 {"SCALELAB_DB_LATENCY_MS", "0"}};
  options.log_path = (dir / "app.log").string();
  auto app = scalelab::process::Process::spawn(options);
  ASSERT_TRUE(scalelab::net::wait_for_port("127.0.0.1", port, std::chrono::seconds(10)));
  httplib::Client c("127.0.0.1", port);
  const auto alice = login(c, "alice");

  RawConnection raw(port);
  ASSERT_TRUE(raw.send(request("/api/uploads/" + id, alice.begin()->second, "Range: bytes=5-9\r\n")));
  const std::string answer = raw.read_answer();
  ASSERT_EQ(answer.rfind("HTTP/1.1 206", 0), 0u) << answer;
  EXPECT_NE(answer.find("Content-Length: 5\r\n"), std::string::npos) << answer;
  const std::string body = answer.substr(answer.find("\r\n\r\n") + 4);
  EXPECT_LT(body.size(), 5u) << "the app sent bytes that are not the range: " << body;
  // The store's exact answers still work: the whole upload, and a range from byte 0.
  EXPECT_EQ(c.Get("/api/uploads/" + id, alice)->body, object);
  httplib::Headers first = alice;
  first.emplace("Range", "bytes=0-0");
  auto r = c.Get("/api/uploads/" + id, first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "o");
  app.stop(std::chrono::seconds(5));
  EXPECT_NE(read_text(dir / "app.log").find("upload stream failed"), std::string::npos) << "the cut is logged";
}
