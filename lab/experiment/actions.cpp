#include "lab/experiment/actions.hpp"

namespace scalelab::experiment {

// How long a restart may take to be ready again before the action counts as failed.
constexpr std::chrono::milliseconds kRestartTimeout = std::chrono::seconds(30);

ActionOutcome run_action(const ActionSpec& a, lab::LabClient& lab) {
  const auto& args = a.args;
  auto id = [&] { return args.value("id", std::string()); };
  try {
    std::string detail;
    if (a.type == "kill") {
      auto r = lab.kill(id(), args.value("signal", std::string("KILL")));
      detail = "sent SIG" + r["signal"].get<std::string>() + " to " + id() + " (pid " + std::to_string(r["pid"].get<int>()) + ")";
    } else if (a.type == "pause") {
      lab.pause(id());
      detail = id() + " paused (SIGSTOP)";
    } else if (a.type == "resume") {
      lab.resume(id());
      detail = id() + " resumed (SIGCONT)";
    } else if (a.type == "restart") {
      // Done when the component is back, as with `scalelab restart`: a rolling restart's
      // next step, and the window after the method, begin from there.
      const auto c = lab.restart_and_wait(id(), kRestartTimeout);
      if (c["state"] != "ready")
        return {"failed", id() + " restarted but is " + c["state"].get<std::string>() + " after " +
                              std::to_string(kRestartTimeout.count() / 1000) + " s"};
      detail = id() + " restarted (SIGTERM, then start) and ready";
    } else if (a.type == "scale") {
      auto r = lab.scale(args["instances"].get<int>());
      detail = "scale to " + std::to_string(args["instances"].get<int>()) + ": adding " + r["added"].dump() +
               ", removing " + r["removing"].dump();
    } else if (a.type == "toggle") {
      auto r = lab.toggle(args.value("concern", std::string()), args["mode"].get<std::string>());
      detail = "state now " + r["state"].dump();
    } else if (a.type == "fault") {
      auto r = lab.fault_add(args["link"].get<std::string>(), args["body"]);
      detail = args["link"].get<std::string>() + ": " + r["type"].get<std::string>() + " " + r["attributes"].dump() +
               " toxicity " + std::to_string(r["toxicity"].get<double>()).substr(0, 4);
    } else if (a.type == "clear") {
      lab.fault_clear(args["link"].get<std::string>());
      detail = args["link"].get<std::string>() + ": every toxic removed";
    }
    return {"succeeded", detail};
  } catch (const std::exception& e) {
    return {"failed", e.what()};
  }
}

}  // namespace scalelab::experiment
