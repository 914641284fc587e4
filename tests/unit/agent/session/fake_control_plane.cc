#include "tests/unit/agent/session/fake_control_plane.h"

#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/session/request_signer.h"
#include "control/api/ecs_error.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::agent::testing {
namespace {

constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";

control::auth::CredentialSet TestCredentials() {
  auto set = control::auth::CredentialSet::Parse(absl::StrCat(kAccessKey, " ", kSecret, "\n"));
  CHECK_OK(set.status());
  return *std::move(set);
}

io::HttpResponse ErrorResponse(int status, std::string_view type, std::string_view message) {
  return io::HttpResponse::Json(status, control::EcsErrorBody(type, message));
}

}  // namespace

FakeControlPlane::FakeControlPlane(io::EventLoop& loop)
    : loop_(loop), auth_(control::auth::AuthOptions{}, TestCredentials(), loop.time()) {}

void FakeControlPlane::Handle(io::HttpRequest request, Respond respond) {
  if (request.Header("Authorization").empty()) {
    ++unsigned_requests_;
  }
  absl::StatusOr<control::auth::Caller> caller = auth_.Authenticate(request);
  if (!caller.ok() || !caller->verified) {
    ++auth_failures_;
    LOG(ERROR) << "fake control plane: bad signature: " << caller.status();
    respond(ErrorResponse(400, "InvalidSignatureException", Std(caller.status().message())));
    return;
  }
  std::string op;
  if (request.path() == "/agent/v1/poll") {
    op = "Poll";
  } else if (request.path() == "/agent/v1/metrics" &&
             request.Header("Content-Type") == "application/json") {
    op = "PublishMetrics";
  } else if (request.path() == "/" &&
             absl::StartsWith(Absl(request.Header("X-Amz-Target")), Absl(kTargetPrefix)) &&
             request.Header("Content-Type") == "application/x-amz-json-1.1") {
    op = std::string(request.Header("X-Amz-Target").substr(kTargetPrefix.size()));
  } else {
    respond(ErrorResponse(400, "UnknownOperationException", request.target));
    return;
  }
  absl::StatusOr<boost::json::value> body = ecs::ParseJson(request.body);
  if (!body.ok()) {
    respond(ErrorResponse(400, "SerializationException", Std(body.status().message())));
    return;
  }
  calls_.push_back(Call{op, *body, loop_.time().Monotonic()});

  if (auto it = scripts_.find(op); it != scripts_.end() && !it->second.empty()) {
    io::HttpResponse response = std::move(it->second.front());
    it->second.pop_front();
    respond(std::move(response));
    return;
  }
  if (op == "Poll") {
    held_polls_.push_back(std::move(respond));
  } else if (op == "RegisterContainerInstance") {
    std::string arn = instance_arn_;
    if (const boost::json::value* saved = body->as_object().if_contains("containerInstanceArn");
        saved != nullptr && saved->is_string()) {
      arn = std::string(saved->get_string());
    }
    respond(io::HttpResponse::Json(
        200, absl::StrCat(R"({"containerInstance":{"containerInstanceArn":")", arn,
                          R"(","status":"ACTIVE"}})")));
  } else if (op == "DiscoverPollEndpoint") {
    std::optional<std::string> telemetry =
        telemetry_endpoint_set_ ? telemetry_endpoint_ : std::optional(poll_endpoint_);
    std::string answer = absl::StrCat(R"({"endpoint":")", poll_endpoint_, "\"");
    if (telemetry.has_value()) {
      absl::StrAppend(&answer, R"(,"telemetryEndpoint":")", *telemetry, "\"");
    }
    respond(io::HttpResponse::Json(200, answer + "}"));
  } else if (op == "PublishMetrics" && hold_metrics_) {
    held_metrics_.push_back(std::move(respond));
  } else if (op == "PublishMetrics") {
    std::string id;
    const boost::json::value* metadata =
        body->is_object() ? body->get_object().if_contains("metadata") : nullptr;
    if (metadata != nullptr && metadata->is_object()) {
      if (const boost::json::value* m = metadata->get_object().if_contains("messageId");
          m != nullptr && m->is_string()) {
        id = std::string(m->get_string());
      }
    }
    respond(io::HttpResponse::Json(
        200, absl::StrCat(R"({"type":"AckPublishMetric","messageId":")", id, R"("})")));
  } else if (op == "SubmitTaskStateChange") {
    if (hold_reports_) {
      held_reports_.push_back(HeldReport{*body, std::move(respond)});
    } else {
      respond(io::HttpResponse::Json(200, R"({"acknowledgment":"ok"})"));
    }
  } else {
    respond(ErrorResponse(400, "UnknownOperationException", op));
  }
}

void FakeControlPlane::Script(const std::string& op, io::HttpResponse response) {
  scripts_[op].push_back(std::move(response));
}

void FakeControlPlane::ScriptError(const std::string& op, int status, const std::string& type,
                                   const std::string& message) {
  Script(op, ErrorResponse(status, type, message));
}

std::vector<FakeControlPlane::Call> FakeControlPlane::Calls(const std::string& op) const {
  std::vector<Call> out;
  for (const Call& call : calls_) {
    if (call.op == op) {
      out.push_back(call);
    }
  }
  return out;
}

void FakeControlPlane::AnswerPoll(const std::string& answer_json) {
  CHECK(!held_polls_.empty()) << "no poll is held";
  Respond respond = std::move(held_polls_.front());
  held_polls_.pop_front();
  respond(io::HttpResponse::Json(200, answer_json));
}

void InProcessTransport::Fetch(io::HttpClientRequest request, io::HttpClientCallback done) {
  sent_.push_back(Sent{request.method, request.url, request.headers, request.body, request.timeout});
  auto shared_done = std::make_shared<io::HttpClientCallback>(std::move(done));
  auto finished = std::make_shared<bool>(false);
  auto finish = [finished, shared_done](absl::StatusOr<io::HttpClientResponse> result) {
    if (*finished) {
      return;
    }
    *finished = true;
    (*shared_done)(std::move(result));
  };
  if (fail_next_ > 0) {
    --fail_next_;
    loop_.Post([finish, url = request.url]() mutable {
      finish(absl::UnavailableError(absl::StrCat("failed to POST ", url,
                                                 ": Connection refused [ECONNREFUSED]")));
    });
    return;
  }
  absl::StatusOr<UrlParts> url = SplitUrl(request.url);
  CHECK_OK(url.status());
  io::HttpRequest server_form;
  server_form.method = request.method;
  server_form.target = url->target;
  server_form.headers = request.headers;
  server_form.body = request.body;
  server_form.peer = "127.0.0.1:1";
  io::TimerId timer = loop_.AddTimer(request.timeout, [finish, url = request.url]() mutable {
    finish(absl::DeadlineExceededError(absl::StrCat("failed to POST ", url, ": timed out")));
  });
  plane_.Handle(std::move(server_form),
                [this, finish, timer](io::HttpResponse response) mutable {
                  loop_.CancelTimer(timer);
                  io::HttpClientResponse client_form;
                  client_form.status = response.status;
                  client_form.headers = response.headers;
                  client_form.body = response.body;
                  loop_.Post([finish, client_form]() mutable { finish(client_form); });
                });
}

}  // namespace berth::agent::testing
