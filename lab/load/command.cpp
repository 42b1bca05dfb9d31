// The flags of `scalelab load` and the glue from them to run_load() and the Reporter.
#include "lab/load/command.hpp"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <stop_token>
#include <thread>

#include "common/config.hpp"
#include "lab/load/engine.hpp"
#include "lab/load/reporter.hpp"

namespace scalelab::load {
namespace {

struct Flags {
  LoadConfig config;
  RunHook hook;
  bool target_given = false;
  std::string rate = "0";
  std::string duration = "10s";
  std::string think_time = "0ms";
  std::string mix = kDefaultMix;
  std::string stale_grace = "0ms";
  std::string connect_timeout = "2s";
  std::string timeout = "10s";
  std::string output = "table";
  std::string progress = "auto";
};

// A CLI11 validator from one of load_config's parsers: its one-line message on failure.
template <class Parse>
CLI::Validator parsed_by(Parse parse, const std::string& description) {
  return CLI::Validator(
      [parse](std::string& value) -> std::string {
        try {
          (void)parse(value);
          return {};
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      description);
}

// Stops the run on SIGINT or SIGTERM: the signals are blocked in every thread (the
// run's threads inherit the mask) and collected by one waiting thread, so no code runs
// in a signal handler.
class SignalStop {
 public:
  SignalStop() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    waiter_ = std::jthread([this](std::stop_token done) {
      const timespec tick{0, 100'000'000};
      while (!done.stop_requested()) {
        if (sigtimedwait(&set_, nullptr, &tick) > 0) {
          source_.request_stop();
          return;
        }
      }
    });
  }
  ~SignalStop() {
    waiter_.request_stop();
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  std::stop_token token() const { return source_.get_token(); }

 private:
  sigset_t set_{}, old_{};
  std::stop_source source_;
  std::jthread waiter_;
};

void run_command(Flags& f) {
  LoadConfig c = f.config;
  c.rate = parse_rate(f.rate);
  c.duration = parse_duration(f.duration);
  c.think_time = parse_duration(f.think_time);
  c.mix = parse_mix(f.mix);
  c.stale_grace = parse_duration(f.stale_grace);
  c.connect_timeout = parse_duration(f.connect_timeout);
  c.response_timeout = parse_duration(f.timeout);
  try {
    validate(c);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(e.what());
  }
  const ProgressMode progress = f.progress == "line"   ? ProgressMode::line
                                : f.progress == "json" ? ProgressMode::json
                                : f.progress == "none" ? ProgressMode::none
                                                       : ProgressMode::automatic;
  Reporter reporter(progress, f.output == "json" ? OutputFormat::json : OutputFormat::table);
  std::function<void(const Sample&)> also;
  LoadResult result;
  {
    // First: every thread started from here on inherits the blocked signals, the hook's
    // too (its console publisher), so SIGINT reaches the waiter and never kills the run.
    SignalStop signals;
    if (f.hook) also = f.hook(c, f.target_given);
    result = run_load(
        c,
        [&](const Sample& s) {
          reporter.progress(s);
          if (also) also(s);
        },
        signals.token());
  }
  reporter.summary(result);
  if (!result.target_answered) {
    std::fprintf(stderr, "scalelab load: %s never answered (%llu requests failed)\n", c.target.c_str(),
                 static_cast<unsigned long long>(result.totals.requests));
    std::exit(config::kExitFailure);
  }
}

}  // namespace

CLI::App* add_load_command(CLI::App& parent, RunHook hook) {
  auto flags = std::make_shared<Flags>();
  Flags& f = *flags;
  f.hook = std::move(hook);
  LoadConfig& c = f.config;
  CLI::App* cmd = parent.add_subcommand(
      "load",
      "Drive the lab with virtual users that check correctness (closed loop by default, open loop with --rate)");
  using config::option;
  CLI::Option* target = option(*cmd, "--target", "SCALELAB_LOAD_TARGET", c.target,
                               f.hook ? "host:port to drive; 127.0.0.0/8 only (default: the balancer of the lab in --dir)"
                                      : "host:port to drive; 127.0.0.0/8 only")
                            ->check(parsed_by(parse_target, "LOOPBACK"));
  option(*cmd, "--users", "SCALELAB_LOAD_USERS", c.users,
         "virtual users (closed loop), or the bound on users/connections (open loop)")
      ->check(CLI::Range(1u, 100000u));
  option(*cmd, "--rate", "SCALELAB_LOAD_RATE", f.rate,
         "open loop: requests per second (e.g. 500 or 500/s); 0 = closed loop")
      ->check(parsed_by(parse_rate, "RATE"));
  option(*cmd, "--threads", "SCALELAB_LOAD_THREADS", c.threads, "threads, one event loop each")
      ->check(CLI::Range(1u, 256u));
  option(*cmd, "--duration", "SCALELAB_LOAD_DURATION", f.duration, "how long to run (10s, 500ms, 2m)")
      ->check(parsed_by(parse_duration, "DURATION"));
  option(*cmd, "--max-requests", "SCALELAB_LOAD_MAX_REQUESTS", c.max_requests,
         "stop after this many requests (in-flight ones finish); 0 = no bound");
  option(*cmd, "--think-time", "SCALELAB_LOAD_THINK_TIME", f.think_time, "closed loop: pause between scenario runs")
      ->check(parsed_by(parse_duration, "DURATION"));
  option(*cmd, "--mix", "SCALELAB_LOAD_MIX", f.mix,
         "weighted scenarios: session, cart, upload, catalog, ratelimit, work, get")
      ->check(parsed_by(parse_mix, "MIX"));
  option(*cmd, "--path", "SCALELAB_LOAD_PATH", c.path, "the path the `get` scenario requests");
  option(*cmd, "--work-io-ms", "SCALELAB_LOAD_WORK_IO_MS", c.work_io_ms, "the work scenario's io_ms")
      ->check(CLI::Range(0u, 10000u));
  option(*cmd, "--work-cpu-ms", "SCALELAB_LOAD_WORK_CPU_MS", c.work_cpu_ms, "the work scenario's cpu_ms")
      ->check(CLI::Range(0u, 10000u));
  option(*cmd, "--upload-size", "SCALELAB_LOAD_UPLOAD_SIZE", c.upload_bytes, "bytes per upload")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} << 20));
  option(*cmd, "--items", "SCALELAB_LOAD_ITEMS", c.items, "catalog ids used by the catalog scenario: 1..N")
      ->check(CLI::Range(1u, 1000000u));
  option(*cmd, "--stale-grace", "SCALELAB_LOAD_STALE_GRACE", f.stale_grace,
         "an older item version counts as stale only this long after the newer one was acknowledged")
      ->check(parsed_by(parse_duration, "DURATION"));
  option(*cmd, "--burst-extra", "SCALELAB_LOAD_BURST_EXTRA", c.burst_extra,
         "the ratelimit scenario sends X-RateLimit-Limit plus this many requests")
      ->check(CLI::Range(0u, 1000u));
  option(*cmd, "--connect-timeout", "SCALELAB_LOAD_CONNECT_TIMEOUT", f.connect_timeout, "TCP connect timeout")
      ->check(parsed_by(parse_duration, "DURATION"));
  option(*cmd, "--timeout", "SCALELAB_LOAD_TIMEOUT", f.timeout, "response timeout, from sending to the last byte")
      ->check(parsed_by(parse_duration, "DURATION"));
  option(*cmd, "--seed", "SCALELAB_LOAD_SEED", c.seed, "random seed; 0 = a new one each run");
  option(*cmd, "--user-prefix", "SCALELAB_LOAD_USER_PREFIX", c.user_prefix,
         "user names are <prefix><n>; empty = vu-<random>-");
  option(*cmd, "--output", "SCALELAB_LOAD_OUTPUT", f.output, "final summary: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  option(*cmd, "--progress", "SCALELAB_LOAD_PROGRESS", f.progress,
         "live progress: auto (a line on a terminal, JSON lines otherwise), line, json, none")
      ->check(CLI::IsMember({"auto", "line", "json", "none"}));
  cmd->callback([flags, target] {
    flags->target_given = target->count() > 0;
    run_command(*flags);
  });
  return cmd;
}

}  // namespace scalelab::load
