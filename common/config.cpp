#include "common/config.hpp"

#include <cstdio>
#include <cstdlib>

#include "common/log.hpp"

namespace scalelab::config {

void parse_or_exit(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    std::exit(kExitOk);
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    std::exit(kExitOk);
  } catch (const CLI::CallForVersion& e) {
    std::fputs(e.what(), stdout);
    std::fputc('\n', stdout);
    std::exit(kExitOk);
  } catch (const CLI::ParseError& e) {
    // CLI11 can name a subcommand's own parser; report the root program's name.
    const CLI::App* root = &app;
    while (root->get_parent() != nullptr) root = root->get_parent();
    std::fprintf(stderr, "%s: %s (see --help)\n", root->get_name().c_str(), e.what());
    std::exit(kExitUsage);
  }
}

void die(const std::string& program, const std::string& message, int code) {
  log::flush();  // the log lines before it come first
  std::fprintf(stderr, "%s: %s\n", program.c_str(), message.c_str());
  std::exit(code);
}

}  // namespace scalelab::config
