#include "store/store_metrics.hpp"

#include "common/metrics.hpp"

namespace scalelab::store {

StoreMetrics::StoreMetrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(registry ? std::move(registry) : std::make_shared<prometheus::Registry>()),
      operations_(&prometheus::BuildCounter()
                       .Name("store_operations_total")
                       .Help("Store operations by backend, operation and result (ok, miss, error)")
                       .Register(*registry_)),
      durations_(&prometheus::BuildHistogram()
                      .Name("store_operation_duration_seconds")
                      .Help("Store operation latency by backend and operation")
                      .Register(*registry_)) {}

OpMetrics StoreMetrics::op(const std::string& backend, const std::string& op) {
  return OpMetrics(operations_->Add({{"backend", backend}, {"op", op}, {"result", "ok"}}),
                   operations_->Add({{"backend", backend}, {"op", op}, {"result", "miss"}}),
                   operations_->Add({{"backend", backend}, {"op", op}, {"result", "error"}}),
                   durations_->Add({{"backend", backend}, {"op", op}}, metrics::latency_buckets()));
}

}  // namespace scalelab::store
