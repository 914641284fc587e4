#ifndef BERTH_CONTROL_STATE_AGENT_OUTBOX_TABLE_H_
#define BERTH_CONTROL_STATE_AGENT_OUTBOX_TABLE_H_

// The stored agent outboxes (docs/agent-protocol.md, "Control-plane
// restarts"): what AgentChannel::Restore needs after a restart.
//
//   agent_outbox   <instance id>                    → {"instanceArn","lastSeq","ackedSeq"}
//   agent_messages <instance id>/<seq, 20 digits>   → {"kind","taskArn","desiredStatus",
//                                                      "reason","payload"}
//
// The table keeps in memory only what deciding writes needs: each
// instance's stored header and which message records exist. The messages
// themselves live in the AgentChannel; the ones read at start-up are held
// until TakeLoaded() hands them to AgentDispatch::Restore.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "control/agents/agent_message.h"
#include "control/state/change_set.h"

namespace berth::control::state {

// One instance's outbox header.
struct AgentOutboxHeader {
  std::string instance_arn;
  uint64_t last_seq = 0;   // highest sequence number ever assigned
  uint64_t acked_seq = 0;  // highest acknowledged (persisted lazily)
  friend bool operator==(const AgentOutboxHeader&, const AgentOutboxHeader&) = default;
};

// Record codecs. Decoders check what they read (DataLoss on damage).
std::string EncodeAgentOutboxHeader(const AgentOutboxHeader& header);
absl::StatusOr<AgentOutboxHeader> DecodeAgentOutboxHeader(std::string_view json);
std::string EncodeAgentMessage(const agents::AgentMessage& message);
absl::StatusOr<agents::AgentMessage> DecodeAgentMessage(std::string_view json);

class AgentOutboxTable {
 public:
  static constexpr std::string_view kTable = "agent_outbox";
  static constexpr std::string_view kMessagesTable = "agent_messages";

  // "<instance id>/<seq zero-padded to 20 digits>": byte order is seq order.
  static std::string MessageKey(std::string_view instance_id, uint64_t seq);

  // The header last recorded for the instance, or nullptr.
  const AgentOutboxHeader* Find(std::string_view instance_id) const;

  // Records the header and deletes the instance's stored messages at or
  // below its acked_seq.
  void PutHeader(std::string_view instance_id, AgentOutboxHeader header, ChangeSet& changes);
  // Records one message (its header must be put in the same ChangeSet).
  void PutMessage(std::string_view instance_id, const agents::SequencedMessage& message,
                  ChangeSet& changes);
  // Deletes the header and every stored message of the instance (no-op if
  // it has none).
  void Delete(std::string_view instance_id, ChangeSet& changes);

  // Start-up: one stored record of either table.
  absl::Status LoadHeader(std::string_view key, std::string_view value);
  absl::Status LoadMessage(std::string_view key, std::string_view value);
  // Start-up, once every record is loaded: the outboxes as AgentChannel
  // takes them, ordered by instance ARN. DataLoss (naming the table and key)
  // for a message with no header or numbered past its header's last_seq.
  // Hands the loaded messages over (a second call returns no messages).
  absl::StatusOr<std::vector<agents::OutboxRecord>> TakeLoaded();

  size_t size() const { return by_id_.size(); }

 private:
  struct Stored {
    bool has_header = false;
    AgentOutboxHeader header;
    std::set<uint64_t> seqs;  // message records that exist
  };
  std::map<std::string, Stored, std::less<>> by_id_;
  // Messages read at start-up, by instance id, until TakeLoaded().
  std::map<std::string, std::map<uint64_t, agents::AgentMessage>, std::less<>> loaded_;
};

}  // namespace berth::control::state

#endif  // BERTH_CONTROL_STATE_AGENT_OUTBOX_TABLE_H_
