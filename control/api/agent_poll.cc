#include "control/api/agent_poll.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/json/array.hpp"
#include "boost/json/serialize.hpp"
#include "control/api/args.h"
#include "control/api/ecs_error.h"
#include "ecs/json_text.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::control {
namespace {

std::string_view TypeName(agents::PollResult::Kind kind) {
  switch (kind) {
    case agents::PollResult::Kind::kMessages:
      return "messages";
    case agents::PollResult::Kind::kHeartbeat:
      return "heartbeat";
    case agents::PollResult::Kind::kSuperseded:
      return "superseded";
    case agents::PollResult::Kind::kReregister:
      return "reregister";
  }
  return "heartbeat";
}

}  // namespace

absl::StatusOr<boost::json::object> DecodeAgentBody(std::string_view body) {
  if (body.empty()) {
    return boost::json::object();
  }
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(body);
  if (!json.ok()) {
    return EcsError(ecs_errors::kSerialization,
                    absl::StrCat("The request body is not JSON: ", json.status().message()));
  }
  if (!json->is_object()) {
    return EcsError(ecs_errors::kSerialization, "The request body is not a JSON object.");
  }
  return std::move(json->get_object());
}

absl::StatusOr<AgentPollRequest> DecodeAgentPoll(std::string_view body) {
  AgentPollRequest request;
  ASSIGN_OR_RETURN(request.body, DecodeAgentBody(body));
  Args args(request.body);
  std::optional<std::string> cluster;
  std::optional<int64_t> ack;
  RETURN_IF_ERROR(args.Get("cluster", &cluster));  // its type; RequestCluster resolves it
  RETURN_IF_ERROR(args.Require("containerInstanceArn", &request.instance));
  RETURN_IF_ERROR(args.Require("sessionId", &request.session));
  RETURN_IF_ERROR(args.Get("ack", &ack));
  if (request.instance.empty()) {
    return InvalidParameter("containerInstanceArn must not be empty.");
  }
  if (request.session.empty()) {
    return InvalidParameter("sessionId must not be empty.");
  }
  if (ack.value_or(0) < 0) {
    return InvalidParameter(
        absl::StrCat("ack must be 0 or the highest sequence number applied; got ", *ack, "."));
  }
  request.ack = static_cast<uint64_t>(ack.value_or(0));
  return request;
}

std::string AgentPollAnswer(const agents::PollResult& result) {
  boost::json::object out;
  out["type"] = TypeName(result.kind);
  out["epoch"] = result.epoch;
  if (result.kind == agents::PollResult::Kind::kMessages) {
    boost::json::array messages;
    for (const agents::SequencedMessage& m : result.messages) {
      boost::json::object o;
      o["seq"] = m.seq;
      o["type"] = m.message.kind == agents::AgentMessage::Kind::kStop ? "stop" : "task";
      o["taskArn"] = m.message.task_arn;
      o["desiredStatus"] = m.message.desired_status;
      if (!m.message.reason.empty()) {
        o["reason"] = m.message.reason;
      }
      if (!m.message.payload.empty()) {
        absl::StatusOr<boost::json::value> task = ecs::ParseJson(m.message.payload);
        if (task.ok()) {
          o["task"] = *std::move(task);
        } else {
          LOG(ERROR) << "agent message " << m.seq << " for task " << m.message.task_arn
                     << " has a payload that is not JSON: " << task.status();
          o["task"] = m.message.payload;
        }
      }
      messages.push_back(std::move(o));
    }
    out["messages"] = std::move(messages);
  }
  return boost::json::serialize(out);
}

}  // namespace berth::control
