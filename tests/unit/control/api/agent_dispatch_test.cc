#include "control/api/agent_dispatch.h"

#include <optional>
#include <string>
#include <vector>

#include "control/api/ecs_error.h"
#include "control/state/agent_outbox_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"
#include "tests/unit/control/api/op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using testing::OpHarness;

agents::AgentMessage Task(std::string task_arn) {
  return agents::AgentMessage{.kind = agents::AgentMessage::Kind::kTask,
                              .task_arn = std::move(task_arn),
                              .desired_status = "RUNNING",
                              .reason = "",
                              .payload = R"({"taskArn":"x"})"};
}

class AgentDispatchTest : public ::testing::Test {
 protected:
  AgentDispatchTest() {
    agents::AgentChannelOptions options;
    options.max_outbox_messages = 3;
    h_.EnableAgents(options);
    Commit(h_.Ok("CreateCluster", "{}"));
    arn_ = Register();
  }

  // Writes the last harness call's changes to the store, as a durable commit.
  void Commit(const boost::json::object&) { Commit(); }
  void Commit() {
    std::vector<Mutation> batch = h_.changes().mutations();
    store_.Commit(std::move(batch), [](absl::Status) {});
    store_.CompleteAll();
  }

  std::string Register() {
    boost::json::object out = h_.Ok("RegisterContainerInstance", "{}");
    Commit();
    return std::string(out["containerInstance"].as_object()["containerInstanceArn"].as_string());
  }

  // Sends one message from an internal operation; its ChangeSet stays in
  // `changes`, its hooks in `hooks`.
  absl::Status SendOne(std::string task_arn) {
    changes_ = state::ChangeSet();
    OpContext ctx{h_.model(), changes_, rng_, absl::UnixEpoch(), ""};
    ctx.agents = &h_.dispatch();
    absl::Status s = h_.dispatch().Send(ctx, arn_, Task(std::move(task_arn)));
    hooks_ = std::move(ctx.after_commit);
    return s;
  }
  // Writes the last SendOne's changes to the store.
  void CommitSent() {
    store_.Commit(changes_.Take(), [](absl::Status) {});
    store_.CompleteAll();
  }
  void RunHooks(bool durable) {
    for (auto& hook : hooks_) {
      hook(durable);
    }
    hooks_.clear();
  }

  // A poll's answer (nullopt while held).
  std::optional<agents::PollResult> Poll(uint64_t ack, std::string session = "s1") {
    auto result = std::make_shared<std::optional<agents::PollResult>>();
    h_.channel().Poll(arn_, session, ack, [result](agents::PollResult r) { *result = r; });
    return *result;
  }

  std::string Id() const { return std::string(ecs::IdOfArnOrId(arn_)); }
  const ecs::ContainerInstance& Instance() {
    return h_.model().container_instances().FindById(Id())->instance;
  }

  OpHarness h_;
  testing::FakeStore store_;
  io::Rng rng_{1};
  std::string arn_;
  state::ChangeSet changes_;
  std::vector<absl::AnyInvocable<void(bool)>> hooks_;
};

TEST_F(AgentDispatchTest, RegistrationMakesTheInstanceKnownWithAStoredHeader) {
  EXPECT_TRUE(h_.channel().Known(arn_));
  ASSERT_EQ(store_.data().at("agent_outbox").count(Id()), 1u);
  absl::StatusOr<state::AgentOutboxHeader> header =
      state::DecodeAgentOutboxHeader(store_.data().at("agent_outbox").at(Id()));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->instance_arn, arn_);
  EXPECT_EQ(header->last_seq, 0u);
}

TEST_F(AgentDispatchTest, ASentMessageIsDeliverableOnlyOnceItsCommitIsDurable) {
  ASSERT_TRUE(SendOne("task-1").ok());
  // The message record and the header are in the ChangeSet.
  ASSERT_EQ(changes_.size(), 2u);
  EXPECT_EQ(changes_.mutations()[0].table, "agent_messages");
  EXPECT_EQ(changes_.mutations()[0].key, state::AgentOutboxTable::MessageKey(Id(), 1));
  EXPECT_EQ(changes_.mutations()[1].table, "agent_outbox");
  EXPECT_THAT(*changes_.mutations()[1].value, HasSubstr(R"("lastSeq":1)"));
  // Staged: a poll is held, nothing delivered.
  EXPECT_FALSE(Poll(0).has_value());
  EXPECT_EQ(h_.channel().Pending(arn_), 1u);

  auto answer = std::make_shared<std::optional<agents::PollResult>>();
  h_.channel().Poll(arn_, "s1", 0, [answer](agents::PollResult r) { *answer = r; });
  RunHooks(true);  // durable: published, and the held poll wakes
  ASSERT_TRUE(answer->has_value());
  ASSERT_EQ((*answer)->kind, agents::PollResult::Kind::kMessages);
  ASSERT_EQ((*answer)->messages.size(), 1u);
  EXPECT_EQ((*answer)->messages[0].seq, 1u);
  EXPECT_EQ((*answer)->messages[0].message.task_arn, "task-1");
}

TEST_F(AgentDispatchTest, AFailedCommitWithdrawsTheMessage) {
  ASSERT_TRUE(SendOne("task-1").ok());
  RunHooks(false);
  EXPECT_EQ(h_.channel().Pending(arn_), 0u);
  // Its number is not reused.
  ASSERT_TRUE(SendOne("task-2").ok());
  RunHooks(true);
  std::optional<agents::PollResult> r = Poll(0);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->messages[0].seq, 2u);
}

TEST_F(AgentDispatchTest, AFullOutboxAndAnUnknownInstanceAreReturnedAsIs) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(SendOne("t").ok());
    RunHooks(true);
  }
  absl::Status full = SendOne("t");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(changes_.empty());
  EXPECT_TRUE(hooks_.empty());
  arn_ = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/ffff";
  EXPECT_EQ(SendOne("t").code(), absl::StatusCode::kNotFound);
}

TEST_F(AgentDispatchTest, TheHarnessShowsWhatOperationsSent) {
  ASSERT_TRUE(SendOne("task-1").ok());
  RunHooks(true);
  std::vector<agents::SequencedMessage> sent = h_.SentTo(arn_);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].message.task_arn, "task-1");
  EXPECT_TRUE(h_.SentTo("arn:unknown").empty());
}

TEST_F(AgentDispatchTest, ConnectionChangesSetAgentConnected) {
  EXPECT_TRUE(Instance().agent_connected);
  h_.agent_loop().AdvanceTime(absl::Seconds(61));
  EXPECT_FALSE(Instance().agent_connected);
  EXPECT_FALSE(Poll(0).has_value());  // held: connected again at once
  EXPECT_TRUE(Instance().agent_connected);
}

TEST_F(AgentDispatchTest, DeregistrationDropsTheOutboxAndItsMessagesButKeepsTheNumbering) {
  ASSERT_TRUE(SendOne("task-1").ok());
  RunHooks(true);
  CommitSent();
  ASSERT_EQ(store_.data().at("agent_messages").size(), 1u);
  h_.Ok("DeregisterContainerInstance", "{\"containerInstance\":\"" + arn_ + "\"}");
  Commit();
  EXPECT_FALSE(h_.channel().Known(arn_));
  EXPECT_TRUE(store_.data().at("agent_messages").empty());
  // The header stays, everything acknowledged: lastSeq 1.
  ASSERT_EQ(store_.data().at("agent_outbox").count(Id()), 1u);
  ASSERT_NE(h_.model().agent_outboxes().Find(Id()), nullptr);
  EXPECT_EQ(h_.model().agent_outboxes().Find(Id())->last_seq, 1u);
  EXPECT_EQ(h_.model().agent_outboxes().Find(Id())->acked_seq, 1u);

  // Registered again with the saved ARN: numbering goes on past 1, so an
  // agent that applied 1 skips nothing new.
  h_.Ok("RegisterContainerInstance", "{\"containerInstanceArn\":\"" + arn_ + "\"}");
  Commit();
  ASSERT_TRUE(h_.channel().Known(arn_));
  ASSERT_TRUE(SendOne("task-2").ok());
  RunHooks(true);
  std::optional<agents::OutboxRecord> box = h_.channel().SnapshotInstance(arn_);
  ASSERT_TRUE(box.has_value());
  ASSERT_EQ(box->messages.size(), 1u);
  EXPECT_EQ(box->messages[0].seq, 2u);
  EXPECT_EQ(box->messages[0].message.task_arn, "task-2");
}

TEST_F(AgentDispatchTest, RestoreFromTheRecordsGivesTheSameOutboxesAllDisconnected) {
  for (const char* t : {"t1", "t2", "t3"}) {
    ASSERT_TRUE(SendOne(t).ok());
    RunHooks(true);
    CommitSent();
  }
  // The agent got 1-3 and applied 1; the header is persisted lazily.
  ASSERT_EQ(Poll(0)->messages.size(), 3u);
  ASSERT_EQ(Poll(1)->messages.size(), 2u);
  {
    state::ChangeSet ack;
    OpContext ctx{h_.model(), ack, rng_, absl::UnixEpoch(), ""};
    EXPECT_TRUE(h_.dispatch().AckUnpersisted(arn_));
    h_.dispatch().PersistAck(ctx, arn_);
    EXPECT_FALSE(h_.dispatch().AckUnpersisted(arn_));
    ASSERT_EQ(ack.size(), 2u);  // the header, and message 1 deleted
    store_.Commit(ack.Take(), [](absl::Status) {});
    store_.CompleteAll();
  }
  // A second instance that was registered while nothing was stored for it
  // (as before the agent channel existed).
  std::string other = Register();
  store_.Commit({Mutation::Delete("agent_outbox", std::string(ecs::IdOfArnOrId(other)))},
                [](absl::Status) {});
  store_.CompleteAll();

  std::optional<agents::OutboxRecord> before = h_.channel().SnapshotInstance(arn_);
  state::Model model(ecs::ArnScope{});
  ASSERT_TRUE(model.Load(store_).ok());
  io::FakeLoop loop;
  agents::AgentChannel channel(loop);
  AgentDispatch dispatch(channel, model, "http://x");
  ASSERT_TRUE(dispatch.Restore().ok());

  std::optional<agents::OutboxRecord> after = channel.SnapshotInstance(arn_);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->last_seq, before->last_seq);
  EXPECT_EQ(after->acked_seq, 1u);
  ASSERT_EQ(after->messages.size(), 2u);
  EXPECT_EQ(after->messages[0].seq, 2u);
  EXPECT_EQ(after->messages[1].message.task_arn, "t3");
  EXPECT_TRUE(channel.Known(other));
  for (const auto& [key, entry] : model.container_instances().entries()) {
    EXPECT_FALSE(entry.instance.agent_connected) << key;
    EXPECT_FALSE(channel.IsConnected(entry.instance.container_instance_arn));
  }
  // The agent's next poll connects it, in the channel and the model.
  auto answer = std::make_shared<std::optional<agents::PollResult>>();
  channel.Poll(arn_, "s2", 1, [answer](agents::PollResult r) { *answer = r; });
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->messages.size(), 2u);
  EXPECT_TRUE(model.container_instances().FindById(Id())->instance.agent_connected);
}

TEST_F(AgentDispatchTest, ADamagedStoredOutboxRefusesToRestore) {
  store_.Put("agent_messages", state::AgentOutboxTable::MessageKey("nobody", 1),
             state::EncodeAgentMessage(Task("t")));
  state::Model model(ecs::ArnScope{});
  ASSERT_TRUE(model.Load(store_).ok());
  io::FakeLoop loop;
  agents::AgentChannel channel(loop);
  AgentDispatch dispatch(channel, model, "http://x");
  absl::Status s = dispatch.Restore();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("nobody/00000000000000000001"));
}

TEST(DiscoverPollEndpointTest, AnswersTheDispatchEndpoint) {
  OpHarness h;
  EXPECT_EQ(h.Error("DiscoverPollEndpoint", "{}"),
            "ServerException: The agent channel is not enabled on this server.");
  h.EnableAgents();
  EXPECT_EQ(testing::Json(h.Ok("DiscoverPollEndpoint", R"({"containerInstance":"abc"})")),
            R"({"endpoint":"http://127.0.0.1:8080","telemetryEndpoint":"http://127.0.0.1:8080"})");
  EXPECT_EQ(h.Error("DiscoverPollEndpoint", R"({"cluster":"nope"})"),
            "ClusterNotFoundException: Cluster not found.");
  EXPECT_EQ(h.Error("DiscoverPollEndpoint", R"({"cluster":7})"),
            "SerializationException: Invalid type for 'cluster': expected a string, got an "
            "integer.");
}

}  // namespace
}  // namespace berth::control
