// A deliberately small RFC 6265 subset: the name=value pair before the first ';', and
// the two attributes that delete a cookie.
#include "lab/load/cookie_jar.hpp"

#include <cctype>

#include "common/text.hpp"

namespace scalelab::load {
namespace {

using text::iequals;
using text::trim;

// True for attributes that delete the cookie: Max-Age <= 0, or an Expires date before
// 2000 (servers clear cookies with the epoch; parsing real dates buys nothing here).
bool deletes(std::string_view attribute) {
  const auto eq = attribute.find('=');
  if (eq == std::string_view::npos) return false;
  const auto key = trim(attribute.substr(0, eq));
  const auto value = trim(attribute.substr(eq + 1));
  if (iequals(key, "max-age")) return !value.empty() && (value.front() == '-' || value == "0");
  if (iequals(key, "expires")) return value.find("1970") != std::string_view::npos;
  return false;
}

}  // namespace

void CookieJar::store(std::string_view set_cookie) {
  const auto semi = set_cookie.find(';');
  const auto pair = trim(set_cookie.substr(0, semi));
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos || eq == 0) return;
  const std::string name(trim(pair.substr(0, eq)));
  const std::string value(trim(pair.substr(eq + 1)));
  bool remove = value.empty();
  for (auto rest = semi == std::string_view::npos ? std::string_view{} : set_cookie.substr(semi + 1); !rest.empty();) {
    const auto next = rest.find(';');
    remove = remove || deletes(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
  }
  if (remove)
    cookies_.erase(name);
  else
    cookies_[name] = value;
  rebuild();
}

std::string CookieJar::get(std::string_view name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? std::string() : it->second;
}

void CookieJar::erase(std::string_view name) {
  auto it = cookies_.find(name);
  if (it == cookies_.end()) return;
  cookies_.erase(it);
  rebuild();
}

void CookieJar::clear() {
  cookies_.clear();
  header_.clear();
}

void CookieJar::rebuild() {
  header_.clear();
  for (const auto& [name, value] : cookies_) {
    if (!header_.empty()) header_ += "; ";
    header_ += name;
    header_ += '=';
    header_ += value;
  }
}

}  // namespace scalelab::load
