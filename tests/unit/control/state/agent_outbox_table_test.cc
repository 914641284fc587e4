#include "control/state/agent_outbox_table.h"

#include "control/state/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"

namespace berth::control::state {
namespace {

using ::testing::HasSubstr;

constexpr char kArn[] =
    "arn:aws:ecs:us-east-1:000000000000:container-instance/default/"
    "0123456789abcdef0123456789abcdef";
constexpr char kId[] = "0123456789abcdef0123456789abcdef";

agents::AgentMessage Task(std::string arn) {
  return agents::AgentMessage{.kind = agents::AgentMessage::Kind::kTask,
                              .task_arn = std::move(arn),
                              .desired_status = "RUNNING",
                              .reason = "",
                              .payload = R"({"containers":[]})"};
}

std::vector<std::string> Keys(const ChangeSet& changes, bool puts) {
  std::vector<std::string> out;
  for (const Mutation& m : changes.mutations()) {
    if (m.value.has_value() == puts) {
      out.push_back(m.table + ":" + m.key);
    }
  }
  return out;
}

TEST(AgentOutboxRecordsTest, HeaderAndMessageRoundTrip) {
  AgentOutboxHeader header{.instance_arn = kArn, .last_seq = 18, .acked_seq = 17};
  absl::StatusOr<AgentOutboxHeader> back = DecodeAgentOutboxHeader(EncodeAgentOutboxHeader(header));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, header);

  agents::AgentMessage stop{.kind = agents::AgentMessage::Kind::kStop,
                            .task_arn = "arn:task",
                            .desired_status = "STOPPED",
                            .reason = "Task stopped by user",
                            .payload = ""};
  for (const agents::AgentMessage& m : {Task("arn:task"), stop}) {
    absl::StatusOr<agents::AgentMessage> decoded = DecodeAgentMessage(EncodeAgentMessage(m));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->kind, m.kind);
    EXPECT_EQ(decoded->task_arn, m.task_arn);
    EXPECT_EQ(decoded->desired_status, m.desired_status);
    EXPECT_EQ(decoded->reason, m.reason);
    EXPECT_EQ(decoded->payload, m.payload);
  }
}

TEST(AgentOutboxRecordsTest, DamagedRecordsAreDataLoss) {
  for (const char* bad :
       {"", "[]", R"({"lastSeq":1,"ackedSeq":0})", R"({"instanceArn":"a","ackedSeq":0})",
        R"({"instanceArn":"a","lastSeq":-1,"ackedSeq":0})",
        R"({"instanceArn":"a","lastSeq":1.5,"ackedSeq":0})",
        R"({"instanceArn":"a","lastSeq":1,"ackedSeq":2})",
        R"({"instanceArn":"","lastSeq":1,"ackedSeq":0})"}) {
    EXPECT_EQ(DecodeAgentOutboxHeader(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  for (const char* bad :
       {"{", R"({"taskArn":"t","desiredStatus":"RUNNING"})",
        R"({"kind":"launch","taskArn":"t","desiredStatus":"RUNNING"})",
        R"({"kind":"task","desiredStatus":"RUNNING"})", R"({"kind":"task","taskArn":"t"})",
        R"({"kind":"task","taskArn":"t","desiredStatus":"RUNNING","payload":{}})"}) {
    EXPECT_EQ(DecodeAgentMessage(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(AgentOutboxTableTest, MessageKeysSortBySequenceNumber) {
  EXPECT_EQ(AgentOutboxTable::MessageKey("abc", 7), "abc/00000000000000000007");
  EXPECT_EQ(AgentOutboxTable::MessageKey("abc", UINT64_MAX), "abc/18446744073709551615");
  EXPECT_LT(AgentOutboxTable::MessageKey("abc", 9), AgentOutboxTable::MessageKey("abc", 10));
}

TEST(AgentOutboxTableTest, AHeaderDeletesTheAcknowledgedMessagesAndDeleteDropsAll) {
  AgentOutboxTable table;
  ChangeSet changes;
  for (uint64_t seq : {1, 2, 3}) {
    table.PutMessage(kId, {.seq = seq, .message = Task("t")}, changes);
  }
  table.PutHeader(kId, {.instance_arn = kArn, .last_seq = 3, .acked_seq = 0}, changes);
  EXPECT_EQ(Keys(changes, false).size(), 0u);
  ASSERT_NE(table.Find(kId), nullptr);
  EXPECT_EQ(table.Find(kId)->last_seq, 3u);

  ChangeSet ack;
  table.PutHeader(kId, {.instance_arn = kArn, .last_seq = 3, .acked_seq = 2}, ack);
  EXPECT_THAT(Keys(ack, true), ::testing::ElementsAre(std::string("agent_outbox:") + kId));
  EXPECT_THAT(Keys(ack, false),
              ::testing::ElementsAre(
                  absl::StrCat("agent_messages:", kId, "/00000000000000000001"),
                  absl::StrCat("agent_messages:", kId, "/00000000000000000002")));

  ChangeSet gone;
  table.Delete(kId, gone);
  EXPECT_THAT(Keys(gone, false),
              ::testing::UnorderedElementsAre(
                  absl::StrCat("agent_messages:", kId, "/00000000000000000003"),
                  std::string("agent_outbox:") + kId));
  EXPECT_EQ(table.Find(kId), nullptr);
  ChangeSet again;
  table.Delete(kId, again);
  EXPECT_TRUE(again.empty());
}

// Writes `changes` to the store as a commit would.
void Apply(testing::FakeStore& store, const ChangeSet& changes) {
  for (const Mutation& m : changes.mutations()) {
    if (m.value.has_value()) {
      store.Put(m.table, m.key, *m.value);
    }
  }
}

TEST(AgentOutboxTableTest, ModelLoadGivesTheOutboxesBack) {
  AgentOutboxTable table;
  ChangeSet changes;
  table.PutMessage(kId, {.seq = 4, .message = Task("t4")}, changes);
  table.PutMessage(kId, {.seq = 5, .message = Task("t5")}, changes);
  table.PutHeader(kId, {.instance_arn = kArn, .last_seq = 5, .acked_seq = 3}, changes);
  testing::FakeStore store;
  Apply(store, changes);

  Model model(ecs::ArnScope{});
  ASSERT_TRUE(model.Load(store).ok());
  absl::StatusOr<std::vector<agents::OutboxRecord>> records =
      model.agent_outboxes().TakeLoaded();
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const agents::OutboxRecord& r = (*records)[0];
  EXPECT_EQ(r.instance_arn, kArn);
  EXPECT_EQ(r.last_seq, 5u);
  EXPECT_EQ(r.acked_seq, 3u);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].seq, 4u);
  EXPECT_EQ(r.messages[1].message.task_arn, "t5");
  // The loaded messages were handed over; what is stored is still known.
  EXPECT_TRUE(model.agent_outboxes().TakeLoaded()->at(0).messages.empty());
  ChangeSet gone;
  model.agent_outboxes().Delete(kId, gone);
  EXPECT_EQ(gone.size(), 3u);
}

TEST(AgentOutboxTableTest, InconsistentStoredOutboxesAreDataLossNamingTheRecord) {
  AgentOutboxHeader header{.instance_arn = kArn, .last_seq = 2, .acked_seq = 0};
  std::string message = EncodeAgentMessage(Task("t"));
  {
    testing::FakeStore store;  // a message with no header
    store.Put("agent_messages", absl::StrCat(kId, "/00000000000000000001"), message);
    Model model(ecs::ArnScope{});
    ASSERT_TRUE(model.Load(store).ok());
    absl::Status s = model.agent_outboxes().TakeLoaded().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("agent_messages record '", kId,
                                                    "/00000000000000000001'")));
  }
  {
    testing::FakeStore store;  // a message past lastSeq
    store.Put("agent_outbox", kId, EncodeAgentOutboxHeader(header));
    store.Put("agent_messages", absl::StrCat(kId, "/00000000000000000003"), message);
    Model model(ecs::ArnScope{});
    ASSERT_TRUE(model.Load(store).ok());
    absl::Status s = model.agent_outboxes().TakeLoaded().status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(s.message(), HasSubstr("past its outbox's lastSeq 2"));
  }
  for (auto [table, key, value] :
       {std::tuple{"agent_outbox", std::string("other-id"), EncodeAgentOutboxHeader(header)},
        std::tuple{"agent_outbox", std::string(kId), std::string("{}")},
        std::tuple{"agent_messages", absl::StrCat(kId, "/7"), message},
        std::tuple{"agent_messages", absl::StrCat(kId, "/0000000000000000000x"), message},
        std::tuple{"agent_messages", absl::StrCat(kId, "/00000000000000000000"), message},
        std::tuple{"agent_messages", std::string("/00000000000000000001"), message},
        std::tuple{"agent_messages", absl::StrCat(kId, "/00000000000000000001"),
                   std::string(R"({"kind":"x"})")}}) {
    testing::FakeStore store;
    store.Put(table, key, value);
    Model model(ecs::ArnScope{});
    absl::Status s = model.Load(store);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << table << " " << key;
    EXPECT_THAT(s.message(), HasSubstr(absl::StrCat(table, " record '", key, "'")));
  }
}

}  // namespace
}  // namespace berth::control::state
