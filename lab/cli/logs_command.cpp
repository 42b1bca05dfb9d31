// `scalelab logs ID`: a component's log file from the lab's folder, read directly (it
// works while the lab is down too). A balancer's log reaches megabytes in minutes, so
// --tail N starts at the last N lines, as tail(1) does; --follow then keeps printing.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "lab/cli/cli.hpp"

namespace scalelab::cli {
namespace {

// The offset of the start of the last `lines` lines of `in` (a last line without its
// newline counts), reading backwards in blocks; 0 when the file has fewer lines.
std::streamoff tail_start(std::ifstream& in, std::size_t lines) {
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (lines == 0) return size;
  std::streamoff pos = size;
  std::size_t newlines = 0;
  bool last_byte = true;
  std::string block(64 * 1024, '\0');
  while (pos > 0) {
    const std::streamoff n = std::min<std::streamoff>(pos, static_cast<std::streamoff>(block.size()));
    pos -= n;
    in.seekg(pos);
    in.read(block.data(), n);
    for (std::streamoff i = n - 1; i >= 0; --i) {
      if (block[static_cast<std::size_t>(i)] == '\n' && !last_byte && ++newlines == lines) return pos + i + 1;
      last_byte = false;
    }
  }
  return 0;
}

int read_log(const std::filesystem::path& dir, const std::string& id, bool follow, std::optional<std::size_t> tail) {
  const auto path = id == "supervisor" ? dir / "supervisor.log" : dir / "logs" / (id + ".log");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("no log for '" + id + "' in " + dir.string() + " (ids: scalelab status)", 2);
  if (tail) {
    const std::streamoff start = tail_start(in, *tail);
    in.clear();
    in.seekg(start);
  }
  std::string chunk(64 * 1024, '\0');
  while (true) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto n = in.gcount();
    if (n > 0) {
      std::fwrite(chunk.data(), 1, static_cast<std::size_t>(n), stdout);
      std::fflush(stdout);
      continue;
    }
    if (!follow) return 0;
    in.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

void add_logs_command(CLI::App& root, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto tail = std::make_shared<std::size_t>(0);
  auto* cmd = root.add_subcommand("logs", "Print a component's log (JSON lines); `supervisor` for the supervisor's");
  cmd->add_option("id", *id, "Component id, e.g. app-2, balancer, redis")->required();
  cmd->add_flag("--follow,-f", *follow, "Keep printing as it grows");
  auto* tail_opt = cmd->add_option("--tail,-n", *tail, "Start at the last N lines instead of the beginning");
  cmd->callback([&ctx, id, follow, tail, tail_opt] {
    ctx.run([&] {
      return read_log(ctx.dir, *id, *follow, tail_opt->count() > 0 ? std::optional<std::size_t>(*tail) : std::nullopt);
    });
  });
}

}  // namespace scalelab::cli
