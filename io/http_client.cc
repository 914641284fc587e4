#include "io/http_client.h"

#include <curl/curl.h>
#include <poll.h>

#include <map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::io {
namespace {

absl::Status GlobalInit() {
  // A function-local static: initialised once, thread-safe by the language.
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("failed to initialise libcurl: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

// Curl takes milliseconds as long; 0 means "no limit". Rounds up so a
// sub-millisecond timeout does not become "none".
long ToCurlMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return 0;
  }
  return static_cast<long>(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

// What each curl failure means to a caller (docs/http-client.md).
absl::StatusCode CodeFor(CURLcode rc) {
  using C = absl::StatusCode;
  static constexpr std::pair<CURLcode, absl::StatusCode> kCodes[] = {
      {CURLE_OPERATION_TIMEDOUT, C::kDeadlineExceeded},
      {CURLE_URL_MALFORMAT, C::kInvalidArgument},
      {CURLE_UNSUPPORTED_PROTOCOL, C::kInvalidArgument},
      {CURLE_BAD_FUNCTION_ARGUMENT, C::kInvalidArgument},
      {CURLE_COULDNT_RESOLVE_HOST, C::kUnavailable},
      {CURLE_COULDNT_RESOLVE_PROXY, C::kUnavailable},
      {CURLE_COULDNT_CONNECT, C::kUnavailable},
      {CURLE_SEND_ERROR, C::kUnavailable},
      {CURLE_RECV_ERROR, C::kUnavailable},
      {CURLE_GOT_NOTHING, C::kUnavailable},
      {CURLE_PARTIAL_FILE, C::kUnavailable},
      {CURLE_WEIRD_SERVER_REPLY, C::kUnavailable},
      {CURLE_SSL_CONNECT_ERROR, C::kUnavailable},
      {CURLE_HTTP2, C::kUnavailable},
      {CURLE_HTTP2_STREAM, C::kUnavailable},
      {CURLE_PEER_FAILED_VERIFICATION, C::kFailedPrecondition},
      {CURLE_SSL_CACERT_BADFILE, C::kFailedPrecondition},
      {CURLE_SSL_CERTPROBLEM, C::kFailedPrecondition},
      {CURLE_TOO_MANY_REDIRECTS, C::kFailedPrecondition},
      {CURLE_RANGE_ERROR, C::kFailedPrecondition},
      {CURLE_ABORTED_BY_CALLBACK, C::kCancelled},
      {CURLE_OUT_OF_MEMORY, C::kResourceExhausted},
      {CURLE_FILESIZE_EXCEEDED, C::kResourceExhausted},
  };
  for (const auto& [curl_code, code] : kCodes) {
    if (curl_code == rc) {
      return code;
    }
  }
  return C::kInternal;
}

void CopyPayloads(const absl::Status& from, absl::Status* to) {
  from.ForEachPayload(
      [to](absl::string_view url, const absl::Cord& payload) { to->SetPayload(url, payload); });
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

// One request: its easy handle and everything curl points into.
struct Transfer {
  ~Transfer() {
    if (easy != nullptr) {
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(header_list);
  }

  // "failed to GET http://...: <why>" with `code`.
  absl::Status Error(absl::StatusCode code, std::string_view why) const {
    return absl::Status(code,
                        absl::StrCat("failed to ", req.method, " ", req.url, ": ", Absl(why)));
  }

  HttpClient::Impl* impl = nullptr;
  HttpRequestId id = 0;
  HttpClientRequest req;
  HttpClientCallback done;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  bool added = false;  // to the multi handle
  TimerId stall_timer = 0;
  absl::Duration last_progress;   // loop time of the last byte moved
  curl_off_t moved = 0;           // bytes up + down, as curl's progress counts
  bool cancel_requested = false;  // by Cancel() from a body_sink
  bool decided = false;           // whether this response's body goes to the sink
  bool to_sink = false;
  absl::Status abort_status;  // why the write callback stopped the transfer
  HttpClientResponse resp;
  char errbuf[CURL_ERROR_SIZE] = {};
};

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  // A socket curl asked us to watch. `op` is the outstanding loop poll (0 if
  // none); `gen` tags that poll so a completion that arrives after curl
  // changed its mind, or closed the fd and reused the number, is dropped.
  struct Watch {
    uint32_t mask = 0;
    uint64_t gen = 0;
    OpId op = 0;
  };

  Impl(EventLoop& l, HttpClientOptions o) : loop(l), options(std::move(o)) {}
  ~Impl() { Shutdown(); }

  absl::Status Init();
  HttpRequestId Fetch(HttpClientRequest request, HttpClientCallback done);
  bool Cancel(HttpRequestId id);
  void Shutdown();

  absl::Status SetUp(Transfer& t);
  void Start(HttpRequestId id);
  void PostComplete(HttpRequestId id, absl::Status status);
  void Complete(HttpRequestId id, absl::StatusOr<HttpClientResponse> result);
  absl::StatusOr<HttpClientResponse> Result(Transfer& t, CURLcode rc);

  // curl → loop.
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* userp);
  static size_t OnHeader(char* data, size_t size, size_t n, void* userp);
  static size_t OnBody(char* data, size_t size, size_t n, void* userp);
  static int OnProgress(void* userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                        curl_off_t ulnow);
  void ArmStall(Transfer& t, absl::Duration delay);
  void OnStall(HttpRequestId id);
  void Arm(curl_socket_t fd, Watch& w);

  // loop → curl.
  void OnPoll(curl_socket_t fd, uint64_t gen, int32_t res);
  void Act(curl_socket_t fd, int ev_bitmask);
  void Drain();

  EventLoop& loop;
  HttpClientOptions options;
  CURLM* multi = nullptr;
  std::map<HttpRequestId, std::unique_ptr<Transfer>> transfers;
  absl::flat_hash_map<curl_socket_t, Watch> watches;
  TimerId timer = 0;
  uint64_t next_gen = 1;
  HttpRequestId next_id = 1;
  bool in_sink = false;  // a body_sink runs: no curl_multi_* calls now
  bool closed = false;
};

absl::Status HttpClient::Impl::Init() {
  RETURN_IF_ERROR(GlobalInit());
  multi = curl_multi_init();
  if (multi == nullptr) {
    return absl::ResourceExhaustedError("failed to create a curl multi handle");
  }
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(options.max_connections_per_host));
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(options.max_connections));
  return absl::OkStatus();
}

// ---- curl → loop ----------------------------------------------------------

int HttpClient::Impl::OnSocket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto* self = static_cast<Impl*>(userp);
  auto it = self->watches.find(fd);
  if (what == CURL_POLL_REMOVE) {
    if (it != self->watches.end()) {
      if (it->second.op != 0) {
        self->loop.Cancel(it->second.op);  // its late completion is stale
      }
      self->watches.erase(it);
    }
    return 0;
  }
  if (self->closed) {
    return 0;
  }
  uint32_t mask = ((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0);
  if (it == self->watches.end()) {
    it = self->watches.emplace(fd, Watch{}).first;
  }
  Watch& w = it->second;
  if (w.mask == mask && w.op != 0) {
    return 0;
  }
  if (w.op != 0) {
    self->loop.Cancel(w.op);
    w.op = 0;
  }
  w.mask = mask;
  self->Arm(fd, w);
  return 0;
}

void HttpClient::Impl::Arm(curl_socket_t fd, Watch& w) {
  if (w.mask == 0) {
    return;
  }
  uint64_t gen = next_gen++;
  w.gen = gen;
  w.op = loop.Poll(fd, w.mask, [weak = weak_from_this(), fd, gen](int32_t res) {
    if (std::shared_ptr<Impl> self = weak.lock(); self && !self->closed) {
      self->OnPoll(fd, gen, res);
    }
  });
}

int HttpClient::Impl::OnTimer(CURLM*, long timeout_ms, void* userp) {
  auto* self = static_cast<Impl*>(userp);
  if (self->timer != 0) {
    self->loop.CancelTimer(self->timer);
    self->timer = 0;
  }
  if (timeout_ms < 0 || self->closed) {
    return 0;
  }
  // Curl must not be re-entered from here, so even a 0 ms timeout waits for
  // the loop's next turn.
  self->timer =
      self->loop.AddTimer(absl::Milliseconds(timeout_ms), [weak = self->weak_from_this()] {
        if (std::shared_ptr<Impl> s = weak.lock(); s && !s->closed) {
          s->timer = 0;
          s->Act(CURL_SOCKET_TIMEOUT, 0);
        }
      });
  return 0;
}

size_t HttpClient::Impl::OnHeader(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * n;
  t->last_progress = t->impl->loop.time().Monotonic();
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  if (line.starts_with("HTTP/")) {
    // A new response (after a 100 Continue or a redirect): start over.
    t->resp.headers.clear();
    t->resp.body.clear();
    t->decided = false;
    return len;
  }
  if (line.empty()) {
    return len;
  }
  if ((line[0] == ' ' || line[0] == '\t') && !t->resp.headers.empty()) {
    // An obsolete folded continuation line.
    absl::StrAppend(&t->resp.headers.back().second, " ", absl::StripAsciiWhitespace(Absl(line)));
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return len;
  }
  t->resp.headers.emplace_back(
      std::string(line.substr(0, colon)),
      std::string(absl::StripAsciiWhitespace(Absl(line.substr(colon + 1)))));
  return len;
}

size_t HttpClient::Impl::OnBody(char* data, size_t size, size_t n, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t len = size * n;
  if (t->cancel_requested) {
    return CURL_WRITEFUNC_ERROR;
  }
  t->last_progress = t->impl->loop.time().Monotonic();
  if (!t->decided) {
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    t->to_sink = t->req.body_sink && code >= 200 && code < 300;
    t->decided = true;
  }
  if (t->to_sink) {
    Impl* self = t->impl;
    self->in_sink = true;
    absl::Status st = t->req.body_sink(std::string_view(data, len));
    self->in_sink = false;
    if (!st.ok()) {
      t->abort_status = t->Error(st.code(), absl::StrCat("body sink: ", st.message()));
      CopyPayloads(st, &t->abort_status);
      return CURL_WRITEFUNC_ERROR;
    }
    return len;
  }
  if (t->resp.body.size() + len > t->req.max_body_bytes) {
    t->abort_status =
        t->Error(absl::StatusCode::kResourceExhausted,
                 absl::StrCat("response body larger than ", t->req.max_body_bytes, " bytes"));
    return CURL_WRITEFUNC_ERROR;
  }
  t->resp.body.append(data, len);
  return len;
}

int HttpClient::Impl::OnProgress(void* userp, curl_off_t, curl_off_t dlnow, curl_off_t,
                                 curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(userp);
  if (t->cancel_requested) {
    return 1;  // CURLE_ABORTED_BY_CALLBACK; curl calls this at least once a second
  }
  if (dlnow + ulnow != t->moved) {
    t->moved = dlnow + ulnow;
    t->last_progress = t->impl->loop.time().Monotonic();
  }
  return 0;
}

void HttpClient::Impl::ArmStall(Transfer& t, absl::Duration delay) {
  t.stall_timer = loop.AddTimer(delay, [weak = weak_from_this(), id = t.id] {
    if (std::shared_ptr<Impl> self = weak.lock(); self && !self->closed) {
      self->OnStall(id);
    }
  });
}

// Curl's own low-speed check averages over a window of several seconds, so
// the stall timeout is a loop timer that looks at the last byte moved.
void HttpClient::Impl::OnStall(HttpRequestId id) {
  auto it = transfers.find(id);
  if (it == transfers.end()) {
    return;
  }
  Transfer& t = *it->second;
  t.stall_timer = 0;
  absl::Duration idle = loop.time().Monotonic() - t.last_progress;
  if (idle < t.req.stall_timeout) {
    ArmStall(t, t.req.stall_timeout - idle);
    return;
  }
  Complete(id, t.Error(absl::StatusCode::kDeadlineExceeded,
                       absl::StrCat("nothing sent or received for ",
                                    absl::FormatDuration(t.req.stall_timeout))));
}

// ---- loop → curl ----------------------------------------------------------

void HttpClient::Impl::OnPoll(curl_socket_t fd, uint64_t gen, int32_t res) {
  auto it = watches.find(fd);
  if (it == watches.end() || it->second.gen != gen) {
    return;  // cancelled, or the fd number now belongs to another socket
  }
  Watch& w = it->second;
  w.op = 0;
  int ev = 0;
  if (res < 0) {
    ev = CURL_CSELECT_ERR;
  } else {
    auto got = static_cast<uint32_t>(res);
    if ((w.mask & POLLIN) && (got & (POLLIN | POLLHUP | POLLRDHUP | POLLERR))) {
      ev |= CURL_CSELECT_IN;
    }
    if ((w.mask & POLLOUT) && (got & (POLLOUT | POLLHUP | POLLERR))) {
      ev |= CURL_CSELECT_OUT;
    }
    if (got & POLLERR) {
      ev |= CURL_CSELECT_ERR;
    }
  }
  Act(fd, ev);  // may change, remove or re-add the watch of `fd`
  if (closed) {
    return;
  }
  it = watches.find(fd);
  if (it != watches.end() && it->second.op == 0) {
    Arm(fd, it->second);  // one-shot poll, and curl still wants the socket
  }
}

void HttpClient::Impl::Act(curl_socket_t fd, int ev_bitmask) {
  int running = 0;
  CURLMcode mc = curl_multi_socket_action(multi, fd, ev_bitmask, &running);
  if (mc != CURLM_OK) {
    LOG(ERROR) << "curl_multi_socket_action: " << curl_multi_strerror(mc);
  }
  Drain();
}

void HttpClient::Impl::Drain() {
  int left = 0;
  CURLMsg* msg;
  while (!closed && (msg = curl_multi_info_read(multi, &left)) != nullptr) {
    if (msg->msg != CURLMSG_DONE) {
      continue;
    }
    Transfer* t = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
    CHECK(t != nullptr) << "a curl handle without its transfer";
    CURLcode rc = msg->data.result;
    Complete(t->id, Result(*t, rc));
  }
}

absl::StatusOr<HttpClientResponse> HttpClient::Impl::Result(Transfer& t, CURLcode rc) {
  if (t.cancel_requested) {
    return t.Error(absl::StatusCode::kCancelled, "cancelled");
  }
  if (rc == CURLE_WRITE_ERROR && !t.abort_status.ok()) {
    return t.abort_status;
  }
  if (rc != CURLE_OK) {
    std::string why = t.errbuf[0] != '\0' ? t.errbuf : curl_easy_strerror(rc);
    absl::Status st = t.Error(CodeFor(rc), why);
    long os_errno = 0;
    curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
    if (os_errno != 0) {
      CopyPayloads(ErrnoStatus(static_cast<int>(os_errno), "connect"), &st);
    }
    return st;
  }
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  char* effective = nullptr;
  curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &effective);
  HttpClientResponse resp = std::move(t.resp);
  resp.status = static_cast<int>(code);
  resp.effective_url = effective != nullptr ? effective : t.req.url;
  return resp;
}

// ---- requests -------------------------------------------------------------

absl::Status HttpClient::Impl::SetUp(Transfer& t) {
  const HttpClientRequest& req = t.req;
  if (req.method.empty() || HasLineBreak(req.method) || req.method.find(' ') != std::string::npos) {
    return t.Error(absl::StatusCode::kInvalidArgument, "bad method");
  }
  // Parse without scheme guessing: "example.com/x" must not become http.
  CURLU* url = curl_url();
  if (url == nullptr) {
    return t.Error(absl::StatusCode::kResourceExhausted, "out of memory");
  }
  CURLUcode uc = curl_url_set(url, CURLUPART_URL, req.url.c_str(), 0);
  char* scheme = nullptr;
  if (uc == CURLUE_OK) {
    uc = curl_url_get(url, CURLUPART_SCHEME, &scheme, 0);
  }
  std::string scheme_text = scheme != nullptr ? scheme : "";
  curl_free(scheme);
  curl_url_cleanup(url);
  if (uc != CURLUE_OK) {
    return t.Error(absl::StatusCode::kInvalidArgument, curl_url_strerror(uc));
  }
  if (scheme_text != "http" && scheme_text != "https") {
    return t.Error(absl::StatusCode::kInvalidArgument,
                   absl::StrCat("unsupported scheme \"", scheme_text, "\" (http or https)"));
  }

  bool has_content_type = false;
  bool has_expect = false;
  for (const auto& [name, value] : req.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) ||
        name.find(':') != std::string::npos) {
      return t.Error(absl::StatusCode::kInvalidArgument, absl::StrCat("bad header \"", name, "\""));
    }
    has_content_type |= absl::EqualsIgnoreCase(name, "Content-Type");
    has_expect |= absl::EqualsIgnoreCase(name, "Expect");
    // "Name;" is curl's way to send a header with an empty value.
    std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
    t.header_list = curl_slist_append(t.header_list, line.c_str());
  }
  const std::string& m = req.method;
  bool send_body = !req.body.empty() || m == "POST" || m == "PUT" || m == "PATCH";
  if (!has_expect) {
    t.header_list = curl_slist_append(t.header_list, "Expect:");
  }
  if (send_body && !has_content_type) {
    t.header_list = curl_slist_append(t.header_list, "Content-Type:");  // no form type
  }

  t.easy = curl_easy_init();
  if (t.easy == nullptr) {
    return t.Error(absl::StatusCode::kResourceExhausted, "cannot create a curl handle");
  }
  CURL* e = t.easy;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) {
      rc = curl_easy_setopt(e, opt, value);
    }
  };
  set(CURLOPT_URL, req.url.c_str());
  set(CURLOPT_PRIVATE, static_cast<void*>(&t));
  set(CURLOPT_ERRORBUFFER, t.errbuf);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROXY, options.proxy.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_USERAGENT, options.user_agent.c_str());
  set(CURLOPT_TIMEOUT_MS, ToCurlMillis(req.timeout));
  set(CURLOPT_CONNECTTIMEOUT_MS, ToCurlMillis(req.connect_timeout));
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_XFERINFOFUNCTION, &Impl::OnProgress);
  set(CURLOPT_XFERINFODATA, static_cast<void*>(&t));
  if (!req.ca_file.empty()) {
    set(CURLOPT_CAINFO, req.ca_file.c_str());  // t.req outlives the handle
  }
  if (req.follow_redirects) {
    set(CURLOPT_FOLLOWLOCATION, 1L);
    set(CURLOPT_MAXREDIRS, 10L);
  }
  if (req.resume_from > 0) {
    set(CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(req.resume_from));
  }
  set(CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  set(CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  set(CURLOPT_HTTPHEADER, t.header_list);
  if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (send_body) {
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    set(CURLOPT_POSTFIELDS, req.body.data());  // t.req outlives the handle
    if (m != "POST") {
      set(CURLOPT_CUSTOMREQUEST, m.c_str());
    }
  } else if (m != "GET") {
    set(CURLOPT_CUSTOMREQUEST, m.c_str());
  } else {
    set(CURLOPT_HTTPGET, 1L);
  }
  if (rc != CURLE_OK) {
    return t.Error(CodeFor(rc), absl::StrCat("set up the request: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

HttpRequestId HttpClient::Impl::Fetch(HttpClientRequest request, HttpClientCallback done) {
  DCHECK(loop.InLoopThread());
  auto t = std::make_unique<Transfer>();
  t->impl = this;
  t->id = next_id++;
  t->req = std::move(request);
  t->done = std::move(done);
  HttpRequestId id = t->id;
  if (closed) {  // a callback run by the destructor asked for more
    t->done(t->Error(absl::StatusCode::kCancelled, "the client is shutting down"));
    return id;
  }
  absl::Status st = SetUp(*t);
  transfers.emplace(id, std::move(t));
  if (!st.ok()) {
    PostComplete(id, std::move(st));
  } else if (in_sink) {
    loop.Post([weak = weak_from_this(), id] {
      if (std::shared_ptr<Impl> self = weak.lock(); self && !self->closed) {
        self->Start(id);
      }
    });
  } else {
    Start(id);
  }
  return id;
}

void HttpClient::Impl::Start(HttpRequestId id) {
  auto it = transfers.find(id);
  if (it == transfers.end()) {
    return;  // cancelled before it started
  }
  Transfer& t = *it->second;
  CURLMcode mc = curl_multi_add_handle(multi, t.easy);
  if (mc != CURLM_OK) {
    PostComplete(id, t.Error(absl::StatusCode::kInternal,
                             absl::StrCat("start the transfer: ", curl_multi_strerror(mc))));
    return;
  }
  t.added = true;  // curl's timer callback schedules the first step
  if (t.req.stall_timeout > absl::ZeroDuration() &&
      t.req.stall_timeout != absl::InfiniteDuration()) {
    t.last_progress = loop.time().Monotonic();
    ArmStall(t, t.req.stall_timeout);
  }
}

void HttpClient::Impl::PostComplete(HttpRequestId id, absl::Status status) {
  loop.Post([weak = weak_from_this(), id, status = std::move(status)]() mutable {
    if (std::shared_ptr<Impl> self = weak.lock(); self && !self->closed) {
      self->Complete(id, std::move(status));
    }
  });
}

void HttpClient::Impl::Complete(HttpRequestId id, absl::StatusOr<HttpClientResponse> result) {
  auto it = transfers.find(id);
  if (it == transfers.end()) {
    return;
  }
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers.erase(it);
  if (t->stall_timer != 0) {
    loop.CancelTimer(t->stall_timer);
  }
  if (t->added) {
    curl_multi_remove_handle(multi, t->easy);  // closes the connection if mid-transfer
  }
  HttpClientCallback done = std::move(t->done);
  t.reset();
  // Keep this Impl alive if `done` destroys the client; callers check closed.
  std::shared_ptr<Impl> keep = shared_from_this();
  done(std::move(result));
}

bool HttpClient::Impl::Cancel(HttpRequestId id) {
  DCHECK(loop.InLoopThread());
  auto it = transfers.find(id);
  if (it == transfers.end()) {
    return false;
  }
  Transfer& t = *it->second;
  if (in_sink) {
    // Inside curl: the write callback aborts this transfer at its next
    // piece, and the posted completion ends it if no piece comes.
    if (!t.cancel_requested) {
      t.cancel_requested = true;
      PostComplete(id, t.Error(absl::StatusCode::kCancelled, "cancelled"));
    }
    return true;
  }
  Complete(id, t.Error(absl::StatusCode::kCancelled, "cancelled"));
  return true;
}

void HttpClient::Impl::Shutdown() {
  if (closed) {
    return;
  }
  DCHECK(!in_sink) << "HttpClient destroyed from inside a body_sink";
  closed = true;
  std::vector<std::pair<HttpClientCallback, absl::Status>> dones;
  for (auto& [id, t] : transfers) {
    if (t->stall_timer != 0) {
      loop.CancelTimer(t->stall_timer);
    }
    if (t->added) {
      curl_multi_remove_handle(multi, t->easy);
    }
    dones.emplace_back(std::move(t->done),
                       t->Error(absl::StatusCode::kCancelled, "the client was destroyed"));
  }
  transfers.clear();
  if (multi != nullptr) {
    curl_multi_cleanup(multi);  // closes cached connections (REMOVE callbacks)
    multi = nullptr;
  }
  // Backstop: curl removes its sockets in cleanup, but a poll left behind
  // would keep its socket's file open.
  for (auto& [fd, w] : watches) {
    if (w.op != 0) {
      loop.Cancel(w.op);
    }
  }
  watches.clear();
  if (timer != 0) {
    loop.CancelTimer(timer);
    timer = 0;
  }
  for (auto& [done, status] : dones) {
    done(std::move(status));
  }
}

// ---- HttpClient -----------------------------------------------------------

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(EventLoop& loop,
                                                               HttpClientOptions options) {
  auto impl = std::make_shared<Impl>(loop, std::move(options));
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() {
  // Loop callbacks hold the Impl only while they run; after Shutdown they
  // find it closed, and once it is gone they find nothing.
  impl_->Shutdown();
}

HttpRequestId HttpClient::Fetch(HttpClientRequest request, HttpClientCallback done) {
  return impl_->Fetch(std::move(request), std::move(done));
}

bool HttpClient::Cancel(HttpRequestId id) { return impl_->Cancel(id); }

size_t HttpClient::in_flight() const { return impl_->transfers.size(); }

}  // namespace berth::io
