// `scalelab load`: its flags (each mirrored by a SCALELAB_LOAD_* variable, shown in
// --help), the run through the load library's run_load() and Reporter, and what the CLI
// knows about labs. When --dir holds a running lab, the load drives its balancer unless
// --target says otherwise, and every one-second sample also goes to that lab's live
// console, so the console's violation counters show the run while it happens.
//
// Exit codes, k6-style thresholds judged by lab/load/thresholds: 0 no threshold crossed;
// 1 the target never answered a single request; 2 usage errors (one line on stderr);
// 3 a violation kind went over what --allow-violations allows (by default: any
// violation); 4 failed requests (transport errors and 5xx) went over --allow-failures
// (default 0) and no violation kind crossed: violations win, being the more important
// finding. SIGINT and SIGTERM stop the run early; the summary is still printed, and the
// exit code follows the same rules on what was measured.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"
#include "lab/cli/signal_stop.hpp"
#include "lab/load/engine.hpp"
#include "lab/load/reporter.hpp"
#include "lab/load/thresholds.hpp"
#include "lab/supervisor/sample_publisher.hpp"

namespace scalelab::cli {
namespace {

struct LoadFlags {
  load::LoadConfig config;
  CLI::Option* target = nullptr;
  std::string rate = "0";
  std::string stages;
  std::string duration = "10s";
  CLI::Option* duration_flag = nullptr;
  std::string think_time = "0ms";
  std::string mix = load::kDefaultMix;
  std::string stale_grace = "0ms";
  std::string connect_timeout = "2s";
  std::string timeout = "10s";
  std::string output = "table";
  std::string progress = "auto";
  std::string allow_violations;  // given with no value (""): all; not given: none
  CLI::Option* allow_violations_flag = nullptr;
  std::string allow_failures = "0";
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

// What the run may find and still exit 0 (lab/load/thresholds.hpp).
void add_threshold_flags(CLI::App& cmd, LoadFlags& f) {
  using config::option;
  f.allow_violations_flag =
      option(cmd, "--allow-violations", "SCALELAB_LOAD_ALLOW_VIOLATIONS", f.allow_violations,
             "violations that do not fail the run (exit 3 otherwise): alone or `all` = any; or per kind, "
             "k6 style, a count or a percentage of that kind's checks: session_lost=50%,stale_read=10 "
             "(a bare kind = any number of it; a kind not named = none); not given = none")
          ->expected(0, 1)
          ->check(parsed_by(load::parse_allowed_violations, "KINDS"));
  option(cmd, "--allow-failures", "SCALELAB_LOAD_ALLOW_FAILURES", f.allow_failures,
         "failed requests (transport errors and 5xx) that do not fail the run (exit 4 otherwise): a count "
         "or a percentage of requests, e.g. 10 or 0.5%")
      ->check(parsed_by(load::parse_allowed_failures, "COUNT|PERCENT%"));
}

void add_load_flags(CLI::App& cmd, LoadFlags& f) {
  load::LoadConfig& c = f.config;
  using config::option;
  f.target = option(cmd, "--target", "SCALELAB_LOAD_TARGET", c.target,
                    "host:port to drive; 127.0.0.0/8 only (default: the balancer of the lab in --dir)")
                 ->check(parsed_by(load::parse_target, "LOOPBACK"));
  option(cmd, "--users", "SCALELAB_LOAD_USERS", c.users,
         "virtual users (closed loop), or the bound on users/connections (open loop)")
      ->check(CLI::Range(1u, 100000u));
  option(cmd, "--rate", "SCALELAB_LOAD_RATE", f.rate, "open loop: requests per second (e.g. 500 or 500/s); 0 = closed loop")
      ->check(parsed_by(load::parse_rate, "RATE"));
  option(cmd, "--stages", "SCALELAB_LOAD_STAGES", f.stages,
         "open loop in stages, as k6's ramping-arrival-rate: DURATION:RATE,... ramps linearly from --rate to each "
         "RATE over its DURATION, e.g. 30s:1000,60s:1000,30s:50; --duration defaults to their sum")
      ->check(parsed_by(load::parse_stages, "STAGES"));
  option(cmd, "--threads", "SCALELAB_LOAD_THREADS", c.threads, "threads, one event loop each")->check(CLI::Range(1u, 256u));
  f.duration_flag = option(cmd, "--duration", "SCALELAB_LOAD_DURATION", f.duration, "how long to run (10s, 500ms, 2m)")
                      ->check(parsed_by(load::parse_duration, "DURATION"));
  option(cmd, "--max-requests", "SCALELAB_LOAD_MAX_REQUESTS", c.max_requests,
         "stop after this many requests (in-flight ones finish); 0 = no bound");
  option(cmd, "--think-time", "SCALELAB_LOAD_THINK_TIME", f.think_time, "closed loop: pause between scenario runs")
      ->check(parsed_by(load::parse_duration, "DURATION"));
  option(cmd, "--mix", "SCALELAB_LOAD_MIX", f.mix, "weighted scenarios: session, cart, upload, catalog, ratelimit, work, get, checkout, orders")
      ->check(parsed_by(load::parse_mix, "MIX"));
  option(cmd, "--path", "SCALELAB_LOAD_PATH", c.path, "the path the `get` scenario requests");
  option(cmd, "--work-io-ms", "SCALELAB_LOAD_WORK_IO_MS", c.work_io_ms, "the work scenario's io_ms")
      ->check(CLI::Range(0u, 10000u));
  option(cmd, "--work-cpu-ms", "SCALELAB_LOAD_WORK_CPU_MS", c.work_cpu_ms, "the work scenario's cpu_ms")
      ->check(CLI::Range(0u, 10000u));
  option(cmd, "--upload-size", "SCALELAB_LOAD_UPLOAD_SIZE", c.upload_bytes, "bytes per upload")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} << 20));
  option(cmd, "--items", "SCALELAB_LOAD_ITEMS", c.items, "catalog ids used by the catalog scenario: 1..N")
      ->check(CLI::Range(1u, 1000000u));
  option(cmd, "--checkout-items", "SCALELAB_LOAD_CHECKOUT_ITEMS", c.checkout_items,
         "the checkout scenario buys catalog ids 1..N (few, so they sell out and stock is contended)")
      ->check(CLI::Range(1u, 100u));
  option(cmd, "--orders-strategy", "SCALELAB_LOAD_ORDERS_STRATEGY", c.orders_strategy,
         "the orders scenario's data-layer pattern: n_plus_one (1+N statements), join (1) or batched (2)")
      ->check(CLI::IsMember({"n_plus_one", "join", "batched"}));
  option(cmd, "--orders-limit", "SCALELAB_LOAD_ORDERS_LIMIT", c.orders_limit, "how many orders the orders scenario lists")
      ->check(CLI::Range(1u, 200u));
  option(cmd, "--stale-grace", "SCALELAB_LOAD_STALE_GRACE", f.stale_grace,
         "an older item version counts as stale only this long after the newer one was acknowledged")
      ->check(parsed_by(load::parse_duration, "DURATION"));
  option(cmd, "--burst-extra", "SCALELAB_LOAD_BURST_EXTRA", c.burst_extra,
         "the ratelimit scenario sends X-RateLimit-Limit plus this many requests")
      ->check(CLI::Range(0u, 1000u));
  option(cmd, "--connect-timeout", "SCALELAB_LOAD_CONNECT_TIMEOUT", f.connect_timeout, "TCP connect timeout")
      ->check(parsed_by(load::parse_duration, "DURATION"));
  option(cmd, "--timeout", "SCALELAB_LOAD_TIMEOUT", f.timeout, "response timeout, from sending to the last byte")
      ->check(parsed_by(load::parse_duration, "DURATION"));
  option(cmd, "--seed", "SCALELAB_LOAD_SEED", c.seed, "random seed; 0 = a new one each run");
  option(cmd, "--user-prefix", "SCALELAB_LOAD_USER_PREFIX", c.user_prefix, "user names are <prefix><n>; empty = vu-<random>-");
  option(cmd, "--output", "SCALELAB_LOAD_OUTPUT", f.output, "final summary on stdout: table or json")
      ->check(CLI::IsMember({"table", "json"}));
  option(cmd, "--progress", "SCALELAB_LOAD_PROGRESS", f.progress,
         "live progress: auto (a line on whichever of stdout and stderr is a terminal, else none), line, json "
         "(a Sample per line), none; on stderr when stdout is not a terminal")
      ->check(CLI::IsMember({"auto", "line", "json", "none"}));
  add_threshold_flags(cmd, f);
}

// The flags as a LoadConfig; a combination validate() refuses is a usage error.
load::LoadConfig load_config(const LoadFlags& f) {
  load::LoadConfig c = f.config;
  c.rate = load::parse_rate(f.rate);
  c.duration = load::parse_duration(f.duration);
  if (!f.stages.empty()) {
    c.stages = load::parse_stages(f.stages);
    const auto staged = load::stages_duration(c.stages);
    if (f.duration_flag->count() == 0)
      c.duration = staged;
    else if (c.duration < staged)
      throw CLI::ValidationError("--duration (" + f.duration + ") ends before the stages do (" +
                                 std::to_string(staged.count()) + " ms)");
  }
  c.think_time = load::parse_duration(f.think_time);
  c.mix = load::parse_mix(f.mix);
  c.stale_grace = load::parse_duration(f.stale_grace);
  c.connect_timeout = load::parse_duration(f.connect_timeout);
  c.response_timeout = load::parse_duration(f.timeout);
  try {
    load::validate(c);
  } catch (const std::invalid_argument& e) {
    throw CLI::ValidationError(e.what());
  }
  return c;
}

load::Thresholds thresholds(const LoadFlags& f) {
  load::Thresholds t;
  if (f.allow_violations_flag->count() > 0) t.violations = load::parse_allowed_violations(f.allow_violations);
  t.failures = load::parse_allowed_failures(f.allow_failures);
  return t;
}

// When `dir` holds a lab: its balancer becomes the target unless one was given, and
// the returned function sends each sample to the lab's console (when the lab runs).
// It reports its own problems and never throws: a load run does not depend on it. It
// must run with SIGINT and SIGTERM blocked, so the publisher's threads never take them.
std::function<void(const load::Sample&)> attach_to_lab(const std::filesystem::path& dir, load::LoadConfig& config,
                                                       bool target_given) {
  std::function<void(const load::Sample&)> to_console;
  if (!std::filesystem::exists(lab::lab_file(dir))) return to_console;
  try {
    const lab::LabConfig lab = lab::read_lab_config(dir);
    if (!target_given) config.target = "127.0.0.1:" + std::to_string(lab.ports.balancer());
    if (!lab::LabClient(lab, std::chrono::seconds(1)).reachable()) {
      std::fprintf(stderr, "scalelab load: the lab in %s is not running; its console will not show this run\n", dir.c_str());
      return to_console;
    }
    auto publisher = std::make_shared<lab::SamplePublisher>(lab, "scalelab load");
    std::fprintf(stderr, "scalelab load: driving %s; the console of the lab in %s shows this run (scalelab console)\n",
                 config.target.c_str(), dir.c_str());
    to_console = [publisher](const load::Sample& s) { publisher->publish(s); };
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab load: %s; the lab's console will not show this run\n", e.what());
  }
  return to_console;
}

int run_load_command(const LoadFlags& f, const std::filesystem::path& dir) {
  load::LoadConfig c = load_config(f);
  const load::Thresholds allowed = thresholds(f);
  const load::ProgressMode progress = f.progress == "line"   ? load::ProgressMode::line
                                      : f.progress == "json" ? load::ProgressMode::json
                                      : f.progress == "none" ? load::ProgressMode::none
                                                             : load::ProgressMode::automatic;
  load::Reporter reporter(progress, f.output == "json" ? load::OutputFormat::json : load::OutputFormat::table);
  load::LoadResult result;
  {
    // First: every thread started from here on inherits the blocked signals, the
    // console publisher's too, so SIGINT reaches the waiter and never kills the run.
    SignalStop signals;
    const auto to_console = attach_to_lab(dir, c, f.target->count() > 0);
    result = load::run_load(
        c,
        [&](const load::Sample& s) {
          reporter.progress(s);
          if (to_console) to_console(s);
        },
        signals.token());
  }
  const load::Verdict verdict = load::judge(result, allowed);
  reporter.summary(result, verdict);
  if (!result.target_answered)
    return fail(c.target + " never answered (" + std::to_string(result.totals.requests) + " requests failed)",
                config::kExitFailure);
  if (verdict.exit_code != config::kExitOk) return fail(verdict.line(), verdict.exit_code);
  return config::kExitOk;
}

}  // namespace

void add_load_command(CLI::App& root, Context& ctx) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* cmd = root.add_subcommand(
      "load", "Drive the lab with virtual users that check correctness (closed loop by default, open loop with --rate)");
  add_load_flags(*cmd, *flags);
  // Not through ctx.run: a bad flag combination is a CLI11 error, printed as one.
  cmd->callback([&ctx, flags] { ctx.exit_code = run_load_command(*flags, ctx.dir_option); });
}

}  // namespace scalelab::cli
