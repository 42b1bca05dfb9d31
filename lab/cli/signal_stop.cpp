#include "lab/cli/signal_stop.hpp"

#include <pthread.h>

#include <cstdio>

namespace scalelab::cli {

SignalStop::SignalStop(std::string message) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  waiter_ = std::jthread([this, message = std::move(message)](std::stop_token done) {
    const timespec tick{0, 100'000'000};
    while (!done.stop_requested()) {
      if (sigtimedwait(&set_, nullptr, &tick) > 0) {
        if (!message.empty()) std::fprintf(stderr, "\n%s\n", message.c_str());
        source_.request_stop();
        return;
      }
    }
  });
}

SignalStop::~SignalStop() {
  waiter_.request_stop();
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace scalelab::cli
