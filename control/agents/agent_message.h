#ifndef BERTH_CONTROL_AGENTS_AGENT_MESSAGE_H_
#define BERTH_CONTROL_AGENTS_AGENT_MESSAGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace berth::agents {

// What the control plane tells one agent (docs/agent-protocol.md).
struct AgentMessage {
  enum class Kind {
    kTask,  // a task assignment: the full task payload and its desired status
    kStop,  // a stop order for a task the agent was assigned earlier
  };
  Kind kind = Kind::kTask;
  std::string task_arn;
  std::string desired_status;  // kTask: "RUNNING" (or "STOPPED"); kStop: "STOPPED"
  std::string reason;          // kStop: the stoppedReason ("Task stopped by user")
  std::string payload;         // kTask: the task as JSON, opaque to the channel
};

// A message with the sequence number its instance's outbox gave it. Numbers
// start at 1 and strictly increase per instance; they are never reused, even
// across control-plane restarts (the outbox's last_seq is persisted).
struct SequencedMessage {
  uint64_t seq = 0;
  AgentMessage message;
};

// The answer to one poll.
struct PollResult {
  enum class Kind {
    kMessages,    // `messages` holds one or more messages past the poll's ack
    kHeartbeat,   // the poll timeout passed with nothing to deliver
    kSuperseded,  // a newer poll for the same instance took over this one
    kReregister,  // the control plane does not know the instance
  };
  Kind kind = Kind::kHeartbeat;
  std::vector<SequencedMessage> messages;
  uint64_t epoch = 0;  // the instance's session epoch (see AgentChannel::Poll)
};

// What must survive a control-plane restart for one instance: the highest
// sequence number ever given out and the messages not yet acknowledged. The
// API layer stores it as records (docs/agent-protocol.md, "Durability").
struct OutboxRecord {
  std::string instance_arn;
  uint64_t last_seq = 0;   // highest sequence number ever assigned
  uint64_t acked_seq = 0;  // highest sequence number the agent acknowledged
  std::vector<SequencedMessage> messages;  // unacknowledged, in order
};

}  // namespace berth::agents

#endif  // BERTH_CONTROL_AGENTS_AGENT_MESSAGE_H_
