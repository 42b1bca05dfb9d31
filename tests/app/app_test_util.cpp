#include "tests/app/app_test_util.hpp"

#include <sstream>

namespace scalelab::testkit {

httplib::Result post_chunked(httplib::Client& client, const std::string& path, const httplib::Headers& headers,
                             const std::string& data, std::size_t chunk) {
  return client.Post(
      path, headers,
      [&](std::size_t offset, httplib::DataSink& sink) {
        if (offset >= data.size()) {
          sink.done();
          return true;
        }
        sink.write(data.data() + offset, std::min(chunk, data.size() - offset));
        return true;
      },
      "application/octet-stream");
}

double metric_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

}  // namespace scalelab::testkit
