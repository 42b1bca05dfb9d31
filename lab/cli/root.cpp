// The root of the `scalelab` command line: its global options (accepted before or after
// the subcommand), --version, `help [COMMAND]`, and the one line that answers a
// mistyped command with the nearest real one instead of CLI11's "A subcommand is
// required".
#include <algorithm>
#include <cstdio>

#include "common/config.hpp"
#include "lab/cli/cli.hpp"

#ifndef SCALELAB_VERSION
#define SCALELAB_VERSION "unknown"
#endif

namespace scalelab::cli {
namespace {

// The subcommands a user may type: every visible one (`supervise` is internal).
std::vector<std::string> command_names(const CLI::App& root) {
  std::vector<std::string> names;
  for (const CLI::App* sub : root.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
    names.push_back(sub->get_name());
  return names;
}

const CLI::App* find_command(const CLI::App& root, const std::string& name) {
  const auto all = root.get_subcommands([&](const CLI::App* a) { return a->check_name(name); });
  return all.empty() ? nullptr : all.front();
}

std::string unknown_command_line(const CLI::App& root, const std::string& word) {
  const std::string guess = closest_name(word, command_names(root));
  return "unknown command '" + word + "'" + (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
         " (scalelab help lists them)";
}

}  // namespace

std::string closest_name(const std::string& word, const std::vector<std::string>& names) {
  // Levenshtein distance, one row at a time; a swap of two letters counts as two edits.
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t above = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::string best;
  std::size_t best_distance = 3;  // at most 2 edits, and fewer than the word has letters
  for (const auto& name : names) {
    const std::size_t d = distance(word, name);
    if (d < best_distance && d < word.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

std::string unknown_command(const CLI::App& root, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return {};
    if (arg.size() > 1 && arg[0] == '-') {
      if (arg.find('=') != std::string::npos) continue;
      const CLI::Option* opt = root.get_option_no_throw(arg);
      if (opt == nullptr || opt == root.get_help_ptr() || arg == "--version") return {};  // CLI11 answers
      if (opt->get_type_size_max() > 0) ++i;  // its value
      continue;
    }
    return find_command(root, arg) != nullptr ? std::string() : unknown_command_line(root, arg);
  }
  return "a command is required (scalelab help lists them)";
}

void add_help_command(CLI::App& root, Context& ctx) {
  auto topic = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand("help", "Print this list, or a command's options: help [COMMAND]");
  cmd->add_option("command", *topic, "The command to explain");
  cmd->callback([&root, &ctx, topic] {
    // Not root.help(): once `help` is parsed, CLI11 would describe `help` itself.
    if (topic->empty()) {
      std::fputs(root.get_formatter()->make_help(&root, root.get_name(), CLI::AppFormatMode::Normal).c_str(), stdout);
      return;
    }
    const CLI::App* sub = find_command(root, *topic);
    if (sub == nullptr || sub->get_group().empty()) {
      ctx.exit_code = fail(unknown_command_line(root, *topic), config::kExitUsage);
      return;
    }
    std::fputs(sub->help(root.get_name()).c_str(), stdout);
  });
}

void add_commands(CLI::App& root, Context& ctx) {
  root.name("scalelab");
  root.description(
      "scalelab: a horizontal-scaling lab. Several instances of a service behind a balancer,\n"
      "state in Redis and S3 or in each process, and the chaos to show the difference.");
  root.require_subcommand(1);
  // Global options work after the subcommand too: subcommands hand what they do not
  // know to the root (set before the subcommands exist: they inherit it).
  root.fallthrough();
  root.get_formatter()->column_width(36);
  root.set_version_flag("--version", "scalelab " SCALELAB_VERSION);
  ctx.dir_flag = config::option(root, "--dir", "SCALELAB_DIR", ctx.dir_option, "The lab's run folder (state, logs, data)");
  add_lab_commands(root, ctx);
  add_logs_command(root, ctx);
  add_fault_command(root, ctx);
  add_console_command(root, ctx);
  add_autoscale_command(root, ctx);
  add_load_command(root, ctx);
  add_experiment_commands(root, ctx);
  add_supervise_command(root, ctx);
  add_help_command(root, ctx);
}

}  // namespace scalelab::cli
