// The S3 blob store against a real s3rver on a free port, plus one check against a
// recording HTTP server that the signature covers exactly the headers sent (s3rver
// itself never verifies signatures).
#include <httplib.h>
#include <signal.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/fiber_loop.hpp"
#include "common/net.hpp"
#include "common/waits.hpp"
#include "store/blob_store.hpp"
#include "tests/store/blob_io.hpp"
#include "store/errors.hpp"
#include "store/sigv4.hpp"
#include "tests/support/raw_server.hpp"
#include "tests/support/servers.hpp"

using namespace scalelab::store;
using namespace std::chrono_literals;
using scalelab::testkit::RawServer;
using scalelab::testkit::S3Server;
using scalelab::testkit::chunks_of;
using scalelab::testkit::read_all;

namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

S3Config config_for(const std::string& endpoint, const std::string& bucket = S3Server::kBucket) {
  S3Config c;
  c.endpoint = endpoint;
  c.bucket = bucket;
  c.access_key = S3Server::kAccessKey;
  c.secret_key = S3Server::kSecretKey;
  c.connect_timeout = 500ms;
  c.io_timeout = 2000ms;
  return c;
}

}  // namespace

class S3BlobStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { s3_ = new S3Server(); }
  static void TearDownTestSuite() {
    delete s3_;
    s3_ = nullptr;
  }
  void SetUp() override {
    if (!s3_->running()) s3_->start();
    blobs_ = make_s3_blob_store(config_for(s3_->endpoint()), metrics_);
  }
  static S3Server* s3_;
  StoreMetrics metrics_;
  std::unique_ptr<BlobStore> blobs_;
};
S3Server* S3BlobStoreTest::s3_ = nullptr;

TEST_F(S3BlobStoreTest, FiveMebibyteRoundTripStreamsWithSha256) {
  const std::string data = random_bytes(5 * 1024 * 1024 + 123, 1);
  auto put = blobs_->put("five-mib", chunks_of(data), data.size(), "application/x-test", "owner-1");
  EXPECT_EQ(put.size, data.size());
  EXPECT_EQ(put.sha256, scalelab::crypto::sha256_hex(data));
  auto info = blobs_->head("five-mib");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->content_type, "application/x-test");
  const std::string back = read_all(*blobs_, "five-mib");
  EXPECT_EQ(back.size(), data.size());
  EXPECT_EQ(scalelab::crypto::sha256_hex(back), put.sha256);
}

TEST_F(S3BlobStoreTest, UnknownSizeBecomesAMultipartUpload) {
  const std::string data = random_bytes(11 * 1024 * 1024 + 7, 2);  // three parts
  auto put = blobs_->put("chunked-big", chunks_of(data, 100 * 1000), std::nullopt, "application/octet-stream", "owner-1");
  EXPECT_EQ(put.size, data.size());
  EXPECT_EQ(put.sha256, scalelab::crypto::sha256_hex(data));
  EXPECT_EQ(blobs_->head("chunked-big")->size, data.size());
  EXPECT_EQ(scalelab::crypto::sha256_hex(read_all(*blobs_, "chunked-big")), put.sha256);
}

TEST_F(S3BlobStoreTest, SmallUnknownSizeAndEmptyBodies) {
  auto small = blobs_->put("chunked-small", chunks_of("tiny body", 3), std::nullopt, "text/plain", "owner-1");
  EXPECT_EQ(small.size, 9u);
  EXPECT_EQ(read_all(*blobs_, "chunked-small"), "tiny body");
  auto empty = blobs_->put("empty", chunks_of(""), 0, "text/plain", "owner-1");
  EXPECT_EQ(empty.sha256, scalelab::crypto::sha256_hex(""));
  EXPECT_EQ(blobs_->head("empty")->size, 0u);
}

TEST_F(S3BlobStoreTest, RangeReads) {
  const std::string data = random_bytes(300000, 3);
  blobs_->put("ranged", chunks_of(data), data.size(), "application/octet-stream", "owner-1");
  EXPECT_EQ(read_all(*blobs_, "ranged", ByteRange{0, 10}), data.substr(0, 10));
  EXPECT_EQ(read_all(*blobs_, "ranged", ByteRange{123456, 1000}), data.substr(123456, 1000));
  EXPECT_EQ(read_all(*blobs_, "ranged", ByteRange{data.size() - 1, 1}), data.substr(data.size() - 1));
  std::string part;
  auto info = blobs_->get("ranged", ByteRange{5, 5}, [&](const char* d, std::size_t n) {
    part.append(d, n);
    return true;
  });
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, data.size()) << "a range read still reports the whole object's size";
}

TEST_F(S3BlobStoreTest, ARangeFromByteZeroIsExactThoughS3rverSendsTheWholeObject) {
  // s3rver 3.7.1 reads the end of "bytes=0-0" as "no end" and sends all 317 bytes;
  // the store once passed every one of them on.
  const std::string data = random_bytes(317, 5);
  blobs_->put("first-byte", chunks_of(data), data.size(), "application/octet-stream", "owner-1");
  EXPECT_EQ(read_all(*blobs_, "first-byte", ByteRange{0, 1}), data.substr(0, 1));
  EXPECT_EQ(read_all(*blobs_, "first-byte", ByteRange{0, 100}), data.substr(0, 100));
  EXPECT_EQ(read_all(*blobs_, "first-byte", ByteRange{316, 1}), data.substr(316));
  EXPECT_EQ(read_all(*blobs_, "first-byte", ByteRange{1, 316}), data.substr(1));
  EXPECT_EQ(read_all(*blobs_, "first-byte"), data) << "the pool's connections are in step afterwards";
  // A range past the end is the store's error, not a short answer.
  EXPECT_THROW(read_all(*blobs_, "first-byte", ByteRange{0, 400}), StoreError);
  EXPECT_THROW(read_all(*blobs_, "first-byte", ByteRange{300, 100}), StoreError);
  EXPECT_EQ(read_all(*blobs_, "first-byte"), data);
}

TEST_F(S3BlobStoreTest, TheOwnerIsKeptWithTheObject) {
  const std::string big = random_bytes(6 * 1024 * 1024, 6);
  blobs_->put("owned-streamed", chunks_of("abc"), 3, "text/plain", "alice");
  blobs_->put("owned-small", chunks_of("abc", 1), std::nullopt, "text/plain", "bob@example.org");
  blobs_->put("owned-multipart", chunks_of(big, 1 << 20), std::nullopt, "text/plain", "carol");
  blobs_->put("owned-by-nobody", chunks_of("abc"), 3, "text/plain", "");
  for (const auto& [key, owner] : std::vector<std::pair<std::string, std::string>>{
           {"owned-streamed", "alice"}, {"owned-small", "bob@example.org"}, {"owned-multipart", "carol"},
           {"owned-by-nobody", ""}}) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(blobs_->head(key));
    EXPECT_EQ(blobs_->head(key)->owner, owner);
    auto info = blobs_->get(key, ByteRange{1, 1}, [](const char*, std::size_t) { return true; });
    ASSERT_TRUE(info);
    EXPECT_EQ(info->owner, owner);
  }
  EXPECT_THROW(blobs_->put("bad-owner", chunks_of("x"), 1, "", "two words"), std::invalid_argument);
  EXPECT_THROW(blobs_->put("bad-owner", chunks_of("x"), 1, "", "line\r\nX-Evil: 1"), std::invalid_argument);
}

TEST_F(S3BlobStoreTest, MissingKeysAndRemoval) {
  EXPECT_FALSE(blobs_->head("never-written"));
  EXPECT_FALSE(blobs_->get("never-written", std::nullopt, [](const char*, std::size_t) { return true; }));
  blobs_->put("doomed", chunks_of("x"), 1, "", "owner-1");
  EXPECT_TRUE(blobs_->remove("doomed"));
  EXPECT_FALSE(blobs_->head("doomed"));
  EXPECT_FALSE(blobs_->remove("doomed"));
  EXPECT_THROW(blobs_->head("../etc/passwd"), std::invalid_argument);
}

TEST_F(S3BlobStoreTest, ShortBodyStoresNothing) {
  const std::string data = random_bytes(1000, 4);
  EXPECT_THROW(blobs_->put("short", chunks_of(data), 5000, "", "owner-1"), TruncatedBody);
  EXPECT_THROW(blobs_->put("aborted",
                           [](const ChunkSink& sink) {
                             sink("abc", 3);
                             throw std::runtime_error("client went away");
                           },
                           100, "", "owner-1"),
               std::runtime_error);
  EXPECT_FALSE(blobs_->head("short"));
  EXPECT_FALSE(blobs_->head("aborted"));
  // The store is still healthy afterwards.
  EXPECT_EQ(blobs_->put("after", chunks_of("ok"), 2, "", "owner-1").size, 2u);
}

TEST_F(S3BlobStoreTest, ReadinessCheckNamesAMissingBucket) {
  EXPECT_NO_THROW(blobs_->check());
  auto wrong = make_s3_blob_store(config_for(s3_->endpoint(), "no-such-bucket"), metrics_);
  EXPECT_THROW(wrong->check(), StoreError);
}

TEST_F(S3BlobStoreTest, DownServerSurfacesAsUnavailableThenRecovers) {
  blobs_->put("survivor", chunks_of("still here"), 10, "text/plain", "owner-1");
  s3_->kill(SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  try {
    blobs_->head("survivor");
    FAIL() << "expected StoreUnavailable with s3rver dead";
  } catch (const StoreUnavailable& e) {
    EXPECT_EQ(e.backend(), "s3");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_THROW(blobs_->put("during-outage", chunks_of("x"), 1, "", "owner-1"), StoreUnavailable);
  EXPECT_THROW(blobs_->check(), StoreUnavailable);
  s3_->start();
  bool back = false;
  for (int i = 0; i < 50 && !back; ++i) {
    try {
      back = read_all(*blobs_, "survivor") == "still here";
    } catch (const StoreUnavailable&) {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(back) << "the same store must work again once S3 is back";
}

// A store that answers a GET with other bytes than were asked for: the read fails with
// StoreError before any of them reaches the sink.
TEST(S3Answers, OtherBytesThanAskedForAreAStoreErrorAndReachNoSink) {
  const std::string object(317, 'o');
  std::string answer;  // the raw response the fake S3 sends next
  RawServer fake([&](int fd) {
    scalelab::testkit::read_request_head(fd);
    scalelab::testkit::answer_and_close(fd, answer);
  });
  StoreMetrics metrics;
  auto blobs = make_s3_blob_store(config_for("http://127.0.0.1:" + std::to_string(fake.port()), "bkt"), metrics);
  auto respond = [](const std::string& status, const std::string& headers, const std::string& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers +
           "Connection: close\r\n\r\n" + body;
  };
  struct Case {
    std::string what;
    std::optional<ByteRange> range;
    std::string answer;
  };
  const std::vector<Case> cases{
      {"a wider range", ByteRange{5, 5}, respond("206 Partial Content", "Content-Range: bytes 0-316/317\r\n", object)},
      {"another range", ByteRange{5, 5}, respond("206 Partial Content", "Content-Range: bytes 6-10/317\r\n", "ooooo")},
      {"a 200 to a range", ByteRange{5, 5}, respond("200 OK", "", object)},
      {"the range, with a longer body", ByteRange{5, 5},
       respond("206 Partial Content", "Content-Range: bytes 5-9/317\r\n", "oooooooooo")},
      {"no Content-Range", ByteRange{5, 5}, respond("206 Partial Content", "", "ooooo")},
      {"a 206 to a whole read", std::nullopt, respond("206 Partial Content", "Content-Range: bytes 0-9/317\r\n", "oooooooooo")},
      {"no declared length", std::nullopt, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + object},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    answer = c.answer;
    std::size_t reached = 0;
    EXPECT_THROW(blobs->get("obj", c.range,
                            [&](const char*, std::size_t n) {
                              reached += n;
                              return true;
                            }),
                 StoreError);
    EXPECT_EQ(reached, 0u);
  }
  answer = respond("206 Partial Content", "Content-Range: bytes 5-9/317\r\n", "ooooo");
  EXPECT_EQ(read_all(*blobs, "obj", ByteRange{5, 5}), "ooooo") << "the exact answer is taken";
}

// A hostile S3 that sends a second, forged answer right after a complete one, on a
// keep-alive connection: the forged bytes must never become the next request's answer.
// The connection is closed, not pooled, and the next read gets the real object.
TEST(S3Answers, AConnectionWhoseAnswerOverranItsFramingIsNeverReused) {
  std::atomic<int> connections{0};
  std::atomic<bool> reused{false};
  RawServer fake([&](int fd) {
    scalelab::testkit::read_request_head(fd);
    if (++connections == 1) {
      const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
      const std::string forged = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nx-amz-meta-owner: mallory\r\n\r\nforged";
      const std::string both = answer + forged;
      EXPECT_EQ(::send(fd, both.data(), both.size(), MSG_NOSIGNAL), static_cast<ssize_t>(both.size()));
      reused = !scalelab::testkit::read_request_head(fd).empty();  // "" once the client closes
      ::close(fd);
    } else {
      scalelab::testkit::answer_and_close(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nreal");
    }
  });
  StoreMetrics metrics;
  auto blobs = make_s3_blob_store(config_for("http://127.0.0.1:" + std::to_string(fake.port()), "bkt"), metrics);
  EXPECT_EQ(read_all(*blobs, "first"), "abc");
  EXPECT_EQ(read_all(*blobs, "second"), "real") << "the forged answer was taken for the second request's";
  EXPECT_EQ(connections.load(), 2);
  EXPECT_FALSE(reused.load()) << "a request went out on the connection that held the forged bytes";
}

// A store that dies mid-body: the read fails as StoreUnavailable, the sink saw no more
// than arrived, and the next read uses a new connection and gets the whole object.
TEST(S3Answers, AStoreThatDiesMidBodyFailsTheReadAndTheNextOneRecovers) {
  std::atomic<int> connections{0};
  RawServer fake([&](int fd) {
    scalelab::testkit::read_request_head(fd);
    if (++connections == 1) {
      const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + std::string(100, 'a');
      EXPECT_EQ(::send(fd, cut.data(), cut.size(), MSG_NOSIGNAL), static_cast<ssize_t>(cut.size()));
      ::close(fd);
    } else {
      scalelab::testkit::answer_and_close(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    }
  });
  StoreMetrics metrics;
  auto blobs = make_s3_blob_store(config_for("http://127.0.0.1:" + std::to_string(fake.port()), "bkt"), metrics);
  std::size_t reached = 0;
  EXPECT_THROW(blobs->get("obj", std::nullopt,
                          [&](const char*, std::size_t n) {
                            reached += n;
                            return true;
                          }),
               StoreUnavailable);
  EXPECT_LE(reached, 100u);
  EXPECT_EQ(read_all(*blobs, "obj"), "abc");
}

// On an event loop's fiber an S3 call parks the fiber: the loop runs its other fibers
// meanwhile, and more S3 calls are in flight at once than a pool of blocking threads
// (waits::run_blocking's 8) could carry.
TEST(S3OnAFiber, CallsParkTheirFibersAndAllWaitTogether) {
  httplib::Server slow;
  std::atomic<int> in_flight{0}, most_in_flight{0};
  slow.new_task_queue = [] { return new httplib::ThreadPool(40); };
  slow.Get(".*", [&](const httplib::Request&, httplib::Response& res) {  // HEAD too
    const int now = ++in_flight;
    for (int seen = most_in_flight.load(); now > seen && !most_in_flight.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(400ms);
    --in_flight;
    res.status = 200;
    res.set_header("x-amz-meta-owner", "o");
  });
  const int port = slow.bind_to_any_port("127.0.0.1");
  std::thread server([&] { slow.listen_after_bind(); });
  while (!slow.is_running()) std::this_thread::sleep_for(5ms);

  StoreMetrics metrics;
  S3Config config = config_for("http://127.0.0.1:" + std::to_string(port), "bkt");
  config.max_connections = 32;
  auto blobs = make_s3_blob_store(config, metrics);
  scalelab::fiber::EventLoop loop;
  loop.start();
  constexpr int kCalls = 20;
  std::atomic<int> found{0}, ticks{0};
  std::promise<void> all_done;
  std::atomic<int> remaining{kCalls};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  for (int i = 0; i < kCalls; ++i)
    loop.spawn([&, i] {
      // 20 ms apart: cpp-httplib listens with a backlog of 5, and a burst of connects
      // past it waits for the kernel's SYN retry. Each call lasts 400 ms, so they overlap.
      scalelab::waits::sleep_for(i * 20ms);
      try {
        if (blobs->head("k")) ++found;
      } catch (const std::exception& e) {
        std::lock_guard lock(errors_mu);
        errors.push_back(e.what());
      }
      if (--remaining == 0) all_done.set_value();
    });
  loop.spawn([&] {
    while (remaining.load() > 0) {
      scalelab::waits::sleep_for(10ms);
      ++ticks;
    }
  });
  ASSERT_EQ(all_done.get_future().wait_for(20s), std::future_status::ready) << found.load() << " found, " << most_in_flight.load() << " at most in flight, " << ticks.load() << " ticks";
  while (loop.live() > 0) std::this_thread::sleep_for(5ms);
  blobs.reset();
  slow.stop();
  server.join();
  EXPECT_EQ(found.load(), kCalls) << (errors.empty() ? "" : errors.front());
  EXPECT_GT(most_in_flight.load(), 8) << "the calls waited one after another";
  EXPECT_GE(ticks.load(), 10) << "the loop ran nothing else while the calls waited";
}

TEST(S3Signing, SignatureCoversExactlyTheHeadersSent) {
  httplib::Server recorder;
  httplib::Headers seen;
  std::string method, path;
  recorder.Put(".*", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.headers;
    method = req.method;
    path = req.path;
    res.status = 200;
  });
  const int port = recorder.bind_to_any_port("127.0.0.1");
  std::thread server([&] { recorder.listen_after_bind(); });
  while (!recorder.is_running()) std::this_thread::sleep_for(5ms);

  StoreMetrics metrics;
  auto blobs = make_s3_blob_store(config_for("http://127.0.0.1:" + std::to_string(port), "bkt"), metrics);
  blobs->put("obj-1", chunks_of("payload"), 7, "text/plain", "owner-1");
  blobs.reset();  // closes its keep-alive connection, so stop() need not wait for it
  recorder.stop();
  server.join();

  ASSERT_EQ(method, "PUT");
  EXPECT_EQ(path, "/bkt/obj-1");
  auto header = [&](const std::string& name) {
    auto it = seen.find(name);
    return it == seen.end() ? std::string() : it->second;
  };
  EXPECT_EQ(header("Host"), "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(seen.count("Host"), 1u);
  EXPECT_EQ(header("X-Amz-Content-Sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(header("X-Amz-Meta-Owner"), "owner-1");
  // Re-sign what arrived, with the date it carried: the signatures must agree, and
  // cover the owner (AWS wants every x-amz-* header signed).
  sigv4::Options options;
  options.amz_date = header("X-Amz-Date");
  auto expected = sigv4::sign({"PUT", "/bkt/obj-1", {}, {{"Host", header("Host")}, {"x-amz-meta-owner", "owner-1"}},
                               "UNSIGNED-PAYLOAD"},
                              {S3Server::kAccessKey, S3Server::kSecretKey, ""}, options);
  EXPECT_EQ(header("Authorization"), expected.headers_to_add.back().second);
}
