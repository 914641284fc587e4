// Boost 1.81's Beast asserts (debug builds only) that a chunked body's final
// chunk is re-presented with at least 5 bytes, which a stream delivering it
// byte by byte violates although the parser handles it correctly; upstream
// fixed the assertion in boostorg/beast PR #2861 (Boost 1.86). Release builds
// compile Boost's asserts out anyway; this keeps the asan and fuzz builds
// from aborting on valid input. Found by tests/fuzz/http_request.
#define BOOST_DISABLE_ASSERTS 1

#include "io/http_codec.h"

#include <time.h>

#include <optional>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include "io/log.h"

namespace berth::io {
namespace http = boost::beast::http;

struct RequestParser::Impl {
  std::optional<http::request_parser<http::string_body>> parser;
};

namespace {

void Reset(std::optional<http::request_parser<http::string_body>>& parser,
           const HttpLimits& limits) {
  parser.emplace();
  parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser->body_limit(limits.max_body_bytes);
  parser->eager(true);
}

}  // namespace

RequestParser::RequestParser(HttpLimits limits)
    : impl_(std::make_unique<Impl>()), limits_(limits) {
  Reset(impl_->parser, limits_);
}

RequestParser::~RequestParser() = default;

size_t RequestParser::Feed(std::string_view data) {
  if (state_ != State::kNeedMore) {
    return 0;
  }
  auto& p = *impl_->parser;
  size_t total = 0;
  while (total < data.size() && !p.is_done()) {
    boost::beast::error_code ec;
    size_t n = p.put(boost::asio::const_buffer(data.data() + total, data.size() - total), ec);
    total += n;
    if (ec == http::error::need_more) {
      break;
    }
    if (ec) {
      state_ = State::kError;
      if (ec == http::error::header_limit) {
        error_status_ = 431;
        error_message_ = "request header is larger than " +
                         std::to_string(limits_.max_header_bytes) + " bytes";
      } else if (ec == http::error::body_limit) {
        error_status_ = 413;
        error_message_ =
            "request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes";
      } else {
        error_status_ = 400;
        error_message_ = "malformed HTTP request: " + ec.message();
      }
      return total;
    }
    if (n == 0) {
      break;
    }
  }
  if (p.is_done()) {
    state_ = State::kDone;
  }
  return total;
}

bool RequestParser::header_done() const { return impl_->parser->is_header_done(); }

bool RequestParser::expects_continue() const {
  if (!header_done()) {
    return false;
  }
  auto it = impl_->parser->get().find(http::field::expect);
  return it != impl_->parser->get().end() &&
         boost::beast::iequals(it->value(), "100-continue");
}

HttpRequest RequestParser::Take() {
  CHECK(state_ == State::kDone);
  http::request<http::string_body> msg = impl_->parser->release();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.version = msg.version();
  req.keep_alive = msg.keep_alive();
  req.headers.reserve(8);
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  Reset(impl_->parser, limits_);
  state_ = State::kNeedMore;
  return req;
}

void SerializeResponse(const HttpResponse& response, unsigned version, bool keep_alive,
                       bool head, std::string_view date, std::string* out) {
  http::response<http::span_body<const char>> res;
  res.version(version);
  res.result(static_cast<unsigned>(response.status));
  std::string_view reason = ReasonPhrase(response.status);
  res.reason(boost::beast::string_view(reason.data(), reason.size()));
  bool has_server = false;
  for (const auto& [name, value] : response.headers) {
    res.insert(name, value);
    has_server |= boost::beast::iequals(name, "server");
  }
  if (!has_server) {
    res.set(http::field::server, "berth");
  }
  if (!date.empty()) {
    res.set(http::field::date, boost::beast::string_view(date.data(), date.size()));
  }
  res.keep_alive(keep_alive);
  const bool no_body = (response.status >= 100 && response.status < 200) ||
                       response.status == 204 || response.status == 304;
  if (no_body) {
    // RFC 9110 §8.6: these never carry a body nor a Content-Length.
    res.erase(http::field::content_length);
  } else {
    res.body() = boost::beast::span<const char>(response.body.data(), response.body.size());
    res.prepare_payload();
  }

  http::serializer<false, http::span_body<const char>> sr{res};
  if (head) {
    sr.split(true);
  }
  boost::beast::error_code ec;
  auto append = [&](boost::beast::error_code&, const auto& buffers) {
    size_t n = 0;
    for (auto b : boost::beast::buffers_range_ref(buffers)) {
      out->append(static_cast<const char*>(b.data()), b.size());
      n += b.size();
    }
    sr.consume(n);
  };
  while (head ? !sr.is_header_done() : !sr.is_done()) {
    sr.next(ec, append);
    CHECK(!ec) << "serializing an in-memory response: " << ec.message();
  }
}

std::string HttpDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm parts;
  gmtime_r(&t, &parts);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return std::string(buf, n);
}

}  // namespace berth::io
