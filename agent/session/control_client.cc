#include "agent/session/control_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/session/control_error.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::agent {
namespace {

constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";
constexpr std::string_view kPollPath = "/agent/v1/poll";
constexpr std::string_view kMetricsPath = "/agent/v1/metrics";

absl::Status MemberError(std::string_view member, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid poll answer: member '", Absl(member), "' ", Absl(what)));
}

absl::StatusOr<std::string> StringMember(const boost::json::object& object,
                                         std::string_view key, std::string_view path,
                                         bool required) {
  const boost::json::value* v = object.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) {
    if (required) {
      return MemberError(path, "is missing");
    }
    return std::string();
  }
  if (!v->is_string()) {
    return MemberError(path, "is not a string");
  }
  return std::string(v->get_string());
}

absl::StatusOr<uint64_t> UintMember(const boost::json::object& object, std::string_view key,
                                    std::string_view path) {
  const boost::json::value* v = object.if_contains(boost::json::string_view(key.data(), key.size()));
  if (v == nullptr || v->is_null()) {
    return uint64_t{0};
  }
  if (v->is_uint64()) {
    return v->get_uint64();
  }
  if (v->is_int64() && v->get_int64() >= 0) {
    return static_cast<uint64_t>(v->get_int64());
  }
  return MemberError(path, "is not a non-negative integer");
}

// A usable base URL from the answer's `key`, without trailing '/'; "" when
// the member is missing, not a string or not an http(s) URL.
std::string EndpointMember(const boost::json::object& answer, std::string_view key) {
  const boost::json::value* e =
      answer.if_contains(boost::json::string_view(key.data(), key.size()));
  if (e == nullptr || !e->is_string()) {
    return "";
  }
  std::string endpoint(e->get_string());
  if (endpoint.empty() || !SplitUrl(endpoint).ok()) {
    return "";
  }
  while (endpoint.back() == '/') {
    endpoint.pop_back();
  }
  return endpoint;
}

}  // namespace

absl::StatusOr<PollAnswer> DecodePollAnswer(std::string_view body) {
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
  if (!json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid poll answer: ", json.status().message()));
  }
  const boost::json::object* object = json->if_object();
  if (object == nullptr) {
    return absl::InvalidArgumentError("invalid poll answer: not a JSON object");
  }
  PollAnswer answer;
  absl::StatusOr<std::string> type = StringMember(*object, "type", "type", true);
  if (!type.ok()) {
    return type.status();
  }
  if (*type == "messages") {
    answer.kind = PollAnswer::Kind::kMessages;
  } else if (*type == "heartbeat") {
    answer.kind = PollAnswer::Kind::kHeartbeat;
  } else if (*type == "superseded") {
    answer.kind = PollAnswer::Kind::kSuperseded;
  } else if (*type == "reregister") {
    answer.kind = PollAnswer::Kind::kReregister;
  } else {
    return MemberError("type", absl::StrCat("is unknown: '", *type, "'"));
  }
  absl::StatusOr<uint64_t> epoch = UintMember(*object, "epoch", "epoch");
  if (!epoch.ok()) {
    return epoch.status();
  }
  answer.epoch = *epoch;
  if (answer.kind != PollAnswer::Kind::kMessages) {
    return answer;
  }
  const boost::json::value* messages = object->if_contains("messages");
  if (messages == nullptr || !messages->is_array() || messages->get_array().empty()) {
    return MemberError("messages", "is not a non-empty list");
  }
  uint64_t last_seq = 0;
  const boost::json::array& list = messages->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = absl::StrCat("messages[", i, "]");
    const boost::json::object* m = list[i].if_object();
    if (m == nullptr) {
      return MemberError(path, "is not an object");
    }
    PollMessage message;
    absl::StatusOr<uint64_t> seq = UintMember(*m, "seq", path + ".seq");
    if (!seq.ok()) {
      return seq.status();
    }
    if (*seq <= last_seq) {
      return MemberError(path + ".seq", absl::StrCat("does not increase (", *seq, " after ",
                                                     last_seq, ")"));
    }
    message.seq = last_seq = *seq;
    for (auto [key, out, required] :
         {std::tuple{"type", &message.type, true}, std::tuple{"taskArn", &message.task_arn, true},
          std::tuple{"desiredStatus", &message.desired_status, false},
          std::tuple{"reason", &message.reason, false}}) {
      absl::StatusOr<std::string> value = StringMember(*m, key, absl::StrCat(path, ".", key),
                                                       required);
      if (!value.ok()) {
        return value.status();
      }
      *out = *std::move(value);
    }
    if (message.type != "task" && message.type != "stop") {
      return MemberError(path + ".type", absl::StrCat("is unknown: '", message.type, "'"));
    }
    if (const boost::json::value* task = m->if_contains("task"); task && !task->is_null()) {
      message.task_payload =
          task->is_string() ? std::string(task->get_string()) : ecs::ToJsonText(*task);
    }
    answer.messages.push_back(std::move(message));
  }
  return answer;
}

std::string EncodePollRequest(const PollRequest& request) {
  boost::json::object body;
  body["cluster"] = request.cluster;
  body["containerInstanceArn"] = request.instance_arn;
  body["sessionId"] = request.session_id;
  body["ack"] = request.ack;
  return ecs::ToJsonText(body);
}

ControlClient::ControlClient(io::EventLoop& loop, HttpTransport& http, ControlClientOptions options)
    : loop_(loop), http_(http), options_(std::move(options)) {
  while (!options_.backend_url.empty() && options_.backend_url.back() == '/') {
    options_.backend_url.pop_back();
  }
}

ControlClient::~ControlClient() { *alive_ = false; }

void ControlClient::Send(io::HttpClientRequest request,
                         absl::AnyInvocable<void(absl::StatusOr<io::HttpClientResponse>)> done) {
  absl::Status signed_ok = SignClientRequest(request, options_.credentials, options_.region, "ecs",
                                             loop_.time().Now());
  if (!signed_ok.ok()) {
    loop_.Post([done = std::move(done), signed_ok]() mutable { done(signed_ok); });
    return;
  }
  http_.Fetch(std::move(request), std::move(done));
}

void ControlClient::Call(std::string_view operation, std::string body,
                         absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
  io::HttpClientRequest request;
  request.method = "POST";
  request.url = options_.backend_url + "/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", absl::StrCat(Absl(kTargetPrefix), Absl(operation))}};
  request.body = std::move(body);
  request.timeout = options_.call_timeout;
  Send(std::move(request), [op = std::string(operation), done = std::move(done)](
                               absl::StatusOr<io::HttpClientResponse> response) mutable {
    if (!response.ok()) {
      done(response.status());
      return;
    }
    absl::Status status = ControlStatus(*response, op);
    if (!status.ok()) {
      done(status);
      return;
    }
    done(std::move(response->body));
  });
}

void ControlClient::RegisterContainerInstance(
    std::string body, absl::AnyInvocable<void(absl::StatusOr<RegisteredInstance>)> done) {
  Call("RegisterContainerInstance", std::move(body),
       [done = std::move(done)](absl::StatusOr<std::string> answer) mutable {
         if (!answer.ok()) {
           done(answer.status());
           return;
         }
         absl::StatusOr<boost::json::value> json = ecs::ParseJson(*answer);
         const boost::json::value* arn = nullptr;
         if (json.ok() && json->is_object()) {
           if (const boost::json::value* ci = json->get_object().if_contains("containerInstance");
               ci != nullptr && ci->is_object()) {
             arn = ci->get_object().if_contains("containerInstanceArn");
           }
         }
         if (arn == nullptr || !arn->is_string() || arn->get_string().empty()) {
           done(absl::InvalidArgumentError(
               "failed to RegisterContainerInstance: the answer has no "
               "containerInstance.containerInstanceArn"));
           return;
         }
         done(RegisteredInstance{std::string(arn->get_string()), *std::move(answer)});
       });
}

void ControlClient::DiscoverEndpoints(const std::string& instance_arn,
                                      absl::AnyInvocable<void(DiscoveredEndpoints)> done) {
  const absl::Duration now = loop_.time().Monotonic();
  if (endpoints_.has_value() && now - endpoints_fetched_at_ < options_.endpoint_cache_ttl) {
    loop_.Post([done = std::move(done), endpoints = *endpoints_]() mutable { done(endpoints); });
    return;
  }
  discover_waiters_.push_back(std::move(done));
  if (discover_waiters_.size() > 1) {
    return;  // a call is in flight: its answer serves this caller too
  }
  boost::json::object body;
  body["containerInstance"] = instance_arn;
  body["cluster"] = options_.cluster;
  Call("DiscoverPollEndpoint", ecs::ToJsonText(body),
       [this, alive = std::weak_ptr<bool>(alive_)](absl::StatusOr<std::string> answer) mutable {
         if (alive.expired()) {
           return;
         }
         DiscoveredEndpoints endpoints;
         if (answer.ok()) {
           absl::StatusOr<boost::json::value> json = ecs::ParseJson(*answer);
           if (json.ok() && json->is_object()) {
             endpoints.poll = EndpointMember(json->get_object(), "endpoint");
             endpoints.telemetry = EndpointMember(json->get_object(), "telemetryEndpoint");
           }
           if (endpoints.poll.empty()) {
             answer = absl::InvalidArgumentError(absl::StrCat(
                 "failed to DiscoverPollEndpoint: the answer has no usable endpoint: ", *answer));
           } else if (endpoints.telemetry.empty()) {
             endpoints.telemetry = endpoints.poll;
           }
         }
         if (answer.ok()) {
           endpoints_ = endpoints;
           endpoints_fetched_at_ = loop_.time().Monotonic();
         } else if (endpoints_.has_value()) {
           LOG(WARNING) << answer.status() << "; using the expired endpoint " << endpoints_->poll;
           endpoints = *endpoints_;
         } else {
           LOG(WARNING) << answer.status() << "; using ECS_BACKEND_HOST " << options_.backend_url;
           endpoints = {options_.backend_url, options_.backend_url};
         }
         std::vector<absl::AnyInvocable<void(DiscoveredEndpoints)>> waiters;
         waiters.swap(discover_waiters_);
         for (auto& waiter : waiters) {
           waiter(endpoints);
         }
       });
}

void ControlClient::DiscoverPollEndpoint(const std::string& instance_arn,
                                         absl::AnyInvocable<void(std::string endpoint)> done) {
  DiscoverEndpoints(instance_arn, [done = std::move(done)](DiscoveredEndpoints e) mutable {
    done(std::move(e.poll));
  });
}

void ControlClient::DiscoverTelemetryEndpoint(const std::string& instance_arn,
                                              absl::AnyInvocable<void(std::string endpoint)> done) {
  DiscoverEndpoints(instance_arn, [done = std::move(done)](DiscoveredEndpoints e) mutable {
    done(std::move(e.telemetry));
  });
}

void ControlClient::SubmitTaskStateChange(const TaskChange& change,
                                          absl::AnyInvocable<void(absl::Status)> done) {
  Call("SubmitTaskStateChange", SubmitTaskStateChangeBody(change),
       [done = std::move(done)](absl::StatusOr<std::string> answer) mutable {
         done(answer.status());
       });
}

void ControlClient::Poll(const std::string& endpoint, const PollRequest& poll,
                         absl::Duration timeout,
                         absl::AnyInvocable<void(absl::StatusOr<PollAnswer>)> done) {
  io::HttpClientRequest request;
  request.method = "POST";
  request.url = absl::StrCat(endpoint, Absl(kPollPath));
  request.headers = {{"Content-Type", "application/json"}};
  request.body = EncodePollRequest(poll);
  request.timeout = timeout;
  Send(std::move(request), [done = std::move(done)](
                               absl::StatusOr<io::HttpClientResponse> response) mutable {
    if (!response.ok()) {
      done(response.status());
      return;
    }
    if (absl::Status status = ControlStatus(*response, "poll"); !status.ok()) {
      done(status);
      return;
    }
    done(DecodePollAnswer(response->body));
  });
}

void ControlClient::PublishMetrics(const std::string& endpoint, std::string body,
                                   absl::Duration timeout,
                                   absl::AnyInvocable<void(absl::Status)> done) {
  io::HttpClientRequest request;
  request.method = "POST";
  request.url = absl::StrCat(endpoint, Absl(kMetricsPath));
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(body);
  request.timeout = timeout;
  Send(std::move(request),
       [done = std::move(done)](absl::StatusOr<io::HttpClientResponse> response) mutable {
         if (!response.ok()) {
           done(response.status());
           return;
         }
         done(ControlStatus(*response, "PublishMetrics"));
       });
}

}  // namespace berth::agent
