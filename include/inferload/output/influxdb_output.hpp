#pragma once
// k6's InfluxDB v1 output (--out influxdb=URL, k6-semantics.md 6.6) as a SampleSink. The output
// thread only formats points into a batch (line protocol, line_protocol.hpp); every pushInterval
// the batch goes into a bounded queue that concurrentWrites sender threads empty with blocking
// HTTP POSTs to /write. A full queue drops the whole batch, and every point that did not reach
// InfluxDB, dropped or refused, is counted and reported by close().
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "inferload/output/sample_rows.hpp"

namespace inferload::output {

// The type a tag listed in tagsAsFields becomes (k6's `name[:type]`).
enum class InfluxFieldKind : std::uint8_t { string, integer, floating, boolean };

struct InfluxOptions {
  // Where to write: http[s]://host[:port][/prefix]; the URL's scheme and host, or K6_INFLUXDB_ADDR.
  std::string scheme = "http";
  std::string host = "localhost";
  std::uint16_t port = 8086;
  std::string base_path;  // K6_INFLUXDB_ADDR's path, without a trailing '/'
  std::string db = "k6";
  std::string username, password;  // Basic auth when the username is not empty
  bool insecure = false;            // https: accept any certificate
  // K6_INFLUXDB_PROXY: an http:// proxy the requests go through; no host, no proxy.
  std::string proxy_host;
  std::uint16_t proxy_port = 0;
  std::string proxy_authorization;  // "Basic ..." from the proxy URL's user:pass, or empty
  std::string precision;            // "" (ns), "n", "ns", "u", "ms", "s", "m" or "h"
  std::string retention, consistency;
  Nanos push_interval = 1'000'000'000;
  int concurrent_writes = 4;
  std::vector<std::pair<std::string, InfluxFieldKind>> tags_as_fields = {
      {"vu", InfluxFieldKind::string}, {"iter", InfluxFieldKind::string}, {"url", InfluxFieldKind::string}};
  // Bounds that are ours, not k6's (docs/outputs.md): the most a POST carries, the most the
  // queue to the senders holds, and how long close() waits for the last writes.
  std::size_t max_post_bytes = 4u << 20;
  std::size_t max_queued_bytes = 64u << 20;
  Nanos request_timeout = 5'000'000'000;
  Nanos close_timeout = 5'000'000'000;

  // scheme://host:port[/prefix], as k6 names the output: "InfluxDBv1 (http://localhost:8086)".
  std::string address() const;
};

std::string influxdb_description(const InfluxOptions& options);

// Starts the sender threads, which first ask InfluxDB to CREATE DATABASE. Never fails: a server
// that cannot be reached is the senders' business, counted and reported, never the run's.
std::unique_ptr<SampleSink> make_influxdb_output(const InfluxOptions& options);

}  // namespace inferload::output
