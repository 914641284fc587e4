#include "control/api/agent_dispatch.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ecs/arn.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::control {

AgentDispatch::AgentDispatch(agents::AgentChannel& channel, state::Model& model,
                             std::string endpoint)
    : channel_(channel), model_(model), endpoint_(std::move(endpoint)) {
  channel_.set_on_connection_change([this](absl::string_view arn, bool connected) {
    model_.container_instances().SetAgentConnected(ecs::IdOfArnOrId(Std(arn)), connected);
  });
}

absl::Status AgentDispatch::Restore() {
  absl::StatusOr<std::vector<agents::OutboxRecord>> records =
      model_.agent_outboxes().TakeLoaded();
  if (!records.ok()) {
    return records.status();
  }
  std::set<std::string, std::less<>> stored;
  for (const agents::OutboxRecord& r : *records) {
    stored.insert(r.instance_arn);
  }
  // Registered instances with no stored outbox (nothing was ever sent to
  // them, or they were registered before the agent channel existed) get an
  // empty one, restored like the rest so the channel and the model agree that
  // they start disconnected.
  for (const auto& [key, entry] : model_.container_instances().entries()) {
    const std::string& arn = entry.instance.container_instance_arn;
    if (entry.registered() && !stored.contains(arn)) {
      records->push_back(agents::OutboxRecord{
          .instance_arn = arn, .last_seq = 0, .acked_seq = 0, .messages = {}});
    }
  }
  if (absl::Status s = channel_.Restore(*std::move(records)); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("the stored agent outboxes do not restore: ", s.message()));
  }
  std::vector<std::string> ids;
  for (const auto& [key, entry] : model_.container_instances().entries()) {
    ids.push_back(entry.id);
  }
  for (const std::string& id : ids) {
    model_.container_instances().SetAgentConnected(id, false);
  }
  return absl::OkStatus();
}

void AgentDispatch::PutHeader(OpContext& ctx, std::string_view instance_arn) {
  std::optional<agents::OutboxRecord> header = channel_.SnapshotHeader(Absl(instance_arn));
  if (!header.has_value()) {
    return;
  }
  ctx.model.agent_outboxes().PutHeader(
      ecs::IdOfArnOrId(instance_arn),
      state::AgentOutboxHeader{.instance_arn = std::move(header->instance_arn),
                               .last_seq = header->last_seq,
                               .acked_seq = header->acked_seq},
      ctx.changes);
}

absl::Status AgentDispatch::Send(OpContext& ctx, std::string_view instance_arn,
                                 agents::AgentMessage message) {
  absl::StatusOr<uint64_t> seq =
      channel_.Enqueue(Absl(instance_arn), message, /*stage=*/true);
  if (!seq.ok()) {
    return seq.status();  // ResourceExhausted (outbox full) or NotFound
  }
  ctx.model.agent_outboxes().PutMessage(
      ecs::IdOfArnOrId(instance_arn),
      agents::SequencedMessage{.seq = *seq, .message = std::move(message)}, ctx.changes);
  PutHeader(ctx, instance_arn);
  ctx.after_commit.push_back([this, arn = std::string(instance_arn), seq = *seq](bool durable) {
    absl::Status s = durable ? channel_.Publish(arn, seq) : channel_.Withdraw(arn, seq);
    if (!s.ok()) {
      // The instance was deregistered while the commit was in flight.
      LOG(INFO) << "agent message " << seq << " for " << arn << " was not "
                << (durable ? "published" : "withdrawn") << ": " << s.message();
    }
  });
  return absl::OkStatus();
}

void AgentDispatch::InstanceRegistered(OpContext& ctx, std::string_view instance_arn) {
  // A header kept from an earlier registration: numbering goes on from it.
  const state::AgentOutboxHeader* kept =
      ctx.model.agent_outboxes().Find(ecs::IdOfArnOrId(instance_arn));
  channel_.AddInstance(Absl(instance_arn), kept == nullptr ? 0 : kept->last_seq);
  PutHeader(ctx, instance_arn);
}

void AgentDispatch::InstanceDeregistered(OpContext& ctx, std::string_view instance_arn) {
  std::optional<agents::OutboxRecord> header = channel_.SnapshotHeader(Absl(instance_arn));
  channel_.Forget(Absl(instance_arn));
  std::string_view id = ecs::IdOfArnOrId(instance_arn);
  if (!header.has_value()) {
    ctx.model.agent_outboxes().Delete(id, ctx.changes);
    return;
  }
  // The messages go; the header stays with everything acknowledged, so a
  // re-registration with the saved ARN numbers on from last_seq and the
  // agent, which skips numbers it has applied, misses nothing.
  ctx.model.agent_outboxes().PutHeader(
      id,
      state::AgentOutboxHeader{.instance_arn = std::string(instance_arn),
                               .last_seq = header->last_seq,
                               .acked_seq = header->last_seq},
      ctx.changes);
}

bool AgentDispatch::AckUnpersisted(std::string_view instance_arn) const {
  std::optional<agents::OutboxRecord> header = channel_.SnapshotHeader(Absl(instance_arn));
  if (!header.has_value()) {
    return false;
  }
  const state::AgentOutboxHeader* stored =
      model_.agent_outboxes().Find(ecs::IdOfArnOrId(instance_arn));
  return header->acked_seq > (stored == nullptr ? 0 : stored->acked_seq);
}

void AgentDispatch::PersistAck(OpContext& ctx, std::string_view instance_arn) {
  if (AckUnpersisted(instance_arn)) {
    PutHeader(ctx, instance_arn);
  }
}

size_t AgentDispatch::ConnectedInstances() const {
  size_t n = 0;
  for (const auto& [key, entry] : model_.container_instances().entries()) {
    if (entry.registered() && entry.instance.agent_connected) {
      ++n;
    }
  }
  return n;
}

}  // namespace berth::control
