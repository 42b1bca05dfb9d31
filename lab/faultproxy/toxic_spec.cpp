#include "lab/faultproxy/toxic_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/text.hpp"

namespace scalelab::faultproxy {
namespace {

using text::number;

std::string attribute_names(const ToxicTypeInfo& info) {
  if (info.attributes.empty()) return "none";
  std::string out;
  for (const auto& a : info.attributes) out += (out.empty() ? "" : ", ") + std::string(a.name);
  return out;
}

double number_in_range(const nlohmann::json& value, const std::string& key, double min, double max) {
  if (!value.is_number()) throw SpecError(key, key + ": expected a number, got " + value.dump());
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < min || v > max)
    throw SpecError(key, key + ": " + number(v) + " is out of range [" + number(min) + ", " + number(max) + "]");
  return v;
}

}  // namespace

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::upstream: return "upstream";
    case Direction::downstream: return "downstream";
    case Direction::both: return "both";
  }
  return "both";
}

std::optional<Direction> parse_direction(std::string_view text) {
  if (text == "upstream") return Direction::upstream;
  if (text == "downstream") return Direction::downstream;
  if (text == "both") return Direction::both;
  return std::nullopt;
}

const ToxicTypeInfo* find_toxic_type(std::string_view type) {
  for (const auto& info : toxic_types())
    if (info.type == type) return &info;
  return nullptr;
}

std::string toxic_type_names() {
  std::string out;
  for (const auto& info : toxic_types()) out += (out.empty() ? "" : ", ") + std::string(info.type);
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json ToxicSpec::to_json() const {
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : attributes) attrs[k] = v;
  return {{"name", name},
          {"type", type},
          {"direction", std::string(to_string(direction))},
          {"toxicity", toxicity},
          {"attributes", attrs}};
}

ToxicSpec parse_toxic_spec(const nlohmann::json& body) {
  if (!body.is_object()) throw SpecError("", "a toxic must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "type" && key != "name" && key != "direction" && key != "toxicity" && key != "attributes")
      throw SpecError(key, "unknown key '" + key + "' (type, name, direction, toxicity, attributes)");
  }
  ToxicSpec spec;
  const auto type = body.find("type");
  if (type == body.end()) throw SpecError("type", "type is required (" + toxic_type_names() + ")");
  if (!type->is_string()) throw SpecError("type", "type: expected a string, got " + type->dump());
  const ToxicTypeInfo* info = find_toxic_type(type->get<std::string>());
  if (info == nullptr)
    throw SpecError("type", "unknown toxic type '" + type->get<std::string>() + "' (" + toxic_type_names() + ")");
  spec.type = std::string(info->type);

  if (const auto dir = body.find("direction"); dir != body.end()) {
    const auto parsed = dir->is_string() ? parse_direction(dir->get<std::string>()) : std::nullopt;
    if (!parsed) throw SpecError("direction", "direction: expected upstream, downstream or both, got " + dir->dump());
    spec.direction = *parsed;
  }
  if (const auto tox = body.find("toxicity"); tox != body.end()) spec.toxicity = number_in_range(*tox, "toxicity", 0, 1);

  if (const auto name = body.find("name"); name != body.end()) {
    if (!name->is_string() || !valid_name(name->get<std::string>()))
      throw SpecError("name", "name: expected 1 to 64 of [A-Za-z0-9_.-], got " + name->dump());
    spec.name = name->get<std::string>();
  } else {
    spec.name = spec.type + "_" + std::string(to_string(spec.direction));
  }

  nlohmann::json attrs = nlohmann::json::object();
  if (const auto a = body.find("attributes"); a != body.end()) {
    if (!a->is_object()) throw SpecError("attributes", "attributes: expected a JSON object, got " + a->dump());
    attrs = *a;
  }
  for (const auto& [key, value] : attrs.items()) {
    const bool known = std::any_of(info->attributes.begin(), info->attributes.end(),
                                   [&](const AttributeInfo& ai) { return ai.name == key; });
    if (!known)
      throw SpecError("attributes." + key, "unknown attribute '" + key + "' for " + spec.type + " (" +
                                               attribute_names(*info) + ")");
  }
  for (const auto& ai : info->attributes) {
    const std::string key(ai.name);
    if (const auto v = attrs.find(key); v != attrs.end()) {
      spec.attributes[key] = number_in_range(*v, key, ai.min, ai.max);
    } else if (ai.required) {
      throw SpecError("attributes." + key, spec.type + " needs " + key + " (" + std::string(ai.unit) + ")");
    } else {
      spec.attributes[key] = ai.default_value;
    }
  }
  return spec;
}

}  // namespace scalelab::faultproxy
