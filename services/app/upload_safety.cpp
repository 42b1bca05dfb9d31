// The inline list and the headers of an upload's response; stated in upload_safety.hpp.
#include "services/app/upload_safety.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "common/text.hpp"

namespace scalelab::app {

bool is_inert_media_type(std::string_view content_type) {
  static constexpr std::array<std::string_view, 5> kInline = {"image/png", "image/jpeg", "image/gif", "image/webp",
                                                              "text/plain"};
  std::string media(text::trim(content_type.substr(0, content_type.find(';'))));
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(kInline.begin(), kInline.end(), media) != kInline.end();
}

void set_upload_safety_headers(httplib::Response& res, std::string_view content_type) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Security-Policy", "sandbox");
  if (!is_inert_media_type(content_type)) res.set_header("Content-Disposition", "attachment");
}

}  // namespace scalelab::app
