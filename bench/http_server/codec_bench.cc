// Per-request CPU cost of the HTTP codec (io/http_codec.h) outside the
// server: parsing wrk's request and an ECS-API-shaped one, serializing the
// bench's response, and — as a floor, not a proposal to drop Beast — the same
// response bytes written with plain appends. bench/README.md has figures.

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "io/http_codec.h"
#include "io/http_types.h"
#include "io/log.h"

namespace berth::io {
namespace {

constexpr std::string_view kBody = R"({"status":"ok","service":"berth"})";
constexpr std::string_view kDate = "Sat, 21 Nov 2026 04:30:00 GMT";

// What wrk sends on every request of run.sh.
constexpr std::string_view kWrkRequest = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";

// An `aws ecs describe-clusters` call as the CLI sends it (SigV4 headers).
constexpr std::string_view kEcsRequest =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Accept-Encoding: identity\r\n"
    "X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeClusters\r\n"
    "Content-Type: application/x-amz-json-1.1\r\n"
    "User-Agent: aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0 source/x86_64.debian.12\r\n"
    "X-Amz-Date: 20261121T043000Z\r\n"
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261121/us-east-1/ecs/"
    "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\r\n"
    "Content-Length: 24\r\n"
    "\r\n"
    R"({"clusters":["default"]})";

void ParseBench(benchmark::State& state, std::string_view wire) {
  RequestParser parser(HttpLimits{});
  for (auto _ : state) {
    size_t n = parser.Feed(wire);
    CHECK(parser.state() == RequestParser::State::kDone) << parser.error_message();
    benchmark::DoNotOptimize(n);
    HttpRequest req = parser.Take();
    benchmark::DoNotOptimize(req);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
void BM_ParseWrkRequest(benchmark::State& state) { ParseBench(state, kWrkRequest); }
void BM_ParseEcsRequest(benchmark::State& state) { ParseBench(state, kEcsRequest); }
BENCHMARK(BM_ParseWrkRequest);
BENCHMARK(BM_ParseEcsRequest);

// What HttpConnection::Flush() does per response in run.sh: Beast's
// serializer appending to the connection's output string.
void BM_SerializeResponse(benchmark::State& state) {
  const HttpResponse response = HttpResponse::Json(200, std::string(kBody));
  std::string out;
  for (auto _ : state) {
    out.clear();
    SerializeResponse(response, 11, true, false, kDate, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerializeResponse);

// The same bytes from plain appends: the floor under BM_SerializeResponse
// (checked byte for byte against it before timing).
void AppendByHand(const HttpResponse& response, std::string_view date, std::string* out) {
  absl::StrAppend(out, "HTTP/1.1 200 OK\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(out, "Server: berth\r\nDate: ",
                  absl::string_view(date.data(), date.size()), "\r\nContent-Length: ",
                  response.body.size(), "\r\n\r\n", response.body);
}

void BM_SerializeResponseFloor(benchmark::State& state) {
  const HttpResponse response = HttpResponse::Json(200, std::string(kBody));
  std::string beast, by_hand;
  SerializeResponse(response, 11, true, false, kDate, &beast);
  AppendByHand(response, kDate, &by_hand);
  if (beast != by_hand) {
    state.SkipWithError(("the floor writes other bytes than Beast:\n" + beast + "\nvs\n" +
                         by_hand).c_str());
    return;
  }
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendByHand(response, kDate, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SerializeResponseFloor);

// The bench server's handler copies its prebuilt response once per request.
void BM_CopyResponse(benchmark::State& state) {
  const HttpResponse response = HttpResponse::Json(200, std::string(kBody));
  for (auto _ : state) {
    HttpResponse copy = response;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyResponse);

}  // namespace
}  // namespace berth::io

BENCHMARK_MAIN();
