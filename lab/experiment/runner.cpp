#include "lab/experiment/runner.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "lab/experiment/actions.hpp"
#include "common/backing_services.hpp"
#include "lab/experiment/instance_meter.hpp"
#include "lab/supervisor/db_meter.hpp"
#include "lab/experiment/hypothesis.hpp"
#include "lab/journal/journal_json.hpp"
#include "lab/load/engine.hpp"
#include "lab/report/report.hpp"
#include "lab/supervisor/proc_readings.hpp"
#include "lab/supervisor/launcher.hpp"
#include "lab/supervisor/run_dir.hpp"
#include "lab/supervisor/sample_publisher.hpp"
#include "lab/supervisor/spawn_specs.hpp"

namespace scalelab::experiment {
namespace {

using Clock = std::chrono::steady_clock;

template <class Duration>
double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

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
  c.database = x.cluster.database;
  c.db_max_connections = x.cluster.db_max_connections;
  c.db_pooler = x.cluster.db_pooler;
  if (!x.cluster.autoscale.empty()) c.autoscale = lab::parse_autoscale_policy(x.cluster.autoscale);
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

journal::Action action_record(const ActionSpec& a, double started, double ended, const ActionOutcome& outcome) {
  journal::Action out;
  out.name = a.name;
  out.type = a.type;
  out.args = a.args;
  out.args.erase("body");  // the validated toxic, already summed up in the detail
  if (a.at) out.at_s = seconds(*a.at);
  out.started_s = started;
  out.ended_s = ended;
  out.status = outcome.status;
  out.detail = outcome.detail;
  return out;
}

// lab/load's result as the journal keeps it: without its samples (they are the series).
std::optional<journal::LoadRun> load_run_of(const load::LoadResult& result) {
  nlohmann::json j = result;
  j.erase("samples");
  return journal::parse_load_run(j);
}

// What bounds the run's throughput (lab/journal/ceiling.hpp): known only when every
// request is the `work` scenario's, whose service time the load sets.
std::optional<journal::Capacity> capacity_of(const load::LoadConfig& load, const lab::LabConfig& lab) {
  const auto& mix = load.effective_mix();
  const bool work_only = !mix.empty() && std::all_of(mix.begin(), mix.end(), [](const load::MixEntry& e) {
    return e.weight == 0 || e.scenario == load::Scenario::work;
  });
  if (!work_only || load.work_io_ms + load.work_cpu_ms == 0) return std::nullopt;
  journal::Capacity c;
  c.io_s = load.work_io_ms / 1000.0;
  c.cpu_s = load.work_cpu_ms / 1000.0;
  c.users = load.users;
  const lab::InstanceSlots slots = lab::instance_slots(lab);
  c.slots_per_instance = slots.slots;
  c.slots_reason = slots.reason;
  if (slots.cpu_threads) c.cpu_threads_per_instance = *slots.cpu_threads;
  c.cores = std::max(1u, std::thread::hardware_concurrency());
  return c;
}

// One run of an experiment: the journal it fills, and what its phases share (the lab,
// the load's thread and its samples, the method's timeline). go() runs the phases in
// order; each phase is one member function.
class Run {
 public:
  Run(const Experiment& x, const RunOptions& o) : x_(x), o_(o) {
    journal_.experiment = x.journal_info();
    journal_.label = o.label;
    journal_.started_at = log::now_rfc3339();
    journal_.hypothesis.title = x.hypothesis_title;
  }
  ~Run() {
    if (loader_.joinable()) loader_.join();
  }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  journal::Journal go() {
    if (!start_lab()) return std::move(journal_);
    start_load();
    run_method();
    check_after();
    wind_down();
    record_load();
    judge();
    return std::move(journal_);
  }

 private:
  // 1. The lab. A range of ports picked at random can be taken by another lab starting
  // at the same moment (checking a range and binding it are not one step), so a picked
  // range gets one more try on a fresh one; a range the user chose does not. False when
  // the lab did not come up: the journal is then complete, and aborted.
  bool start_lab() {
    std::string first_failure;
    for (int attempt = 1;; ++attempt) {
      try {
        config_ = lab_config_for(x_, o_);
        progress("starting the lab", 0);
        lab::start_lab(config_, o_.scalelab_exe, std::chrono::seconds(60));
        break;
      } catch (const std::exception& e) {
        if (!config_.dir.empty()) lab::stop_lab(config_.dir, std::chrono::seconds(30));
        if (attempt == 1 && !o_.base_port) {
          first_failure = "base port " + std::to_string(config_.ports.base) + ": " + e.what();
          log::warn("the lab did not come up; trying a fresh range of ports", {{"cause", first_failure}});
          continue;
        }
        mark_aborted(std::string("the lab did not come up: ") + e.what());
        record_lab(first_failure);
        journal_.ended_at = log::now_rfc3339();
        journal_.duration_s = seconds(Clock::now() - begin_);
        return false;
      }
    }
    record_lab(first_failure);
    journal_.capacity = capacity_of(x_.load, config_);
    lab_.emplace(config_, std::chrono::seconds(10));
    instances_lab_.emplace(config_, std::chrono::seconds(2));  // the load thread's own (see start_load)
    if (config_.database) db_meter_.emplace(services::postgres_url(config_.ports.postgres()));
    // The lab's live console shows the run's violation counters (scalelab console --dir).
    console_feed_.emplace(config_, "experiment: " + x_.title);
    return true;
  }

  void record_lab(const std::string& first_failure) {
    journal_.lab.dir = std::filesystem::absolute(config_.dir).string();
    journal_.lab.base_port = config_.ports.base;
    if (!first_failure.empty()) journal_.lab.first_attempt = first_failure;
  }

  // 2. The load, on its own thread; samples arrive once a second.
  void start_load() {
    load::LoadConfig load_config = x_.load;
    load_config.target = "127.0.0.1:" + std::to_string(config_.ports.balancer());
    forward_stop_.emplace(o_.stop, [this] { stop_load_.request_stop(); });
    t0_unix_ = log::unix_now();
    t0_ = Clock::now();
    read_instances();
    last_cpu_ = lab::machine_cpu();
    // The method's clock is the load's: it starts when the first request may go, after
    // the load's stock audit has read the stock (a run that checks out), not before.
    std::promise<void> started;
    std::future<void> load_started = started.get_future();
    loader_ = std::thread([this, load_config, started = std::move(started)]() mutable {
      bool signalled = false;
      auto signal_start = [&] {
        if (signalled) return;
        signalled = true;
        t0_unix_ = log::unix_now();  // read by the method only once `started` is set
        t0_ = Clock::now();
        started.set_value();
      };
      try {
        result_ = load::run_load(
            load_config,
            [this](const load::Sample& s) {
              read_instances();  // once a second, on this thread only after the first read
              nlohmann::json j = s;
              if (db_meter_) j["db"] = journal::db_json(db_reading());
              add_ceiling_and_cpu(j);
              journal::Sample sample = journal::parse_sample(j);
              console_feed_->publish(std::move(j));
              std::lock_guard lock(mu_);
              samples_.push_back(std::move(sample));
            },
            stop_load_.get_token(), signal_start);
      } catch (const std::exception& e) {
        load_error_ = e.what();
      }
      signal_start();  // a run that never started still releases the method's wait
    });
    load_started.wait();
  }

  // 3. The method, at its offsets; the hypothesis is checked just before it starts.
  // Returns once the load has ended.
  void run_method() {
    if (!x_.method.empty()) when_.first_action_s = seconds(*x_.method.front().at);
    if (!x_.method.empty()) when_.last_action_s = seconds(*x_.method.back().at);
    const double load_s = seconds(x_.load.duration);
    for (const auto& action : x_.method) {
      const auto due = t0_ + *action.at;
      while (Clock::now() < due && !o_.stop.stop_requested()) {
        progress("load running", since_t0() / load_s);
        std::this_thread::sleep_for(std::min<Clock::duration>(due - Clock::now(), std::chrono::milliseconds(200)));
      }
      if (o_.stop.stop_requested()) break;
      if (!journal_.hypothesis.before) check_before();
      const double started = since_t0();
      const ActionOutcome outcome = run_action(action, *lab_);
      const double ended = since_t0();
      journal_.actions.push_back(action_record(action, started, ended, outcome));
      // "After the method" counts from when the last action ended, not when it was due:
      // a restart returns once its component is ready, however long that took.
      if (&action == &x_.method.back()) when_.last_action_s = ended;
    }
    while (loader_.joinable() && since_t0() < load_s && !o_.stop.stop_requested()) {
      progress("load running", since_t0() / load_s);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!journal_.hypothesis.before) check_before();
    loader_.join();
    progress("checking the hypothesis", 1);
  }

  void check_before() {
    when_.now_s = since_t0();
    journal_.hypothesis.before = evaluate_hypothesis(x_.probes, snapshot(), when_, lab_status());
  }

  // 4. After the method: the hypothesis over the run. "Ready again" means within a grace
  // period: under load a readiness check can time out once and come back a moment later.
  void check_after() {
    const auto status_after = expects_ready(x_.probes) ? settled_lab_status(*lab_) : lab_status();
    when_.now_s = since_t0();
    journal_.hypothesis.after = evaluate_hypothesis(x_.probes, snapshot(), when_, status_after);
  }

  // 5. Rollbacks, then the lab's history, then down.
  void wind_down() {
    for (const auto& action : x_.rollbacks) {
      const double started = since_t0();
      const ActionOutcome outcome = run_action(action, *lab_);
      journal_.rollbacks.push_back(action_record(action, started, since_t0(), outcome));
    }
    try {
      for (const auto& e : lab_->events()) {
        journal_.events.push_back({e.at("t").get<double>() - t0_unix_, e.value("kind", std::string()),
                                   e.value("component", std::string()), e.value("detail", std::string())});
      }
    } catch (const std::exception&) {
      // The history is a help for the reader; a lab that cannot give it is judged anyway.
    }
    if (!o_.keep_lab) {
      progress("bringing the lab down", 1);
      lab::stop_lab(config_.dir, std::chrono::seconds(60));
    }
  }

  void record_load() {
    journal_.t0_unix = t0_unix_;
    journal_.series = snapshot();
    journal_.load = load_run_of(result_);
    if (instances_.measured(InstanceMeter::redis)) journal_.lab.redis_connections_opened = instances_.opened(InstanceMeter::redis);
    if (instances_.measured(InstanceMeter::database)) journal_.lab.db_connections_opened = instances_.opened(InstanceMeter::database);
    journal_.ended_at = log::now_rfc3339();
    journal_.duration_s = seconds(Clock::now() - begin_);
  }

  // The verdict, as Chaos Toolkit gives it: deviated when the hypothesis does not hold
  // after the method; aborted when the load could not judge the lab at all.
  void judge() {
    if (!load_error_.empty()) return mark_aborted("the load could not run: " + load_error_);
    if (!result_.target_answered) return mark_aborted("the balancer never answered the load");
    const bool before_met = journal_.hypothesis.before->met.value_or(false);
    const bool after_met = journal_.hypothesis.after->met.value_or(false);
    std::string summary;
    for (const journal::ProbeResult& p : journal_.hypothesis.after->probes) {
      if (!p.met.value_or(false)) summary += (summary.empty() ? "" : "; ") + p.name + ": " + p.detail;
    }
    if (summary.empty())
      summary = before_met ? "the steady state held before and after the method" : "the steady state held after the method";
    if (!before_met) summary += " (it did not hold before the method)";
    journal_.verdict = {
        .status = after_met ? "completed" : "deviated", .deviated = !after_met, .summary = summary, .error = ""};
  }

  // Marks the run aborted; what was not checked or measured reads as such.
  void mark_aborted(const std::string& why) {
    journal_.verdict = {.status = "aborted", .deviated = true, .summary = why, .error = why};
    const journal::HypothesisCheck unchecked{.met = false, .probes = {}};
    if (!journal_.hypothesis.before) journal_.hypothesis.before = unchecked;
    if (!journal_.hypothesis.after) journal_.hypothesis.after = unchecked;
    if (!journal_.t0_unix) journal_.t0_unix = log::unix_now();
  }

  void progress(const std::string& phase, double done) {
    if (o_.progress) o_.progress(phase, done);
  }
  double since_t0() const { return seconds(Clock::now() - t0_); }
  std::vector<journal::Sample> snapshot() {
    std::lock_guard lock(mu_);
    return samples_;
  }
  // The instances' connection counters and pools (instance_meter.hpp), with a client of
  // its own: the load thread reads while the main thread runs actions through lab_.
  void read_instances() {
    try {
      instances_.read(instances_lab_->status());
    } catch (const std::exception&) {
      // A second without a reading; the next one catches up.
    }
  }
  // The second's ceiling, from the instances serving at the read just made and the rate
  // an open loop offered; the instances' memory and threads from that read; and the
  // machine's CPU since the previous second.
  void add_ceiling_and_cpu(nlohmann::json& sample) {
    if (journal_.capacity) {
      std::optional<double> offered;
      if (const auto it = sample.find("scheduled_rps"); it != sample.end() && it->is_number()) offered = it->get<double>();
      if (const auto c = journal::ceiling_at(*journal_.capacity, instances_.serving_instances(), offered))
        sample["ceiling"] = journal::to_json(*c);
    }
    if (const auto f = instances_.footprint())
      sample["apps"] = {{"rss_bytes", f->rss_bytes}, {"threads", f->threads}};
    const auto cpu = lab::machine_cpu();
    if (cpu && last_cpu_)
      if (const auto share = lab::busy_share(*last_cpu_, *cpu)) sample["cpu_busy"] = *share;
    last_cpu_ = cpu;
  }
  // The database's connections this second: the server's, and the pools' from the
  // scrape read_instances() just made.
  journal::DbConnections db_reading() {
    const lab::DbServerReading server = db_meter_->read();
    journal::DbConnections d;
    d.server = server.connections;
    d.budget = server.budget;
    d.pool_open = instances_.pool_open();
    d.pool_waiting = instances_.pool_waiting();
    return d;
  }
  nlohmann::json lab_status() {
    try {
      return lab_->status();
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  const Experiment& x_;
  const RunOptions& o_;
  journal::Journal journal_;
  const Clock::time_point begin_ = Clock::now();

  lab::LabConfig config_;
  std::optional<lab::LabClient> lab_;
  std::optional<lab::LabClient> instances_lab_;
  InstanceMeter instances_;  // read before the load starts, then only by the load thread
  std::optional<lab::MachineCpu> last_cpu_;  // likewise
  std::optional<lab::DbMeter> db_meter_;  // when the lab has a database; the load thread's
  std::optional<lab::SamplePublisher> console_feed_;

  std::mutex mu_;
  std::vector<journal::Sample> samples_;  // guarded by mu_
  std::stop_source stop_load_;
  std::optional<std::stop_callback<std::function<void()>>> forward_stop_;
  load::LoadResult result_;  // written by loader_ until it is joined
  std::string load_error_;   // likewise
  double t0_unix_ = 0;
  Clock::time_point t0_;
  std::thread loader_;
  Timeline when_;
};

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

journal::Journal run(const Experiment& x, const RunOptions& o) { return Run(x, o).go(); }

nlohmann::json run_experiment(const Experiment& x, const RunOptions& o) { return journal::to_json(run(x, o)); }

std::filesystem::path write_journal(const nlohmann::json& journal, const std::filesystem::path& dir, const std::string& name) {
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / (name + ".json"));
    out << journal::journal_text(journal);
  }
  const auto html = dir / (name + ".html");
  std::ofstream out(html);
  out << (journal.value("schema", "") == journal::kDemoSchema ? report::render_demo_report(journal)
                                                                : report::render_report(journal));
  return html;
}

}  // namespace scalelab::experiment
