// Formatting for reporter.hpp. Violation rates in the table are per check of the
// matching kind (session_lost per session check, and so on), the figure an experiment
// asserts on.
#include "lab/load/reporter.hpp"

#include <unistd.h>

#include <cinttypes>
#include <cstdarg>

namespace scalelab::load {
namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return std::string(buf, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof buf - 1));
}


}  // namespace

Reporter::Reporter(ProgressMode progress, OutputFormat output, std::FILE* out, std::FILE* err)
    : mode_(progress), output_(output), out_(out), progress_out_(::isatty(::fileno(out)) ? out : err) {
  if (mode_ == ProgressMode::automatic)
    mode_ = ::isatty(::fileno(progress_out_)) ? ProgressMode::line : ProgressMode::none;
}

void Reporter::progress(const Sample& s) {
  if (mode_ == ProgressMode::line) {
    std::fprintf(progress_out_, "\r%s\x1b[K", progress_line(s).c_str());
    line_open_ = true;
  } else if (mode_ == ProgressMode::json) {
    std::fprintf(progress_out_, "%s\n", nlohmann::json(s).dump().c_str());
  }
  std::fflush(progress_out_);
}

void Reporter::summary(const LoadResult& r, const Verdict& verdict) {
  if (line_open_) std::fputc('\n', progress_out_);
  std::fflush(progress_out_);
  line_open_ = false;
  if (output_ == OutputFormat::json) {
    nlohmann::json j = r;
    j["verdict"] = verdict;
    std::fprintf(out_, "%s\n", j.dump().c_str());
  } else {
    std::fputs((summary_table(r) + verdict_table(verdict)).c_str(), out_);
  }
  std::fflush(out_);
}

std::string progress_line(const Sample& s) {
  std::string line = format("[%4us] %8.0f req/s  failed %" PRIu64 "  violations %" PRIu64, s.t, s.rps(),
                            s.counts.failed(), s.counts.total_violations());
  for (std::size_t i = 0; i < s.counts.violations.size(); ++i)
    if (s.counts.violations[i])
      line += format(" %s=%" PRIu64, violation_name(static_cast<Violation>(i)), s.counts.violations[i]);
  line += format("  p50 %.3f p99 %.3f max %.3f ms", s.latency.p50_ms, s.latency.p99_ms, s.latency.max_ms);
  const std::uint64_t answered = s.counts.responses;
  for (const auto& [name, n] : s.instances)
    line += format("  %s %.0f%%", name.empty() ? "?" : name.c_str(), percent_of(n, answered));
  return line;
}

std::string failure_line(const FailedRequest& f) {
  std::string line = format("%.3f s  ", f.t_s) + f.method + " " + f.target + " -> ";
  if (f.transport != Transport::none) return line + transport_name(f.transport) + " (no answer)";
  line += std::to_string(f.status);
  if (!f.error.empty()) line += " " + f.error;
  if (!f.detail.empty()) line += (f.error.empty() ? " " : ": ") + f.detail;
  line += "  [" + (f.instance.empty() ? std::string("balancer") : f.instance);
  if (!f.request_id.empty()) line += ", " + f.request_id;
  return line + "]";
}

std::string summary_table(const LoadResult& r) {
  const Tally& t = r.totals;
  const LoadConfig& c = r.config;
  std::string out;
  const std::string pace = !c.open_loop()     ? ""
                           : c.stages.empty() ? format(" at %.0f req/s", c.rate)
                                              : format(" from %.0f req/s in stages %s", c.rate, stages_string(c.stages).c_str());
  out += format("scalelab load  %s  %s loop, %u users%s, %u thread%s, mix %s\n", c.target.c_str(),
                c.open_loop() ? "open" : "closed", c.users, pace.c_str(), c.threads, c.threads == 1 ? "" : "s",
                mix_string(c.effective_mix()).c_str());
  out += format("  duration     %.2f s (%s)\n", r.duration_s, r.stop_reason.c_str());
  out += format("  requests     %" PRIu64 "  (%.1f/s)  answered %" PRIu64 "\n", t.requests, r.rps(), t.responses);
  if (c.open_loop()) {
    // What the schedule asked for by the end, beside what was sent: a target too slow
    // for the rate, or too few --users to carry it, shows here.
    const double asked = c.rate_profile().arrivals_by(r.duration_s);
    out += format("  schedule     %.0f requests asked, %" PRIu64 " completed (%.1f %%)\n", asked, t.requests,
                  asked > 0 ? 100.0 * static_cast<double>(t.requests) / asked : 0.0);
  }
  out += format("  failed       %" PRIu64 " (%.2f %%)  transport: refused %" PRIu64 ", reset %" PRIu64
                ", timeout %" PRIu64 ", protocol %" PRIu64 ", other %" PRIu64 "\n",
                t.failed(), percent_of(t.failed(), t.requests), t.of(Transport::refused), t.of(Transport::reset),
                t.of(Transport::timeout), t.of(Transport::protocol), t.of(Transport::other));
  out += format("  status       2xx %" PRIu64 "  3xx %" PRIu64 "  4xx %" PRIu64 " (429: %" PRIu64 ")  5xx %" PRIu64
                " (503: %" PRIu64 ")\n",
                t.of(StatusClass::s2xx), t.of(StatusClass::s3xx), t.of(StatusClass::s4xx), t.of(StatusClass::s429),
                t.of(StatusClass::s5xx), t.of(StatusClass::s503));
  out += format("  latency ms   p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", r.latency.p50_ms,
                r.latency.p90_ms, r.latency.p99_ms, r.latency.p999_ms, r.latency.max_ms, r.latency.mean_ms);
  if (r.cold_starts.count > 0)
    out += format("  cold starts  %" PRIu64 " requests waited for an instance to start: p50 %.0f  p99 %.0f  max %.0f ms\n",
                  r.cold_starts.count, r.cold_starts.p50_ms, r.cold_starts.p99_ms, r.cold_starts.max_ms);
  out += "  violations   kind                   count  of checks            rate\n";
  for (std::size_t i = 0; i < t.violations.size(); ++i) {
    const auto v = static_cast<Violation>(i);
    const auto check = check_of(v);
    out += format("               %-20s %7" PRIu64 "  %-9s %9" PRIu64 "  %6.2f %%\n", violation_name(v), t.of(v),
                  check_name(check), t.of(check), percent_of(t.of(v), t.of(check)));
  }
  out += "  instances   ";
  if (r.instances.empty()) out += " (none answered)";
  for (const auto& [name, n] : r.instances)
    out += format(" %s %" PRIu64 " (%.1f %%)", name.empty() ? "unknown" : name.c_str(), n, percent_of(n, t.responses));
  out += "\n";
  if (!r.failures.empty()) out += "  first failures\n";
  for (std::size_t i = 0; i < r.failures.size() && i < kFailuresShown; ++i) out += "    " + failure_line(r.failures[i]) + "\n";
  if (!r.violations.empty()) out += "  first violations\n";
  for (const auto& v : r.violations) out += "    " + failure_line(v) + "\n";
  return out;
}

std::string verdict_table(const Verdict& v) {
  std::string out = "  verdict      " + v.headline() + "\n";
  for (const auto& c : v.crossed) out += "               " + c.line() + "\n";
  return out;
}

}  // namespace scalelab::load
