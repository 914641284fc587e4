#include "control/api/api_service.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/json/serialize.hpp"
#include "control/api/agent_poll.h"
#include "control/api/agent_telemetry.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/cluster_common.h"
#include "control/api/request_decoder.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::control {
namespace {

constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
constexpr std::string_view kUnknownOperation = "unknown";
// What a client sees for a fault; the real status is logged.
constexpr std::string_view kInternalErrorMessage =
    "The server encountered an internal error and could not complete the request.";
constexpr std::string_view kWritesFailedMessage =
    "The server could not make a change durable and is restarting from its stored state; "
    "retry the request.";
constexpr std::string_view kNotFoundText =
    "berth-control: the ECS API is POST / with X-Amz-Target: "
    "AmazonEC2ContainerServiceV20141113.<Operation>; agents poll POST /agent/v1/poll and "
    "publish telemetry to POST /agent/v1/metrics; metrics are GET /metrics.\n";
constexpr std::string_view kPollPath = "/agent/v1/poll";
// The poll's label in berth_api_requests_total.
constexpr std::string_view kPollOperation = "AgentPoll";
constexpr std::string_view kTelemetryPath = "/agent/v1/metrics";
constexpr std::string_view kTelemetryOperation = "AgentPublishMetrics";
constexpr std::string_view kInactiveInstance = "InactiveInstanceException";
constexpr std::string_view kInactiveInstanceMessage =
    "The container instance is deregistered (INACTIVE); register it again to use it.";
constexpr std::string_view kPollContentType = "application/json";

io::HttpResponse JsonResponse(int status, std::string body) {
  io::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", kJsonContentType);
  response.body = std::move(body);
  return response;
}

io::HttpResponse EcsErrorResponse(std::string_view type, std::string_view message) {
  return JsonResponse(HttpStatusForEcsError(type), EcsErrorBody(type, message));
}

}  // namespace

ApiService::ApiService(io::EventLoop& loop, state::Model& model, Store& store,
                       const auth::Authenticator& authenticator, const OperationRegistry& ops,
                       io::Rng& rng, Options options)
    : loop_(loop),
      model_(model),
      store_(store),
      authenticator_(authenticator),
      ops_(ops),
      rng_(rng),
      options_(options),
      self_(std::make_shared<ApiService*>(this)) {}

ApiService::~ApiService() = default;

io::HttpServer::Handler ApiService::HttpHandler() {
  return [this](io::HttpRequest request, io::HttpResponder responder) {
    Handle(std::move(request), [r = std::move(responder)](io::HttpResponse response) mutable {
      r.Respond(std::move(response));
    });
  };
}

std::string ApiService::NewRequestId() {
  uint64_t a = rng_.Next(), b = rng_.Next();
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                         0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

void ApiService::Handle(io::HttpRequest request, Reply reply) {
  absl::Duration started = loop_.time().Monotonic();
  std::string_view path = request.path();
  if (path == "/metrics" && (request.method == "GET" || request.method == "HEAD")) {
    io::HttpResponse response;
    response.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.body = metrics_.Render(store_.stats(), waiting_.size(), failed_);
    if (agents_ != nullptr) {
      RenderAgentChannelMetrics(agents_->channel().stats(), agents_->ConnectedInstances(),
                                &response.body);
    }
    RenderUtilizationMetrics(ComputeUtilization(model_, telemetry_, loop_.time().Now()),
                             telemetry_.stats(), &response.body);
    reply(std::move(response));
    return;
  }
  if (path == kPollPath && request.method == "POST") {
    HandlePoll(request, std::move(reply), started);
    return;
  }
  if (path == kTelemetryPath && request.method == "POST") {
    HandleTelemetry(request, std::move(reply), started);
    return;
  }
  if (path != "/" || request.method != "POST") {
    reply(io::HttpResponse::Text(404, std::string(kNotFoundText)));
    return;
  }
  HandleApi(request, std::move(reply), started);
}

void ApiService::Send(std::string_view operation, std::string_view error_type,
                      io::HttpResponse response, Reply& reply, absl::Duration started) {
  metrics_.RecordRequest(operation, error_type, loop_.time().Monotonic() - started);
  reply(std::move(response));
}

io::HttpResponse ApiService::ErrorResponse(const absl::Status& status, std::string* error_type,
                                           std::string_view operation) {
  *error_type = EcsErrorType(status);
  if (error_type->empty()) {
    LOG(ERROR) << operation << " failed with an internal error: " << status;
    *error_type = std::string(ecs_errors::kServer);
    return EcsErrorResponse(ecs_errors::kServer, kInternalErrorMessage);
  }
  return EcsErrorResponse(*error_type, Std(status.message()));
}

std::string_view ApiService::OperationLabel(std::string_view target) const {
  size_t dot = target.rfind('.');
  if (dot == std::string_view::npos || target.substr(0, dot) != kTargetPrefix) {
    return kUnknownOperation;
  }
  std::string_view name = ops_.CanonicalName(target.substr(dot + 1));
  return name.empty() ? kUnknownOperation : name;
}

void ApiService::HandleApi(io::HttpRequest& request, Reply reply, absl::Duration started) {
  std::string request_id = NewRequestId();
  auto with_id = [&](io::HttpResponse response) {
    response.headers.emplace_back("x-amzn-RequestId", request_id);
    return response;
  };
  std::string error_type;
  if (request.body.size() > options_.max_request_bytes) {
    Send(OperationLabel(request.Header("X-Amz-Target")), ecs_errors::kRequestEntityTooLarge,
         with_id(EcsErrorResponse(
             ecs_errors::kRequestEntityTooLarge,
             absl::StrCat("The request body of ", request.body.size(), " bytes is larger than the ",
                          options_.max_request_bytes, "-byte limit."))),
         reply, started);
    return;
  }
  absl::StatusOr<auth::Caller> caller = authenticator_.Authenticate(request);
  if (!caller.ok()) {
    io::HttpResponse response = ErrorResponse(caller.status(), &error_type, kUnknownOperation);
    Send(kUnknownOperation, error_type, with_id(std::move(response)), reply, started);
    return;
  }
  absl::StatusOr<DecodedRequest> decoded = DecodeRequest(
      request.Header("X-Amz-Target"), request.Header("Content-Type"), request.body, ops_);
  if (!decoded.ok()) {
    io::HttpResponse response = ErrorResponse(decoded.status(), &error_type, kUnknownOperation);
    Send(OperationLabel(request.Header("X-Amz-Target")), error_type, with_id(std::move(response)),
         reply, started);
    return;
  }
  if (failed_) {
    Send(decoded->operation, ecs_errors::kServer,
         with_id(EcsErrorResponse(ecs_errors::kServer, kWritesFailedMessage)), reply, started);
    return;
  }

  state::ChangeSet changes;
  OpContext ctx = NewContext(changes);
  absl::StatusOr<boost::json::object> output = decoded->fn(ctx, Args(decoded->body));
  io::HttpResponse response;
  if (output.ok()) {
    response = JsonResponse(200, ctx.raw_response.has_value() ? *std::move(ctx.raw_response)
                                                              : boost::json::serialize(*output));
  } else {
    response = ErrorResponse(output.status(), &error_type, decoded->operation);
  }
  CommitChanges(changes, std::move(ctx.after_commit));
  Release(decoded->operation, std::move(error_type), with_id(std::move(response)), std::move(reply),
          started);
}

OpContext ApiService::NewContext(state::ChangeSet& changes) {
  OpContext ctx{model_, changes, rng_, loop_.time().Now(), model_.root_principal_arn()};
  ctx.agents = agents_;
  return ctx;
}

void ApiService::CommitChanges(state::ChangeSet& changes, Hooks hooks) {
  if (changes.empty()) {
    for (auto& hook : hooks) {
      hook(true);
    }
    return;
  }
  uint64_t seq = ++queued_;
  size_t count = changes.size();
  absl::Duration submitted = loop_.time().Monotonic();
  std::weak_ptr<ApiService*> weak = self_;
  store_.Commit(changes.Take(), [weak, seq, count, submitted,
                                 hooks = std::move(hooks)](absl::Status status) mutable {
    if (std::shared_ptr<ApiService*> self = weak.lock()) {
      for (auto& hook : hooks) {
        hook(status.ok());
      }
      (*self)->OnCommitted(seq, count, submitted, status);
    }
  });
}

void ApiService::Release(std::string_view operation, std::string error_type,
                         io::HttpResponse response, Reply reply, absl::Duration started) {
  if (queued_ <= durable_) {
    Send(operation, error_type, std::move(response), reply, started);
    return;
  }
  if (failed_) {
    // Nothing will become durable any more (OnCommitted answered the rest).
    io::HttpResponse failed = EcsErrorResponse(ecs_errors::kServer, kWritesFailedMessage);
    for (auto& header : response.headers) {
      if (header.first == "x-amzn-RequestId") {
        failed.headers.push_back(header);
      }
    }
    Send(operation, ecs_errors::kServer, std::move(failed), reply, started);
    return;
  }
  waiting_.push_back(Waiting{queued_, operation, std::move(error_type), std::move(response),
                             std::move(reply), started});
}

void ApiService::RunInternal(absl::AnyInvocable<void(OpContext&)> fn) {
  if (failed_) {
    return;
  }
  state::ChangeSet changes;
  OpContext ctx = NewContext(changes);
  fn(ctx);
  CommitChanges(changes, std::move(ctx.after_commit));
}

absl::Status ApiService::CheckAgentRequest(const io::HttpRequest& request) {
  if (request.body.size() > options_.max_request_bytes) {
    return EcsError(
        ecs_errors::kRequestEntityTooLarge,
        absl::StrCat("The request body of ", request.body.size(), " bytes is larger than the ",
                     options_.max_request_bytes, "-byte limit."));
  }
  return authenticator_.Authenticate(request).status();
}

void ApiService::HandlePoll(io::HttpRequest& request, Reply reply, absl::Duration started) {
  std::string request_id = NewRequestId();
  auto error = [&](const absl::Status& status) {
    std::string error_type;
    io::HttpResponse response = ErrorResponse(status, &error_type, kPollOperation);
    response.headers.emplace_back("x-amzn-RequestId", request_id);
    Release(kPollOperation, std::move(error_type), std::move(response), std::move(reply), started);
  };
  if (absl::Status checked = CheckAgentRequest(request); !checked.ok()) {
    error(checked);
    return;
  }
  if (agents_ == nullptr) {
    error(EcsError(ecs_errors::kServer, "The agent channel is not enabled on this server."));
    return;
  }
  if (failed_) {
    error(EcsError(ecs_errors::kServer, kWritesFailedMessage));
    return;
  }
  absl::StatusOr<AgentPollRequest> poll = DecodeAgentPoll(request.body);
  if (!poll.ok()) {
    error(poll.status());
    return;
  }
  absl::StatusOr<const ecs::Cluster*> cluster = ops::RequestCluster(model_, Args(poll->body));
  if (!cluster.ok()) {
    error(cluster.status());
    return;
  }
  const state::ContainerInstanceEntry* instance =
      model_.container_instances().Find((*cluster)->name, ecs::IdOfArnOrId(poll->instance));
  if (instance == nullptr) {
    // Never registered here (or registered to another cluster).
    AnswerPoll(
        agents::PollResult{
            .kind = agents::PollResult::Kind::kReregister, .messages = {}, .epoch = 0},
        poll->instance, request_id, std::move(reply), started);
    return;
  }
  if (!instance->registered()) {
    error(EcsError(kInactiveInstance, kInactiveInstanceMessage));
    return;
  }
  std::string arn = instance->instance.container_instance_arn;
  std::weak_ptr<ApiService*> weak = self_;
  auto on_answer = [weak, arn, request_id, started,
                    reply = std::move(reply)](agents::PollResult result) mutable {
    std::shared_ptr<ApiService*> self = weak.lock();
    if (self == nullptr) {
      return;  // the service is gone; dropping `reply` answers 500
    }
    // Answered from a later loop turn: a poll answered from inside an
    // operation (Forget on deregistration) then waits for that
    // operation's commit like any response.
    (*self)->loop_.Post([weak, arn, request_id, started, reply = std::move(reply),
                         result = std::move(result)]() mutable {
      if (std::shared_ptr<ApiService*> self = weak.lock()) {
        (*self)->AnswerPoll(std::move(result), arn, request_id, std::move(reply), started);
      }
    });
  };
  agents_->channel().Poll(arn, poll->session, poll->ack, std::move(on_answer));
  MaybePersistAck(arn);
}

void ApiService::HandleTelemetry(io::HttpRequest& request, Reply reply, absl::Duration started) {
  std::string request_id = NewRequestId();
  auto answer = [&](io::HttpResponse response, std::string error_type) {
    response.headers.emplace_back("x-amzn-RequestId", request_id);
    Release(kTelemetryOperation, std::move(error_type), std::move(response), std::move(reply),
            started);
  };
  auto error = [&](const absl::Status& status) {
    std::string error_type;
    io::HttpResponse response = ErrorResponse(status, &error_type, kTelemetryOperation);
    answer(std::move(response), std::move(error_type));
  };
  if (absl::Status checked = CheckAgentRequest(request); !checked.ok()) {
    error(checked);
    return;
  }
  absl::StatusOr<AgentTelemetryRequest> message = DecodeAgentTelemetry(request.body);
  if (!message.ok()) {
    error(message.status());
    return;
  }
  absl::StatusOr<const ecs::Cluster*> cluster =
      ops::RequestCluster(model_, Args(message->metadata, "metadata"));
  if (!cluster.ok()) {
    error(cluster.status());
    return;
  }
  const state::ContainerInstanceEntry* instance =
      model_.container_instances().Find((*cluster)->name, ecs::IdOfArnOrId(message->instance));
  if (instance == nullptr) {
    error(InvalidParameter(absl::StrCat("metadata.containerInstance ", message->instance,
                                        " is not registered to cluster ", (*cluster)->name, ".")));
    return;
  }
  if (!instance->registered()) {
    error(EcsError(kInactiveInstance, kInactiveInstanceMessage));
    return;
  }
  telemetry_.Record(*message, model_, (*cluster)->name, instance->id, loop_.time().Now());
  io::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = AgentTelemetryAnswer(message->message_id);
  answer(std::move(response), "");
}

void ApiService::AnswerPoll(agents::PollResult result, const std::string& instance_arn,
                            const std::string& request_id, Reply reply, absl::Duration started) {
  std::string error_type;
  io::HttpResponse response;
  const state::ContainerInstanceEntry* instance =
      model_.container_instances().FindById(ecs::IdOfArnOrId(instance_arn));
  if (result.kind == agents::PollResult::Kind::kReregister && instance != nullptr &&
      !instance->registered()) {
    // Deregistered while the poll was held: the agent must not register
    // itself back.
    response = ErrorResponse(EcsError(kInactiveInstance, kInactiveInstanceMessage), &error_type,
                             kPollOperation);
  } else {
    response.status = 200;
    response.headers.emplace_back("Content-Type", kPollContentType);
    response.body = AgentPollAnswer(result);
  }
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  Release(kPollOperation, std::move(error_type), std::move(response), std::move(reply), started);
}

void ApiService::MaybePersistAck(const std::string& instance_arn) {
  if (agents_ == nullptr || !agents_->AckUnpersisted(instance_arn) ||
      !ack_writes_.insert(instance_arn).second) {
    return;
  }
  std::weak_ptr<ApiService*> weak = self_;
  loop_.AddTimer(options_.agent_ack_persist_delay, [weak, instance_arn] {
    std::shared_ptr<ApiService*> self = weak.lock();
    if (self == nullptr) {
      return;
    }
    ApiService& service = **self;
    service.ack_writes_.erase(instance_arn);
    if (service.agents_ == nullptr) {
      return;
    }
    service.RunInternal(
        [instance_arn](OpContext& ctx) { ctx.agents->PersistAck(ctx, instance_arn); });
  });
}

void ApiService::OnCommitted(uint64_t seq, size_t mutations, absl::Duration submitted,
                             const absl::Status& status) {
  metrics_.RecordCommit(mutations, loop_.time().Monotonic() - submitted, status.ok());
  if (status.ok()) {
    if (seq > durable_) {
      durable_ = seq;
    }
    while (!waiting_.empty() && waiting_.front().seq <= durable_) {
      Waiting w = std::move(waiting_.front());
      waiting_.pop_front();
      Send(w.operation, w.error_type, std::move(w.response), w.reply, w.started);
    }
    return;
  }
  LOG(ERROR) << "STORE COMMIT " << seq << " FAILED: " << status
             << " — the in-memory model now holds changes the store does not; refusing every "
                "request and restarting from the stored state";
  bool first = !failed_;
  failed_ = true;
  while (!waiting_.empty()) {
    Waiting w = std::move(waiting_.front());
    waiting_.pop_front();
    io::HttpResponse response = EcsErrorResponse(ecs_errors::kServer, kWritesFailedMessage);
    for (auto& header : w.response.headers) {
      if (header.first == "x-amzn-RequestId") {
        response.headers.push_back(header);
      }
    }
    Send(w.operation, ecs_errors::kServer, std::move(response), w.reply, w.started);
  }
  if (first && on_fatal_) {
    on_fatal_(status);
  }
}

}  // namespace berth::control
