// POST /agent/v1/poll and the after_commit / RunInternal framework, through
// ApiService on a FakeLoop with a MemoryStore.

#include "control/api/agent_poll.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control/agents/agent_channel.h"
#include "control/api/agent_dispatch.h"
#include "control/api/api_service.h"
#include "control/api/ecs_error.h"
#include "control/api/ops/ops.h"
#include "control/state/agent_outbox_table.h"
#include "control/store/memory_store.h"
#include "ecs/arn.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/absl_compat.h"
#include "io/fake_loop.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;

constexpr char kPrefix[] = "AmazonEC2ContainerServiceV20141113.";

std::vector<std::string> StoreTables() {
  std::vector<std::string> tables = DefaultStoreTables();
  for (const std::string& t : state::Model::Tables()) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) {
      tables.push_back(t);
    }
  }
  return tables;
}

// Records the order in which hooks and responses happen.
std::vector<std::string>* g_events = nullptr;

// Writes a cluster and adds a hook that records its result.
absl::StatusOr<boost::json::object> WriteWithHook(OpContext& ctx, const Args&) {
  ecs::Cluster c;
  c.name = "hooked";
  ctx.model.clusters().Put(c, ctx.changes);
  ctx.after_commit.push_back(
      [](bool durable) { g_events->push_back(durable ? "hook:true" : "hook:false"); });
  return boost::json::object();
}
// Changes nothing, adds a hook.
absl::StatusOr<boost::json::object> ReadWithHook(OpContext& ctx, const Args&) {
  ctx.after_commit.push_back(
      [](bool durable) { g_events->push_back(durable ? "hook:true" : "hook:false"); });
  return boost::json::object();
}
// Says whether it saw an agent dispatch.
absl::StatusOr<boost::json::object> SeesAgents(OpContext& ctx, const Args&) {
  return boost::json::object{{"agents", ctx.agents != nullptr}};
}

class AgentPollTest : public ::testing::Test {
 protected:
  AgentPollTest()
      : store_(loop_, StoreTables()),
        authenticator_(auth::AuthOptions{}, std::nullopt, loop_.time()),
        channel_(loop_, ChannelOptions()),
        dispatch_(channel_, model_, "http://127.0.0.1:8080") {
    g_events = &events_;
    ops::RegisterAllOperations(ops_);
    ops_.Add("WriteWithHook", &WriteWithHook);
    ops_.Add("ReadWithHook", &ReadWithHook);
    ops_.Add("SeesAgents", &SeesAgents);
    api_.emplace(loop_, model_, store_, authenticator_, ops_, rng_);
    api_->SetAgentDispatch(&dispatch_);
    Ok("CreateCluster", "{}");
    arn_ = RegisterInstance();
  }
  ~AgentPollTest() override { g_events = nullptr; }

  static agents::AgentChannelOptions ChannelOptions() {
    agents::AgentChannelOptions options;
    options.poll_timeout = absl::Seconds(20);
    options.disconnect_after = absl::Seconds(60);
    return options;
  }

  size_t Send(io::HttpRequest request) {
    size_t slot = responses_.size();
    responses_.emplace_back();
    api_->Handle(std::move(request), [this, slot](io::HttpResponse r) {
      events_.push_back(absl::StrCat("response:", slot));
      responses_[slot] = std::move(r);
    });
    return slot;
  }
  size_t Call(std::string_view op, std::string body = "{}") {
    io::HttpRequest r;
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Host", "127.0.0.1:8080"},
                 {"Content-Type", "application/x-amz-json-1.1"},
                 {"X-Amz-Target", absl::StrCat(kPrefix, Absl(op))}};
    r.body = std::move(body);
    return Send(std::move(r));
  }
  boost::json::object Ok(std::string_view op, std::string body = "{}") {
    size_t slot = Call(op, std::move(body));
    loop_.RunUntilIdle();
    EXPECT_TRUE(Answered(slot));
    EXPECT_EQ(Response(slot).status, 200) << op << ": " << Response(slot).body;
    return Body(slot);
  }
  size_t Poll(std::string body) {
    io::HttpRequest r;
    r.method = "POST";
    r.target = "/agent/v1/poll";
    r.headers = {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}};
    r.body = std::move(body);
    size_t slot = Send(std::move(r));
    loop_.RunUntilIdle();
    return slot;
  }
  size_t PollAck(uint64_t ack, std::string session = "s1") {
    return Poll(absl::StrCat(R"({"cluster":"default","containerInstanceArn":")", arn_,
                             R"(","sessionId":")", session, R"(","ack":)", ack, "}"));
  }

  std::string RegisterInstance() {
    boost::json::object out = Ok("RegisterContainerInstance");
    return std::string(out["containerInstance"].as_object()["containerInstanceArn"].as_string());
  }

  // Sends a task message through an internal operation; returns once durable.
  void SendTask(std::string task_arn, std::string payload = R"({"cpu":"256"})") {
    api_->RunInternal([this, task_arn, payload](OpContext& ctx) {
      ASSERT_NE(ctx.agents, nullptr);
      absl::Status s =
          ctx.agents->Send(ctx, arn_,
                           agents::AgentMessage{.kind = agents::AgentMessage::Kind::kTask,
                                                .task_arn = task_arn,
                                                .desired_status = "RUNNING",
                                                .reason = "",
                                                .payload = payload});
      ASSERT_TRUE(s.ok()) << s;
    });
    loop_.RunUntilIdle();
  }

  bool Answered(size_t slot) const { return responses_[slot].has_value(); }
  const io::HttpResponse& Response(size_t slot) const { return *responses_[slot]; }
  boost::json::object Body(size_t slot) const {
    absl::StatusOr<boost::json::value> body = ecs::ParseJson(Response(slot).body);
    EXPECT_TRUE(body.ok() && body->is_object()) << Response(slot).body;
    return body.ok() && body->is_object() ? body->get_object() : boost::json::object();
  }
  std::string Type(size_t slot) const {
    boost::json::object o = Body(slot);
    for (const char* key : {"type", "__type"}) {
      if (const boost::json::value* v = o.if_contains(key)) {
        return std::string(v->as_string());
      }
    }
    return "";
  }
  std::string Id() const { return std::string(ecs::IdOfArnOrId(arn_)); }

  io::FakeLoop loop_;
  MemoryStore store_;
  state::Model model_{ecs::ArnScope{}};
  auth::Authenticator authenticator_;
  OperationRegistry ops_;
  io::Rng rng_{7};
  agents::AgentChannel channel_;
  AgentDispatch dispatch_;
  std::optional<ApiService> api_;
  std::vector<std::optional<io::HttpResponse>> responses_;
  std::vector<std::string> events_;
  std::string arn_;
};

TEST_F(AgentPollTest, DeliversPublishedMessagesWithTheTaskAsJson) {
  SendTask("arn:task/1");
  SendTask("arn:task/2", "");
  size_t slot = PollAck(0);
  ASSERT_TRUE(Answered(slot));
  EXPECT_EQ(Response(slot).status, 200);
  EXPECT_EQ(Response(slot).Header("Content-Type"), "application/json");
  EXPECT_EQ(Response(slot).body,
            R"({"type":"messages","epoch":1,"messages":[)"
            R"({"seq":1,"type":"task","taskArn":"arn:task/1","desiredStatus":"RUNNING",)"
            R"("task":{"cpu":"256"}},)"
            R"({"seq":2,"type":"task","taskArn":"arn:task/2","desiredStatus":"RUNNING"}]})");
}

TEST_F(AgentPollTest, AHeldPollGetsAMessageAsSoonAsItIsDurable) {
  size_t slot = PollAck(0);
  EXPECT_FALSE(Answered(slot));
  store_.Hold();
  api_->RunInternal([this](OpContext& ctx) {
    ASSERT_TRUE(ctx.agents
                    ->Send(ctx, arn_,
                           agents::AgentMessage{.kind = agents::AgentMessage::Kind::kStop,
                                                .task_arn = "arn:task/9",
                                                .desired_status = "STOPPED",
                                                .reason = "Task stopped by user",
                                                .payload = ""})
                    .ok());
  });
  loop_.RunUntilIdle();
  EXPECT_FALSE(Answered(slot));  // staged until its commit is durable
  store_.Release();
  loop_.RunUntilIdle();
  ASSERT_TRUE(Answered(slot));
  EXPECT_EQ(Response(slot).body,
            R"({"type":"messages","epoch":1,"messages":[{"seq":1,"type":"stop",)"
            R"("taskArn":"arn:task/9","desiredStatus":"STOPPED",)"
            R"("reason":"Task stopped by user"}]})");
}

TEST_F(AgentPollTest, HeartbeatAfterThePollTimeout) {
  size_t slot = PollAck(0);
  loop_.AdvanceTime(absl::Seconds(19));
  EXPECT_FALSE(Answered(slot));
  loop_.AdvanceTime(absl::Seconds(1));
  loop_.RunUntilIdle();
  ASSERT_TRUE(Answered(slot));
  EXPECT_EQ(Response(slot).body, R"({"type":"heartbeat","epoch":1})");
  EXPECT_TRUE(model_.container_instances().FindById(Id())->instance.agent_connected);
}

TEST_F(AgentPollTest, ANewerPollSupersedesAHeldOne) {
  size_t first = PollAck(0);
  size_t second = PollAck(0);
  ASSERT_TRUE(Answered(first));
  EXPECT_EQ(Type(first), "superseded");
  EXPECT_FALSE(Answered(second));
}

TEST_F(AgentPollTest, AnUnknownInstanceIsToldToReregister) {
  size_t slot = Poll(R"({"containerInstanceArn":"0123456789abcdef0123456789abcdef",)"
                     R"("sessionId":"s","ack":4})");
  ASSERT_TRUE(Answered(slot));
  EXPECT_EQ(Response(slot).status, 200);
  EXPECT_EQ(Type(slot), "reregister");
}

TEST_F(AgentPollTest, ADeregisteredInstanceGetsInactiveInstanceException) {
  size_t held = PollAck(0);
  Ok("DeregisterContainerInstance", absl::StrCat(R"({"containerInstance":")", arn_, "\"}"));
  // The held poll: not "reregister", which would make the agent register
  // itself back.
  ASSERT_TRUE(Answered(held));
  EXPECT_EQ(Response(held).status, 400);
  EXPECT_EQ(Type(held), "InactiveInstanceException");
  size_t next = PollAck(0);
  ASSERT_TRUE(Answered(next));
  EXPECT_EQ(Response(next).status, 400);
  EXPECT_EQ(Type(next), "InactiveInstanceException");
  // The outbox header stays (numbering survives a re-registration); its
  // messages go.
  EXPECT_EQ(store_.Size("agent_outbox"), 1u);
  EXPECT_EQ(store_.Size("agent_messages"), 0u);
}

TEST_F(AgentPollTest, BadBodiesAndUnknownClustersAreEcsErrors) {
  struct Case {
    const char* body;
    const char* type;
    const char* message;
  } cases[] = {
      {"{not json", "SerializationException", "not JSON"},
      {"[1]", "SerializationException", "not a JSON object"},
      {R"({"containerInstanceArn":"a","sessionId":"s","ack":"1"})", "SerializationException",
       "'ack'"},
      {R"({"containerInstanceArn":"a","sessionId":"s","ack":1.5})", "SerializationException",
       "'ack'"},
      {R"({"containerInstanceArn":7,"sessionId":"s"})", "SerializationException",
       "'containerInstanceArn'"},
      {R"({"sessionId":"s"})", "InvalidParameterException", "'containerInstanceArn'"},
      {R"({"containerInstanceArn":"a"})", "InvalidParameterException", "'sessionId'"},
      {R"({"containerInstanceArn":"a","sessionId":""})", "InvalidParameterException", "sessionId"},
      {R"({"containerInstanceArn":"a","sessionId":"s","ack":-1})", "InvalidParameterException",
       "ack"},
      {R"({"cluster":"nope","containerInstanceArn":"a","sessionId":"s"})",
       "ClusterNotFoundException", "Cluster not found."},
  };
  for (const Case& c : cases) {
    size_t slot = Poll(c.body);
    ASSERT_TRUE(Answered(slot)) << c.body;
    EXPECT_EQ(Response(slot).status, 400) << c.body;
    EXPECT_EQ(Type(slot), c.type) << c.body;
    EXPECT_THAT(Response(slot).body, HasSubstr(c.message)) << c.body;
  }
}

TEST_F(AgentPollTest, AdvancedAcksArePersistedLazilyOncePerInstance) {
  SendTask("arn:task/1");
  SendTask("arn:task/2");
  SendTask("arn:task/3");
  ASSERT_EQ(store_.Size("agent_messages"), 3u);
  PollAck(0);
  uint64_t commits = api_->commits_queued();
  PollAck(1);
  PollAck(2);  // within the delay: coalesced into one header write
  EXPECT_EQ(api_->commits_queued(), commits);
  loop_.AdvanceTime(absl::Seconds(1));
  loop_.RunUntilIdle();
  EXPECT_EQ(api_->commits_queued(), commits + 1);
  absl::StatusOr<state::AgentOutboxHeader> header =
      state::DecodeAgentOutboxHeader(*store_.Get("agent_outbox", Id()));
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->acked_seq, 2u);
  EXPECT_EQ(header->last_seq, 3u);
  EXPECT_EQ(store_.Size("agent_messages"), 1u);
  EXPECT_TRUE(store_.Get("agent_messages", state::AgentOutboxTable::MessageKey(Id(), 3)));
  // Nothing new acknowledged: no write.
  PollAck(2);
  loop_.AdvanceTime(absl::Seconds(2));
  loop_.RunUntilIdle();
  EXPECT_EQ(api_->commits_queued(), commits + 1);
}

TEST_F(AgentPollTest, WithoutAnAgentDispatchThePollIsAServerException) {
  ApiService plain(loop_, model_, store_, authenticator_, ops_, rng_);
  io::HttpRequest r;
  r.method = "POST";
  r.target = "/agent/v1/poll";
  r.body = "{}";
  std::optional<io::HttpResponse> response;
  plain.Handle(r, [&](io::HttpResponse x) { response = std::move(x); });
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_THAT(response->body, HasSubstr("agent channel is not enabled"));
}

TEST_F(AgentPollTest, OperationsSeeTheDispatch) {
  EXPECT_EQ(Body(Call("SeesAgents")).at("agents").as_bool(), true);
}

TEST_F(AgentPollTest, HooksRunWithTheCommitResultBeforeTheResponse) {
  events_.clear();
  store_.Hold();
  size_t write = Call("WriteWithHook");
  loop_.RunUntilIdle();
  EXPECT_TRUE(events_.empty());
  store_.Release();
  loop_.RunUntilIdle();
  EXPECT_EQ(events_, (std::vector<std::string>{"hook:true", absl::StrCat("response:", write)}));

  events_.clear();
  size_t read = Call("ReadWithHook");  // nothing to commit: at once
  EXPECT_EQ(events_, (std::vector<std::string>{"hook:true", absl::StrCat("response:", read)}));

  events_.clear();
  store_.FailNextCommits(absl::DataLossError("disk on fire"));
  size_t failed = Call("WriteWithHook");
  loop_.RunUntilIdle();
  ASSERT_GE(events_.size(), 2u);
  EXPECT_EQ(events_[0], "hook:false");
  EXPECT_EQ(events_[1], absl::StrCat("response:", failed));
  EXPECT_EQ(Response(failed).status, 500);
}

TEST_F(AgentPollTest, RunInternalCommitsAndLaterResponsesWaitForIt) {
  store_.Hold();
  api_->RunInternal([](OpContext& ctx) {
    ecs::Cluster c;
    c.name = "internal";
    ctx.model.clusters().Put(c, ctx.changes);
  });
  size_t list = Call("ListClusters");
  loop_.RunUntilIdle();
  EXPECT_FALSE(Answered(list));
  store_.Release();
  loop_.RunUntilIdle();
  ASSERT_TRUE(Answered(list));
  EXPECT_THAT(Response(list).body, HasSubstr("cluster/internal"));
  EXPECT_TRUE(store_.Get("clusters", "internal").has_value());
}

TEST_F(AgentPollTest, MetricsShowTheChannel) {
  SendTask("arn:task/1");
  PollAck(0);
  io::HttpRequest r;
  r.method = "GET";
  r.target = "/metrics";
  size_t slot = Send(r);
  ASSERT_TRUE(Answered(slot));
  EXPECT_THAT(Response(slot).body, HasSubstr("berth_agent_channel_enqueued_total 1\n"));
  EXPECT_THAT(Response(slot).body, HasSubstr("berth_agent_channel_delivered_total 1\n"));
  EXPECT_THAT(Response(slot).body, HasSubstr("berth_agent_channel_connected_instances 1\n"));
  EXPECT_THAT(Response(slot).body,
              HasSubstr(R"(berth_api_requests_total{operation="AgentPoll",error="none"} 1)"));
}

// POST /agent/v1/metrics: the same framing, checks and metrics as the poll.
TEST_F(AgentPollTest, TelemetryIsAcknowledgedAndCounted) {
  auto publish = [&](const std::string& body) {
    io::HttpRequest r;
    r.method = "POST";
    r.target = "/agent/v1/metrics";
    r.headers = {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}};
    r.body = body;
    size_t slot = Send(std::move(r));
    loop_.RunUntilIdle();
    EXPECT_TRUE(Answered(slot)) << body;
    return slot;
  };
  size_t ok = publish(absl::StrCat(R"({"metadata":{"cluster":"default","containerInstance":")",
                                   arn_, R"(","messageId":"m1","idle":true},"taskMetrics":[]})"));
  EXPECT_EQ(Response(ok).status, 200) << Response(ok).body;
  EXPECT_EQ(Response(ok).body, R"({"type":"AckPublishMetric","messageId":"m1"})");
  size_t unknown = publish(
      R"({"metadata":{"cluster":"default","containerInstance":"0123456789abcdef0123456789abcdef","messageId":"m2"}})");
  EXPECT_EQ(Response(unknown).status, 400);
  EXPECT_EQ(Type(unknown), "InvalidParameterException");
  EXPECT_THAT(Response(unknown).body, HasSubstr("is not registered to cluster default"));
  size_t no_cluster =
      publish(R"({"metadata":{"cluster":"nope","containerInstance":"a","messageId":"m3"}})");
  EXPECT_EQ(Type(no_cluster), "ClusterNotFoundException");
  size_t bad = publish(R"({"metadata":{"containerInstance":"a"}})");
  EXPECT_EQ(Type(bad), "InvalidParameterException");
  Ok("DeregisterContainerInstance", absl::StrCat(R"({"containerInstance":")", arn_, "\"}"));
  size_t inactive =
      publish(absl::StrCat(R"({"metadata":{"cluster":"default","containerInstance":")", arn_,
                           R"(","messageId":"m4"}})"));
  EXPECT_EQ(Type(inactive), "InactiveInstanceException");
  EXPECT_EQ(api_->telemetry().stats().messages, 1u);
  io::HttpRequest r;
  r.method = "GET";
  r.target = "/metrics";
  size_t slot = Send(r);
  ASSERT_TRUE(Answered(slot));
  EXPECT_THAT(Response(slot).body, HasSubstr("berth_telemetry_messages_total 1\n"));
  EXPECT_THAT(
      Response(slot).body,
      HasSubstr(R"(berth_api_requests_total{operation="AgentPublishMetrics",error="none"} 1)"));
  EXPECT_THAT(
      Response(slot).body,
      HasSubstr(
          R"(berth_api_requests_total{operation="AgentPublishMetrics",error="InactiveInstanceException"} 1)"));
}

TEST(AgentPollAnswerTest, APayloadThatIsNotJsonIsSentAsAString) {
  agents::PollResult r{.kind = agents::PollResult::Kind::kMessages,
                       .messages = {{.seq = 3,
                                     .message = {.kind = agents::AgentMessage::Kind::kTask,
                                                 .task_arn = "t",
                                                 .desired_status = "RUNNING",
                                                 .reason = "",
                                                 .payload = "{oops"}}},
                       .epoch = 2};
  EXPECT_EQ(AgentPollAnswer(r),
            R"({"type":"messages","epoch":2,"messages":[{"seq":3,"type":"task","taskArn":"t",)"
            R"("desiredStatus":"RUNNING","task":"{oops"}]})");
}

}  // namespace
}  // namespace berth::control
