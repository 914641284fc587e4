#include "control/state/agent_outbox_table.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"
#include "ecs/json_text.h"
#include "io/absl_compat.h"

namespace berth::control::state {
namespace {

constexpr size_t kSeqDigits = 20;  // UINT64_MAX has 20 digits

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError(absl::StrCat("invalid record: ", Absl(what)));
}

absl::StatusOr<boost::json::object> ParseObject(std::string_view json) {
  absl::StatusOr<boost::json::value> value = ecs::ParseJson(json);
  if (!value.ok()) {
    return Corrupt(Std(value.status().message()));
  }
  if (!value->is_object()) {
    return Corrupt("not a JSON object");
  }
  return std::move(value->get_object());
}

absl::Status GetString(const boost::json::object& o, std::string_view key, bool required,
                       std::string* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return required ? Corrupt(absl::StrCat("'", Absl(key), "' is missing")) : absl::OkStatus();
  }
  const boost::json::string* s = v->if_string();
  if (s == nullptr) {
    return Corrupt(absl::StrCat("'", Absl(key), "' is not a string"));
  }
  *out = std::string(s->data(), s->size());
  return absl::OkStatus();
}

absl::Status GetSeq(const boost::json::object& o, std::string_view key, uint64_t* out) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return Corrupt(absl::StrCat("'", Absl(key), "' is missing"));
  }
  if (const uint64_t* u = v->if_uint64()) {
    *out = *u;
  } else if (const int64_t* i = v->if_int64(); i != nullptr && *i >= 0) {
    *out = static_cast<uint64_t>(*i);
  } else {
    return Corrupt(absl::StrCat("'", Absl(key), "' is not a non-negative integer"));
  }
  return absl::OkStatus();
}

std::string_view KindName(agents::AgentMessage::Kind kind) {
  return kind == agents::AgentMessage::Kind::kStop ? "stop" : "task";
}

}  // namespace

std::string EncodeAgentOutboxHeader(const AgentOutboxHeader& header) {
  boost::json::object o;
  o["instanceArn"] = header.instance_arn;
  o["lastSeq"] = header.last_seq;
  o["ackedSeq"] = header.acked_seq;
  return boost::json::serialize(o);
}

absl::StatusOr<AgentOutboxHeader> DecodeAgentOutboxHeader(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  AgentOutboxHeader header;
  if (absl::Status s = GetString(*o, "instanceArn", true, &header.instance_arn); !s.ok()) {
    return s;
  }
  if (header.instance_arn.empty()) {
    return Corrupt("'instanceArn' is empty");
  }
  if (absl::Status s = GetSeq(*o, "lastSeq", &header.last_seq); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetSeq(*o, "ackedSeq", &header.acked_seq); !s.ok()) {
    return s;
  }
  if (header.acked_seq > header.last_seq) {
    return Corrupt(absl::StrCat("'ackedSeq' ", header.acked_seq, " is past 'lastSeq' ",
                                header.last_seq));
  }
  return header;
}

std::string EncodeAgentMessage(const agents::AgentMessage& message) {
  boost::json::object o;
  o["kind"] = KindName(message.kind);
  o["taskArn"] = message.task_arn;
  o["desiredStatus"] = message.desired_status;
  if (!message.reason.empty()) {
    o["reason"] = message.reason;
  }
  if (!message.payload.empty()) {
    o["payload"] = message.payload;
  }
  return boost::json::serialize(o);
}

absl::StatusOr<agents::AgentMessage> DecodeAgentMessage(std::string_view json) {
  absl::StatusOr<boost::json::object> o = ParseObject(json);
  if (!o.ok()) {
    return o.status();
  }
  agents::AgentMessage message;
  std::string kind;
  if (absl::Status s = GetString(*o, "kind", true, &kind); !s.ok()) {
    return s;
  }
  if (kind == "task") {
    message.kind = agents::AgentMessage::Kind::kTask;
  } else if (kind == "stop") {
    message.kind = agents::AgentMessage::Kind::kStop;
  } else {
    return Corrupt(absl::StrCat("unknown kind '", kind, "'"));
  }
  for (auto [key, out, required] :
       {std::tuple{"taskArn", &message.task_arn, true},
        std::tuple{"desiredStatus", &message.desired_status, true},
        std::tuple{"reason", &message.reason, false},
        std::tuple{"payload", &message.payload, false}}) {
    if (absl::Status s = GetString(*o, key, required, out); !s.ok()) {
      return s;
    }
  }
  return message;
}

std::string AgentOutboxTable::MessageKey(std::string_view instance_id, uint64_t seq) {
  return absl::StrFormat("%s/%020u", Absl(instance_id), seq);
}

const AgentOutboxHeader* AgentOutboxTable::Find(std::string_view instance_id) const {
  auto it = by_id_.find(instance_id);
  return it == by_id_.end() || !it->second.has_header ? nullptr : &it->second.header;
}

void AgentOutboxTable::PutHeader(std::string_view instance_id, AgentOutboxHeader header,
                                 ChangeSet& changes) {
  auto it = by_id_.find(instance_id);
  if (it == by_id_.end()) {
    it = by_id_.emplace(std::string(instance_id), Stored()).first;
  }
  Stored& stored = it->second;
  changes.Put(kTable, std::string(instance_id), EncodeAgentOutboxHeader(header));
  while (!stored.seqs.empty() && *stored.seqs.begin() <= header.acked_seq) {
    changes.Delete(kMessagesTable, MessageKey(instance_id, *stored.seqs.begin()));
    stored.seqs.erase(stored.seqs.begin());
  }
  stored.has_header = true;
  stored.header = std::move(header);
}

void AgentOutboxTable::PutMessage(std::string_view instance_id,
                                  const agents::SequencedMessage& message, ChangeSet& changes) {
  auto it = by_id_.find(instance_id);
  if (it == by_id_.end()) {
    it = by_id_.emplace(std::string(instance_id), Stored()).first;
  }
  changes.Put(kMessagesTable, MessageKey(instance_id, message.seq),
              EncodeAgentMessage(message.message));
  it->second.seqs.insert(message.seq);
}

void AgentOutboxTable::Delete(std::string_view instance_id, ChangeSet& changes) {
  auto it = by_id_.find(instance_id);
  if (it == by_id_.end()) {
    return;
  }
  for (uint64_t seq : it->second.seqs) {
    changes.Delete(kMessagesTable, MessageKey(instance_id, seq));
  }
  if (it->second.has_header) {
    changes.Delete(kTable, std::string(instance_id));
  }
  by_id_.erase(it);
  loaded_.erase(std::string(instance_id));
}

absl::Status AgentOutboxTable::LoadHeader(std::string_view key, std::string_view value) {
  absl::StatusOr<AgentOutboxHeader> header = DecodeAgentOutboxHeader(value);
  if (!header.ok()) {
    return header.status();
  }
  std::string_view arn = header->instance_arn;
  size_t slash = arn.rfind('/');
  if (key.empty() || key.find('/') != std::string_view::npos ||
      arn.substr(slash == std::string_view::npos ? 0 : slash + 1) != key) {
    return absl::DataLossError(absl::StrCat("the record names container instance '",
                                            header->instance_arn, "', not its key"));
  }
  Stored& stored = by_id_[std::string(key)];
  stored.has_header = true;
  stored.header = *std::move(header);
  return absl::OkStatus();
}

absl::Status AgentOutboxTable::LoadMessage(std::string_view key, std::string_view value) {
  size_t slash = key.find('/');
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  uint64_t seq = 0;
  if (slash == 0 || slash == std::string_view::npos || key.size() - slash - 1 != kSeqDigits ||
      !std::all_of(key.begin() + slash + 1, key.end(), digit) ||
      !absl::SimpleAtoi(Absl(key.substr(slash + 1)), &seq) || seq == 0) {
    return absl::DataLossError("the key is not '<instance id>/<sequence number, 20 digits>'");
  }
  absl::StatusOr<agents::AgentMessage> message = DecodeAgentMessage(value);
  if (!message.ok()) {
    return message.status();
  }
  std::string id(key.substr(0, slash));
  by_id_[id].seqs.insert(seq);
  loaded_[id][seq] = *std::move(message);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<agents::OutboxRecord>> AgentOutboxTable::TakeLoaded() {
  std::vector<agents::OutboxRecord> out;
  for (auto& [id, stored] : by_id_) {
    auto loaded = loaded_.find(id);
    if (!stored.has_header) {
      uint64_t first = stored.seqs.empty() ? 0 : *stored.seqs.begin();
      return absl::DataLossError(absl::StrCat(
          "failed to load ", Absl(kMessagesTable), " record '", MessageKey(id, first),
          "': its container instance has no ", Absl(kTable), " record"));
    }
    agents::OutboxRecord record{.instance_arn = stored.header.instance_arn,
                                .last_seq = stored.header.last_seq,
                                .acked_seq = stored.header.acked_seq,
                                .messages = {}};
    if (loaded != loaded_.end()) {
      for (auto& [seq, message] : loaded->second) {
        if (seq > record.last_seq) {
          return absl::DataLossError(absl::StrCat(
              "failed to load ", Absl(kMessagesTable), " record '", MessageKey(id, seq),
              "': it is numbered past its outbox's lastSeq ", record.last_seq));
        }
        record.messages.push_back({.seq = seq, .message = std::move(message)});
      }
    }
    out.push_back(std::move(record));
  }
  loaded_.clear();
  std::sort(out.begin(), out.end(), [](const agents::OutboxRecord& a,
                                       const agents::OutboxRecord& b) {
    return a.instance_arn < b.instance_arn;
  });
  return out;
}

}  // namespace berth::control::state
