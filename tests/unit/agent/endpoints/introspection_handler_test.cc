#include "agent/endpoints/introspection_handler.h"

#include "agent/endpoints/license.h"
#include "agent/endpoints/version.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/time_source.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::FakeSource;
using testing::MakeTask;
using testing::TaskArn;

constexpr std::string_view kEmptyTask =
    R"({"Arn":"","KnownStatus":"","Family":"","Version":"","Containers":null})";
constexpr std::string_view kAvailableCommands =
    R"({"AvailableCommands":["/v1/metadata","/v1/tasks","/license"]})";

class IntrospectionHandlerTest : public ::testing::Test {
 protected:
  IntrospectionHandlerTest() {
    // Runtime ids: task a: "aaaaaaaaaaaa0" + 'a'... and "aaaaaaaaaaaa1..."
    // share the 12-character prefix; task b's start "bbbb".
    source_.Add(MakeTask("a", "aaaaaaaaaaaa", {"web", "side"}));
    source_.Add(MakeTask("b", "bbbb"));
  }

  io::HttpResponse Get(std::string target, std::string method = "GET") {
    io::HttpRequest request;
    request.method = std::move(method);
    request.target = std::move(target);
    return handler_.Handle(request);
  }

  // Status and body in one value, for exact comparisons.
  std::pair<int, std::string> Answer(std::string target) {
    io::HttpResponse r = Get(std::move(target));
    return {r.status, r.body};
  }

  std::string TaskJson(std::string_view id) {
    for (const TaskState& t : source_.tasks) {
      if (t.spec.id == id) {
        return Get("/v1/tasks?taskarn=" + t.spec.arn).body;
      }
    }
    return "";
  }

  io::FakeTimeSource time_;
  FakeSource source_;
  AgentMetrics metrics_{time_};
  IntrospectionHandler handler_{source_, metrics_,
                                {"berth-agent - v9.9.9 (0123abcd)", "the license\n",
                                 [] { return std::optional<uint64_t>(4096); }}};
};

TEST_F(IntrospectionHandlerTest, Metadata) {
  io::HttpResponse r = Get("/v1/metadata");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"Cluster":"default","ContainerInstanceArn":")" +
                        std::string(testing::kInstanceArn) +
                        R"j(","Version":"berth-agent - v9.9.9 (0123abcd)"})j");
}

TEST_F(IntrospectionHandlerTest, MetadataBeforeRegistrationHasNullArn) {
  source_.metadata.container_instance_arn.reset();
  EXPECT_EQ(Answer("/v1/metadata"),
            std::make_pair(200, std::string(R"({"Cluster":"default","ContainerInstanceArn":null,)"
                                            R"j("Version":"berth-agent - v9.9.9 (0123abcd)"})j")));
}

TEST_F(IntrospectionHandlerTest, AllTasksInSourceOrder) {
  io::HttpResponse r = Get("/v1/tasks");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"Tasks":[)" + TaskJson("a") + "," + TaskJson("b") + "]}");
  EXPECT_THAT(TaskJson("a"), StartsWith(R"({"Arn":")" + TaskArn("a") + R"(","DesiredStatus")"));
}

TEST_F(IntrospectionHandlerTest, NoTasksIsAnEmptyList) {
  source_.tasks.clear();
  EXPECT_EQ(Answer("/v1/tasks"), std::make_pair(200, std::string(R"({"Tasks":[]})")));
}

TEST_F(IntrospectionHandlerTest, TaskByArn) {
  io::HttpResponse r = Get("/v1/tasks?taskarn=" + TaskArn("b"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, StartsWith(R"({"Arn":")" + TaskArn("b") + "\""));
  EXPECT_THAT(r.body, HasSubstr(R"("Containers":[{"DockerId":"bbbb0)"));
}

TEST_F(IntrospectionHandlerTest, TaskByPercentEncodedArn) {
  // arn%3Aaws%3A... as a client that encodes ':' and '/' sends it.
  std::string encoded = "arn%3Aaws%3Aecs%3Aus-east-1%3A000000000000%3Atask%2Fdefault%2Fb";
  EXPECT_EQ(Get("/v1/tasks?taskarn=" + encoded).body, TaskJson("b"));
}

TEST_F(IntrospectionHandlerTest, UnknownArnIs404WithEmptyTask) {
  EXPECT_EQ(Answer("/v1/tasks?taskarn=arn:nope"), std::make_pair(404, std::string(kEmptyTask)));
  io::HttpResponse r = Get("/v1/tasks?taskarn=arn:nope");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
}

TEST_F(IntrospectionHandlerTest, EmptyTaskArnIsPresentAndNotFound) {
  EXPECT_EQ(Answer("/v1/tasks?taskarn="), std::make_pair(404, std::string(kEmptyTask)));
  EXPECT_EQ(Answer("/v1/tasks?taskarn"), std::make_pair(404, std::string(kEmptyTask)));
}

TEST_F(IntrospectionHandlerTest, BothKeysAre400WithEmptyTask) {
  std::pair<int, std::string> bad(400, kEmptyTask);
  EXPECT_EQ(Answer("/v1/tasks?taskarn=" + TaskArn("b") + "&dockerid=bbbb"), bad);
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbb&taskarn=" + TaskArn("b")), bad);
  EXPECT_EQ(Answer("/v1/tasks?taskarn=&dockerid="), bad);  // empty values count
}

TEST_F(IntrospectionHandlerTest, FullDockerIdMatchesExactly) {
  const std::string& id = source_.tasks.back().containers[0].runtime_id;  // task b
  EXPECT_EQ(Answer("/v1/tasks?dockerid=" + id), std::make_pair(200, TaskJson("b")));
  // 64 characters but one off: no prefix match beyond 12 characters.
  std::string wrong = id;
  wrong.back() = 'z';
  EXPECT_EQ(Answer("/v1/tasks?dockerid=" + wrong), std::make_pair(404, std::string(kEmptyTask)));
}

TEST_F(IntrospectionHandlerTest, ThirteenCharactersAreNotAPrefix) {
  // "bbbb0aaaaaaaa" is the first 13 characters of task b's id.
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbb0aaaaaaaa"),
            std::make_pair(404, std::string(kEmptyTask)));
}

TEST_F(IntrospectionHandlerTest, TwelveCharactersOrFewerAreAPrefix) {
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbb0aaaaaaa"), std::make_pair(200, TaskJson("b")));
  EXPECT_EQ(Answer("/v1/tasks?dockerid=b"), std::make_pair(200, TaskJson("b")));
}

TEST_F(IntrospectionHandlerTest, PrefixOfTwoContainersOfOneTaskIsThatTask) {
  // Both of task a's containers start with "aaaaaaaaaaaa".
  EXPECT_EQ(Answer("/v1/tasks?dockerid=aaaaaaaaaaaa"), std::make_pair(200, TaskJson("a")));
}

TEST_F(IntrospectionHandlerTest, PrefixOfTwoTasksIs400) {
  source_.Add(MakeTask("c", "bbbbc"));
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbb"), std::make_pair(400, std::string(kEmptyTask)));
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbbc"), std::make_pair(200, TaskJson("c")));
}

TEST_F(IntrospectionHandlerTest, EmptyDockerIdMatchesEveryTask) {
  EXPECT_EQ(Answer("/v1/tasks?dockerid="), std::make_pair(400, std::string(kEmptyTask)));
  source_.tasks.pop_back();  // only task a left: "" matches it alone
  EXPECT_EQ(Answer("/v1/tasks?dockerid="), std::make_pair(200, TaskJson("a")));
}

TEST_F(IntrospectionHandlerTest, ContainersWithoutIdNeverMatch) {
  source_.tasks.clear();
  TaskState& t = source_.Add(MakeTask("p", "cccc"));
  t.containers[0].runtime_id.clear();
  EXPECT_EQ(Answer("/v1/tasks?dockerid="), std::make_pair(404, std::string(kEmptyTask)));
}

TEST_F(IntrospectionHandlerTest, UnknownDockerIdIs404) {
  EXPECT_EQ(Answer("/v1/tasks?dockerid=ffff"), std::make_pair(404, std::string(kEmptyTask)));
}

TEST_F(IntrospectionHandlerTest, FirstValueOfARepeatedKeyCounts) {
  EXPECT_EQ(Answer("/v1/tasks?dockerid=bbbb&dockerid=aaaa"), std::make_pair(200, TaskJson("b")));
}

TEST_F(IntrospectionHandlerTest, OtherKeysAreIgnored) {
  EXPECT_EQ(Answer("/v1/tasks?foo=bar").first, 200);
  EXPECT_EQ(Answer("/v1/tasks?foo=bar").second, Get("/v1/tasks").body);
  // Key names are case-sensitive, as in Go.
  EXPECT_EQ(Answer("/v1/tasks?DockerId=zzzz").second, Get("/v1/tasks").body);
}

TEST_F(IntrospectionHandlerTest, EveryOtherPathListsTheCommands) {
  for (std::string target : {"/", "/v1", "/v1/", "/v1/tasks/", "/v1/metadata/x", "/v2/metadata",
                             "/nope?taskarn=x", "/V1/TASKS", "/debug/pprof/"}) {
    io::HttpResponse r = Get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, kAvailableCommands) << target;
    EXPECT_EQ(r.Header("Content-Type"), "application/json") << target;
  }
}

TEST_F(IntrospectionHandlerTest, AnyMethodIsAnswered) {
  for (std::string method : {"POST", "PUT", "DELETE", "HEAD"}) {
    EXPECT_EQ(Get("/v1/metadata", method).status, 200) << method;
    EXPECT_EQ(Get("/v1/tasks?taskarn=x", method).status, 404) << method;
  }
}

TEST_F(IntrospectionHandlerTest, License) {
  io::HttpResponse r = Get("/license");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.Header("Content-Type"), StartsWith("text/plain"));
  EXPECT_EQ(r.body, "the license\n");
}

TEST_F(IntrospectionHandlerTest, DefaultsAreTheBuiltInVersionAndLicense) {
  IntrospectionHandler handler(source_, metrics_);
  io::HttpRequest request;
  request.target = "/v1/metadata";
  EXPECT_THAT(handler.Handle(request).body,
              HasSubstr(R"("Version":")" + std::string(AgentVersionString()) + "\"}"));
  request.target = "/license";
  EXPECT_EQ(handler.Handle(request).body, LicenseText());
  EXPECT_THAT(LicenseText(), HasSubstr("berth-agent"));
  EXPECT_THAT(AgentVersionString(), StartsWith("berth-agent - v" + std::string(AgentVersion())));
}

TEST_F(IntrospectionHandlerTest, MetricsInPrometheusText) {
  io::HttpResponse r = Get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("\nberth_agent_tasks{status=\"RUNNING\"} 2\n"));
  EXPECT_THAT(r.body, HasSubstr("\nprocess_resident_memory_bytes 4096\n"));
  EXPECT_THAT(r.body, HasSubstr("berth_agent_introspection_requests_total{route=\"/metrics\","
                                "code=\"200\"} 1\n"));
}

TEST_F(IntrospectionHandlerTest, RequestsAreCountedByRouteAndStatus) {
  Get("/v1/tasks?taskarn=x");
  Get("/v1/tasks?taskarn=x");
  Get("/v1/tasks");
  Get("/whatever");
  const MetricRegistry& m = metrics_.registry();
  const char* kName = "berth_agent_introspection_requests_total";
  EXPECT_EQ(m.Value(kName, {{"route", "/v1/tasks"}, {"code", "404"}}), 2);
  EXPECT_EQ(m.Value(kName, {{"route", "/v1/tasks"}, {"code", "200"}}), 1);
  EXPECT_EQ(m.Value(kName, {{"route", "other"}, {"code", "200"}}), 1);
}

TEST(ParseQueryTest, GoUrlParseQueryRules) {
  auto q = ParseQuery("a=1&b=&c&a=2&d=x%20y+z&&e=%41%2f");
  EXPECT_THAT(q["a"], ElementsAre("1", "2"));
  EXPECT_THAT(q["b"], ElementsAre(""));
  EXPECT_THAT(q["c"], ElementsAre(""));
  EXPECT_THAT(q["d"], ElementsAre("x y z"));
  EXPECT_THAT(q["e"], ElementsAre("A/"));
  EXPECT_EQ(q.size(), 5u);
}

TEST(ParseQueryTest, DropsPairsWithSemicolonsOrBadEscapes) {
  auto q = ParseQuery("a=1;b=2&c=%zz&d=%4&e=%&f=ok&g%=1");
  EXPECT_EQ(q.size(), 1u);
  EXPECT_THAT(q["f"], ElementsAre("ok"));
}

TEST(ParseQueryTest, EqualsInValueStays) {
  auto q = ParseQuery("taskarn=a=b");
  EXPECT_THAT(q["taskarn"], ElementsAre("a=b"));
}

}  // namespace
}  // namespace berth::agent::endpoints
