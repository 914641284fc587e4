#ifndef BERTH_TESTS_UNIT_CONTROL_SCHEDULER_HARNESS_H_
#define BERTH_TESTS_UNIT_CONTROL_SCHEDULER_HARNESS_H_

// An in-memory harness for Place(): it owns a ClusterSnapshot and, beside
// it, a Ledger — a deliberately plain second model of the cluster (lists of
// tasks per instance, sums recomputed every time) that serves as the oracle.
// Run() places, checks every placement and failure against the ledger,
// commits, and records the plan.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "control/scheduler/cluster_snapshot.h"
#include "control/scheduler/explanation.h"
#include "control/scheduler/place.h"
#include "control/scheduler/placement_request.h"
#include "ecs/container_instance.h"
#include "ecs/task_definition.h"

namespace berth::scheduler::testing {

struct InstanceSpec {
  std::string id;
  int cpu = 4096;
  int memory = 8192;
  std::vector<int> tcp_reserved = {22, 2375, 2376, 51678, 51679};
  std::vector<int> udp_reserved;
  // Attribute name -> value; std::nullopt for a valueless attribute.
  std::map<std::string, std::optional<std::string>> attributes;
  ecs::ContainerInstanceStatus status = ecs::ContainerInstanceStatus::kActive;
  bool connected = true;
};

std::string InstanceArn(const std::string& id);
ecs::ContainerInstance MakeInstance(const InstanceSpec& spec);

struct TaskDefSpec {
  std::string family = "web";
  int cpu = 256;
  int memory = 512;
  std::optional<int> memory_reservation;
  std::vector<int> tcp_ports;  // static host ports (bridge mode)
  std::vector<int> udp_ports;
  std::vector<std::string> member_of;          // task definition constraints
  std::vector<std::string> requires_attributes;
};
ecs::TaskDefinition MakeTaskDefinition(const TaskDefSpec& spec);

ecs::PlacementStrategy Spread(std::string field);
ecs::PlacementStrategy Binpack(std::string field);
ecs::PlacementStrategy Random();
ecs::PlacementConstraint MemberOf(std::string expression);
ecs::PlacementConstraint DistinctInstance();

// The oracle.
class Ledger {
 public:
  struct Task {
    std::string arn;
    std::string group;
    TaskNeeds needs;
  };
  struct Instance {
    InstanceSpec spec;
    std::vector<Task> tasks;
  };

  void Add(const InstanceSpec& spec);
  void AddTask(const std::string& id, const std::string& arn, const std::string& group,
               const TaskNeeds& needs);
  void RemoveTask(const std::string& arn);
  std::map<std::string, Instance>& mutable_instances() { return instances_; }
  const std::map<std::string, Instance>& instances() const { return instances_; }

  int64_t RemainingCpu(const std::string& id) const;
  int64_t RemainingMemory(const std::string& id) const;
  int GroupCount(const std::string& id, const std::string& group) const;
  // Every check `request` fails on the instance, in pipeline order.
  std::vector<Rejection> Rejections(const std::string& id, const PlacementRequest& request) const;
  // The strategy keys of the instance (smaller is better).
  std::vector<int64_t> Keys(const std::string& id, const PlacementRequest& request) const;

 private:
  std::map<std::string, Instance> instances_;
};

class Harness {
 public:
  absl::Status AddInstance(const InstanceSpec& spec);

  // Compiles, places (after Prepare() when `prepare`, so the index search
  // runs; else the scan), checks the plan against the ledger, commits it,
  // records it.
  Plan Run(const RequestSpec& spec, uint64_t seed, bool prepare = true);
  Plan Run(const PlacementRequest& request, uint64_t seed, bool prepare = true);

  // Changes applied to both the snapshot and the ledger.
  absl::Status AddTask(const std::string& id, const std::string& group, const TaskNeeds& needs);
  absl::Status RemoveTask(const std::string& arn);
  absl::Status SetStatus(const std::string& id, ecs::ContainerInstanceStatus status);
  absl::Status SetConnected(const std::string& id, bool connected);
  absl::Status SetAttribute(const std::string& id, const std::string& name,
                            std::optional<std::string> value);
  // ARNs of the tasks the harness knows, in order of creation.
  const std::vector<std::string>& task_arns() const { return task_arns_; }

  // No instance over-committed on any dimension.
  void ExpectNoOvercommit() const;

  ClusterSnapshot& snapshot() { return snapshot_; }
  const Ledger& ledger() const { return ledger_; }
  const std::vector<Plan>& plans() const { return plans_; }
  int tasks_placed() const { return next_task_; }

 private:
  void CheckPlan(const PlacementRequest& request, const Plan& plan);

  ClusterSnapshot snapshot_;
  Ledger ledger_;
  std::vector<Plan> plans_;
  std::vector<std::string> task_arns_;
  int next_task_ = 0;
};

// The id of a container instance ARN made by InstanceArn().
std::string IdOf(const std::string& arn);

}  // namespace berth::scheduler::testing

#endif  // BERTH_TESTS_UNIT_CONTROL_SCHEDULER_HARNESS_H_
