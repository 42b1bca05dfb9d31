// Looks embedded files up by name and gives each its content type, once.
#include "lab/console/assets.hpp"

#include <map>
#include <string>

namespace scalelab::console {
namespace {

std::string_view content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext; };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

const std::map<std::string, Asset, std::less<>>& table() {
  static const auto assets = [] {
    std::map<std::string, Asset, std::less<>> m;
    for (std::size_t i = 0; i < kEmbeddedFilesCount; ++i)
      m.emplace(std::string(kEmbeddedFiles[i].name), Asset{kEmbeddedFiles[i].body, content_type(kEmbeddedFiles[i].name)});
    return m;
  }();
  return assets;
}

}  // namespace

const Asset* find_asset(std::string_view name) {
  const auto& t = table();
  auto it = t.find(name);
  return it == t.end() ? nullptr : &it->second;
}

}  // namespace scalelab::console
