#include "control/state/task_table.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "control/state/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"

namespace berth::control::state {
namespace {

using ::testing::HasSubstr;

constexpr char kInstanceId[] = "0123456789abcdef0123456789abcdef";

ContainerInstanceEntry Instance(const Model& model) {
  ContainerInstanceEntry e;
  e.cluster = "prod";
  e.id = kInstanceId;
  e.instance.container_instance_arn = model.ContainerInstanceArn("prod", kInstanceId);
  e.instance.status = ecs::ContainerInstanceStatus::kActive;
  e.instance.agent_connected = true;
  ecs::Resource cpu, memory;
  cpu.name = "CPU";
  cpu.type = "INTEGER";
  cpu.integer_value = 1024;
  memory.name = "MEMORY";
  memory.type = "INTEGER";
  memory.integer_value = 2048;
  e.instance.registered_resources = {cpu, memory};
  return e;
}

TaskEntry Task(const Model& model, std::string id, std::string_view last,
               std::string_view desired = "RUNNING") {
  TaskEntry t;
  t.cluster = "prod";
  t.id = std::move(id);
  t.needs.cpu = 256;
  t.needs.memory = 512;
  t.needs.tcp_ports = {8080};
  t.tags = {{"team", "core"}};
  t.task = boost::json::object{
      {"taskArn", model.TaskArn("prod", t.id)},
      {"containerInstanceArn", model.ContainerInstanceArn("prod", kInstanceId)},
      {"taskDefinitionArn", model.TaskDefinitionArn("web", 3)},
      {"group", "family:web"},
      {"startedBy", "ci"},
      {"lastStatus", last},
      {"desiredStatus", desired},
      {"launchType", "EC2"},
      {"version", 1}};
  if (last == "STOPPED") {
    t.task["stoppedAt"] = 1700000000.5;
  }
  return t;
}

std::string Id(int i) { return absl::StrCat("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i < 10 ? "0" : "", i); }

TEST(TaskRecordTest, RoundTripsWithNeedsTagsAndMirroredFields) {
  Model model(ecs::ArnScope{});
  TaskEntry t = Task(model, Id(1), "RUNNING");
  ASSERT_TRUE(t.Refresh().ok());
  absl::StatusOr<TaskEntry> back = DecodeTask(EncodeTask(t));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, Id(1));
  EXPECT_EQ(back->cluster, "prod");
  EXPECT_EQ(back->needs, t.needs);
  EXPECT_EQ(back->tags, t.tags);
  EXPECT_EQ(back->task, t.task);
  EXPECT_EQ(back->family, "web");
  EXPECT_EQ(back->container_instance_id, kInstanceId);
  EXPECT_EQ(back->last_status, TaskStatus::kRunning);
  EXPECT_TRUE(back->desired_running);
}

TEST(TaskRecordTest, DamagedRecordsAreDataLoss) {
  for (const char* bad :
       {"", "[]", R"({"taskArn":"arn:aws:ecs:us-east-1:0:task/prod/x"})",
        R"({"cluster":"prod","taskArn":"a","lastStatus":"BOOTING","desiredStatus":"RUNNING"})",
        R"({"cluster":"prod","taskArn":"a","lastStatus":"PENDING","desiredStatus":"PENDING"})",
        R"({"cluster":"prod","taskArn":"a","lastStatus":"PENDING","desiredStatus":"RUNNING",
            "berthNeeds":{"cpu":"x"}})",
        R"({"cluster":"prod","taskArn":"a","lastStatus":"PENDING","desiredStatus":"RUNNING",
            "tags":[{"value":"v"}]})"}) {
    absl::StatusOr<TaskEntry> t = DecodeTask(bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(TaskTableTest, CountsFollowTheLifecycleAndStoppingReleasesTheInstance) {
  Model model(ecs::ArnScope{});
  ChangeSet changes;
  model.container_instances().Put(Instance(model), changes);
  ASSERT_TRUE(model.tasks().Put(Task(model, Id(1), "PENDING"), changes).ok());
  const ClusterCounts& counts = model.clusters().counts("prod");
  EXPECT_EQ(ClusterCounts::Sum(counts.pending_tasks), 1);
  EXPECT_EQ(counts.unstopped_tasks, 1);
  const scheduler::ClusterSnapshot* snapshot = model.schedulers().Find("prod");
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->task_count(), 1u);

  ASSERT_TRUE(model.tasks().Put(Task(model, Id(1), "RUNNING"), changes).ok());
  EXPECT_EQ(ClusterCounts::Sum(counts.pending_tasks), 0);
  EXPECT_EQ(ClusterCounts::Sum(counts.running_tasks), 1);
  EXPECT_EQ(model.tasks().DesiredRunning("prod").size(), 1u);

  ASSERT_TRUE(model.tasks().Put(Task(model, Id(1), "STOPPED", "STOPPED"), changes).ok());
  EXPECT_EQ(ClusterCounts::Sum(counts.running_tasks), 0);
  EXPECT_EQ(counts.unstopped_tasks, 0);
  EXPECT_EQ(snapshot->task_count(), 0u);
  EXPECT_TRUE(model.tasks().DesiredRunning("prod").empty());
  EXPECT_EQ(changes.size(), 4u);
  // A bad object changes nothing.
  TaskEntry bad = Task(model, Id(1), "LOST");
  EXPECT_EQ(model.tasks().Put(bad, changes).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(changes.size(), 4u);
}

TEST(TaskTableTest, ExpiryRemovesTheOldestStoppedTasksOnly) {
  Model model(ecs::ArnScope{});
  ChangeSet changes;
  model.container_instances().Put(Instance(model), changes);
  for (int i = 0; i < 3; ++i) {
    TaskEntry t = Task(model, Id(i), "STOPPED", "STOPPED");
    t.task["stoppedAt"] = 1700000000.0 + i * 100;
    ASSERT_TRUE(model.tasks().Put(t, changes).ok());
  }
  ASSERT_TRUE(model.tasks().Put(Task(model, Id(9), "RUNNING"), changes).ok());
  ChangeSet expired;
  EXPECT_EQ(model.tasks().ExpireStopped(absl::FromUnixSeconds(1700000150), 10, expired), 2u);
  EXPECT_EQ(expired.size(), 2u);
  EXPECT_FALSE(expired.mutations()[0].value.has_value());
  EXPECT_EQ(model.tasks().FindById(Id(0)), nullptr);
  EXPECT_NE(model.tasks().FindById(Id(2)), nullptr);
  EXPECT_NE(model.tasks().FindById(Id(9)), nullptr);
  EXPECT_EQ(model.tasks().ExpireStopped(absl::InfiniteFuture(), 10, expired), 1u);
  EXPECT_EQ(model.tasks().entries().size(), 1u);
}

TEST(TaskTableTest, LoadRebuildsCountsAndTheSchedulersView) {
  testing::FakeStore store;
  {
    Model model(ecs::ArnScope{});
    ChangeSet changes;
    model.container_instances().Put(Instance(model), changes);
    ASSERT_TRUE(model.tasks().Put(Task(model, Id(1), "RUNNING"), changes).ok());
    ASSERT_TRUE(model.tasks().Put(Task(model, Id(2), "STOPPED", "STOPPED"), changes).ok());
    store.Commit(changes.Take(), [](absl::Status s) { ASSERT_TRUE(s.ok()); });
    store.CompleteAll();
  }
  Model model(ecs::ArnScope{});
  ASSERT_TRUE(model.Load(store).ok());
  EXPECT_EQ(model.tasks().entries().size(), 2u);
  EXPECT_EQ(ClusterCounts::Sum(model.clusters().counts("prod").running_tasks), 1);
  const scheduler::ClusterSnapshot* snapshot = model.schedulers().Find("prod");
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->task_count(), 1u);
  absl::StatusOr<std::vector<ecs::Resource>> remaining =
      snapshot->RemainingResources(model.ContainerInstanceArn("prod", kInstanceId));
  ASSERT_TRUE(remaining.ok());
  EXPECT_EQ((*remaining)[0].integer_value, 1024 - 256);
  EXPECT_EQ(model.tasks().stopped().size(), 1u);
}

TEST(TaskTableTest, ARecordUnderTheWrongKeyRefusesToLoad) {
  testing::FakeStore store;
  Model writer(ecs::ArnScope{});
  TaskEntry t = Task(writer, Id(1), "PENDING");
  ASSERT_TRUE(t.Refresh().ok());
  store.Put("tasks", "prod/" + Id(2), EncodeTask(t));
  Model model(ecs::ArnScope{});
  absl::Status s = model.Load(store);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("tasks record"));
}

}  // namespace
}  // namespace berth::control::state
