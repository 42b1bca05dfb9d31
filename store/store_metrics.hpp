// Per-operation metrics for every store backend, registered once in the registry the
// service exposes on /metrics:
//   store_operations_total{backend, op, result="ok"|"miss"|"error"}
//   store_operation_duration_seconds{backend, op}   (histogram)
// prometheus-cpp's Family::Add takes a lock, so each backend resolves its series once,
// at construction, into an OpMetrics, and the hot path only touches atomics.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace scalelab::store {

class OpMetrics {
 public:
  OpMetrics(prometheus::Counter& ok, prometheus::Counter& miss, prometheus::Counter& error,
            prometheus::Histogram& duration)
      : ok_(&ok), miss_(&miss), error_(&error), duration_(&duration) {}
  void ok(double seconds) { ok_->Increment(); duration_->Observe(seconds); }
  void miss(double seconds) { miss_->Increment(); duration_->Observe(seconds); }
  void error(double seconds) { error_->Increment(); duration_->Observe(seconds); }

 private:
  prometheus::Counter* ok_;
  prometheus::Counter* miss_;
  prometheus::Counter* error_;
  prometheus::Histogram* duration_;
};

class StoreMetrics {
 public:
  // Registers the two families in `registry`. A null registry gives metrics that
  // count into a private registry nobody scrapes (handy for tools and tests).
  explicit StoreMetrics(std::shared_ptr<prometheus::Registry> registry = nullptr);

  OpMetrics op(const std::string& backend, const std::string& op);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* operations_;
  prometheus::Family<prometheus::Histogram>* durations_;
};

// Times one store operation. Call ok(), miss() or let it go out of scope during an
// exception, which records an error.
class OpTimer {
 public:
  explicit OpTimer(OpMetrics& metrics) : metrics_(metrics), start_(std::chrono::steady_clock::now()) {}
  ~OpTimer() {
    if (!done_) metrics_.error(elapsed());
  }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;
  void ok() { done_ = true; metrics_.ok(elapsed()); }
  void miss() { done_ = true; metrics_.miss(elapsed()); }
  // Records ok or miss depending on whether the value was found, and returns it.
  template <class Optional>
  Optional&& found(Optional&& value) {
    value ? ok() : miss();
    return std::forward<Optional>(value);
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  OpMetrics& metrics_;
  std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

}  // namespace scalelab::store
