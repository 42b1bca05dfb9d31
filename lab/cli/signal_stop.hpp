// SIGINT and SIGTERM as a stop request for a long command (`load`, `experiment`): the
// command ends early and still prints its summary, runs its rollbacks, and so on.
// While a SignalStop lives, both signals are blocked in the thread that made it, and in
// every thread started from there on (they inherit the mask); one waiting thread
// collects them, so no code runs in a signal handler. The old mask comes back after.
#pragma once

#include <signal.h>

#include <stop_token>
#include <string>
#include <thread>

namespace scalelab::cli {

class SignalStop {
 public:
  // `message`, when not empty, is printed to stderr when a signal arrives.
  explicit SignalStop(std::string message = {});
  ~SignalStop();
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;

  std::stop_token token() const { return source_.get_token(); }

 private:
  sigset_t set_{}, old_{};
  std::stop_source source_;
  std::jthread waiter_;
};

}  // namespace scalelab::cli
