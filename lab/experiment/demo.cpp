#include "lab/experiment/demo.hpp"

#include <cstdio>

#include "common/log.hpp"
#include "lab/experiment/experiment.hpp"
#include "lab/experiment/hypothesis.hpp"
#include "lab/experiment/runner.hpp"

namespace scalelab::experiment {
namespace {

const char* kKinds[] = {"session_lost", "cart_lost_write", "upload_missing", "upload_corrupt", "stale_read",
                        "rate_limit_exceeded"};

struct Mode {
  const char* label;
  const char* state;
  const char* balancer;
};
constexpr Mode kModes[] = {{"shared", "shared", "round_robin"}, {"local", "local", "round_robin"},
                           {"local+sticky", "local", "sticky"}};

double total(const nlohmann::json& journal, const std::string& group, const std::string& key) {
  double sum = 0;
  for (const auto& s : journal["series"])
    if (s.contains(group) && s[group].contains(key)) sum += s[group][key].get<double>();
  return sum;
}

double total_top(const nlohmann::json& journal, const std::string& key, double from = -1, double to = 1e18) {
  double sum = 0;
  for (const auto& s : journal["series"]) {
    const double t = s.value("elapsed_s", 0.0);
    if (t > from && t <= to) sum += s.value(key, 0.0);
  }
  return sum;
}

// Violations of every kind in samples ending in (from, to].
double violations_between(const nlohmann::json& journal, double from, double to) {
  double sum = 0;
  for (const auto& s : journal["series"]) {
    const double t = s.value("elapsed_s", 0.0);
    if (t <= from || t > to || !s.contains("violations")) continue;
    for (const char* k : kKinds) sum += s["violations"].value(k, 0.0);
  }
  return sum;
}

std::string percent(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", whole > 0 ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string count(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

}  // namespace

std::string conclusion_for(const nlohmann::json& j) {
  const double requests = total_top(j, "requests"), failed = total_top(j, "errors");
  double violations = 0;
  std::vector<std::pair<double, std::string>> kinds;
  for (const char* k : kKinds) {
    const double v = total(j, "violations", k);
    violations += v;
    if (v > 0) kinds.emplace_back(v, k);
  }
  std::sort(kinds.rbegin(), kinds.rend());
  const auto& actions = j["actions"];
  const double kill_s = actions.empty() ? -1 : actions[0].value("started_s", -1.0);
  if (violations == 0) {
    return "state held: no request saw lost or stale state in " + count(requests) + " requests; the kill cost " +
           count(failed) + " failed requests (" + percent(failed, requests) + ")";
  }
  std::string line;
  for (std::size_t i = 0; i < kinds.size() && i < 3; ++i) {
    const std::string& kind = kinds[i].second;
    const double checks = total(j, "checks", check_kind_of(kind));
    line += (line.empty() ? "" : ", ") + kind + " " + count(kinds[i].first) + " (" + percent(kinds[i].first, checks) +
            " of " + check_kind_of(kind) + " checks)";
  }
  const double before_kill = kill_s > 0 ? violations_between(j, 0, kill_s) : violations;
  if (kill_s > 0 && before_kill <= violations * 0.05)
    return "state looked fine until the kill at " + count(kill_s) + " s, then broke: " + line +
           " - affinity cannot save in-memory state when its instance dies";
  return "state broke from the start: " + line + " - each instance knows only the state it created";
}

std::string summary_table(const nlohmann::json& runs) {
  std::vector<std::string> labels;
  for (const auto& r : runs) labels.push_back(r.value("label", std::string("run")));
  std::string out = pad("", 22);
  for (const auto& l : labels) out += pad(l, 24);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\n";
  auto row = [&](const std::string& name, const std::function<std::string(const nlohmann::json&)>& cell) {
    std::string line = pad(name, 22);
    for (const auto& r : runs) line += pad(cell(r), 24);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  row("requests", [](const nlohmann::json& r) { return count(total_top(r, "requests")); });
  row("failed requests", [](const nlohmann::json& r) {
    return count(total_top(r, "errors")) + " (" + percent(total_top(r, "errors"), total_top(r, "requests")) + ")";
  });
  for (const char* k : kKinds)
    row(k, [k](const nlohmann::json& r) {
      const double v = total(r, "violations", k);
      return v == 0 ? std::string("0") : count(v) + " (" + percent(v, total(r, "checks", check_kind_of(k))) + ")";
    });
  row("verdict", [](const nlohmann::json& r) { return r["verdict"].value("status", std::string("?")); });
  return out;
}

nlohmann::json run_demo(const DemoOptions& o, std::filesystem::path* report_path) {
  const Experiment base = load_experiment(o.experiment_file.string());
  const std::string name = run_name("demo");
  const auto dir = o.out_dir / name;
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json runs = nlohmann::json::array();
  const int total_runs = static_cast<int>(std::size(kModes));
  for (int i = 0; i < total_runs; ++i) {
    const Mode& mode = kModes[i];
    Experiment x = base;
    x.cluster.state = mode.state;
    x.cluster.state_overrides.clear();
    x.cluster.balancer = mode.balancer;
    x.title = base.title + " (" + mode.label + ")";
    RunOptions ro;
    ro.lab_dir = dir / (std::string("lab-") + (i == 0 ? "shared" : i == 1 ? "local" : "local-sticky"));
    ro.scalelab_exe = o.scalelab_exe;
    ro.label = mode.label;
    std::string last_phase;
    ro.progress = [&](const std::string& phase, double done) {
      const double overall = (i + std::min(1.0, std::max(0.0, done))) / total_runs;
      if (o.progress_bar) {
        const int width = 30, filled = static_cast<int>(overall * width);
        std::fprintf(stderr, "\r[%s%s] %3.0f%%  run %d/%d %-13s %-26s", std::string(filled, '#').c_str(),
                     std::string(width - filled, '-').c_str(), overall * 100, i + 1, total_runs, mode.label, phase.c_str());
        std::fflush(stderr);
      } else if (phase != last_phase) {
        std::fprintf(stderr, "demo: run %d/%d (%s): %s\n", i + 1, total_runs, mode.label, phase.c_str());
      }
      last_phase = phase;
    };
    auto journal = run_experiment(x, ro);
    if (o.progress_bar) std::fprintf(stderr, "\r\033[K");
    if (journal["verdict"].value("status", "") == "aborted")
      throw std::runtime_error(std::string("the ") + mode.label + " run aborted: " + journal["verdict"].value("error", ""));
    write_journal(journal, dir, std::string("run-") + std::to_string(i + 1) + "-" + ro.lab_dir.filename().string().substr(4));
    runs.push_back(std::move(journal));
  }
  nlohmann::json conclusions = nlohmann::json::object();
  for (const auto& r : runs) conclusions[r["label"].get<std::string>()] = conclusion_for(r);
  nlohmann::json demo{{"schema", "scalelab.demo/1"},
                      {"started_at", runs[0].value("started_at", "")},
                      {"duration_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
                      {"runs", runs},
                      {"conclusions", conclusions}};
  const auto html = write_journal(demo, dir, "demo");
  if (report_path) *report_path = std::filesystem::absolute(html);

  std::printf("\n%s\n", summary_table(runs).c_str());
  for (const auto& r : runs)
    std::printf("%-13s %s\n", (r["label"].get<std::string>() + ":").c_str(), conclusions[r["label"].get<std::string>()].get<std::string>().c_str());
  return demo;
}

}  // namespace scalelab::experiment
