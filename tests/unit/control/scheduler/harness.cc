#include "tests/unit/control/scheduler/harness.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "ecs/task.h"
#include "gtest/gtest.h"

namespace berth::scheduler::testing {
namespace {

constexpr char kInstancePrefix[] = "arn:aws:ecs:us-east-1:000000000000:container-instance/c/";
const absl::Time kRegisteredAt = absl::FromUnixSeconds(1700000000);

// A ledger instance as the query language sees it.
class LedgerSubject final : public query::Subject {
 public:
  explicit LedgerSubject(const Ledger::Instance& instance) : instance_(instance) {}
  bool AgentConnected() const override { return instance_.spec.connected; }
  std::string_view AgentVersion() const override { return "1.70.0"; }
  std::string_view Ec2InstanceId() const override { return ec2_ = "i-" + instance_.spec.id; }
  absl::Time RegisteredAt() const override { return kRegisteredAt; }
  int64_t RunningTasksCount() const override { return 0; }  // the harness's tasks are PENDING
  std::optional<std::string_view> Attribute(std::string_view name) const override {
    auto it = instance_.spec.attributes.find(std::string(name));
    if (it == instance_.spec.attributes.end()) {
      return std::nullopt;
    }
    return it->second.has_value() ? std::string_view(*it->second) : std::string_view();
  }
  void ForEachTaskGroup(absl::FunctionRef<bool(std::string_view)> fn) const override {
    for (const Ledger::Task& t : instance_.tasks) {
      if (!fn(t.group)) {
        return;
      }
    }
  }

 private:
  const Ledger::Instance& instance_;
  mutable std::string ec2_;
};

}  // namespace

std::string InstanceArn(const std::string& id) { return kInstancePrefix + id; }

std::string IdOf(const std::string& arn) {
  return arn.substr(0, sizeof(kInstancePrefix) - 1) == kInstancePrefix
             ? arn.substr(sizeof(kInstancePrefix) - 1)
             : arn;
}

ecs::ContainerInstance MakeInstance(const InstanceSpec& spec) {
  ecs::ContainerInstance ci;
  ci.container_instance_arn = InstanceArn(spec.id);
  ci.ec2_instance_id = "i-" + spec.id;
  ci.version_info = ecs::VersionInfo{"1.70.0", std::nullopt, std::nullopt};
  ci.registered_resources = {ecs::IntegerResource("CPU", spec.cpu),
                             ecs::IntegerResource("MEMORY", spec.memory),
                             ecs::PortsResource("PORTS", spec.tcp_reserved),
                             ecs::PortsResource("PORTS_UDP", spec.udp_reserved)};
  ci.status = spec.status;
  ci.agent_connected = spec.connected;
  for (const auto& [name, value] : spec.attributes) {
    ci.attributes.push_back({name, value, std::nullopt, std::nullopt});
  }
  ci.registered_at = kRegisteredAt;
  return ci;
}

ecs::TaskDefinition MakeTaskDefinition(const TaskDefSpec& spec) {
  ecs::TaskDefinition td;
  td.family = spec.family;
  ecs::ContainerDefinition c;
  c.name = "main";
  c.image = "busybox";
  c.cpu = spec.cpu;
  c.memory = spec.memory;
  c.memory_reservation = spec.memory_reservation;
  for (int p : spec.tcp_ports) {
    c.port_mappings.push_back({80, p, ecs::TransportProtocol::kTcp, std::nullopt, std::nullopt});
  }
  for (int p : spec.udp_ports) {
    c.port_mappings.push_back({53, p, ecs::TransportProtocol::kUdp, std::nullopt, std::nullopt});
  }
  td.container_definitions = {c};
  for (const std::string& e : spec.member_of) {
    td.placement_constraints.push_back({ecs::PlacementConstraintType::kMemberOf, e});
  }
  for (const std::string& a : spec.requires_attributes) {
    td.requires_attributes.push_back({a, std::nullopt, std::nullopt, std::nullopt});
  }
  return td;
}

ecs::PlacementStrategy Spread(std::string field) {
  return {ecs::PlacementStrategyType::kSpread, std::move(field)};
}
ecs::PlacementStrategy Binpack(std::string field) {
  return {ecs::PlacementStrategyType::kBinpack, std::move(field)};
}
ecs::PlacementStrategy Random() { return {ecs::PlacementStrategyType::kRandom, std::nullopt}; }
ecs::PlacementConstraint MemberOf(std::string expression) {
  return {ecs::PlacementConstraintType::kMemberOf, std::move(expression)};
}
ecs::PlacementConstraint DistinctInstance() {
  return {ecs::PlacementConstraintType::kDistinctInstance, std::nullopt};
}

void Ledger::Add(const InstanceSpec& spec) { instances_[spec.id] = Instance{spec, {}}; }

void Ledger::AddTask(const std::string& id, const std::string& arn, const std::string& group,
                     const TaskNeeds& needs) {
  instances_.at(id).tasks.push_back({arn, group, needs});
}

void Ledger::RemoveTask(const std::string& arn) {
  for (auto& [id, instance] : instances_) {
    for (auto it = instance.tasks.begin(); it != instance.tasks.end(); ++it) {
      if (it->arn == arn) {
        instance.tasks.erase(it);
        return;
      }
    }
  }
}

int64_t Ledger::RemainingCpu(const std::string& id) const {
  const Instance& i = instances_.at(id);
  int64_t used = 0;
  for (const Task& t : i.tasks) {
    used += t.needs.cpu;
  }
  return i.spec.cpu - used;
}

int64_t Ledger::RemainingMemory(const std::string& id) const {
  const Instance& i = instances_.at(id);
  int64_t used = 0;
  for (const Task& t : i.tasks) {
    used += t.needs.memory;
  }
  return i.spec.memory - used;
}

int Ledger::GroupCount(const std::string& id, const std::string& group) const {
  int n = 0;
  for (const Task& t : instances_.at(id).tasks) {
    n += t.group == group ? 1 : 0;
  }
  return n;
}

std::vector<Rejection> Ledger::Rejections(const std::string& id,
                                          const PlacementRequest& request) const {
  const Instance& i = instances_.at(id);
  std::vector<Rejection> out;
  if (i.spec.status != ecs::ContainerInstanceStatus::kActive) {
    out.push_back(Rejection::kInactive);
  }
  if (!i.spec.connected) {
    out.push_back(Rejection::kAgent);
  }
  for (const ecs::Attribute& a : request.required_attributes) {
    auto it = i.spec.attributes.find(a.name);
    if (it == i.spec.attributes.end() || (a.value.has_value() && it->second != a.value)) {
      out.push_back(Rejection::kAttribute);
      break;
    }
  }
  if (RemainingCpu(id) < request.needs.cpu) {
    out.push_back(Rejection::kCpu);
  }
  if (RemainingMemory(id) < request.needs.memory) {
    out.push_back(Rejection::kMemory);
  }
  auto taken = [&](uint16_t port, bool udp) {
    const std::vector<int>& reserved = udp ? i.spec.udp_reserved : i.spec.tcp_reserved;
    if (std::find(reserved.begin(), reserved.end(), port) != reserved.end()) {
      return true;
    }
    for (const Task& t : i.tasks) {
      const std::vector<uint16_t>& used = udp ? t.needs.udp_ports : t.needs.tcp_ports;
      if (std::find(used.begin(), used.end(), port) != used.end()) {
        return true;
      }
    }
    return false;
  };
  for (uint16_t p : request.needs.tcp_ports) {
    if (taken(p, false)) {
      out.push_back(Rejection::kPorts);
      break;
    }
  }
  for (uint16_t p : request.needs.udp_ports) {
    if (taken(p, true)) {
      out.push_back(Rejection::kPortsUdp);
      break;
    }
  }
  LedgerSubject subject(i);
  for (const auto& e : request.member_of) {
    if (!e->Evaluate(subject)) {
      out.push_back(Rejection::kMemberOf);
      break;
    }
  }
  if (request.distinct_instance && GroupCount(id, request.group) > 0) {
    out.push_back(Rejection::kDistinctInstance);
  }
  return out;
}

std::vector<int64_t> Ledger::Keys(const std::string& id, const PlacementRequest& request) const {
  std::vector<int64_t> keys;
  for (const Strategy& s : request.strategies) {
    switch (s.kind) {
      case Strategy::Kind::kRandom:
        keys.push_back(0);
        break;
      case Strategy::Kind::kSpreadInstance:
        keys.push_back(GroupCount(id, request.group));
        break;
      case Strategy::Kind::kSpreadAttribute: {
        const auto& attrs = instances_.at(id).spec.attributes;
        auto mine = attrs.find(s.attribute);
        int64_t n = 0;
        for (const auto& [other_id, other] : instances_) {
          auto theirs = other.spec.attributes.find(s.attribute);
          bool same = (mine == attrs.end() && theirs == other.spec.attributes.end()) ||
                      (mine != attrs.end() && theirs != other.spec.attributes.end() &&
                       mine->second.value_or("") == theirs->second.value_or(""));
          if (same) {
            n += GroupCount(other_id, request.group);
          }
        }
        keys.push_back(n);
        break;
      }
      case Strategy::Kind::kBinpackCpu:
        keys.push_back(RemainingCpu(id));
        break;
      case Strategy::Kind::kBinpackMemory:
        keys.push_back(RemainingMemory(id));
        break;
    }
  }
  return keys;
}

absl::Status Harness::AddInstance(const InstanceSpec& spec) {
  absl::Status s = snapshot_.AddInstance(MakeInstance(spec));
  if (s.ok()) {
    ledger_.Add(spec);
  }
  return s;
}

Plan Harness::Run(const RequestSpec& spec, uint64_t seed, bool prepare) {
  absl::StatusOr<PlacementRequest> request = CompileRequest(spec);
  EXPECT_TRUE(request.ok()) << request.status();
  if (!request.ok()) {
    return Plan();
  }
  return Run(*request, seed, prepare);
}

Plan Harness::Run(const PlacementRequest& request, uint64_t seed, bool prepare) {
  if (prepare) {
    snapshot_.Prepare(request);
  }
  io::Rng rng(seed);
  Plan plan = Place(snapshot_, request, rng);
  CheckPlan(request, plan);
  std::vector<std::string> arns;
  for (size_t i = 0; i < plan.placements.size(); ++i) {
    arns.push_back(absl::StrCat("t", next_task_++));
    task_arns_.push_back(arns.back());
  }
  absl::Status committed = snapshot_.Commit(plan, request, arns);
  EXPECT_TRUE(committed.ok()) << committed;
  plans_.push_back(plan);
  return plan;
}

void Harness::CheckPlan(const PlacementRequest& request, const Plan& plan) {
  Ledger scratch = ledger_;
  auto feasible = [&](const std::string& id) { return scratch.Rejections(id, request).empty(); };
  auto expect_failure_reasons = [&]() {
    for (const ecs::Failure& f : plan.failures) {
      std::string id = IdOf(f.arn.value_or(""));
      if (!scratch.instances().contains(id)) {
        EXPECT_EQ(f.reason, std::string(ecs::kReasonMissing)) << f.arn.value_or("");
        continue;
      }
      std::vector<Rejection> r = scratch.Rejections(id, request);
      if (r.empty()) {
        continue;  // StartTask: failed on another instance, fits on this one
      }
      EXPECT_EQ(f.reason, std::string(EcsReason(r.front()))) << "instance " << id;
    }
  };
  if (request.kind == RequestKind::kStartTask) {
    size_t next = 0;
    for (size_t i = 0; i < request.container_instances.size(); ++i) {
      std::string id = IdOf(request.container_instances[i]);
      bool placed = next < plan.placements.size() && plan.placements[next].task_index == int(i);
      bool known = scratch.instances().contains(id);
      EXPECT_EQ(placed, known && feasible(id)) << "StartTask on " << id;
      if (placed) {
        EXPECT_EQ(plan.placements[next].container_instance_arn, InstanceArn(id));
        scratch.AddTask(id, absl::StrCat("t", next_task_ + next), request.group, request.needs);
        ++next;
      }
    }
    expect_failure_reasons();
    ledger_ = scratch;
    return;
  }
  ASSERT_EQ(plan.placements.size() + plan.unplaced.size(), static_cast<size_t>(request.count));
  for (size_t t = 0; t < plan.placements.size(); ++t) {
    const Placement& p = plan.placements[t];
    EXPECT_EQ(p.task_index, static_cast<int>(t));
    std::string id = IdOf(p.container_instance_arn);
    std::vector<Rejection> r = scratch.Rejections(id, request);
    EXPECT_TRUE(r.empty()) << "task " << t << " placed on " << id << " which fails "
                           << EcsReason(r.front());
    // The chosen instance has the smallest strategy keys of all feasible ones.
    std::optional<std::vector<int64_t>> best;
    for (const auto& [other, unused] : scratch.instances()) {
      if (feasible(other)) {
        std::vector<int64_t> k = scratch.Keys(other, request);
        if (!best.has_value() || k < *best) {
          best = k;
        }
      }
    }
    ASSERT_TRUE(best.has_value());
    EXPECT_EQ(scratch.Keys(id, request), *best) << "task " << t << " on " << id;
    scratch.AddTask(id, absl::StrCat("t", next_task_ + t), request.group, request.needs);
  }
  if (!plan.unplaced.empty()) {
    for (const auto& [id, unused] : scratch.instances()) {
      EXPECT_FALSE(feasible(id)) << "task " << plan.unplaced.front().task_index
                                 << " unplaced but " << id << " fits";
    }
    expect_failure_reasons();
  }
  ledger_ = scratch;
}

absl::Status Harness::AddTask(const std::string& id, const std::string& group,
                              const TaskNeeds& needs) {
  std::string arn = absl::StrCat("t", next_task_++);
  absl::Status s = snapshot_.AddTask({arn, id, group, needs, false});
  if (s.ok()) {
    ledger_.AddTask(id, arn, group, needs);
    task_arns_.push_back(arn);
  }
  return s;
}

absl::Status Harness::RemoveTask(const std::string& arn) {
  absl::Status s = snapshot_.RemoveTask(arn);
  if (s.ok()) {
    ledger_.RemoveTask(arn);
    task_arns_.erase(std::find(task_arns_.begin(), task_arns_.end(), arn));
  }
  return s;
}

absl::Status Harness::SetStatus(const std::string& id, ecs::ContainerInstanceStatus status) {
  absl::Status s = snapshot_.SetStatus(InstanceArn(id), status);
  if (s.ok()) {
    ledger_.mutable_instances().at(id).spec.status = status;
  }
  return s;
}

absl::Status Harness::SetConnected(const std::string& id, bool connected) {
  absl::Status s = snapshot_.SetAgentConnected(InstanceArn(id), connected);
  if (s.ok()) {
    ledger_.mutable_instances().at(id).spec.connected = connected;
  }
  return s;
}

absl::Status Harness::SetAttribute(const std::string& id, const std::string& name,
                                   std::optional<std::string> value) {
  InstanceSpec& spec = ledger_.mutable_instances().at(id).spec;
  std::map<std::string, std::optional<std::string>> attributes = spec.attributes;
  attributes[name] = std::move(value);
  std::vector<ecs::Attribute> list;
  for (const auto& [n, v] : attributes) {
    list.push_back({n, v, std::nullopt, std::nullopt});
  }
  absl::Status s = snapshot_.SetAttributes(InstanceArn(id), list);
  if (s.ok()) {
    spec.attributes = std::move(attributes);
  }
  return s;
}

void Harness::ExpectNoOvercommit() const {
  for (const auto& [id, instance] : ledger_.instances()) {
    EXPECT_GE(ledger_.RemainingCpu(id), 0) << id;
    EXPECT_GE(ledger_.RemainingMemory(id), 0) << id;
    for (bool udp : {false, true}) {
      std::vector<int> ports = udp ? instance.spec.udp_reserved : instance.spec.tcp_reserved;
      for (const Ledger::Task& t : instance.tasks) {
        const std::vector<uint16_t>& used = udp ? t.needs.udp_ports : t.needs.tcp_ports;
        ports.insert(ports.end(), used.begin(), used.end());
      }
      std::sort(ports.begin(), ports.end());
      EXPECT_EQ(std::adjacent_find(ports.begin(), ports.end()), ports.end())
          << id << (udp ? " udp" : " tcp") << " port used twice";
    }
  }
}

}  // namespace berth::scheduler::testing
