// What the app's /metrics shows before any request: every labelled series a dashboard
// or an alert rates over is there at 0, store errors included.
#include "services/app/app_metrics.hpp"

#include <gtest/gtest.h>

#include "common/metrics.hpp"

using namespace scalelab;

TEST(AppMetrics, StoreErrorsAreExposedAtZeroForEveryBackend) {
  prometheus::Registry registry;
  app::AppMetrics metrics(registry, "app-1", {"/healthz"});
  const std::string text = metrics::serialize(registry);
  for (const char* backend : {"redis", "s3", "local-disk"})
    EXPECT_NE(text.find(std::string("app_store_errors_total{backend=\"") + backend + "\"} 0"), std::string::npos)
        << backend << "\n" << text;
  metrics.store_error("redis");
  EXPECT_NE(metrics::serialize(registry).find("app_store_errors_total{backend=\"redis\"} 1"), std::string::npos);
}
