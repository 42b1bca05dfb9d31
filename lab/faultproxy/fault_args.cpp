#include "lab/faultproxy/fault_args.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "lab/faultproxy/toxic_spec.hpp"

namespace scalelab::faultproxy {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// Strict decimal number: "200", "0.5", "1e3"; no trailing garbage, no "nan".
bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

}  // namespace

nlohmann::json toxic_from_args(const std::string& type, const std::vector<std::string>& key_values) {
  const ToxicTypeInfo* info = find_toxic_type(type);
  if (info == nullptr) throw FaultArgsError("unknown toxic '" + type + "' (" + toxic_type_names() + ")");
  nlohmann::json body = {{"type", type}, {"attributes", nlohmann::json::object()}};
  for (const auto& kv : key_values) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw FaultArgsError("expected key=value, got '" + kv + "'");
    const std::string key = kv.substr(0, eq);
    const std::string value = kv.substr(eq + 1);
    const bool is_attr = std::any_of(info->attributes.begin(), info->attributes.end(),
                                     [&](const AttributeInfo& a) { return a.name == key; });
    if (key != "name" && key != "direction" && key != "toxicity" && !is_attr) {
      std::vector<std::string> keys = {"name", "direction", "toxicity"};
      for (const auto& a : info->attributes) keys.emplace_back(a.name);
      throw FaultArgsError("unknown key '" + key + "' for " + type + " (" + join(keys) + ")");
    }
    nlohmann::json& slot = is_attr ? body["attributes"][key] : body[key];
    if (!slot.is_null()) throw FaultArgsError("key '" + key + "' given twice");
    if (key == "name" || key == "direction") {
      slot = value;
      continue;
    }
    double number = 0;
    if (!parse_number(value, number)) throw FaultArgsError("bad value '" + value + "' for " + key + ": expected a number");
    slot = number;
  }
  try {
    return parse_toxic_spec(body).to_json();
  } catch (const SpecError& e) {
    throw FaultArgsError(e.what());
  }
}

FaultCommand parse_fault_command(const std::vector<std::string>& args, const std::vector<std::string>& links) {
  FaultCommand cmd;
  if (args.empty()) throw FaultArgsError("missing LINK (" + join(links) + ") or 'list'");
  if (args[0] == "list") {
    if (args.size() > 1) throw FaultArgsError("'list' takes no arguments, got '" + args[1] + "'");
    cmd.action = FaultCommand::Action::list;
    return cmd;
  }
  if (std::find(links.begin(), links.end(), args[0]) == links.end())
    throw FaultArgsError("unknown link '" + args[0] + "' (" + join(links) + ")");
  cmd.link = args[0];
  if (args.size() < 2) throw FaultArgsError("missing TOXIC (" + toxic_type_names() + "), 'clear' or 'remove NAME'");
  const std::string& what = args[1];
  if (what == "clear") {
    if (args.size() > 2) throw FaultArgsError("'clear' takes no arguments, got '" + args[2] + "'");
    cmd.action = FaultCommand::Action::clear;
    return cmd;
  }
  if (what == "remove") {
    if (args.size() != 3) throw FaultArgsError("'remove' takes exactly one toxic NAME");
    if (!valid_name(args[2])) throw FaultArgsError("bad toxic name '" + args[2] + "'");
    cmd.action = FaultCommand::Action::remove;
    cmd.toxic_name = args[2];
    return cmd;
  }
  cmd.action = FaultCommand::Action::add;
  cmd.toxic = toxic_from_args(what, std::vector<std::string>(args.begin() + 2, args.end()));
  return cmd;
}

std::string fault_usage() {
  std::string out =
      "usage: fault list | fault LINK clear | fault LINK remove NAME | fault LINK TOXIC [k=v ...]\n"
      "common keys: name=NAME direction=upstream|downstream|both (default downstream) toxicity=0..1 (default 1)\n"
      "toxics:\n";
  for (const auto& t : toxic_types()) {
    out += "  " + std::string(t.type) + ": " + std::string(t.help) + "\n";
    for (const auto& a : t.attributes)
      out += "    " + std::string(a.name) + "=" + std::string(a.unit) + (a.required ? " (required)" : "") + "  " +
             std::string(a.help) + "\n";
  }
  return out;
}

}  // namespace scalelab::faultproxy
