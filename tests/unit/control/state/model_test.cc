#include "control/state/model.h"

#include "control/state/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"

namespace berth::control::state {
namespace {

using ::testing::HasSubstr;

ecs::Cluster Cluster(std::string name) {
  ecs::Cluster c;
  c.name = std::move(name);
  return c;
}

TEST(RecordsTest, ClusterRoundTripsWithEveryMember) {
  ecs::Cluster c = Cluster("prod");
  c.status = "INACTIVE";
  c.tags = {{"team", "core"}, {"empty", ""}};
  c.settings = {{"containerInsights", "enabled"}};
  c.configuration = boost::json::object{
      {"executeCommandConfiguration", boost::json::object{{"logging", "DEFAULT"}}}};
  absl::StatusOr<ecs::Cluster> back = DecodeCluster(EncodeCluster(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name, "prod");
  EXPECT_EQ(back->status, "INACTIVE");
  EXPECT_EQ(back->tags, c.tags);
  EXPECT_EQ(back->settings, c.settings);
  EXPECT_EQ(back->configuration, c.configuration);
}

TEST(RecordsTest, DamagedClusterRecordsAreDataLoss) {
  for (const char* bad : {"", "{", "[]", R"({"status":"ACTIVE"})",
                          R"({"clusterName":"a","status":"DELETED"})",
                          R"({"clusterName":"a","status":"ACTIVE","tags":[{"value":"v"}]})",
                          R"({"clusterName":"a","status":"ACTIVE","tags":{}})",
                          R"({"clusterName":7,"status":"ACTIVE"})"}) {
    absl::StatusOr<ecs::Cluster> c = DecodeCluster(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(ClusterTableTest, PutRecordsTheWriteAndKeepsNameOrder) {
  ClusterTable table;
  ChangeSet changes;
  table.Put(Cluster("b"), changes);
  table.Put(Cluster("a"), changes);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes.mutations()[0].table, "clusters");
  EXPECT_EQ(changes.mutations()[0].key, "b");
  absl::StatusOr<ecs::Cluster> stored = DecodeCluster(*changes.mutations()[0].value);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->name, "b");
  std::vector<std::string> names;
  for (const auto& [name, entry] : table.entries()) {
    names.push_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table.active_count(), 2u);
  ecs::Cluster gone = Cluster("a");
  gone.status = "INACTIVE";
  table.Put(gone, changes);
  EXPECT_EQ(table.active_count(), 1u);
  EXPECT_FALSE(table.Find("a")->active());
}

TEST(ClusterTableTest, CountsSurviveTheClusterRecordArrivingLater) {
  // Instances and tasks may load before (or without) their cluster record.
  ClusterTable table;
  table.MutableCounts("late").registered_instances = 3;
  EXPECT_EQ(table.counts("late").registered_instances, 3);
  EXPECT_TRUE(table.entries().empty());
  ChangeSet changes;
  table.Put(Cluster("late"), changes);
  EXPECT_EQ(table.counts("late").registered_instances, 3);
  EXPECT_EQ(table.counts("unknown").registered_instances, 0);
}

TEST(AccountSettingTableTest, EffectiveFallsBackToDefaultThenBuiltin) {
  AccountSettingTable table("arn:aws:iam::000000000000:root");
  const std::string user = "arn:aws:iam::000000000000:user/ann";
  EXPECT_EQ(table.Effective(user, "containerInsights").value, "disabled");
  EXPECT_EQ(table.Effective(user, "taskLongArnFormat").value, "enabled");
  EXPECT_EQ(table.Effective(user, "containerInsights").principal_arn,
            "arn:aws:iam::000000000000:root");
  ChangeSet changes;
  table.Put({"containerInsights", "enabled", "arn:aws:iam::000000000000:root"}, changes);
  EXPECT_EQ(table.Effective(user, "containerInsights").value, "enabled");
  table.Put({"containerInsights", "disabled", user}, changes);
  EXPECT_EQ(table.Effective(user, "containerInsights").value, "disabled");
  EXPECT_EQ(table.Effective(user, "containerInsights").principal_arn, user);
  EXPECT_EQ(table.OwnSettings(user).size(), 1u);
  std::optional<AccountSetting> removed = table.Remove(user, "containerInsights", changes);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->value, "disabled");
  EXPECT_EQ(table.Effective(user, "containerInsights").value, "enabled");
  EXPECT_FALSE(table.Remove(user, "containerInsights", changes).has_value());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_FALSE(changes.mutations()[2].value.has_value());
  EXPECT_EQ(changes.mutations()[2].key, AccountSettingKey(user, "containerInsights"));
}

TEST(ModelTest, LoadRebuildsWhatWasCommitted) {
  testing::FakeStore store;
  {
    Model model(ecs::ArnScope{});
    ChangeSet changes;
    ecs::Cluster c = Cluster("prod");
    c.tags = {{"k", "v"}};
    model.clusters().Put(c, changes);
    model.account_settings().Put(
        {"containerInsights", "enabled", model.root_principal_arn()}, changes);
    store.Commit(changes.Take(), [](absl::Status s) { ASSERT_TRUE(s.ok()); });
    store.CompleteAll();
  }
  Model model(ecs::ArnScope{"eu-west-1", "123456789012"});
  ASSERT_TRUE(model.Load(store).ok());
  ASSERT_NE(model.clusters().Find("prod"), nullptr);
  EXPECT_EQ(model.clusters().Find("prod")->tags, (std::vector<ecs::Tag>{{"k", "v"}}));
  EXPECT_EQ(model.ClusterArn("prod"), "arn:aws:ecs:eu-west-1:123456789012:cluster/prod");
  // The account default was stored under the first model's root principal.
  EXPECT_NE(model.account_settings().Find("arn:aws:iam::000000000000:root", "containerInsights"),
            nullptr);
}

TEST(ModelTest, LoadRefusesDamagedRecordsNamingThem) {
  testing::FakeStore store;
  store.Put("clusters", "prod", R"({"clusterName":"prod","status":"ACTIVE"})");
  store.Put("clusters", "test", R"({"clusterName":"other","status":"ACTIVE"})");
  Model model(ecs::ArnScope{});
  absl::Status s = model.Load(store);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("failed to load clusters record 'test'"));

  testing::FakeStore unknown;
  unknown.Put("widgets", "w", "{}");
  EXPECT_EQ(Model(ecs::ArnScope{}).Load(unknown).code(), absl::StatusCode::kFailedPrecondition);
}

TaskDefinitionEntry Revision(std::string family, int32_t revision, std::string status) {
  TaskDefinitionEntry e;
  e.definition.family = std::move(family);
  e.definition.revision = revision;
  e.definition.status = std::move(status);
  ecs::ContainerDefinition c;
  c.name = "app";
  c.image = "nginx";
  c.memory = 64;
  c.other["command"] = boost::json::array{"x"};
  e.definition.container_definitions.push_back(c);
  e.definition.registered_at = absl::FromUnixMillis(1700000000123);
  e.tags = {{"team", "core"}};
  return e;
}

TEST(RecordsTest, TaskDefinitionRoundTripsWithTagsAndWithoutItsArn) {
  TaskDefinitionEntry e = Revision("web", 3, "INACTIVE");
  e.definition.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3";
  std::string json = EncodeTaskDefinition(e);
  absl::StatusOr<TaskDefinitionEntry> back = DecodeTaskDefinition(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->definition.task_definition_arn, "") << "ARNs are derived, not stored";
  back->definition.task_definition_arn = e.definition.task_definition_arn;
  EXPECT_EQ(*back, e);
}

TEST(RecordsTest, DamagedTaskDefinitionRecordsAreDataLoss) {
  for (const char* bad :
       {"", "[]", R"({"family":"web","status":"ACTIVE","containerDefinitions":[]})",
        R"({"family":"web","revision":1,"containerDefinitions":[]})",
        R"({"revision":1,"status":"ACTIVE","containerDefinitions":[]})",
        R"({"family":"web","revision":1,"status":"GONE","containerDefinitions":[]})",
        R"({"family":"web","revision":1,"status":"ACTIVE","containerDefinitions":{}})",
        R"({"family":"web","revision":1,"status":"ACTIVE","tags":[{"value":"v"}]})"}) {
    absl::StatusOr<TaskDefinitionEntry> e = DecodeTaskDefinition(bad);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss) << bad;
  }
}

TEST(TaskDefinitionTableTest, RevisionsAndLatestActive) {
  TaskDefinitionTable table;
  ChangeSet changes;
  EXPECT_EQ(table.NextRevision("web"), 1);
  table.Put(Revision("web", 1, "ACTIVE"), changes);
  table.Put(Revision("web", 2, "ACTIVE"), changes);
  table.Put(Revision("web", 3, "INACTIVE"), changes);
  EXPECT_EQ(table.NextRevision("web"), 4) << "an INACTIVE revision still counts";
  ASSERT_NE(table.LatestActive("web"), nullptr);
  EXPECT_EQ(table.LatestActive("web")->definition.revision, 2);
  EXPECT_EQ(table.families().at("web").active_count, 2);
  table.Put(Revision("web", 2, "INACTIVE"), changes);
  table.Put(Revision("web", 1, "INACTIVE"), changes);
  EXPECT_EQ(table.LatestActive("web"), nullptr);
  EXPECT_EQ(table.families().at("web").active_count, 0);
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes.mutations()[2].table, "task_definitions");
  EXPECT_EQ(changes.mutations()[2].key, "web:3");
}

TEST(ModelTest, LoadRefusesATaskDefinitionUnderAnotherKey) {
  testing::FakeStore store;
  store.Put("task_definitions", "web:1", EncodeTaskDefinition(Revision("web", 1, "ACTIVE")));
  store.Put("task_definitions", "web:9", EncodeTaskDefinition(Revision("web", 2, "ACTIVE")));
  Model model(ecs::ArnScope{});
  absl::Status s = model.Load(store);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("failed to load task_definitions record 'web:9'"));
}

}  // namespace
}  // namespace berth::control::state
