// `scalelab demo database`: the ceiling scale-out hits after state, the database's
// connection budget, in three runs of the same story. Instances go 1 -> 2 -> 4 -> 8
// under the same load against PostgreSQL's max_connections of 100 (97 for the
// instances): with pools of 20 (8 x 20 = 160 connections wanted), with pools of 10
// (8 x 10 = 80, which fits), and with pools of 20 through pgbouncer, which holds at most
// 20 server connections whatever the instances open. The numbers come from each run's
// journal: its samples' database readings (db_meter.hpp), its failures and its latency.
#include <algorithm>
#include <cstdio>
#include <map>

#include "lab/experiment/demo.hpp"
#include "lab/journal/scaling.hpp"

namespace scalelab::experiment {
namespace {

// The highest value of one database figure over the run's seconds, if any was read.
std::optional<double> peak(const journal::Journal& run, std::optional<double> journal::DbConnections::*field) {
  std::optional<double> best;
  for (const journal::Sample& s : run.series)
    if (s.db && ((*s.db).*field)) best = std::max(best.value_or(0), *((*s.db).*field));
  return best;
}

std::string peak_text(const journal::Journal& run, std::optional<double> journal::DbConnections::*field) {
  const auto p = peak(run, field);
  return p ? whole_number(*p) : std::string("?");
}

int pool_size(const journal::Journal& run) {
  const auto& env = run.experiment.cluster.value("app_env", nlohmann::json::object());
  try {
    return std::stoi(env.value("SCALELAB_DB_POOL", std::string("10")));
  } catch (const std::exception&) {
    return 0;
  }
}

bool pooled_by_pgbouncer(const journal::Journal& run) {
  return run.experiment.cluster.value("db_pooler", std::string("none")) == "pgbouncer";
}

int most_instances(const journal::Journal& run) {
  int most = 0;
  for (const auto& step : journal::instance_count_steps(run)) most = std::max(most, step.count);
  return most;
}

// The error code most of the kept failures carry, with how many of them do.
std::string main_error(const journal::Journal& run) {
  std::map<std::string, int> by_code;
  for (const auto& f : run.failures()) ++by_code[f.error.empty() ? "(no code)" : f.error];
  if (by_code.empty()) return "";
  const auto top = std::max_element(by_code.begin(), by_code.end(),
                                    [](const auto& a, const auto& b) { return a.second < b.second; });
  return top->first;
}

}  // namespace

std::string database_conclusion(const journal::Journal& run) {
  const journal::Totals t = run.totals();
  const int n = most_instances(run), pool = pool_size(run);
  const std::string wanted = std::to_string(n) + " instances x pool " + std::to_string(pool) + " = " +
                             std::to_string(n * pool) + " connections";
  const std::string budget = peak_text(run, &journal::DbConnections::budget);
  const std::string held = peak_text(run, &journal::DbConnections::server);
  const std::string failed = whole_number(t.errors) + " of " + whole_number(t.requests) + " requests failed";
  if (pooled_by_pgbouncer(run))
    return wanted + " open to pgbouncer, which held at most " + held + " of the server's " + budget + "; " + failed +
           " - a pooler multiplexes many client connections onto few server ones";
  if (t.errors > 0) {
    const std::string code = main_error(run);
    return wanted + " against a budget of " + budget + ": the server held " + held + " and refused the rest; " +
           failed + (code.empty() ? "" : " (" + code + ")") +
           " - scaling out the stateless tier moved the wall to the database's connection count";
  }
  return wanted + " fit the budget of " + budget + " (the server held at most " + held + "); " + failed +
         "; requests queued for a pooled connection (at most " +
         peak_text(run, &journal::DbConnections::pool_waiting) + " waiting, worst p99 " + whole_number(t.worst_p99_ms) +
         " ms) - size pools so N x pool stays under max_connections";
}

std::string database_table(const std::vector<journal::Journal>& runs) {
  std::vector<journal::Totals> totals;
  for (const journal::Journal& r : runs) totals.push_back(r.totals());
  DemoRows rows;
  add_row(rows, "requests", [&](std::size_t i) { return whole_number(totals[i].requests); });
  add_row(rows, "failed requests", [&](std::size_t i) { return whole_number(totals[i].errors); });
  add_row(rows, "failed with", [&](std::size_t i) {
    const std::string code = main_error(runs[i]);
    return code.empty() ? std::string("-") : code;
  });
  add_row(rows, "most instances", [&](std::size_t i) { return std::to_string(most_instances(runs[i])); });
  add_row(rows, "pool per instance", [&](std::size_t i) {
    return std::to_string(pool_size(runs[i])) + (pooled_by_pgbouncer(runs[i]) ? " (to pgbouncer)" : "");
  });
  add_row(rows, "wanted (N x pool)", [&](std::size_t i) {
    return std::to_string(most_instances(runs[i]) * pool_size(runs[i]));
  });
  add_row(rows, "server held (peak)", [&](std::size_t i) {
    return peak_text(runs[i], &journal::DbConnections::server) + " of " +
           peak_text(runs[i], &journal::DbConnections::budget);
  });
  add_row(rows, "pools' conns (peak)", [&](std::size_t i) { return peak_text(runs[i], &journal::DbConnections::pool_open); });
  add_row(rows, "waiting (peak)", [&](std::size_t i) { return peak_text(runs[i], &journal::DbConnections::pool_waiting); });
  add_row(rows, "worst p99 (ms)", [&](std::size_t i) { return whole_number(totals[i].worst_p99_ms); });
  return demo_table(runs, rows);
}

DemoTopic database_topic(const std::filesystem::path& experiments_dir) {
  DemoTopic topic;
  topic.name = "database";
  topic.intro =
      "scalelab demo database: the connection budget. Instances go 1 -> 2 -> 4 -> 8 under the same load against\n"
      "PostgreSQL's max_connections 100 (97 for the instances): pools of 20, pools of 10, and pools of 20 through\n"
      "pgbouncer (transaction pooling, 20 server connections).";
  topic.description =
      "The ceiling scale-out hits after state: every instance keeps its own pool of database connections, and the "
      "database holds a fixed number. The three runs share the load and the scaling steps; they differ in the pool "
      "size and in whether pgbouncer stands between the pools and the server.";
  // The files' timeline, shortened so three runs take about a minute: the same steps
  // 3 s apart instead of 4, and 15 s of load instead of 22.
  auto shorten = [](DemoRun run) {
    run.experiment.load.duration = std::chrono::seconds(15);
    int step = 0;
    for (ActionSpec& a : run.experiment.method) a.at = std::chrono::seconds(3 * ++step);
    return run;
  };
  DemoRun pool10 = demo_run_from(experiments_dir, "connection-budget.yaml", "pool 10");
  pool10.experiment.cluster.app_env["SCALELAB_DB_POOL"] = "10";
  // Pools of 10 make requests queue for a connection (that is this run's cost); let them
  // wait up to 5 s rather than the default 1 s, so a busy machine shows a slower queue,
  // not failures the lesson is not about.
  pool10.experiment.cluster.app_env["SCALELAB_DB_CHECKOUT_TIMEOUT_MS"] = "5000";
  topic.runs.push_back(shorten(demo_run_from(experiments_dir, "connection-budget.yaml", "pool 20")));
  topic.runs.push_back(shorten(std::move(pool10)));
  topic.runs.push_back(shorten(demo_run_from(experiments_dir, "connection-budget-pgbouncer.yaml", "pgbouncer")));
  topic.conclusion = database_conclusion;
  topic.table = database_table;
  return topic;
}

}  // namespace scalelab::experiment
