// --out influxdb=URL and the K6_INFLUXDB_* variables, in k6's order (defaults < env < URL), and
// every refusal as one line naming the flag or variable.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/app/influxdb_options.hpp"
#include "inferload/app/sample_outputs_plan.hpp"

namespace inferload::app {
namespace {

using output::InfluxFieldKind;
using output::InfluxOptions;

scv2::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

InfluxOptions parse(const std::optional<std::string>& url, std::map<std::string, std::string> vars = {}) {
  return influxdb_options("--out", url, env_of(std::move(vars)));
}

std::string error_of(const std::optional<std::string>& url, std::map<std::string, std::string> vars = {},
                     const std::string& source = "--out") {
  try {
    influxdb_options(source, url, env_of(std::move(vars)));
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), kExitOtherError);
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  return "";
}

TEST(InfluxdbOptions, DefaultsAreK6s) {
  const InfluxOptions o = parse(std::nullopt);
  EXPECT_EQ(o.address(), "http://localhost:8086");
  EXPECT_EQ(o.db, "k6");
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.precision, "");
  EXPECT_EQ(o.push_interval, 1'000'000'000);
  EXPECT_EQ(o.concurrent_writes, 4);
  ASSERT_EQ(o.tags_as_fields.size(), 3u);
  EXPECT_EQ(o.tags_as_fields[2].first, "url");
  EXPECT_EQ(o.tags_as_fields[2].second, InfluxFieldKind::string);
  EXPECT_EQ(output::influxdb_description(o), "InfluxDBv1 (http://localhost:8086)");
  EXPECT_EQ(parse(std::string()).address(), "http://localhost:8086");
}

TEST(InfluxdbOptions, TheUrlGivesAddressDatabaseCredentialsAndParameters) {
  const InfluxOptions o = parse(
      "http://us%40er:p%3Ass@10.0.0.5:9086/k6db?precision=ms&retention=week&consistency=all&pushInterval=250ms"
      "&concurrentWrites=2&tagsAsFields=url&tagsAsFields=status:int&insecure=false&payload_size=1024");
  EXPECT_EQ(o.scheme, "http");
  EXPECT_EQ(o.host, "10.0.0.5");
  EXPECT_EQ(o.port, 9086);
  EXPECT_EQ(o.db, "k6db");
  EXPECT_EQ(o.username, "us@er");
  EXPECT_EQ(o.password, "p:ss");
  EXPECT_EQ(o.precision, "ms");
  EXPECT_EQ(o.retention, "week");
  EXPECT_EQ(o.consistency, "all");
  EXPECT_EQ(o.push_interval, 250'000'000);
  EXPECT_EQ(o.concurrent_writes, 2);
  ASSERT_EQ(o.tags_as_fields.size(), 2u);
  EXPECT_EQ(o.tags_as_fields[1], std::make_pair(std::string("status"), InfluxFieldKind::integer));

  // No port is HTTP's; an IPv6 literal keeps its brackets in the address only.
  EXPECT_EQ(parse("http://influx/k6").address(), "http://influx:80");
  const InfluxOptions v6 = parse("http://[::1]:8086/db");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.address(), "http://[::1]:8086");
  // A user without a password has an empty one.
  const InfluxOptions user = parse("http://admin@h:1/db", {{"K6_INFLUXDB_PASSWORD", "secret"}});
  EXPECT_EQ(user.username, "admin");
  EXPECT_EQ(user.password, "");
}

TEST(InfluxdbOptions, VariablesSitBetweenDefaultsAndTheUrl) {
  const std::map<std::string, std::string> vars = {
      {"K6_INFLUXDB_ADDR", "http://metrics:8087/influx/"},
      {"K6_INFLUXDB_DB", "fromenv"},
      {"K6_INFLUXDB_USERNAME", "u"},
      {"K6_INFLUXDB_PASSWORD", "p"},
      {"K6_INFLUXDB_PUSH_INTERVAL", "2s"},
      {"K6_INFLUXDB_CONCURRENT_WRITES", "8"},
      {"K6_INFLUXDB_PRECISION", "s"},
      {"K6_INFLUXDB_RETENTION", "r"},
      {"K6_INFLUXDB_CONSISTENCY", "one"},
      {"K6_INFLUXDB_TAGS_AS_FIELDS", "vu:int,iter:int,url"},
      {"K6_INFLUXDB_INSECURE", "true"},
      {"K6_INFLUXDB_PAYLOAD_SIZE", "512"},
  };
  const InfluxOptions env = parse(std::nullopt, vars);
  EXPECT_EQ(env.address(), "http://metrics:8087/influx");
  EXPECT_EQ(env.base_path, "/influx");
  EXPECT_EQ(env.db, "fromenv");
  EXPECT_EQ(env.username, "u");
  EXPECT_EQ(env.password, "p");
  EXPECT_EQ(env.push_interval, 2'000'000'000);
  EXPECT_EQ(env.concurrent_writes, 8);
  EXPECT_EQ(env.precision, "s");
  EXPECT_EQ(env.retention, "r");
  EXPECT_EQ(env.consistency, "one");
  ASSERT_EQ(env.tags_as_fields.size(), 3u);
  EXPECT_EQ(env.tags_as_fields[0], std::make_pair(std::string("vu"), InfluxFieldKind::integer));
  // A bare number is milliseconds, as for k6's other durations from the environment.
  EXPECT_EQ(parse(std::nullopt, {{"K6_INFLUXDB_PUSH_INTERVAL", "1500"}}).push_interval, 1'500'000'000);

  // The URL wins where it says something; the rest stays the environment's.
  const InfluxOptions both = parse("http://127.0.0.1:8086/k6db?precision=ms", vars);
  EXPECT_EQ(both.address(), "http://127.0.0.1:8086");  // scheme://host only: the prefix is gone
  EXPECT_EQ(both.db, "k6db");
  EXPECT_EQ(both.precision, "ms");
  EXPECT_EQ(both.username, "u");
  EXPECT_EQ(both.push_interval, 2'000'000'000);
  EXPECT_EQ(both.concurrent_writes, 8);
  // A URL without a host or a database changes neither.
  const InfluxOptions path_only = parse("http:///?concurrentWrites=1", vars);
  EXPECT_EQ(path_only.address(), "http://metrics:8087/influx");
  EXPECT_EQ(path_only.db, "fromenv");
  EXPECT_EQ(path_only.concurrent_writes, 1);
  // Empty variables are unset.
  EXPECT_EQ(parse(std::nullopt, {{"K6_INFLUXDB_DB", ""}, {"K6_INFLUXDB_CONCURRENT_WRITES", ""}}).db, "k6");
}

TEST(InfluxdbOptions, MistakesAreOneLineNamingTheirSource) {
  EXPECT_EQ(error_of("http://h:8086/db?bogus=1"),
            "--out influxdb: unknown query parameter: bogus (known: insecure, payload_size, precision, retention, "
            "consistency, pushInterval, concurrentWrites, tagsAsFields)");
  EXPECT_EQ(error_of("http://h:8086/db?bogus=1", {}, "K6_OUT"),
            "K6_OUT influxdb: unknown query parameter: bogus (known: insecure, payload_size, precision, retention, "
            "consistency, pushInterval, concurrentWrites, tagsAsFields)");
  EXPECT_EQ(error_of("http://h/db?precision=us"),
            "--out influxdb (precision): invalid precision \"us\" (use n, u, ms, s, m or h)");
  EXPECT_EQ(error_of("http://h/db?concurrentWrites=0"),
            "--out influxdb (concurrentWrites): 0 is out of range (allowed: 1 to 64)");
  EXPECT_EQ(error_of("http://h/db?insecure=yes"), "--out influxdb (insecure): insecure must be true or false, not yes");
  EXPECT_EQ(error_of("http://h/db?pushInterval=0s"), "--out influxdb (pushInterval): the push interval must be above 0");
  EXPECT_EQ(error_of("http://h/db?payload_size=big"), "--out influxdb (payload_size): \"big\" is not a number");
  EXPECT_EQ(error_of("http://h/db?tagsAsFields=vu:integer"),
            "--out influxdb (tagsAsFields): an invalid type (integer) is specified for an InfluxDB field (vu): use "
            "string, int, float or bool");
  EXPECT_EQ(error_of("http://h/db?tagsAsFields=vu&tagsAsFields=vu:int"),
            "--out influxdb (tagsAsFields): a tag name (vu) shows up more than once in InfluxDB field type "
            "configurations");
  EXPECT_EQ(error_of("localhost:8086/k6"),
            "--out influxdb: \"localhost:8086/k6\" is not a URL of the form http://[user:pass@]host:port/DB[?params]");
  EXPECT_EQ(error_of("http://h:99999/db"), "--out influxdb: invalid port \"99999\" in \"http://h:99999/db\"");
  EXPECT_EQ(error_of("http://h/d%zzb"), "--out influxdb: invalid URL escape \"%zz\"");
  EXPECT_NE(error_of("udp://127.0.0.1:8089").find("--out influxdb: influxdb over UDP (udp://127.0.0.1:8089) is not "
                                                  "supported by inferload"),
            std::string::npos);
  EXPECT_EQ(error_of("ftp://h/db"), "--out influxdb: unsupported protocol scheme \"ftp\" in ftp://h/db: the address "
                                   "must start with http:// or https://");
  EXPECT_EQ(error_of("https://h/db", {{"K6_INFLUXDB_PROXY", "http://proxy:3128"}}),
            "K6_INFLUXDB_PROXY: a proxy for an https:// InfluxDB is not supported by inferload; reach it directly");

  EXPECT_EQ(error_of(std::nullopt, {{"K6_INFLUXDB_PRECISION", "1s"}}),
            "K6_INFLUXDB_PRECISION: invalid precision \"1s\" (use n, u, ms, s, m or h)");
  EXPECT_EQ(error_of(std::nullopt, {{"K6_INFLUXDB_CONCURRENT_WRITES", "-1"}}),
            "K6_INFLUXDB_CONCURRENT_WRITES: \"-1\" is not a whole number (allowed: 1 to 64)");
  EXPECT_EQ(error_of(std::nullopt, {{"K6_INFLUXDB_INSECURE", "maybe"}}),
            "K6_INFLUXDB_INSECURE: \"maybe\" is not true or false");
  EXPECT_NE(error_of(std::nullopt, {{"K6_INFLUXDB_PUSH_INTERVAL", "soon"}}).find("K6_INFLUXDB_PUSH_INTERVAL: "),
            std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"K6_INFLUXDB_ADDR", "udp://h:8089"}}).find("K6_INFLUXDB_ADDR: influxdb over UDP"),
            std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"K6_INFLUXDB_ADDR", "localhost"}}).find("K6_INFLUXDB_ADDR: "), std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"K6_INFLUXDB_PROXY", "socks5://p:1080"}}).find("K6_INFLUXDB_PROXY: only an http:// proxy"),
            std::string::npos);
  EXPECT_NE(error_of(std::nullopt, {{"K6_INFLUXDB_TAGS_AS_FIELDS", "url:text"}}).find("K6_INFLUXDB_TAGS_AS_FIELDS: "),
            std::string::npos);
}

TEST(InfluxdbOptions, HttpsChecksTheCertificateUnlessInsecure) {
  const InfluxOptions tls = parse("https://influx.example/k6");
  EXPECT_EQ(tls.scheme, "https");
  EXPECT_EQ(tls.port, 443);
  EXPECT_FALSE(tls.insecure);
  EXPECT_EQ(tls.address(), "https://influx.example:443");
  EXPECT_TRUE(parse("https://h:8086/k6?insecure=true").insecure);
  EXPECT_TRUE(parse("https://h:8086/k6", {{"K6_INFLUXDB_INSECURE", "1"}}).insecure);
  // The URL's word is the last: false beats the variable, an empty value leaves it be.
  EXPECT_FALSE(parse("https://h:8086/k6?insecure=false", {{"K6_INFLUXDB_INSECURE", "true"}}).insecure);
  EXPECT_TRUE(parse("https://h:8086/k6?insecure=", {{"K6_INFLUXDB_INSECURE", "true"}}).insecure);
}

TEST(InfluxdbOptions, AProxyIsReachedWithItsOwnCredentials) {
  const InfluxOptions o = parse(std::nullopt, {{"K6_INFLUXDB_PROXY", "http://me:pw@proxy:3128"}});
  EXPECT_EQ(o.proxy_host, "proxy");
  EXPECT_EQ(o.proxy_port, 3128);
  EXPECT_EQ(o.proxy_authorization, "Basic bWU6cHc=");
}

TEST(InfluxdbOptions, TheOutputsPlanWritesInfluxdbInsteadOfSkippingIt) {
  const SampleOutputsPlan plan =
      plan_sample_outputs({"influxdb=http://127.0.0.1:8086/k6db", "influxdb"}, env_of({}), std::nullopt);
  EXPECT_TRUE(plan.any());
  EXPECT_TRUE(plan.skipped.empty());
  ASSERT_EQ(plan.influxdb.size(), 2u);
  EXPECT_EQ(plan.influxdb[0].db, "k6db");
  EXPECT_EQ(plan.influxdb[1].address(), "http://localhost:8086");
  // K6_OUT names itself in errors.
  try {
    plan_sample_outputs({}, env_of({{"K6_OUT", "influxdb=http://h/db?x=1"}}), std::nullopt);
    ADD_FAILURE() << "no error";
  } catch (const ExitError& e) {
    EXPECT_NE(std::string(e.what()).find("K6_OUT influxdb: unknown query parameter: x"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace inferload::app
