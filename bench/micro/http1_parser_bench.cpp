// Cost of parsing one HTTP/1.1 response, the per-request work of the driver's receive path.
// Items are responses; bytes are wire bytes (chunk framing included).
#include "inferload/http1/response_parser.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

namespace {

using inferload::http1::ResponseParser;

const std::string kBody =
    R"({"model_name":"iris","outputs":[{"name":"p","datatype":"FP32","data":[1]}]})";

// What an SCv2 envoy answers to a small V2 REST inference: about 200 bytes in all.
const std::string kContentLengthResponse =
    "HTTP/1.1 200 OK\r\n"
    "content-type: application/json\r\n"
    "content-length: " + std::to_string(kBody.size()) + "\r\n"
    "date: Tue, 04 Jun 2024 10:00:00 GMT\r\n"
    "x-envoy-upstream-service-time: 2\r\n"
    "server: envoy\r\n"
    "\r\n" + kBody;

// The same body in three chunks.
std::string chunked_response() {
  std::string response =
      "HTTP/1.1 200 OK\r\n"
      "content-type: application/json\r\n"
      "transfer-encoding: chunked\r\n"
      "date: Tue, 04 Jun 2024 10:00:00 GMT\r\n"
      "server: envoy\r\n"
      "\r\n";
  const std::size_t third = kBody.size() / 3;
  for (std::size_t at = 0; at < kBody.size(); at += third) {
    const std::string chunk = kBody.substr(at, third);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    response += size + chunk + "\r\n";
  }
  return response + "0\r\n\r\n";
}
const std::string kChunkedResponse = chunked_response();

void parse(benchmark::State& state, const std::string& response, int pieces,
           bool keep_body = true) {
  ResponseParser parser;
  std::string body;
  body.reserve(1024);
  if (keep_body) parser.set_body_sink(&body, 1024);
  const std::size_t piece = response.size() / pieces;
  for (auto _ : state) {
    parser.reset();
    body.clear();
    std::size_t at = 0;
    for (int i = 0; i + 1 < pieces; ++i) at += parser.feed(response.data() + at, piece);
    at += parser.feed(response.data() + at, response.size() - at);
    if (!parser.complete() || at != response.size()) {
      state.SkipWithError("response not parsed");
      break;
    }
    benchmark::DoNotOptimize(parser.status());
    benchmark::DoNotOptimize(body.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(response.size()));
  state.counters["response_bytes"] = static_cast<double>(response.size());
}

void BM_ContentLength_SingleFeed(benchmark::State& state) {
  parse(state, kContentLengthResponse, 1);
}
void BM_ContentLength_ThreePieces(benchmark::State& state) {
  parse(state, kContentLengthResponse, 3);
}
void BM_Chunked_SingleFeed(benchmark::State& state) { parse(state, kChunkedResponse, 1); }
// The HTTP client keeps no body, so this is what a response costs the driver itself.
void BM_ContentLength_SingleFeed_NoSink(benchmark::State& state) {
  parse(state, kContentLengthResponse, 1, false);
}

BENCHMARK(BM_ContentLength_SingleFeed);
BENCHMARK(BM_ContentLength_ThreePieces);
BENCHMARK(BM_Chunked_SingleFeed);
BENCHMARK(BM_ContentLength_SingleFeed_NoSink);

}  // namespace
