#ifndef BERTH_CONTROL_API_AGENT_POLL_H_
#define BERTH_CONTROL_API_AGENT_POLL_H_

// The wire form of POST /agent/v1/poll (docs/agent-protocol.md, "The
// poll"): the request body's decoding and the answer's JSON. ApiService
// routes, authenticates and checks the cluster and instance; AgentChannel
// decides the answer.
//
//   {"cluster","containerInstanceArn","sessionId","ack"}
//     → {"type":"messages"|"heartbeat"|"superseded"|"reregister","epoch":N,
//        "messages":[{"seq","type":"task"|"stop","taskArn","desiredStatus",
//                     "reason","task":{…the payload…}}]}

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "control/agents/agent_message.h"

namespace berth::control {

// The body's members.
struct AgentPollRequest {
  boost::json::object body;  // for RequestCluster (its "cluster" member)
  std::string instance;      // containerInstanceArn (an ARN or an id)
  std::string session;
  uint64_t ack = 0;
};

// An agent route's body as a JSON object ({} when empty);
// SerializationException when it is not JSON or not an object.
absl::StatusOr<boost::json::object> DecodeAgentBody(std::string_view body);

// SerializationException for a body that is not a JSON object or a member of
// the wrong type; InvalidParameterException for a missing
// containerInstanceArn or sessionId, or a negative ack. An empty body is {}.
absl::StatusOr<AgentPollRequest> DecodeAgentPoll(std::string_view body);

// The answer's JSON text. A message's payload is emitted as the JSON value it
// holds ("task"); one that does not parse (a bug of its writer) is logged and
// emitted as a string.
std::string AgentPollAnswer(const agents::PollResult& result);

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_AGENT_POLL_H_
