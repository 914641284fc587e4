#ifndef BERTH_CONTROL_API_AGENT_DISPATCH_H_
#define BERTH_CONTROL_API_AGENT_DISPATCH_H_

// The API layer's side of the agent channel (docs/agent-protocol.md,
// "Wiring"): operations send agent messages through it, and it keeps the
// channel, the stored outbox records and the model's agentConnected in step.
//
//   operation ── Send(ctx, arn, message) ── AgentChannel::Enqueue(staged)
//                                        ── message + header records → ctx.changes
//                                        ── ctx.after_commit: Publish | Withdraw
//   channel connection change ── ContainerInstanceTable::SetAgentConnected
//
// Loop thread only.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "control/agents/agent_channel.h"
#include "control/agents/agent_message.h"
#include "control/api/operation.h"
#include "control/state/model.h"

namespace berth::control {

class AgentDispatch {
 public:
  // `endpoint` is what DiscoverPollEndpoint answers ("http://127.0.0.1:8080").
  // Installs the channel's connection callback. Both must outlive this.
  AgentDispatch(agents::AgentChannel& channel, state::Model& model, std::string endpoint);
  AgentDispatch(const AgentDispatch&) = delete;
  AgentDispatch& operator=(const AgentDispatch&) = delete;

  // Start-up, after Model::Load: restores the channel from the stored outbox
  // records (every instance starts disconnected) and marks every container
  // instance's agentConnected false until its agent polls.
  absl::Status Restore();

  // Stages `message` for the agent of `instance_arn`: staged in the channel,
  // its message record and the outbox header put in ctx.changes, and a
  // ctx.after_commit hook that publishes it once durable (withdraws it if
  // the commit failed). ResourceExhausted when the instance's outbox is
  // full, NotFound when the channel does not know the instance.
  absl::Status Send(OpContext& ctx, std::string_view instance_arn, agents::AgentMessage message);

  // RegisterContainerInstance: the channel learns the instance (kept outbox
  // on re-registration), its header record is written.
  void InstanceRegistered(OpContext& ctx, std::string_view instance_arn);
  // DeregisterContainerInstance: the outbox and its records are dropped.
  void InstanceDeregistered(OpContext& ctx, std::string_view instance_arn);

  // The poll's lazy ack persistence (docs/agent-protocol.md, "Durability"):
  // true when the channel's acked_seq for the instance is past the stored
  // header's, and PersistAck() records the header (which also deletes the
  // acknowledged message records). PersistAck does nothing for an instance
  // the channel no longer knows.
  bool AckUnpersisted(std::string_view instance_arn) const;
  void PersistAck(OpContext& ctx, std::string_view instance_arn);

  // Container instances whose agent is connected (the /metrics gauge).
  size_t ConnectedInstances() const;

  // DiscoverPollEndpoint's answer.
  const std::string& endpoint() const { return endpoint_; }
  agents::AgentChannel& channel() { return channel_; }

 private:
  agents::AgentChannel& channel_;
  void PutHeader(OpContext& ctx, std::string_view instance_arn);

  state::Model& model_;
  std::string endpoint_;
};

}  // namespace berth::control

#endif  // BERTH_CONTROL_API_AGENT_DISPATCH_H_
