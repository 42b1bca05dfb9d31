#include "lab/experiment/runner.hpp"

#include <ctime>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "lab/experiment/actions.hpp"
#include "lab/experiment/hypothesis.hpp"
#include "lab/experiment/report.hpp"
#include "lab/load/engine.hpp"
#include "lab/supervisor/launcher.hpp"
#include "lab/supervisor/run_dir.hpp"
#include "lab/supervisor/sample_publisher.hpp"

namespace scalelab::experiment {
namespace {

using Clock = std::chrono::steady_clock;

lab::LabConfig lab_config_for(const Experiment& x, const RunOptions& o) {
  lab::LabConfig c;
  c.dir = o.lab_dir;
  c.ports.base = o.base_port ? *o.base_port : lab::find_free_base_port(50);
  c.instances = x.cluster.instances;
  c.state = x.cluster.state;
  c.state_overrides = x.cluster.state_overrides;
  c.algorithm = x.cluster.balancer;
  c.restart = lab::parse_restart_policy(x.cluster.restart);
  c.restart_delay = std::chrono::milliseconds(x.cluster.restart_delay_ms);
  c.app_env = x.cluster.app_env;
  c.balancer_env = x.cluster.balancer_env;
  c.binaries = lab::executable_dir();
  return c;
}

// How long the check after the method waits for every instance to be ready again.
constexpr auto kReadyGrace = std::chrono::seconds(10);

bool expects_ready(const std::vector<ProbeSpec>& probes) {
  for (const auto& p : probes)
    if (p.type == "ready" && p.tolerance.equals == true) return true;
  return false;
}

// The lab's status once every component is ready, or as it is after kReadyGrace; null
// when the supervisor does not answer.
nlohmann::json settled_lab_status(lab::LabClient& lab) {
  try {
    return lab.wait_for([](const nlohmann::json& status) { return lab::all_ready(status); }, kReadyGrace);
  } catch (const std::exception&) {
    return nullptr;
  }
}

nlohmann::json action_entry(const ActionSpec& a, double started, double ended, const nlohmann::json& outcome) {
  nlohmann::json args = a.args;
  args.erase("body");  // the validated toxic, already summed up in the detail
  nlohmann::json j{{"name", a.name},       {"type", a.type},      {"args", args},
                   {"started_s", started}, {"ended_s", ended},    {"status", outcome["status"]},
                   {"detail", outcome["detail"]}};
  if (a.at) j["at_s"] = std::chrono::duration<double>(*a.at).count();
  return j;
}

}  // namespace

std::string run_name(const std::string& title) {
  std::string slug;
  for (char c : title) {
    if (std::isalnum(static_cast<unsigned char>(c))) slug += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.size() > 48) slug.resize(48);
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return (slug.empty() ? "experiment" : slug) + "-" + stamp;
}

nlohmann::json run_experiment(const Experiment& x, const RunOptions& o) {
  nlohmann::json journal{{"schema", "scalelab.journal/1"},
                         {"experiment", x.to_json()},
                         {"label", o.label},
                         {"started_at", log::now_rfc3339()},
                         {"actions", nlohmann::json::array()},
                         {"rollbacks", nlohmann::json::array()},
                         {"events", nlohmann::json::array()},
                         {"series", nlohmann::json::array()}};
  const auto begin = Clock::now();
  const double load_s = std::chrono::duration<double>(x.load.duration).count();
  auto progress = [&](const std::string& phase, double done) {
    if (o.progress) o.progress(phase, done);
  };
  auto abort = [&](const std::string& why) {
    journal["verdict"] = {{"deviated", true}, {"status", "aborted"}, {"summary", why}, {"error", why}};
    const nlohmann::json unchecked{{"met", false}, {"probes", nlohmann::json::array()}};
    if (!journal.contains("hypothesis")) journal["hypothesis"] = {{"title", x.hypothesis_title}};
    if (!journal["hypothesis"].contains("before")) journal["hypothesis"]["before"] = unchecked;
    if (!journal["hypothesis"].contains("after")) journal["hypothesis"]["after"] = unchecked;
    if (!journal.contains("load")) journal["load"] = nlohmann::json::object();
    if (!journal.contains("t0_unix")) journal["t0_unix"] = log::unix_now();
  };

  // 1. The lab. A range of ports picked at random can be taken by another lab starting
  // at the same moment (checking a range and binding it are not one step), so a picked
  // range gets one more try on a fresh one; a range the user chose does not.
  lab::LabConfig config;
  std::string first_failure;
  auto record_lab = [&] {
    journal["lab"] = {{"dir", std::filesystem::absolute(config.dir).string()}, {"base_port", config.ports.base}};
    if (!first_failure.empty()) journal["lab"]["first_attempt"] = first_failure;
  };
  for (int attempt = 1;; ++attempt) {
    try {
      config = lab_config_for(x, o);
      progress("starting the lab", 0);
      lab::start_lab(config, o.scalelab_exe, std::chrono::seconds(60));
      break;
    } catch (const std::exception& e) {
      if (!config.dir.empty()) lab::stop_lab(config.dir, std::chrono::seconds(30));
      if (attempt == 1 && !o.base_port) {
        first_failure = "base port " + std::to_string(config.ports.base) + ": " + e.what();
        log::warn("the lab did not come up; trying a fresh range of ports", {{"cause", first_failure}});
        continue;
      }
      abort(std::string("the lab did not come up: ") + e.what());
      record_lab();
      journal["ended_at"] = log::now_rfc3339();
      journal["duration_s"] = std::chrono::duration<double>(Clock::now() - begin).count();
      return journal;
    }
  }
  record_lab();
  lab::LabClient lab(config, std::chrono::seconds(10));
  // The lab's live console shows the run's violation counters (scalelab console --dir).
  lab::SamplePublisher console_feed(config, "experiment: " + x.title);

  // 2. The load, on its own thread; samples arrive once a second.
  load::LoadConfig load_config = x.load;
  load_config.target = "127.0.0.1:" + std::to_string(config.ports.balancer());
  std::mutex mu;
  std::vector<nlohmann::json> samples;
  std::stop_source stop_load;
  std::stop_callback forward(o.stop, [&] { stop_load.request_stop(); });
  load::LoadResult result;
  std::string load_error;
  const double t0_unix = log::unix_now();
  const auto t0 = Clock::now();
  std::thread loader([&] {
    try {
      result = load::run_load(
          load_config,
          [&](const load::Sample& s) {
            nlohmann::json j = s;
            console_feed.publish(j);
            std::lock_guard lock(mu);
            samples.push_back(std::move(j));
          },
          stop_load.get_token());
    } catch (const std::exception& e) {
      load_error = e.what();
    }
  });
  auto since_t0 = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto snapshot = [&] {
    std::lock_guard lock(mu);
    return samples;
  };
  auto lab_status = [&]() -> nlohmann::json {
    try {
      return lab.status();
    } catch (const std::exception&) {
      return nullptr;
    }
  };

  // 3. The method, at its offsets; the hypothesis is checked just before it starts.
  Timeline when;
  if (!x.method.empty()) when.first_action_s = std::chrono::duration<double>(*x.method.front().at).count();
  if (!x.method.empty()) when.last_action_s = std::chrono::duration<double>(*x.method.back().at).count();
  bool checked_before = false;
  auto check_before = [&] {
    when.now_s = since_t0();
    journal["hypothesis"]["before"] = evaluate_hypothesis(x.probes, snapshot(), when, lab_status());
    checked_before = true;
  };
  for (const auto& action : x.method) {
    const auto due = t0 + *action.at;
    while (Clock::now() < due && !o.stop.stop_requested()) {
      progress("load running", since_t0() / load_s);
      std::this_thread::sleep_for(std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(200)));
    }
    if (o.stop.stop_requested()) break;
    if (!checked_before) check_before();
    const double started = since_t0();
    auto outcome = run_action(action, lab);
    journal["actions"].push_back(action_entry(action, started, since_t0(), outcome));
  }
  while (loader.joinable() && since_t0() < load_s && !o.stop.stop_requested()) {
    progress("load running", since_t0() / load_s);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!checked_before) check_before();
  loader.join();
  progress("checking the hypothesis", 1);

  // 4. After the method: the hypothesis over the run. "Ready again" means within a grace
  // period: under load a readiness check can time out once and come back a moment later.
  const auto status_after = expects_ready(x.probes) ? settled_lab_status(lab) : lab_status();
  when.now_s = since_t0();
  journal["hypothesis"]["title"] = x.hypothesis_title;
  journal["hypothesis"]["after"] = evaluate_hypothesis(x.probes, snapshot(), when, status_after);

  // 5. Rollbacks, then the lab's history, then down.
  for (const auto& action : x.rollbacks) {
    const double started = since_t0();
    auto outcome = run_action(action, lab);
    journal["rollbacks"].push_back(action_entry(action, started, since_t0(), outcome));
  }
  try {
    for (auto e : lab.events()) {
      e["t_s"] = e["t"].get<double>() - t0_unix;
      e.erase("t");
      e.erase("ts");
      e.erase("seq");
      journal["events"].push_back(e);
    }
  } catch (const std::exception&) {
  }
  if (!o.keep_lab) {
    progress("bringing the lab down", 1);
    lab::stop_lab(config.dir, std::chrono::seconds(60));
  }

  journal["t0_unix"] = t0_unix;
  journal["series"] = snapshot();
  nlohmann::json load_json = result;
  load_json.erase("samples");
  journal["load"] = load_json;
  journal["ended_at"] = log::now_rfc3339();
  journal["duration_s"] = std::chrono::duration<double>(Clock::now() - begin).count();

  if (!load_error.empty()) {
    abort("the load could not run: " + load_error);
  } else if (!result.target_answered) {
    abort("the balancer never answered the load");
  } else {
    const bool before_met = journal["hypothesis"]["before"]["met"].get<bool>();
    const bool after_met = journal["hypothesis"]["after"]["met"].get<bool>();
    std::string summary;
    for (const auto& p : journal["hypothesis"]["after"]["probes"])
      if (!p["met"].get<bool>()) summary += (summary.empty() ? "" : "; ") + p["name"].get<std::string>() + ": " + p["detail"].get<std::string>();
    if (summary.empty()) summary = before_met ? "the steady state held before and after the method" : "the steady state held after the method";
    if (!before_met) summary += " (it did not hold before the method)";
    journal["verdict"] = {{"deviated", !after_met}, {"status", after_met ? "completed" : "deviated"}, {"summary", summary}, {"error", ""}};
  }
  return journal;
}

std::filesystem::path write_journal(const nlohmann::json& journal, const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / (name + ".json"));
    out << journal.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  const auto html = dir / (name + ".html");
  std::ofstream out(html);
  out << (journal.value("schema", "") == "scalelab.demo/1" ? render_demo_report(journal) : render_report(journal));
  return html;
}

}  // namespace scalelab::experiment
