#include "lab/experiment/demo.hpp"

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <functional>

#include "common/log.hpp"
#include "lab/experiment/experiment.hpp"
#include "lab/experiment/runner.hpp"
#include "lab/journal/journal_json.hpp"

namespace scalelab::experiment {
namespace {

struct Mode {
  const char* label;
  const char* state;
  const char* balancer;
};
constexpr Mode kModes[] = {{"shared", "shared", "round_robin"}, {"local", "local", "round_robin"},
                           {"local+sticky", "local", "sticky"}};

// Violations of every kind in samples ending in (from, to].
double violations_between(const journal::Journal& run, double from, double to) {
  double sum = 0;
  for (const journal::Sample& s : run.series) {
    if (s.elapsed_s <= from || s.elapsed_s > to) continue;
    for (const std::string& kind : journal::known_violation_kinds()) sum += journal::count_of(s.counts.violations, kind);
  }
  return sum;
}

std::string percent(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", whole > 0 ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string count(double v) { return whole_number(v); }

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

}  // namespace

std::string conclusion_for(const journal::Journal& run) {
  const journal::Tally sum = journal::series_sum(run.series);
  const double requests = sum.requests, failed = sum.errors;
  double violations = 0;
  std::vector<std::pair<double, std::string>> kinds;
  for (const std::string& k : journal::known_violation_kinds()) {
    const double v = journal::count_of(sum.violations, k);
    violations += v;
    if (v > 0) kinds.emplace_back(v, k);
  }
  std::sort(kinds.rbegin(), kinds.rend());
  const double kill_s = run.actions.empty() ? -1 : run.actions[0].started_s.value_or(-1.0);
  if (violations == 0) {
    return "state held: no request saw lost or stale state in " + count(requests) + " requests; the kill cost " +
           count(failed) + " failed requests (" + percent(failed, requests) + ")";
  }
  std::string line;
  for (std::size_t i = 0; i < kinds.size() && i < 3; ++i) {
    const std::string& kind = kinds[i].second;
    const double checks = journal::count_of(sum.checks, journal::check_kind_of(kind));
    line += (line.empty() ? "" : ", ") + kind + " " + count(kinds[i].first) + " (" + percent(kinds[i].first, checks) +
            " of " + journal::check_kind_of(kind) + " checks)";
  }
  const double before_kill = kill_s > 0 ? violations_between(run, 0, kill_s) : violations;
  if (kill_s > 0 && before_kill <= violations * 0.05)
    return "state looked fine until the kill at " + count(kill_s) + " s, then broke: " + line +
           " - affinity cannot save in-memory state when its instance dies";
  return "state broke from the start: " + line + " - each instance knows only the state it created";
}

void add_row(DemoRows& rows, std::string name, DemoCell cell) { rows.emplace_back(std::move(name), std::move(cell)); }

std::string demo_table(const std::vector<journal::Journal>& runs, const DemoRows& rows) {
  std::string out = pad("", 22);
  for (const journal::Journal& r : runs) out += pad(r.label.empty() ? "run" : r.label, 24);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  auto add = [&](const std::string& name, const std::function<std::string(std::size_t)>& cell) {
    std::string line = pad(name, 22);
    for (std::size_t i = 0; i < runs.size(); ++i) line += pad(cell(i), 24);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  for (const auto& [name, cell] : rows) add(name, cell);
  add("verdict", [&](std::size_t i) { return runs[i].verdict.status.empty() ? std::string("?") : runs[i].verdict.status; });
  return out;
}

std::string summary_table(const std::vector<journal::Journal>& runs) {
  std::vector<journal::Tally> sums;
  for (const journal::Journal& r : runs) sums.push_back(journal::series_sum(r.series));
  DemoRows rows;
  add_row(rows, "requests", [&](std::size_t i) { return count(sums[i].requests); });
  add_row(rows, "failed requests", [&](std::size_t i) {
    return count(sums[i].errors) + " (" + percent(sums[i].errors, sums[i].requests) + ")";
  });
  for (const std::string& k : journal::judged_violation_kinds(sums))
    add_row(rows, k, [&, k](std::size_t i) {
      const double v = journal::count_of(sums[i].violations, k);
      return v == 0 ? std::string("0")
                    : count(v) + " (" + percent(v, journal::count_of(sums[i].checks, journal::check_kind_of(k))) + ")";
    });
  return demo_table(runs, rows);
}

std::string whole_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

DemoRun demo_run_from(const std::filesystem::path& dir, const char* file, const char* label) {
  return {label, load_experiment((dir / file).string())};
}

const std::vector<std::string>& demo_topic_names() {
  static const std::vector<std::string> kNames = {"state", "autoscaling", "database", "concurrency"};
  return kNames;
}

DemoTopic state_topic(const std::filesystem::path& experiment_file) {
  const Experiment base = load_experiment(experiment_file.string());
  DemoTopic topic;
  topic.name = "state";
  topic.intro =
      "scalelab demo: 3 instances behind the balancer, 30 users with correctness checks, kill -9 of\n"
      "app-2 mid-run and a restart; with shared state, with local state, and local behind sticky sessions.";
  topic.description =
      "The same cluster, the same load and the same chaos, once per state mode. "
      "What differs between the columns is only where the instances keep their state.";
  for (const Mode& mode : kModes) {
    Experiment x = base;
    x.cluster.state = mode.state;
    x.cluster.state_overrides.clear();
    x.cluster.balancer = mode.balancer;
    x.title = base.title + " (" + mode.label + ")";
    topic.runs.push_back({mode.label, std::move(x)});
  }
  topic.conclusion = conclusion_for;
  topic.table = summary_table;
  return topic;
}

namespace {
// "local+sticky" -> "local-sticky": a label as a file and folder name.
std::string slug(const std::string& label) {
  std::string out;
  for (char c : label) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out;
}
}  // namespace

journal::Demo run_demo(const DemoTopic& topic, const DemoOptions& o, std::filesystem::path* report_path) {
  const std::string name = run_name(topic.name == "state" ? "demo" : "demo-" + topic.name);
  const auto dir = o.out_dir / name;
  const auto started = std::chrono::steady_clock::now();
  journal::Demo demo;
  demo.topic = topic.name;
  demo.description = topic.description;
  const int total_runs = static_cast<int>(topic.runs.size());
  for (int i = 0; i < total_runs; ++i) {
    const DemoRun& spec = topic.runs[i];
    RunOptions ro;
    ro.lab_dir = dir / ("lab-" + slug(spec.label));
    ro.scalelab_exe = o.scalelab_exe;
    ro.label = spec.label;
    std::string last_phase;
    ro.progress = [&](const std::string& phase, double done) {
      const double overall = (i + std::min(1.0, std::max(0.0, done))) / total_runs;
      if (o.progress_bar) {
        const int width = 30, filled = static_cast<int>(overall * width);
        std::fprintf(stderr, "\r[%s%s] %3.0f%%  run %d/%d %-13s %-26s", std::string(filled, '#').c_str(),
                     std::string(width - filled, '-').c_str(), overall * 100, i + 1, total_runs, spec.label.c_str(),
                     phase.c_str());
        std::fflush(stderr);
      } else if (phase != last_phase) {
        std::fprintf(stderr, "demo: run %d/%d (%s): %s\n", i + 1, total_runs, spec.label.c_str(), phase.c_str());
      }
      last_phase = phase;
    };
    journal::Journal done = run(spec.experiment, ro);
    if (o.progress_bar) std::fprintf(stderr, "\r\033[K");
    if (done.verdict.status == "aborted")
      throw std::runtime_error("the " + spec.label + " run aborted: " + done.verdict.error);
    write_journal(journal::to_json(done), dir, "run-" + std::to_string(i + 1) + "-" + slug(spec.label));
    demo.runs.push_back(std::move(done));
  }
  for (const journal::Journal& r : demo.runs) demo.conclusions[r.label] = topic.conclusion(r);
  demo.started_at = demo.runs.empty() ? "" : demo.runs[0].started_at;
  demo.duration_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto html = write_journal(journal::to_json(demo), dir, "demo");
  if (report_path) *report_path = std::filesystem::absolute(html);

  std::printf("\n%s\n", topic.table(demo.runs).c_str());
  for (const journal::Journal& r : demo.runs)
    std::printf("%-13s %s\n", (r.label + ":").c_str(), demo.conclusions[r.label].c_str());
  return demo;
}

}  // namespace scalelab::experiment
