// The toxic description every entry point shares: defaults, validation, and errors
// that name the bad key.
#include "lab/faultproxy/toxic_spec.hpp"

#include <gtest/gtest.h>

#include "lab/faultproxy/options.hpp"

using namespace scalelab::faultproxy;
using nlohmann::json;

namespace {

std::string error_key(const json& body) {
  try {
    parse_toxic_spec(body);
  } catch (const SpecError& e) {
    return e.key();
  }
  return "<accepted>";
}

}  // namespace

TEST(ToxicSpec, FillsDefaultsLikeToxiproxy) {
  const ToxicSpec spec = parse_toxic_spec(json{{"type", "latency"}, {"attributes", {{"latency", 200}}}});
  EXPECT_EQ(spec.name, "latency_downstream");
  EXPECT_EQ(spec.direction, Direction::downstream);
  EXPECT_DOUBLE_EQ(spec.toxicity, 1.0);
  EXPECT_DOUBLE_EQ(spec.attribute("latency"), 200);
  EXPECT_DOUBLE_EQ(spec.attribute("jitter"), 0);
}

TEST(ToxicSpec, RoundTripsThroughJson) {
  const json body = {{"type", "bandwidth"},
                     {"name", "slow-s3"},
                     {"direction", "both"},
                     {"toxicity", 0.25},
                     {"attributes", {{"rate", 64}}}};
  const ToxicSpec spec = parse_toxic_spec(body);
  const json out = spec.to_json();
  EXPECT_EQ(out["name"], "slow-s3");
  EXPECT_EQ(out["direction"], "both");
  EXPECT_EQ(out["toxicity"], 0.25);
  EXPECT_EQ(out["attributes"]["rate"], 64.0);
  EXPECT_EQ(parse_toxic_spec(out).to_json(), out);
}

TEST(ToxicSpec, EveryTypeIsKnownWithItsAttributes) {
  for (const char* type : {"latency", "bandwidth", "timeout", "reset_peer", "slow_close", "down"})
    EXPECT_NE(find_toxic_type(type), nullptr) << type;
  EXPECT_EQ(parse_toxic_spec(json{{"type", "down"}}).attributes.size(), 0u);
  EXPECT_DOUBLE_EQ(parse_toxic_spec(json{{"type", "timeout"}}).attribute("timeout"), 0);
  EXPECT_DOUBLE_EQ(parse_toxic_spec(json{{"type", "slow_close"}, {"attributes", {{"delay", 5}}}}).attribute("delay"), 5);
}

TEST(ToxicSpec, RejectsBadInputNamingTheKey) {
  EXPECT_EQ(error_key(json::array()), "");
  EXPECT_EQ(error_key(json{{"name", "x"}}), "type");
  EXPECT_EQ(error_key(json{{"type", 3}}), "type");
  EXPECT_EQ(error_key(json{{"type", "lag"}}), "type");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"stream", "upstream"}}), "stream");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"direction", "sideways"}}), "direction");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"toxicity", 1.5}}), "toxicity");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"toxicity", "all"}}), "toxicity");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"name", "a/b"}}), "name");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"name", ""}}), "name");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"attributes", {{"latncy", 1}}}}), "attributes.latncy");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"attributes", {{"latency", -1}}}}), "latency");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"attributes", {{"latency", "200"}}}}), "latency");
  EXPECT_EQ(error_key(json{{"type", "latency"}, {"attributes", 5}}), "attributes");
  EXPECT_EQ(error_key(json{{"type", "bandwidth"}}), "attributes.rate");
  EXPECT_EQ(error_key(json{{"type", "bandwidth"}, {"attributes", {{"rate", 0}}}}), "rate");
  EXPECT_EQ(error_key(json{{"type", "down"}, {"attributes", {{"timeout", 1}}}}), "attributes.timeout");
}

TEST(ToxicSpec, MessagesAreOneReadableLine) {
  try {
    parse_toxic_spec(json{{"type", "latency"}, {"attributes", {{"latncy", 1}}}});
    FAIL();
  } catch (const SpecError& e) {
    EXPECT_STREQ(e.what(), "unknown attribute 'latncy' for latency (latency, jitter)");
  }
}

TEST(ProxyDefinition, ParsesNameListenUpstream) {
  const ProxyDefinition def = parse_proxy_definition("redis=127.0.0.1:7001,127.0.0.1:6379");
  EXPECT_EQ(def.name, "redis");
  EXPECT_EQ(def.listen.str(), "127.0.0.1:7001");
  EXPECT_EQ(def.upstream.str(), "127.0.0.1:6379");
  EXPECT_EQ(def.str(), "redis=127.0.0.1:7001,127.0.0.1:6379");
}

TEST(ProxyDefinition, RejectsMalformedText) {
  for (const char* bad : {"redis", "redis=127.0.0.1:7001", "=1.2.3.4:1,1.2.3.4:2", "r/s=127.0.0.1:1,127.0.0.1:2",
                          "redis=127.0.0.1,127.0.0.1:6379", "redis=127.0.0.1:7001,127.0.0.1:99999"})
    EXPECT_THROW(parse_proxy_definition(bad), std::invalid_argument) << bad;
}

TEST(ServerOptionsValidation, NeedsDistinctProxiesAndALoopbackApi) {
  ServerOptions ok;
  ok.proxies = {parse_proxy_definition("redis=127.0.0.1:7001,127.0.0.1:6379"),
                parse_proxy_definition("s3=127.0.0.1:7002,127.0.0.1:9000")};
  EXPECT_NO_THROW(validate(ok));
  ServerOptions none;
  EXPECT_THROW(validate(none), std::invalid_argument);
  ServerOptions same_name = ok;
  same_name.proxies[1].name = "redis";
  EXPECT_THROW(validate(same_name), std::invalid_argument);
  ServerOptions same_port = ok;
  same_port.proxies[1].listen.port = 7001;
  EXPECT_THROW(validate(same_port), std::invalid_argument);
  ServerOptions public_api = ok;
  public_api.api = {"0.0.0.0", 8474};
  EXPECT_THROW(validate(public_api), std::invalid_argument);
}
