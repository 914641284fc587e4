// The task metadata endpoint's routes, errors and rate limit, over a fake
// source (one task with two containers, one of them sampled).

#include "agent/endpoints/task_metadata_handler.h"

#include <map>
#include <string>

#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/time_source.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

class FakeMetadataSource final : public TaskMetadataSource {
 public:
  Found FindByMetadataId(std::string_view id) const override {
    for (size_t i = 0; i < task.containers.size(); ++i) {
      if (task.containers[i].metadata_id == id) return {&task, i};
    }
    return {};
  }
  std::string_view Cluster() const override { return "default"; }
  const stats::ContainerSample* LatestStats(std::string_view runtime_id) const override {
    auto it = latest.find(std::string(runtime_id));
    return it == latest.end() ? nullptr : &it->second;
  }
  const stats::ContainerSample* PreviousStats(std::string_view) const override { return nullptr; }
  DockerStatsOptions StatsOptions() const override { return {.online_cpus = 2}; }

  TaskState task = testing::MakeTask("158d", "4348", {"web", "side"});
  std::map<std::string, stats::ContainerSample> latest;
};

class TaskMetadataHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.task.containers[0].metadata_id = "id-web";
    source_.task.containers[1].metadata_id = "id-side";
    stats::ContainerSample s;
    s.read = absl::FromUnixSeconds(1714557600);
    s.cpu_usage_ns = 1234;
    source_.latest[source_.task.containers[0].runtime_id] = s;
  }
  io::HttpResponse Get(const std::string& target) {
    io::HttpRequest r;
    r.method = "GET";
    r.target = target;
    return handler_.Handle(r);
  }
  json::value Body(const io::HttpResponse& r) { return json::parse(r.body); }

  io::FakeTimeSource time_;
  FakeMetadataSource source_;
  TaskMetadataHandler handler_{source_, time_};
};

TEST_F(TaskMetadataHandlerTest, ContainerTaskAndStatsRoutes) {
  io::HttpResponse r = Get("/v4/id-web");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).as_object().at("Name"), "web");
  EXPECT_EQ(Body(r).as_object().at("LogDriver"), "json-file");

  r = Get("/v4/id-side/task");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).as_object().at("Containers").as_array().size(), 2u);
  EXPECT_EQ(Get("/v4/id-side/taskWithTags").status, 200);

  r = Get("/v4/id-web/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      Body(r).as_object().at("cpu_stats").as_object().at("cpu_usage").as_object().at("total_usage"),
      1234);

  r = Get("/v4/id-web/task/stats");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value all = Body(r);
  EXPECT_TRUE(all.as_object().at(source_.task.containers[0].runtime_id).is_object());
  EXPECT_EQ(all.as_object().at(source_.task.containers[1].runtime_id),
            json::object());  // no sample: {}
}

TEST_F(TaskMetadataHandlerTest, UnknownIdsAreTheAgentsErrors) {
  io::HttpResponse r = Get("/v4/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r),
            "V4 container metadata handler: unable to get container ID from request: unable to "
            "get docker ID from v3 endpoint ID: nope");
  EXPECT_EQ(Get("/v4/nope/task").status, 404);
  EXPECT_EQ(Get("/v4/nope/stats").status, 404);
  EXPECT_EQ(Get("/v3/nope").status, 500);
  EXPECT_EQ(Get("/v3/nope/stats").status, 400);
  r = Get("/v4/id-side/stats");  // known, never sampled
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(std::string(Body(r).as_string()), HasSubstr("Unable to get container stats for"));
  r = Get("/v5/id-web");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  EXPECT_EQ(Get("/v4/id-web/nope").status, 404);
}

TEST_F(TaskMetadataHandlerTest, V3ShapesHaveNoV4Fields) {
  json::value c = Body(Get("/v3/id-web"));
  EXPECT_FALSE(c.as_object().contains("LogDriver"));
  json::value s = Body(Get("/v3/id-web/stats"));
  EXPECT_FALSE(s.as_object().contains("network_rate_stats"));
  json::value all = Body(Get("/v3/id-web/task/stats"));
  EXPECT_TRUE(all.as_object().at(source_.task.containers[1].runtime_id).is_null());  // v3: null
}

TEST_F(TaskMetadataHandlerTest, TheRateLimitAnswers429) {
  TaskMetadataHandler limited(source_, time_, /*rate=*/2, /*burst=*/3);
  io::HttpRequest r;
  r.target = "/v4/id-web";
  int ok = 0;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    (limited.Handle(r).status == 429 ? refused : ok)++;
  }
  EXPECT_EQ(ok, 3);  // the burst
  EXPECT_EQ(refused, 7);
  time_.Advance(absl::Seconds(1));  // 2 more tokens
  EXPECT_EQ(limited.Handle(r).status, 200);
  EXPECT_EQ(limited.Handle(r).status, 200);
  EXPECT_EQ(limited.Handle(r).status, 429);
}

}  // namespace
}  // namespace berth::agent::endpoints
