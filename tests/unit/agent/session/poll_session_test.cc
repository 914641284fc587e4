#include "agent/session/poll_session.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/session/control_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/session/session_test_base.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using testing::SessionTestBase;

constexpr char kArn[] = "arn:aws:ecs:us-east-1:000000000000:container-instance/default/ci";

std::string Messages(std::vector<uint64_t> seqs) {
  std::string out = R"({"type":"messages","epoch":1,"messages":[)";
  for (size_t i = 0; i < seqs.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "", R"({"seq":)", seqs[i],
                    R"(,"type":"task","taskArn":"arn:task/)", seqs[i],
                    R"(","desiredStatus":"RUNNING","task":{"n":)", seqs[i], "}}");
  }
  return out + "]}";
}
constexpr char kHeartbeat[] = R"({"type":"heartbeat","epoch":1})";

class PollSessionTest : public SessionTestBase {
 protected:
  void Start(uint64_t applied = 0, PollSessionOptions options = {}) {
    session_ = std::make_unique<PollSession>(
        loop_, *client_, rng_, options, kArn, applied,
        [this](std::vector<PollMessage> messages, uint64_t up_to,
               absl::AnyInvocable<void(absl::Status)> applied_cb) {
          batches_.push_back(messages);
          up_to_.push_back(up_to);
          pending_apply_ = std::move(applied_cb);
        },
        [this](absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
          ++reregisters_;
          reregister_done_ = std::move(done);
        });
    session_->Start();
    loop_.RunUntilIdle();
  }
  // The ack of every poll sent so far.
  std::vector<uint64_t> Acks() {
    std::vector<uint64_t> acks;
    for (const auto& call : plane_.Calls("Poll")) {
      acks.push_back(call.body.as_object().at("ack").to_number<uint64_t>());
    }
    return acks;
  }
  void Applied(absl::Status status = absl::OkStatus()) {
    ASSERT_TRUE(pending_apply_);
    auto cb = std::move(pending_apply_);
    pending_apply_ = nullptr;
    cb(status);
    loop_.RunUntilIdle();
  }

  std::unique_ptr<PollSession> session_;
  std::vector<std::vector<PollMessage>> batches_;
  std::vector<uint64_t> up_to_;
  absl::AnyInvocable<void(absl::Status)> pending_apply_;
  int reregisters_ = 0;
  absl::AnyInvocable<void(absl::StatusOr<std::string>)> reregister_done_;
};

TEST_F(PollSessionTest, FirstPollGoesToTheDiscoveredEndpointWithAckZero) {
  plane_.set_poll_endpoint("http://10.1.1.1:8080");
  Start();
  ASSERT_EQ(plane_.CallCount("Poll"), 1u);
  auto body = plane_.Calls("Poll")[0].body.as_object();
  EXPECT_EQ(body["cluster"], "default");
  EXPECT_EQ(body["containerInstanceArn"], kArn);
  EXPECT_EQ(body["sessionId"], boost::json::value(session_->session_id()));
  EXPECT_EQ(body["ack"], 0);
  EXPECT_EQ(session_->session_id().size(), 32u);
  EXPECT_EQ(transport_.sent().back().url, "http://10.1.1.1:8080/agent/v1/poll");
  EXPECT_EQ(transport_.sent().back().timeout, absl::Seconds(30));
  EXPECT_EQ(plane_.auth_failures(), 0);
}

TEST_F(PollSessionTest, AcksOnlyAfterTheBatchIsAppliedAndDurable) {
  Start();
  plane_.AnswerPoll(Messages({1, 2}));
  loop_.RunUntilIdle();
  ASSERT_EQ(batches_.size(), 1u);
  ASSERT_EQ(batches_[0].size(), 2u);
  EXPECT_EQ(batches_[0][0].seq, 1u);
  EXPECT_EQ(batches_[0][1].task_payload, R"({"n":2})");
  EXPECT_EQ(up_to_[0], 2u);
  // Nothing is sent while the apply is running, however long it takes.
  loop_.AdvanceTime(absl::Minutes(5));
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
  Applied();
  EXPECT_THAT(Acks(), ElementsAre(0, 2));
  EXPECT_EQ(session_->applied_seq(), 2u);
  EXPECT_EQ(session_->stats().messages_applied, 2u);
}

TEST_F(PollSessionTest, RedeliveredMessagesAreSkippedByNumber) {
  Start(/*applied=*/5);
  EXPECT_THAT(Acks(), ElementsAre(5));
  plane_.AnswerPoll(Messages({4, 5, 7}));
  loop_.RunUntilIdle();
  ASSERT_EQ(batches_.size(), 1u);
  ASSERT_EQ(batches_[0].size(), 1u);
  EXPECT_EQ(batches_[0][0].seq, 7u);
  Applied();
  // A batch entirely applied already: no apply, the next poll acks it.
  plane_.AnswerPoll(Messages({6, 7}));
  loop_.RunUntilIdle();
  EXPECT_EQ(batches_.size(), 1u);
  EXPECT_THAT(Acks(), ElementsAre(5, 7, 7));
  EXPECT_EQ(session_->stats().messages_skipped, 4u);
}

TEST_F(PollSessionTest, HeartbeatPollsAgainAtOnceWithTheSameSession) {
  Start();
  plane_.AnswerPoll(kHeartbeat);
  loop_.RunUntilIdle();
  plane_.AnswerPoll(kHeartbeat);
  loop_.RunUntilIdle();
  auto polls = plane_.Calls("Poll");
  ASSERT_EQ(polls.size(), 3u);
  EXPECT_EQ(polls[2].at, polls[0].at);  // no delay
  EXPECT_EQ(polls[2].body.as_object().at("sessionId"), boost::json::value(session_->session_id()));
  EXPECT_EQ(session_->stats().heartbeats, 2u);
}

TEST_F(PollSessionTest, ReregisterRegistersThenPollsWithTheArnItGot) {
  Start(3);
  plane_.AnswerPoll(R"({"type":"reregister","epoch":0})");
  loop_.RunUntilIdle();
  EXPECT_EQ(reregisters_, 1);
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
  reregister_done_(std::string("arn:new"));
  loop_.RunUntilIdle();
  auto polls = plane_.Calls("Poll");
  ASSERT_EQ(polls.size(), 2u);
  EXPECT_EQ(polls[1].body.as_object().at("containerInstanceArn"), "arn:new");
  EXPECT_EQ(polls[1].body.as_object().at("ack"), 3);
}

TEST_F(PollSessionTest, FailedReregistrationBacksOff) {
  Start();
  plane_.AnswerPoll(R"({"type":"reregister","epoch":0})");
  loop_.RunUntilIdle();
  reregister_done_(absl::UnavailableError("down"));
  loop_.RunUntilIdle();
  ASSERT_TRUE(session_->scheduled_delay().has_value());
  EXPECT_GE(*session_->scheduled_delay(), absl::Milliseconds(250));
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
  loop_.AdvanceTime(absl::Milliseconds(300));
  EXPECT_EQ(plane_.CallCount("Poll"), 2u);
}

TEST_F(PollSessionTest, SupersededLogsAndBacksOff) {
  Start();
  plane_.AnswerPoll(R"({"type":"superseded","epoch":2})");
  loop_.RunUntilIdle();
  EXPECT_EQ(session_->stats().superseded, 1u);
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
  ASSERT_TRUE(session_->scheduled_delay().has_value());
  loop_.AdvanceTime(*session_->scheduled_delay());
  EXPECT_EQ(plane_.CallCount("Poll"), 2u);
}

TEST_F(PollSessionTest, InactiveInstanceWaitsAnHour) {
  plane_.ScriptError("Poll", 400, "InactiveInstanceException", "deregistered");
  Start();
  EXPECT_EQ(session_->stats().inactive, 1u);
  EXPECT_EQ(session_->scheduled_delay(), absl::Hours(1));
  loop_.AdvanceTime(absl::Minutes(59));
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
  loop_.AdvanceTime(absl::Minutes(1));
  EXPECT_EQ(plane_.CallCount("Poll"), 2u);
  EXPECT_EQ(reregisters_, 0);  // it does not register itself back
}

TEST_F(PollSessionTest, FailuresBackOffExponentiallyAndResetAfterAMinuteOfAnswers) {
  Start();
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 4; ++i) {
    plane_.AnswerPoll("not json");  // 200 with a body that does not decode
    loop_.RunUntilIdle();
    ASSERT_TRUE(session_->scheduled_delay().has_value());
    delays.push_back(*session_->scheduled_delay());
    loop_.AdvanceTime(delays.back());
  }
  absl::Duration base = absl::Milliseconds(250);
  for (absl::Duration d : delays) {
    EXPECT_GE(d, base);
    EXPECT_LE(d, base * 1.2);
    base *= 1.5;
  }
  // Healthy answers for a minute, then a failure: back to 250 ms.
  for (int i = 0; i < 4; ++i) {
    loop_.AdvanceTime(absl::Seconds(20));
    plane_.AnswerPoll(kHeartbeat);
    loop_.RunUntilIdle();
  }
  plane_.ScriptError("Poll", 500, "ServerException");
  plane_.AnswerPoll(kHeartbeat);
  loop_.RunUntilIdle();
  ASSERT_TRUE(session_->scheduled_delay().has_value());
  EXPECT_LE(*session_->scheduled_delay(), absl::Milliseconds(300));
  EXPECT_EQ(session_->stats().failures, 5u);
}

TEST_F(PollSessionTest, AFailureWithoutAMinuteOfAnswersKeepsGrowing) {
  Start();
  plane_.AnswerPoll("not json");
  loop_.RunUntilIdle();
  loop_.AdvanceTime(*session_->scheduled_delay());
  plane_.AnswerPoll(kHeartbeat);  // healthy, but only briefly
  loop_.RunUntilIdle();
  plane_.AnswerPoll("not json");
  loop_.RunUntilIdle();
  EXPECT_GE(*session_->scheduled_delay(), absl::Milliseconds(375));
}

TEST_F(PollSessionTest, AHeldPollTimesOutAfterPollTimeoutPlusTenSeconds) {
  Start();
  loop_.AdvanceTime(absl::Seconds(29));
  EXPECT_EQ(session_->stats().failures, 0u);
  loop_.AdvanceTime(absl::Seconds(1));
  EXPECT_EQ(session_->stats().failures, 1u);
  loop_.AdvanceTime(absl::Milliseconds(300));
  EXPECT_EQ(plane_.CallCount("Poll"), 2u);
}

TEST_F(PollSessionTest, AFailedApplyKeepsTheOldAckAndTheBatchComesAgain) {
  Start();
  plane_.AnswerPoll(Messages({1}));
  loop_.RunUntilIdle();
  Applied(absl::UnavailableError("disk full"));
  EXPECT_EQ(session_->applied_seq(), 0u);
  loop_.AdvanceTime(absl::Milliseconds(300));
  EXPECT_THAT(Acks(), ElementsAre(0, 0));
  plane_.AnswerPoll(Messages({1}));
  loop_.RunUntilIdle();
  EXPECT_EQ(batches_.size(), 2u);
  Applied();
  EXPECT_THAT(Acks(), ElementsAre(0, 0, 1));
}

TEST_F(PollSessionTest, StopIgnoresTheAnswerInFlight) {
  Start();
  session_->Stop();
  plane_.AnswerPoll(Messages({1}));
  loop_.RunUntilIdle();
  loop_.AdvanceTime(absl::Minutes(1));
  EXPECT_TRUE(batches_.empty());
  EXPECT_EQ(plane_.CallCount("Poll"), 1u);
}

}  // namespace
}  // namespace berth::agent
