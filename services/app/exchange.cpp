#include "services/app/exchange.hpp"

#include <charconv>

#include "common/json_error.hpp"

namespace scalelab::app {

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 18) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

nlohmann::json Exchange::json_body(std::size_t limit) {
  StageTimer timer(ctx.parse);
  std::string body;
  bool too_large = false;
  if (reader != nullptr) {
    std::uint64_t past = 0;  // bytes over the limit, read and dropped
    const bool complete = (*reader)([&](const char* data, std::size_t n) {
      if (too_large || body.size() + n > limit) {
        too_large = true;
        past += n;
        return past <= kReadPastLimit;
      }
      body.append(data, n);
      return true;
    });
    if (too_large) {
      ctx.keep_alive = false;  // past kReadPastLimit, body bytes are left unread
      throw HttpError(413, "payload_too_large", "the JSON body is larger than " + std::to_string(limit) + " bytes");
    }
    if (!complete) throw HttpError(400, "truncated_body", "the request body ended early");
  } else {
    body = req.body;
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw HttpError(400, "bad_json", "the body is not valid JSON");
  if (!j.is_object()) throw HttpError(400, "bad_json", "the body must be a JSON object");
  return j;
}

void Exchange::send_json(int status, const nlohmann::json& body) {
  StageTimer timer(ctx.serialize);
  res.status = status;
  // Range never applies here: AppServer clears cpp-httplib's ranges before routing, and
  // RFC 9110 lets a server ignore Range, so JSON is always sent whole.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void Exchange::send_error(int status, std::string_view code, std::string_view detail) {
  send_json(status, error_json(code, detail));
}

std::optional<std::string> Exchange::cookie(std::string_view name) const {
  const std::size_t headers = req.get_header_value_count("Cookie");
  for (std::size_t h = 0; h < headers; ++h) {
    const std::string header = req.get_header_value("Cookie", h);
    std::string_view rest(header);
    while (!rest.empty()) {
      const auto semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::int64_t Exchange::query_int(const std::string& name, std::int64_t min, std::int64_t max, std::int64_t fallback) const {
  if (!req.has_param(name)) return fallback;
  auto value = parse_int(req.get_param_value(name));
  if (!value || *value < min || *value > max)
    throw HttpError(400, "bad_parameter",
                    name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  return *value;
}

}  // namespace scalelab::app
