// Property test over random interleavings of enqueue, stage/publish/withdraw,
// poll, lost answers, time, agent restarts and control-plane restarts (from a
// snapshot). The agent side is the protocol's model: apply a message only if
// its sequence number is past the last applied one, and ack what was
// applied. Every committed message must be applied exactly once, in
// sequence order; withdrawn ones never. A control-plane restart restores
// either from Snapshot() or from a model of the store that persists acks
// lazily, as docs/agent-protocol.md allows. Deterministic: fixed seeds.

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/agents/agent_channel.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/rng.h"

namespace berth::agents {
namespace {

// The store's view of one outbox: message records written with their
// commit, the ack only sometimes.
struct DurableOutbox {
  uint64_t last_seq = 0;
  uint64_t acked_seq = 0;
  std::map<uint64_t, AgentMessage> messages;
};

struct Agent {
  std::string arn;
  uint64_t applied = 0;            // durable: survives agent restarts
  std::vector<std::string> seen;   // task ARNs in apply order
  uint64_t session = 1;
  uint64_t generation = 0;         // answers to older generations are lost
  bool polling = false;
};

class World {
 public:
  explicit World(uint64_t seed) : rng_(seed) {
    const int n = 1 + static_cast<int>(rng_.Uniform(3));
    for (int i = 0; i < n; ++i) {
      agents_.push_back(Agent{.arn = absl::StrCat("arn:instance/", i)});
    }
    channel_ = MakeChannel();
    for (const Agent& a : agents_) {
      channel_->AddInstance(a.arn);
    }
  }

  void Step() {
    Agent& a = agents_[rng_.Uniform(agents_.size())];
    switch (rng_.Uniform(9)) {
      case 0:
      case 1:
        Enqueue(a, /*stage=*/false);
        break;
      case 2:
        Enqueue(a, /*stage=*/true);
        break;
      case 3:
        Decide(a, /*publish=*/rng_.Uniform(3) != 0);
        break;
      case 4:
      case 5:
        PollOnce(a, /*lose=*/rng_.Uniform(5) == 0);
        break;
      case 6:
        loop_.AdvanceTime(absl::Seconds(static_cast<int64_t>(rng_.Uniform(30))));
        break;
      case 7:  // the agent restarts: its held poll is abandoned
        ++a.session;
        ++a.generation;
        a.polling = false;
        break;
      case 8:
        if (rng_.Uniform(4) == 0) {
          RestartControlPlane();
        }
        break;
    }
  }

  // Decides every staged message, then lets each agent poll until its
  // outbox is empty, and checks what it applied.
  void DrainAndCheck(uint64_t seed) {
    for (Agent& a : agents_) {
      while (!staged_[a.arn].empty()) {
        Decide(a, /*publish=*/true);
      }
      for (int i = 0; i < 100 && channel_->Pending(a.arn) > 0; ++i) {
        ++a.generation;  // a fresh connection
        a.polling = false;
        PollOnce(a, /*lose=*/false);
        loop_.AdvanceTime(absl::Seconds(20));
      }
      EXPECT_EQ(channel_->Pending(a.arn), 0u) << "seed " << seed;
      std::vector<std::string> want;
      for (const auto& [seq, task] : committed_[a.arn]) {
        want.push_back(task);
      }
      ASSERT_EQ(a.seen, want) << "seed " << seed << " instance " << a.arn;
    }
  }

 private:
  std::unique_ptr<AgentChannel> MakeChannel() {
    return std::make_unique<AgentChannel>(
        loop_, AgentChannelOptions{.max_batch = 1 + rng_.Uniform(4),
                                   .max_outbox_messages = 8});
  }

  void Enqueue(Agent& a, bool stage) {
    const std::string task = absl::StrCat("task-", next_task_++);
    absl::StatusOr<uint64_t> seq = channel_->Enqueue(
        a.arn, AgentMessage{.kind = AgentMessage::Kind::kTask, .task_arn = task}, stage);
    if (!seq.ok()) {
      ASSERT_EQ(seq.status().code(), absl::StatusCode::kResourceExhausted);
      return;
    }
    if (stage) {
      staged_[a.arn].emplace(*seq, task);
    } else {
      ASSERT_TRUE(committed_[a.arn].emplace(*seq, task).second) << "sequence number reused";
      Persist(a, *seq, task);
    }
  }

  void Decide(Agent& a, bool publish) {
    auto& staged = staged_[a.arn];
    if (staged.empty()) {
      return;
    }
    auto it = staged.begin();
    std::advance(it, rng_.Uniform(staged.size()));
    if (publish) {
      ASSERT_TRUE(channel_->Publish(a.arn, it->first).ok());
      ASSERT_TRUE(committed_[a.arn].emplace(it->first, it->second).second);
      Persist(a, it->first, it->second);
    } else {
      ASSERT_TRUE(channel_->Withdraw(a.arn, it->first).ok());
    }
    staged.erase(it);
  }

  void PollOnce(Agent& a, bool lose) {
    if (a.polling) {
      ++a.generation;  // a second concurrent poll: the first one is superseded
    }
    a.polling = true;
    if (rng_.Uniform(2) == 0) {  // the lazy ack write happens to land
      DurableOutbox& d = durable_[a.arn];
      d.acked_seq = std::max(d.acked_seq, a.applied);
      d.messages.erase(d.messages.begin(), d.messages.upper_bound(d.acked_seq));
    }
    const uint64_t gen = a.generation;
    channel_->Poll(a.arn, absl::StrCat("session-", a.session), a.applied,
                   [this, &a, gen, lose](PollResult r) {
                     if (gen != a.generation) {
                       return;  // nobody is listening on that connection any more
                     }
                     a.polling = false;
                     if (lose) {
                       return;  // the answer is lost on the wire
                     }
                     Apply(a, r);
                   });
  }

  void Apply(Agent& a, const PollResult& r) {
    uint64_t prev = 0;
    for (const SequencedMessage& m : r.messages) {
      ASSERT_GT(m.seq, prev) << "sequence numbers not increasing in one answer";
      prev = m.seq;
      if (m.seq > a.applied) {
        a.applied = m.seq;
        a.seen.push_back(m.message.task_arn);
      }
    }
  }

  void Persist(const Agent& a, uint64_t seq, const std::string& task) {
    DurableOutbox& d = durable_[a.arn];
    d.last_seq = std::max(d.last_seq, seq);
    d.messages[seq] = AgentMessage{.kind = AgentMessage::Kind::kTask, .task_arn = task};
  }

  std::vector<OutboxRecord> FromStore() const {
    std::vector<OutboxRecord> out;
    for (const Agent& a : agents_) {
      OutboxRecord r{.instance_arn = a.arn};
      if (auto it = durable_.find(a.arn); it != durable_.end()) {
        r.last_seq = it->second.last_seq;
        r.acked_seq = it->second.acked_seq;
        for (const auto& [seq, m] : it->second.messages) {
          r.messages.push_back(SequencedMessage{.seq = seq, .message = m});
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  void RestartControlPlane() {
    const bool from_snapshot = rng_.Uniform(2) == 0;
    std::vector<OutboxRecord> records = from_snapshot ? channel_->Snapshot() : FromStore();
    if (from_snapshot) {  // the store now holds exactly the snapshot
      durable_.clear();
      for (const OutboxRecord& r : records) {
        DurableOutbox& d = durable_[r.instance_arn];
        d.last_seq = r.last_seq;
        d.acked_seq = r.acked_seq;
        for (const SequencedMessage& m : r.messages) {
          d.messages[m.seq] = m.message;
        }
      }
    }
    channel_.reset();  // held polls die with the process
    for (Agent& a : agents_) {
      ++a.generation;
      a.polling = false;
      staged_[a.arn].clear();  // never committed: gone with the process
    }
    channel_ = MakeChannel();
    ASSERT_TRUE(channel_->Restore(std::move(records)).ok());
  }

  io::Rng rng_;
  io::FakeLoop loop_;
  std::vector<Agent> agents_;
  std::unique_ptr<AgentChannel> channel_;
  std::map<std::string, std::map<uint64_t, std::string>> committed_;
  std::map<std::string, std::map<uint64_t, std::string>> staged_;
  std::map<std::string, DurableOutbox> durable_;
  uint64_t next_task_ = 1;
};

TEST(AgentChannelPropertyTest, EveryCommittedMessageIsAppliedExactlyOnceInOrder) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    World world(seed);
    for (int step = 0; step < 200; ++step) {
      world.Step();
      if (::testing::Test::HasFatalFailure()) {
        FAIL() << "seed " << seed << " step " << step;
      }
    }
    world.DrainAndCheck(seed);
    if (::testing::Test::HasFailure()) {
      FAIL() << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace berth::agents
