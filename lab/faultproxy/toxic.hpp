// The interface every fault sits behind. Each fault the proxy can inject is a small
// class under toxics/, one file each as in Toxiproxy, so adding a toxic never touches
// the piping. A Toxic is the configured fault, shared by every connection it
// affects; a ToxicContext is its attachment to one connection, created when the toxic
// is added (for live connections) or when a connection opens (while the toxic exists),
// and deactivated when the toxic is removed or the connection closes. Deactivation
// wakes every sleep the toxic is in, which is how removal restores normal flow at once.
#pragma once

#include "common/asio.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "lab/faultproxy/toxic_spec.hpp"

namespace scalelab::faultproxy {

namespace asio = boost::asio;

// What a toxic may do to the connection it affects. Connection implements it; unit
// tests fake it. Every call is made on the connection's executor, and is a no-op once
// the connection is closed.
class ConnectionControl {
 public:
  virtual ~ConnectionControl() = default;
  virtual asio::any_io_executor executor() = 0;
  // Closes both sockets normally (FIN); `why` is the toxic type, for logs and metrics.
  virtual void close_connection(std::string_view why) = 0;
  // Closes with a TCP RST (SO_LINGER 0) towards the chosen sides, normally elsewhere.
  virtual void reset_connection(bool client_side, bool upstream_side, std::string_view why) = 0;
};

class Toxic;

class ToxicContext {
 public:
  ToxicContext(std::shared_ptr<const Toxic> toxic, ConnectionControl& connection);
  ToxicContext(const ToxicContext&) = delete;
  ToxicContext& operator=(const ToxicContext&) = delete;

  const Toxic& toxic() const { return *toxic_; }
  ConnectionControl& connection() { return connection_; }
  // True when this attachment acts on bytes travelling in `dir` (upstream or downstream).
  bool affects(Direction dir) const;
  // False once the toxic was removed or the connection closed.
  bool active() const { return active_; }

  // Sleeps for `d`. Returns true if the full time passed, false if the attachment was
  // deactivated first (at once, if it already was).
  asio::awaitable<bool> sleep_for(std::chrono::steady_clock::duration d);
  // Sleeps until deactivated.
  asio::awaitable<void> wait_until_inactive();
  // Marks the attachment inactive and wakes every sleeper. Idempotent.
  void deactivate();

  // A pacing clock per direction, for rate-limiting toxics: when the next byte may go.
  std::chrono::steady_clock::time_point& pace(Direction dir) { return pace_[dir == Direction::upstream ? 0 : 1]; }

 private:
  std::shared_ptr<const Toxic> toxic_;
  ConnectionControl& connection_;
  bool active_ = true;
  std::set<asio::steady_timer*> sleepers_;
  std::chrono::steady_clock::time_point pace_[2]{};
};

// The rest of the chain after a toxic: the next toxics, then the destination socket.
using Forward = std::function<asio::awaitable<void>(std::string_view)>;

class Toxic {
 public:
  explicit Toxic(ToxicSpec spec) : spec_(std::move(spec)) {}
  virtual ~Toxic() = default;
  Toxic(const Toxic&) = delete;
  Toxic& operator=(const Toxic&) = delete;

  const ToxicSpec& spec() const { return spec_; }

  // Runs once per affected connection, as its own coroutine, when the attachment
  // starts. The caller keeps `ctx` alive until it returns; it must return promptly
  // once ctx is inactive.
  virtual asio::awaitable<void> on_attach(ToxicContext& ctx) const;
  // A chunk travelling in `dir`, a direction ctx affects. Pass data on with `next`
  // (any number of times, in order), or not at all to swallow it.
  virtual asio::awaitable<void> on_data(ToxicContext& ctx, Direction dir, std::string_view data,
                                        const Forward& next) const;
  // The sender in `dir` closed its side. Returns when that close may be passed on.
  virtual asio::awaitable<void> on_close(ToxicContext& ctx, Direction dir) const;
  // True when a new connection this toxic affects must be refused.
  virtual bool refuses_connections() const { return false; }

 private:
  ToxicSpec spec_;
};

// A kind of toxic: its catalog entry (type, help, attributes with their ranges) and
// how to build one from a spec parse_toxic_spec accepted. Each toxic file under
// toxics/ defines one; the registry there lists them all.
struct ToxicKind {
  ToxicTypeInfo info;
  std::shared_ptr<const Toxic> (*make)(const ToxicSpec& spec);
};

// Every kind, in the registry's order (toxics/toxics.hpp).
const std::vector<const ToxicKind*>& toxic_kinds();

// Builds the toxic class for spec.type (a type parse_toxic_spec accepted).
std::shared_ptr<const Toxic> make_toxic(const ToxicSpec& spec);

// A uniform draw in [0, 1) from a per-thread engine seeded once from std::random_device:
// toxicity rolls and jitter need spread, not cryptographic strength.
double random_unit();

// Milliseconds as a steady_clock duration (attributes are doubles).
inline std::chrono::steady_clock::duration millis(double ms) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

}  // namespace scalelab::faultproxy
