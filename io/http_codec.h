#ifndef BERTH_IO_HTTP_CODEC_H_
#define BERTH_IO_HTTP_CODEC_H_

// HTTP/1.1 message parsing and serialization, done by Boost.Beast's parser
// and serializer. This header keeps Beast out of every other file.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "io/http_types.h"

namespace berth::io {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers → 431
  size_t max_body_bytes = 1 << 20;      // → 413
};

// Incremental request parser. Feed() it the bytes received so far that it
// has not consumed; it consumes what it can. Beast needs a whole header in
// one buffer, so a partial header is consumed only once complete.
class RequestParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit RequestParser(HttpLimits limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Returns how many bytes of `data` were consumed.
  size_t Feed(std::string_view data);
  State state() const { return state_; }

  // True once the current request's header is complete (kNeedMore while the
  // body arrives). Used for "Expect: 100-continue".
  bool header_done() const;
  bool expects_continue() const;

  // After kDone: the request; the parser resets for the next one.
  HttpRequest Take();

  // After kError: 400, 413 or 431, and what was wrong.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HttpLimits limits_;
  State state_ = State::kNeedMore;
  int error_status_ = 0;
  std::string error_message_;
};

// Appends the serialized response to `out`. `head` omits the body (for HEAD
// requests) but keeps its Content-Length. `date` is an IMF-fixdate or "".
void SerializeResponse(const HttpResponse& response, unsigned version, bool keep_alive,
                       bool head, std::string_view date, std::string* out);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for the Date header.
std::string HttpDate(int64_t unix_seconds);

}  // namespace berth::io

#endif  // BERTH_IO_HTTP_CODEC_H_
