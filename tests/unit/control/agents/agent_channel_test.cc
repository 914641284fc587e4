// AgentChannel on a FakeLoop: delivery, long polls, acks, superseding,
// connection tracking, caps, staging and snapshot/restore.

#include "control/agents/agent_channel.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"

namespace berth::agents {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kArn[] = "arn:aws:ecs:us-east-1:123456789012:container-instance/default/"
                        "0123456789abcdef0123456789abcdef";

AgentMessage Task(std::string arn) {
  return AgentMessage{.kind = AgentMessage::Kind::kTask, .task_arn = std::move(arn),
                      .desired_status = "RUNNING", .reason = "", .payload = "{}"};
}

std::vector<uint64_t> Seqs(const PollResult& r) {
  std::vector<uint64_t> out;
  for (const SequencedMessage& m : r.messages) {
    out.push_back(m.seq);
  }
  return out;
}

class AgentChannelTest : public ::testing::Test {
 protected:
  AgentChannelTest() : channel_(loop_) {
    channel_.set_on_connection_change([this](absl::string_view arn, bool connected) {
      changes_.emplace_back(std::string(arn), connected);
    });
    channel_.AddInstance(kArn);
  }

  // Polls and records the answer in `slot` whenever it comes.
  void PollInto(std::optional<PollResult>& slot, uint64_t ack, std::string session = "s1") {
    channel_.Poll(kArn, session, ack, [&slot](PollResult r) { slot = std::move(r); });
  }

  io::FakeLoop loop_;
  AgentChannel channel_;
  std::vector<std::pair<std::string, bool>> changes_;
};

TEST_F(AgentChannelTest, DeliversAtOnceWhenMessagesArePending) {
  ASSERT_EQ(*channel_.Enqueue(kArn, Task("t1")), 1u);
  ASSERT_EQ(*channel_.Enqueue(kArn, Task("t2")), 2u);
  std::optional<PollResult> r;
  PollInto(r, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, PollResult::Kind::kMessages);
  EXPECT_THAT(Seqs(*r), ElementsAre(1, 2));
  EXPECT_EQ(r->messages[1].message.task_arn, "t2");
  EXPECT_EQ(r->epoch, 1u);
}

TEST_F(AgentChannelTest, HeldPollWakesOnEnqueue) {
  std::optional<PollResult> r;
  PollInto(r, 0);
  loop_.AdvanceTime(absl::Seconds(5));
  EXPECT_FALSE(r.has_value());
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("t1")).ok());
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(Seqs(*r), ElementsAre(1));
}

TEST_F(AgentChannelTest, HeldPollAnswersHeartbeatAtExactlyThePollTimeout) {
  std::optional<PollResult> r;
  PollInto(r, 0);
  loop_.AdvanceTime(absl::Seconds(20) - absl::Nanoseconds(1));
  EXPECT_FALSE(r.has_value());
  loop_.AdvanceTime(absl::Nanoseconds(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, PollResult::Kind::kHeartbeat);
  EXPECT_TRUE(r->messages.empty());
  EXPECT_EQ(channel_.stats().heartbeats, 1u);
}

TEST_F(AgentChannelTest, AckDropsMessagesAndUnackedAreRedelivered) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(channel_.Enqueue(kArn, Task("t")).ok());
  }
  std::optional<PollResult> r;
  PollInto(r, 0);
  EXPECT_THAT(Seqs(*r), ElementsAre(1, 2, 3));
  // The answer was lost on the wire after the agent applied only 1; it
  // reconnects (a new session) and gets 2 and 3 again, with the same numbers.
  r.reset();
  PollInto(r, 1, "s2");
  EXPECT_THAT(Seqs(*r), ElementsAre(2, 3));
  EXPECT_EQ(r->epoch, 2u);
  EXPECT_EQ(channel_.Pending(kArn), 2u);
  EXPECT_EQ(channel_.stats().redelivered, 2u);
  r.reset();
  PollInto(r, 3, "s2");
  EXPECT_FALSE(r.has_value());  // held: nothing past 3
  EXPECT_EQ(channel_.Pending(kArn), 0u);
  ASSERT_EQ(*channel_.Enqueue(kArn, Task("t4")), 4u);
  EXPECT_THAT(Seqs(*r), ElementsAre(4));
}

TEST_F(AgentChannelTest, AnswerHeldPollsAnswersAtOnceForShutdown) {
  std::optional<PollResult> r;
  PollInto(r, 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(channel_.AnswerHeldPolls(), 1u);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, PollResult::Kind::kHeartbeat);
  EXPECT_EQ(channel_.AnswerHeldPolls(), 0u);
  loop_.AdvanceTime(absl::Seconds(20));  // the cancelled timeout answers nothing twice
  EXPECT_EQ(channel_.stats().heartbeats, 1u);
}

TEST_F(AgentChannelTest, SecondPollSupersedesTheHeldOne) {
  std::optional<PollResult> first, second;
  PollInto(first, 0);
  PollInto(second, 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind, PollResult::Kind::kSuperseded);
  EXPECT_FALSE(second.has_value());
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("t1")).ok());
  ASSERT_TRUE(second.has_value());
  EXPECT_THAT(Seqs(*second), ElementsAre(1));
  // The superseded poll's timer must not answer the new one early.
  std::optional<PollResult> third;
  PollInto(third, 1);
  loop_.AdvanceTime(absl::Seconds(19));
  EXPECT_FALSE(third.has_value());
}

TEST_F(AgentChannelTest, UnknownInstanceIsToldToReregister) {
  std::optional<PollResult> r;
  channel_.Poll("arn:unknown", "s", 0, [&r](PollResult p) { r = std::move(p); });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, PollResult::Kind::kReregister);
  EXPECT_EQ(channel_.Enqueue("arn:unknown", Task("t")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AgentChannelTest, ForgetAnswersTheHeldPollReregister) {
  std::optional<PollResult> r;
  PollInto(r, 0);
  EXPECT_TRUE(channel_.Forget(kArn));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->kind, PollResult::Kind::kReregister);
  EXPECT_FALSE(channel_.Known(kArn));
  loop_.AdvanceTime(absl::Minutes(5));  // no timer of the forgotten instance fires
  EXPECT_TRUE(changes_.empty());
}

TEST_F(AgentChannelTest, DisconnectsAfterTheMissedPollWindowAndReconnects) {
  EXPECT_TRUE(channel_.IsConnected(kArn));  // registration counts as contact
  std::optional<PollResult> r;
  PollInto(r, 0);
  // A held poll keeps the instance connected however long it is held.
  loop_.AdvanceTime(absl::Seconds(20));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(changes_.empty());
  // The agent goes silent: 60 s after the last answer it is disconnected.
  loop_.AdvanceTime(absl::Seconds(60) - absl::Nanoseconds(1));
  EXPECT_TRUE(channel_.IsConnected(kArn));
  loop_.AdvanceTime(absl::Nanoseconds(1));
  EXPECT_FALSE(channel_.IsConnected(kArn));
  EXPECT_THAT(changes_, ElementsAre(Pair(kArn, false)));
  loop_.AdvanceTime(absl::Minutes(10));
  EXPECT_EQ(changes_.size(), 1u);  // said once
  r.reset();
  PollInto(r, 0);
  EXPECT_TRUE(channel_.IsConnected(kArn));
  EXPECT_THAT(changes_, ElementsAre(Pair(kArn, false), Pair(kArn, true)));
  EXPECT_EQ(channel_.stats().disconnects, 1u);
}

TEST_F(AgentChannelTest, OutboxCapRejectsWithResourceExhausted) {
  io::FakeLoop loop;
  AgentChannel small(loop, AgentChannelOptions{.max_outbox_messages = 2});
  small.AddInstance(kArn);
  ASSERT_TRUE(small.Enqueue(kArn, Task("a")).ok());
  ASSERT_TRUE(small.Enqueue(kArn, Task("b")).ok());
  absl::StatusOr<uint64_t> full = small.Enqueue(kArn, Task("c"));
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(full.status().message()), ::testing::HasSubstr("cap is 2"));
  EXPECT_EQ(small.stats().rejected_full, 1u);
  // Acknowledging makes room, and numbering carries on without a gap.
  small.Poll(kArn, "s", 0, [](PollResult) {});
  small.Poll(kArn, "s", 2, [](PollResult) {});
  EXPECT_EQ(*small.Enqueue(kArn, Task("c")), 3u);
}

TEST_F(AgentChannelTest, StagedMessageHoldsBackLaterOnesUntilPublished) {
  const uint64_t staged = *channel_.Enqueue(kArn, Task("t1"), /*stage=*/true);
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("t2")).ok());
  std::optional<PollResult> r;
  PollInto(r, 0);
  EXPECT_FALSE(r.has_value());  // 2 may not overtake 1
  ASSERT_TRUE(channel_.Publish(kArn, staged).ok());
  EXPECT_THAT(Seqs(*r), ElementsAre(1, 2));
}

TEST_F(AgentChannelTest, WithdrawnMessageLeavesAGapAndReleasesLaterOnes) {
  const uint64_t staged = *channel_.Enqueue(kArn, Task("t1"), /*stage=*/true);
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("t2")).ok());
  std::optional<PollResult> r;
  PollInto(r, 0);
  ASSERT_TRUE(channel_.Withdraw(kArn, staged).ok());
  EXPECT_THAT(Seqs(*r), ElementsAre(2));
  EXPECT_EQ(channel_.Withdraw(kArn, 2).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AgentChannelTest, RestartFromSnapshotRedeliversWithTheSameNumbers) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(channel_.Enqueue(kArn, Task("t")).ok());
  }
  channel_.Poll(kArn, "s1", 0, [](PollResult) {});  // 1..3 delivered
  channel_.Poll(kArn, "s1", 1, [](PollResult) {});  // 1 acknowledged
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("staged"), /*stage=*/true).ok());
  std::vector<OutboxRecord> records = channel_.Snapshot();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].last_seq, 4u);
  EXPECT_EQ(records[0].acked_seq, 1u);
  ASSERT_EQ(records[0].messages.size(), 2u);  // 2 and 3; the staged 4 is not durable

  io::FakeLoop loop;
  AgentChannel restarted(loop);
  ASSERT_TRUE(restarted.Restore(records).ok());
  EXPECT_FALSE(restarted.IsConnected(kArn));
  std::optional<PollResult> again;
  restarted.Poll(kArn, "s1", 1, [&again](PollResult p) { again = std::move(p); });
  EXPECT_THAT(Seqs(*again), ElementsAre(2, 3));
  EXPECT_TRUE(restarted.IsConnected(kArn));
  EXPECT_EQ(*restarted.Enqueue(kArn, Task("t5")), 5u);  // 4 is never reused
}

TEST_F(AgentChannelTest, RestoreRejectsRecordsOutOfOrder) {
  OutboxRecord bad{.instance_arn = kArn, .last_seq = 2, .acked_seq = 0,
                   .messages = {{.seq = 2, .message = Task("a")},
                                {.seq = 1, .message = Task("b")}}};
  EXPECT_EQ(channel_.Restore({bad}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(channel_.Known(kArn));  // nothing changed
}

TEST_F(AgentChannelTest, AckAheadOfDeliveryKeepsNumberingPastIt) {
  // An agent acks 7 where the outbox (after losing state) has delivered
  // nothing: new messages must be numbered past 7 or the agent skips them.
  std::optional<PollResult> r;
  PollInto(r, 7);
  EXPECT_EQ(channel_.stats().ack_ahead, 1u);
  EXPECT_EQ(*channel_.Enqueue(kArn, Task("t")), 8u);
  EXPECT_THAT(Seqs(*r), ElementsAre(8));
}

TEST_F(AgentChannelTest, BatchesAreCappedAndTheRestFollows) {
  io::FakeLoop loop;
  AgentChannel channel(loop, AgentChannelOptions{.max_batch = 2});
  channel.AddInstance(kArn);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(channel.Enqueue(kArn, Task("t")).ok());
  }
  std::optional<PollResult> r;
  channel.Poll(kArn, "s", 0, [&r](PollResult p) { r = std::move(p); });
  EXPECT_THAT(Seqs(*r), ElementsAre(1, 2));
  channel.Poll(kArn, "s", 2, [&r](PollResult p) { r = std::move(p); });
  EXPECT_THAT(Seqs(*r), ElementsAre(3, 4));
}

TEST_F(AgentChannelTest, ReregistrationWithTheSavedArnKeepsTheOutbox) {
  ASSERT_TRUE(channel_.Enqueue(kArn, Task("t1")).ok());
  std::optional<PollResult> r;
  PollInto(r, 0, "before-crash");
  EXPECT_EQ(r->epoch, 1u);
  loop_.AdvanceTime(absl::Seconds(61));  // the agent was down a while
  EXPECT_THAT(changes_, ElementsAre(Pair(kArn, false)));
  channel_.AddInstance(kArn);  // RegisterContainerInstance with the saved ARN
  EXPECT_TRUE(channel_.IsConnected(kArn));
  EXPECT_EQ(channel_.Pending(kArn), 1u);
  r.reset();
  PollInto(r, 0, "after-crash");
  EXPECT_THAT(Seqs(*r), ElementsAre(1));
  EXPECT_EQ(r->epoch, 2u);
  EXPECT_THAT(changes_, ElementsAre(Pair(kArn, false), Pair(kArn, true)));
}

TEST_F(AgentChannelTest, RestoredInstanceReportsReconnectionOnItsFirstPoll) {
  ASSERT_TRUE(channel_.Restore({OutboxRecord{.instance_arn = kArn, .last_seq = 3,
                                             .acked_seq = 3, .messages = {}}})
                  .ok());
  EXPECT_FALSE(channel_.IsConnected(kArn));
  EXPECT_TRUE(changes_.empty());  // no callback for the restored state itself
  std::optional<PollResult> r;
  PollInto(r, 3);
  EXPECT_THAT(changes_, ElementsAre(Pair(kArn, true)));
  EXPECT_EQ(*channel_.Enqueue(kArn, Task("t")), 4u);
  EXPECT_THAT(Seqs(*r), ElementsAre(4));
}

TEST_F(AgentChannelTest, ReplyMayPollAgainFromInsideTheCallback) {
  // An agent model that polls again the moment it is answered, as a
  // synchronous transport would.
  std::vector<uint64_t> applied;
  uint64_t ack = 0;
  int answers = 0;
  std::function<void(PollResult)> on_reply = [&](PollResult p) {
    ++answers;
    for (const SequencedMessage& m : p.messages) {
      applied.push_back(m.seq);
      ack = m.seq;
    }
    if (answers < 10) {
      channel_.Poll(kArn, "s", ack, on_reply);
    }
  };
  channel_.Poll(kArn, "s", 0, on_reply);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(channel_.Enqueue(kArn, Task("t")).ok());
  }
  loop_.AdvanceTime(absl::Seconds(20));
  EXPECT_THAT(applied, ElementsAre(1, 2, 3));
  EXPECT_EQ(answers, 4);  // three wake-ups and one heartbeat
  EXPECT_EQ(channel_.Pending(kArn), 0u);
}

TEST_F(AgentChannelTest, PublishAndWithdrawOfUnknownMessagesAreNotFound) {
  EXPECT_EQ(channel_.Publish(kArn, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(channel_.Withdraw(kArn, 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(channel_.Publish("arn:unknown", 1).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(channel_.Forget("arn:unknown"));
}

}  // namespace
}  // namespace berth::agents
