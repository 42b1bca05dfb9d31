// The cookies of one virtual user. A user behaves like a browser, so the app's session
// cookie (`sid`) follows it across keep-alive connections and instances. The generator
// only ever talks to one loopback origin, so domains, paths and Secure are irrelevant
// here; names, values and deletion (Max-Age=0, or an Expires in the past) are what
// matter.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace scalelab::load {

class CookieJar {
 public:
  // Applies one Set-Cookie header value, e.g. "sid=abc; Path=/; HttpOnly".
  void store(std::string_view set_cookie);
  // The Cookie request header value ("a=1; b=2"), empty when the jar is empty.
  const std::string& header() const { return header_; }
  std::string get(std::string_view name) const;
  void erase(std::string_view name);
  void clear();

 private:
  void rebuild();
  std::map<std::string, std::string, std::less<>> cookies_;
  std::string header_;
};

}  // namespace scalelab::load
