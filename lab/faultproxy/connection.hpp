// A Connection pipes one client connection through a proxy, both ways, through the
// toxics that affect it. Each direction is a coroutine that reads a chunk
// and hands it down the chain of active attachments, the last link writing it to the
// other socket. The chain is re-read for every chunk, and every attachment can be
// deactivated at any time, so adding or removing a toxic takes effect on live
// connections at once, as in Toxiproxy.
//
// Threading: a Connection lives on one single-threaded io_context; every method must be
// called from it.
#pragma once

#include "common/asio.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lab/faultproxy/proxy_metrics.hpp"
#include "lab/faultproxy/toxic.hpp"

namespace scalelab::faultproxy {

class Connection;

// What a proxy shares with its connections. Connections keep it alive, so a
// connection that outlives its Proxy object (while the loop winds down) stays valid.
struct LinkState {
  LinkState(std::string proxy_name, asio::ip::tcp::endpoint upstream_endpoint, MetricFamilies& families)
      : name(std::move(proxy_name)), upstream(upstream_endpoint), metrics(families, name) {}
  std::string name;
  asio::ip::tcp::endpoint upstream;
  ProxyMetrics metrics;
  std::map<std::uint64_t, std::weak_ptr<Connection>> live;  // open connections by id
};

class Connection final : public ConnectionControl, public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket client, std::shared_ptr<LinkState> link, std::uint64_t id);
  ~Connection() override;

  // Attaches `toxics` (each rolled against its toxicity), then either refuses the
  // connection (an affected toxic refuses connections) or connects upstream and starts
  // piping. Counts the connection as active until it closes.
  void start(const std::vector<std::shared_ptr<const Toxic>>& toxics);

  // A toxic was added: roll its toxicity for this connection and, if affected, attach.
  void attach(const std::shared_ptr<const Toxic>& toxic);
  // A toxic was removed: deactivate its attachment, waking whatever it held back.
  void detach(const Toxic* toxic);

  // Closes normally (FIN both sides), for the proxy's own shutdown.
  void close() { finish(End::normal, false, false, ""); }

  std::uint64_t id() const { return id_; }

  // ConnectionControl
  asio::any_io_executor executor() override { return client_.get_executor(); }
  void close_connection(std::string_view why) override;
  void reset_connection(bool client_side, bool upstream_side, std::string_view why) override;

 private:
  using Chain = std::vector<std::shared_ptr<ToxicContext>>;
  enum class End { normal, toxic_close, toxic_reset, refused };

  // `self` is a parameter, not taken inside: Asio coroutines start lazily, and the
  // connection must be kept alive from the moment the coroutine is created.
  asio::awaitable<void> connect_and_pipe(std::shared_ptr<Connection> self);
  asio::awaitable<void> pump(std::shared_ptr<Connection> self, Direction dir);
  asio::awaitable<void> forward(Direction dir, std::shared_ptr<const Chain> chain, std::size_t index,
                                std::string_view data);
  std::shared_ptr<const Chain> chain(Direction dir) const;
  void finish(End end, bool rst_client, bool rst_upstream, std::string_view why);

  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket upstream_;
  std::shared_ptr<LinkState> link_;
  std::uint64_t id_;
  Chain attached_;  // in the order the toxics were added
  int pumps_ = 0;
  bool closed_ = false;
};

}  // namespace scalelab::faultproxy
