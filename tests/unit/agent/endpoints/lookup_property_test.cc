// /v1/tasks lookups against a brute-force model, over random tasks whose
// runtime ids share prefixes often (ids drawn from a 3-letter alphabet), and
// random query strings: every answer is valid JSON of the right shape.

#include <map>
#include <set>
#include <string>

#include "agent/endpoints/introspection_handler.h"
#include "ecs/json_text.h"
#include "gtest/gtest.h"
#include "io/rng.h"
#include "io/time_source.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

using testing::FakeSource;
using testing::MakeTask;

std::string RandomId(io::Rng& rng, size_t length) {
  std::string id;
  for (size_t i = 0; i < length; ++i) {
    id += "abc"[rng.Uniform(3)];
  }
  return id;
}

class LookupPropertyTest : public ::testing::Test {
 protected:
  io::HttpResponse Get(std::string target) {
    io::HttpRequest request;
    request.method = "GET";
    request.target = std::move(target);
    return handler_.Handle(request);
  }

  io::FakeTimeSource time_;
  FakeSource source_;
  AgentMetrics metrics_{time_};
  IntrospectionHandler handler_{source_, metrics_, {"v", "l", nullptr}};
};

TEST_F(LookupPropertyTest, DockerIdAnswersMatchABruteForceModel) {
  io::Rng rng(20261121);
  std::map<int, int> seen;  // status → count: every outcome must occur
  for (int round = 0; round < 50; ++round) {
    source_.tasks.clear();
    int task_count = static_cast<int>(rng.Between(0, 4));
    for (int t = 0; t < task_count; ++t) {
      TaskState& task = source_.Add(MakeTask("t" + std::to_string(t), "", {"x", "y"}));
      for (ContainerState& c : task.containers) {
        // Short ids on purpose, so prefixes collide; some containers have none.
        c.runtime_id = rng.Uniform(5) == 0 ? "" : RandomId(rng, rng.Between(1, 16));
        // Some ids are chosen but the container is not created yet.
        if (rng.Uniform(4) == 0) c.created_at.reset();
      }
    }
    for (int q = 0; q < 40; ++q) {
      std::string id = RandomId(rng, rng.Between(0, 16));
      std::set<std::string> owners;  // the model: ARNs of tasks with a match
      for (const TaskState& task : source_.tasks) {
        for (const ContainerState& c : task.containers) {
          bool match = !c.runtime_id.empty() && c.created_at.has_value() &&
                       (id.size() <= 12 ? c.runtime_id.starts_with(id) : c.runtime_id == id);
          if (match) {
            owners.insert(task.spec.arn);
          }
        }
      }
      io::HttpResponse r = Get("/v1/tasks?dockerid=" + id);
      int want = owners.empty() ? 404 : owners.size() > 1 ? 400 : 200;
      ASSERT_EQ(r.status, want) << "round " << round << " id '" << id << "'";
      ++seen[want];
      absl::StatusOr<boost::json::value> body = ecs::ParseJson(r.body);
      ASSERT_TRUE(body.ok()) << r.body;
      const boost::json::string* arn = body->as_object().at("Arn").if_string();
      ASSERT_NE(arn, nullptr);
      EXPECT_EQ(std::string(*arn), want == 200 ? *owners.begin() : "");
    }
  }
  EXPECT_GT(seen[200], 50);
  EXPECT_GT(seen[400], 50);
  EXPECT_GT(seen[404], 50);
}

TEST_F(LookupPropertyTest, RandomQueriesAlwaysGetWellFormedAnswers) {
  source_.Add(MakeTask("a", "abc"));
  source_.Add(MakeTask("b", "abd"));
  io::Rng rng(7);
  const std::string pieces[] = {"taskarn", "dockerid", "=", "&", ";", "%", "%4", "%41", "+",
                                "ab",      "abc",      "a", "",  "?", "#", "\xff", "%zz"};
  for (int i = 0; i < 2000; ++i) {
    std::string query;
    for (int n = static_cast<int>(rng.Between(0, 8)); n > 0; --n) {
      query += pieces[rng.Uniform(std::size(pieces))];
    }
    io::HttpResponse r = Get("/v1/tasks?" + query);
    ASSERT_TRUE(r.status == 200 || r.status == 400 || r.status == 404) << query;
    absl::StatusOr<boost::json::value> body = ecs::ParseJson(r.body);
    ASSERT_TRUE(body.ok()) << query << " -> " << r.body;
    ASSERT_TRUE(body->is_object()) << query;
    const boost::json::object& o = body->as_object();
    if (r.status != 200) {
      EXPECT_TRUE(o.at("Containers").is_null()) << query;
    } else {
      EXPECT_TRUE(o.contains("Tasks") || o.contains("Arn")) << query;
    }
  }
}

}  // namespace
}  // namespace berth::agent::endpoints
