// `scalelab fault`: Toxiproxy-style faults on the links to Redis and S3. The words are
// parsed by the fault proxy's own parser, so the CLI, experiments and the proxy agree
// on every toxic, attribute and unit.
#include <cstdio>

#include "lab/cli/cli.hpp"
#include "lab/faultproxy/fault_args.hpp"

namespace scalelab::cli {

void add_fault_command(CLI::App& root, Context& ctx) {
  auto words = std::make_shared<std::vector<std::string>>();
  auto* cmd = root.add_subcommand("fault", "Inject, list or clear faults on the redis and s3 links");
  cmd->footer(faultproxy::fault_usage());
  cmd->add_option("args", *words, "list | LINK clear | LINK remove NAME | LINK TOXIC [key=value ...]")->required();
  cmd->allow_extras(false);
  cmd->callback([&ctx, words] {
    ctx.run([&] {
      faultproxy::FaultCommand fc;
      try {
        fc = faultproxy::parse_fault_command(*words);
      } catch (const faultproxy::FaultArgsError& e) {
        return fail(e.what(), 2);
      }
      lab::LabClient client(ctx.dir);
      switch (fc.action) {
        case faultproxy::FaultCommand::Action::list: {
          auto proxies = client.faults();
          for (const auto& [name, proxy] : proxies.items()) {
            std::printf("%s: %s -> %s%s\n", name.c_str(), proxy["listen"].get<std::string>().c_str(),
                        proxy["upstream"].get<std::string>().c_str(), proxy["listening"].get<bool>() ? "" : " (not listening)");
            if (proxy["toxics"].empty()) std::printf("  no toxics\n");
            for (const auto& t : proxy["toxics"])
              std::printf("  %s: %s %s toxicity %.2f %s\n", t["name"].get<std::string>().c_str(),
                          t["type"].get<std::string>().c_str(), t["direction"].get<std::string>().c_str(),
                          t["toxicity"].get<double>(), t["attributes"].dump().c_str());
          }
          return 0;
        }
        case faultproxy::FaultCommand::Action::clear:
          client.fault_clear(fc.link);
          std::printf("%s: every toxic removed\n", fc.link.c_str());
          return 0;
        case faultproxy::FaultCommand::Action::remove:
          client.fault_remove(fc.link, fc.toxic_name);
          std::printf("%s: removed %s\n", fc.link.c_str(), fc.toxic_name.c_str());
          return 0;
        case faultproxy::FaultCommand::Action::add: {
          auto stored = client.fault_add(fc.link, fc.toxic);
          std::printf("%s: added %s (%s, %s, toxicity %.2f) %s\n", fc.link.c_str(), stored["name"].get<std::string>().c_str(),
                      stored["type"].get<std::string>().c_str(), stored["direction"].get<std::string>().c_str(),
                      stored["toxicity"].get<double>(), stored["attributes"].dump().c_str());
          return 0;
        }
      }
      return 0;
    });
  });
}

}  // namespace scalelab::cli
