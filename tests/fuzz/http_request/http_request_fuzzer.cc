// Feeds arbitrary bytes to the HTTP request parser in pieces whose sizes the
// input chooses, the way a socket delivers them, and checks its contract:
// it never consumes more than it was given, a done request is taken and the
// parser resets, an error is final, and limits hold.

#include <cstddef>
#include <cstdint>
#include <string>

#include "io/http_codec.h"
#include "io/log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  berth::io::HttpLimits limits;
  limits.max_header_bytes = 512 + data[0] * 16;
  limits.max_body_bytes = 4096;
  berth::io::RequestParser parser(limits);
  // The first byte picks the chunk size; the rest is the stream.
  const size_t chunk = 1 + data[0] % 97;
  std::string pending;
  size_t pos = 1;
  while (pos < size || !pending.empty()) {
    size_t take = std::min(chunk, size - pos);
    pending.append(reinterpret_cast<const char*>(data) + pos, take);
    pos += take;
    size_t used = parser.Feed(pending);
    CHECK_LE(used, pending.size());
    pending.erase(0, used);
    if (parser.state() == berth::io::RequestParser::State::kError) {
      CHECK(parser.error_status() == 400 || parser.error_status() == 413 ||
            parser.error_status() == 431);
      CHECK_EQ(parser.Feed("GET / HTTP/1.1\r\n\r\n"), 0u);
      break;
    }
    if (parser.state() == berth::io::RequestParser::State::kDone) {
      berth::io::HttpRequest req = parser.Take();
      CHECK_LE(req.body.size(), limits.max_body_bytes);
      CHECK(!req.method.empty());
      continue;
    }
    if (take == 0) {
      break;  // input exhausted with a partial request pending
    }
    // A stalled partial header can only be waiting for more bytes if it
    // still fits the header limit.
    if (used == 0 && !parser.header_done()) {
      CHECK_LE(pending.size(), limits.max_header_bytes + chunk);
    }
  }
  return 0;
}
