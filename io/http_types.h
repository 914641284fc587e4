#ifndef BERTH_IO_HTTP_TYPES_H_
#define BERTH_IO_HTTP_TYPES_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::io {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header called `name`; "" if absent.
std::string_view FindHeader(const HttpHeaders& headers, std::string_view name);

// An HTTP/1.x request as the server hands it to a handler. Plain data, so
// handlers and their tests never see the parser.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/v1/tasks?taskarn=..."
  unsigned version = 11;  // 10 or 11
  HttpHeaders headers;
  std::string body;
  bool keep_alive = true;
  std::string peer;  // "127.0.0.1:53211"

  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', or ""
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;  // Content-Length, Date, Server and Connection are added
  std::string body;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
  HttpResponse& SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const { return FindHeader(headers, name); }
};

// The standard reason phrase, e.g. 404 → "Not Found".
std::string_view ReasonPhrase(int status);

}  // namespace berth::io

#endif  // BERTH_IO_HTTP_TYPES_H_
