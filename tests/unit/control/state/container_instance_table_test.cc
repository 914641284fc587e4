#include "control/state/container_instance_table.h"

#include "control/state/model.h"
#include "control/state/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/control/api/fake_store.h"

namespace berth::control::state {
namespace {

ContainerInstanceEntry Instance(std::string cluster, std::string id) {
  ContainerInstanceEntry e;
  e.cluster = std::move(cluster);
  e.id = std::move(id);
  e.instance.container_instance_arn = ecs::ContainerInstanceArn({}, e.cluster, e.id);
  e.instance.attributes = {{"ecs.instance-type", "t3.small", std::nullopt, std::nullopt}};
  e.instance.registered_at = absl::FromUnixSeconds(1700000000);
  e.tags = {{"k", "v"}};
  return e;
}

TEST(RecordsTest, ContainerInstanceRoundTrips) {
  ContainerInstanceEntry e = Instance("prod", "0123456789abcdef0123456789abcdef");
  absl::StatusOr<ContainerInstanceEntry> back =
      DecodeContainerInstance(EncodeContainerInstance(e));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(DecodeContainerInstance("{}").status().code(), absl::StatusCode::kDataLoss);
}

TEST(ContainerInstanceTableTest, CountsRegisteredInstancesPerCluster) {
  Model model(ecs::ArnScope{});
  ChangeSet changes;
  ContainerInstanceEntry e = Instance("prod", "a");
  model.container_instances().Put(e, changes);
  model.container_instances().Put(Instance("prod", "b"), changes);
  EXPECT_EQ(model.clusters().counts("prod").registered_instances, 2);
  e.instance.status = ecs::ContainerInstanceStatus::kDraining;
  model.container_instances().Put(e, changes);
  EXPECT_EQ(model.clusters().counts("prod").registered_instances, 2);
  e.instance.status = ecs::ContainerInstanceStatus::kInactive;
  model.container_instances().Put(e, changes);
  EXPECT_EQ(model.clusters().counts("prod").registered_instances, 1);
  EXPECT_EQ(model.container_instances().Find("prod", "a")->instance.status,
            ecs::ContainerInstanceStatus::kInactive);
  EXPECT_EQ(model.container_instances().Find("other", "a"), nullptr);
  EXPECT_EQ(changes.size(), 4u);
}

TEST(ModelTest, LoadRebuildsContainerInstancesAndTheirCounts) {
  testing::FakeStore store;
  {
    Model model(ecs::ArnScope{});
    ChangeSet changes;
    model.container_instances().Put(Instance("prod", "a"), changes);
    ecs::Cluster c;
    c.name = "prod";
    model.clusters().Put(c, changes);
    store.Commit(changes.Take(), [](absl::Status s) { ASSERT_TRUE(s.ok()); });
    store.CompleteAll();
  }
  Model model(ecs::ArnScope{});
  ASSERT_TRUE(model.Load(store).ok());
  ASSERT_NE(model.container_instances().FindById("a"), nullptr);
  EXPECT_EQ(model.container_instances().FindById("a")->tags, (std::vector<ecs::Tag>{{"k", "v"}}));
  EXPECT_EQ(model.clusters().counts("prod").registered_instances, 1);
}

}  // namespace
}  // namespace berth::control::state
