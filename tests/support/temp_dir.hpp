// A folder that exists for one test and is removed afterwards, whatever happens.
#pragma once

#include <filesystem>
#include <string>

namespace scalelab::testkit {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "scalelab-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace scalelab::testkit
