#include "lab/cli/cli.hpp"

#include <algorithm>
#include <cstdio>

#include "common/http_error.hpp"

namespace scalelab::cli {

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "scalelab: %s\n", message.c_str());
  return code;
}

void Context::run(const std::function<int()>& work) {
  dir = dir_option;
  try {
    exit_code = work();
  } catch (const HttpError& e) {
    // A request the lab refused as wrong (unknown component, bad value) is a usage
    // error; anything else is a failure.
    exit_code = fail(e.what(), e.status() == 400 || e.status() == 404 ? 2 : 1);
  } catch (const std::invalid_argument& e) {
    exit_code = fail(e.what(), 2);
  } catch (const std::exception& e) {
    exit_code = fail(e.what(), 1);
  }
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

std::string human_duration(double seconds) {
  if (seconds <= 0) return "-";
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%dm %02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh %02dm", static_cast<int>(seconds) / 3600, (static_cast<int>(seconds) / 60) % 60);
  }
  return buf;
}

}  // namespace scalelab::cli
