// The Kubernetes containers that run the scalelab image pass only flags and variables
// the binaries' --help lists (ConfigMaps taken whole through envFrom included), and
// their exec hooks call tools the image has.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/deploy/binary_help.hpp"
#include "tests/deploy/k8s_manifests.hpp"

namespace scalelab::deploytest {
namespace {

TEST(K8sBinaries, ScalelabContainersPassOnlyWhatTheBinariesAccept) {
  const auto all = load_manifests();
  HelpCache help;
  int checked = 0;
  for (const auto& m : all) {
    const YAML::Node spec = pod_spec(m);
    if (!spec) continue;
    for (const auto& c : spec["containers"]) {
      if (c["image"].as<std::string>().rfind("scalelab:", 0) != 0) continue;
      const std::string where = "deploy/k8s/" + m.file + " " + m.name() + "/" + c["name"].as<std::string>();
      for (const auto& problem : check_invocation(help, where, container_argv(c), container_env(all, c)))
        ADD_FAILURE() << problem;
      ++checked;
      // Exec hooks run inside the image: only its binaries, the probe, bash and coreutils.
      const YAML::Node hook = at(c, {"lifecycle", "preStop", "exec", "command"});
      if (!hook) continue;
      std::string line;
      for (const auto& w : hook) line += w.as<std::string>() + " ";
      const std::string program = hook[0].as<std::string>();
      EXPECT_TRUE(program == "/bin/bash" || program == "sleep" || program == "scalelab-probe") << where << ": " << line;
      if (line.find("scalelab-probe") != std::string::npos) {
        // The app's admin API (the drain) is on its admin address, not the service port.
        const std::string listen = container_env_value(all, c, "SCALELAB_ADMIN_LISTEN");
        ASSERT_FALSE(listen.empty()) << where << ": the preStop probe needs the app's admin address";
        EXPECT_NE(line.find(" " + listen.substr(listen.rfind(':') + 1) + " "), std::string::npos)
            << where << ": the preStop probe does not use the app's admin port (" << listen << ")";
      }
    }
  }
  EXPECT_EQ(checked, 2) << "expected the app and the balancer";
}

}  // namespace
}  // namespace scalelab::deploytest
