// AgentChannel's snapshot and restore: what survives a control-plane restart
// (docs/agent-protocol.md, "Durability").

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "control/agents/agent_channel.h"

namespace berth::agents {

std::optional<OutboxRecord> AgentChannel::SnapshotInstance(
    absl::string_view instance_arn) const {
  const Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    return std::nullopt;
  }
  OutboxRecord record{.instance_arn = box->arn, .last_seq = box->last_seq,
                      .acked_seq = box->acked_seq, .messages = {}};
  for (const Entry& e : box->entries) {
    if (!e.staged) {
      record.messages.push_back(e.msg);
    }
  }
  return record;
}

std::optional<OutboxRecord> AgentChannel::SnapshotHeader(absl::string_view instance_arn) const {
  const Outbox* box = Find(instance_arn);
  if (box == nullptr) {
    return std::nullopt;
  }
  return OutboxRecord{.instance_arn = box->arn, .last_seq = box->last_seq,
                      .acked_seq = box->acked_seq, .messages = {}};
}

std::vector<OutboxRecord> AgentChannel::Snapshot() const {
  std::vector<OutboxRecord> out;
  out.reserve(boxes_.size());
  for (const auto& [arn, box] : boxes_) {
    out.push_back(*SnapshotInstance(arn));
  }
  std::sort(out.begin(), out.end(), [](const OutboxRecord& a, const OutboxRecord& b) {
    return a.instance_arn < b.instance_arn;
  });
  return out;
}

absl::Status AgentChannel::Restore(std::vector<OutboxRecord> records) {
  absl::flat_hash_set<std::string> seen;
  for (const OutboxRecord& r : records) {
    if (!seen.insert(r.instance_arn).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("failed to restore agent outboxes: ", r.instance_arn, " appears twice"));
    }
    if (r.acked_seq > r.last_seq) {
      return absl::InvalidArgumentError(absl::StrCat(
          "failed to restore the agent outbox of ", r.instance_arn, ": acked_seq ",
          r.acked_seq, " is past last_seq ", r.last_seq));
    }
    uint64_t prev = 0;
    for (const SequencedMessage& m : r.messages) {
      if (m.seq <= prev || m.seq > r.last_seq) {
        return absl::InvalidArgumentError(absl::StrCat(
            "failed to restore the agent outbox of ", r.instance_arn, ": message ", m.seq,
            " is out of order or past last_seq ", r.last_seq));
      }
      prev = m.seq;
    }
  }
  for (auto& [arn, box] : boxes_) {
    if (box->held.has_value()) {
      loop_.CancelTimer(box->held->timer);
    }
    if (box->disconnect_timer != 0) {
      loop_.CancelTimer(box->disconnect_timer);
    }
  }
  boxes_.clear();
  for (OutboxRecord& r : records) {
    auto box = std::make_unique<Outbox>();
    box->arn = std::move(r.instance_arn);
    box->last_seq = r.last_seq;
    box->acked_seq = r.acked_seq;
    for (SequencedMessage& m : r.messages) {
      if (m.seq <= r.acked_seq) {
        continue;
      }
      box->bytes += SizeOf(m.message);
      // Delivered before the restart, perhaps: count a later answer as a
      // redelivery, which is what the agent will see.
      box->entries.push_back(Entry{.msg = std::move(m), .staged = false, .delivered = true});
    }
    box->connected = false;
    std::string key = box->arn;
    boxes_.emplace(std::move(key), std::move(box));
  }
  return absl::OkStatus();
}

}  // namespace berth::agents
