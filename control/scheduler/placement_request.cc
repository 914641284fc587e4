#include "control/scheduler/placement_request.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ecs/task.h"
#include "io/absl_compat.h"

namespace berth::scheduler {
namespace {

constexpr std::string_view kAttributePrefix = "attribute:";
constexpr size_t kMaxGroupLength = 255;

absl::StatusOr<Strategy> ResolveStrategy(const ecs::PlacementStrategy& s, size_t index) {
  std::string where = absl::StrCat("placementStrategy[", index, "]");
  Strategy out;
  const std::string field = s.field.value_or("");
  switch (s.type) {
    case ecs::PlacementStrategyType::kRandom:
      out.kind = Strategy::Kind::kRandom;  // ECS ignores the field
      return out;
    case ecs::PlacementStrategyType::kBinpack:
      if (absl::EqualsIgnoreCase(field, "cpu")) {
        out.kind = Strategy::Kind::kBinpackCpu;
        return out;
      }
      if (absl::EqualsIgnoreCase(field, "memory")) {
        out.kind = Strategy::Kind::kBinpackMemory;
        return out;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": binpack field must be cpu or memory, got \"", field, "\""));
    case ecs::PlacementStrategyType::kSpread:
      if (field == "instanceId" || field == "host") {
        out.kind = Strategy::Kind::kSpreadInstance;
        return out;
      }
      if (absl::StartsWith(field, Absl(kAttributePrefix)) &&
          field.size() > kAttributePrefix.size()) {
        out.kind = Strategy::Kind::kSpreadAttribute;
        out.attribute = field.substr(kAttributePrefix.size());
        return out;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": spread field must be instanceId, host or attribute:<name>, got \"", field,
          "\""));
  }
  return absl::InvalidArgumentError(absl::StrCat(where, ": unknown strategy type"));
}

std::vector<Strategy> DefaultStrategies(RequestKind kind) {
  if (kind == RequestKind::kService) {
    return {Strategy{Strategy::Kind::kSpreadAttribute, "ecs.availability-zone"},
            Strategy{Strategy::Kind::kSpreadInstance, ""}};
  }
  return {Strategy{Strategy::Kind::kRandom, ""}};
}

}  // namespace

std::string ToString(const Strategy& strategy) {
  switch (strategy.kind) {
    case Strategy::Kind::kRandom:
      return "random";
    case Strategy::Kind::kSpreadInstance:
      return "spread(instanceId)";
    case Strategy::Kind::kSpreadAttribute:
      return absl::StrCat("spread(attribute:", strategy.attribute, ")");
    case Strategy::Kind::kBinpackCpu:
      return "binpack(cpu)";
    case Strategy::Kind::kBinpackMemory:
      return "binpack(memory)";
  }
  return "?";
}

std::string PlacementRequest::FilterKey() const {
  std::string key;
  for (const ecs::Attribute& a : required_attributes) {
    absl::StrAppend(&key, "A", a.name.size(), ":", a.name);
    if (a.value.has_value()) {
      absl::StrAppend(&key, "=", a.value->size(), ":", *a.value);
    }
    key.push_back(';');
  }
  for (const auto& e : member_of) {
    if (!e->dependencies().tasks) {
      absl::StrAppend(&key, "M", e->text().size(), ":", Absl(e->text()), ";");
    }
  }
  return key;
}

absl::StatusOr<PlacementRequest> CompileRequest(const RequestSpec& spec) {
  return CompileRequest(spec, [](std::string_view text) { return query::ParseCached(text); });
}

absl::StatusOr<PlacementRequest> CompileRequest(const RequestSpec& spec,
                                                const ExpressionParser& parse) {
  PlacementRequest out;
  out.kind = spec.kind;
  out.explain = spec.explain;
  absl::StatusOr<TaskNeeds> needs = NeedsOf(spec.task_definition);
  if (!needs.ok()) {
    return needs.status();
  }
  out.needs = *std::move(needs);

  out.group = spec.group.empty() ? ecs::FamilyGroup(spec.task_definition.family) : spec.group;
  if (out.group.size() > kMaxGroupLength) {
    return absl::InvalidArgumentError("group: at most 255 characters are allowed");
  }
  out.required_attributes = spec.task_definition.requires_attributes;

  size_t total_constraints =
      spec.task_definition.placement_constraints.size() + spec.constraints.size();
  if (total_constraints > static_cast<size_t>(kMaxConstraints)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "placementConstraints: at most ", kMaxConstraints,
        " constraints are allowed, counting the task definition's; got ", total_constraints));
  }
  auto add_constraint = [&](const ecs::PlacementConstraint& c,
                            const std::string& where) -> absl::Status {
    if (c.type == ecs::PlacementConstraintType::kDistinctInstance) {
      if (c.expression.has_value() && !c.expression->empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": distinctInstance takes no expression"));
      }
      out.distinct_instance = true;
      return absl::OkStatus();
    }
    if (!c.expression.has_value() || c.expression->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": memberOf needs an expression"));
    }
    absl::StatusOr<std::shared_ptr<const query::Expression>> e = parse(*c.expression);
    if (!e.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".expression: ", e.status().message()));
    }
    out.member_of.push_back(*std::move(e));
    return absl::OkStatus();
  };
  for (size_t i = 0; i < spec.task_definition.placement_constraints.size(); ++i) {
    if (absl::Status s = add_constraint(spec.task_definition.placement_constraints[i],
                                        absl::StrCat("taskDefinition.placementConstraints[", i, "]"));
        !s.ok()) {
      return s;
    }
  }
  for (size_t i = 0; i < spec.constraints.size(); ++i) {
    if (absl::Status s =
            add_constraint(spec.constraints[i], absl::StrCat("placementConstraints[", i, "]"));
        !s.ok()) {
      return s;
    }
  }

  if (spec.strategies.size() > static_cast<size_t>(kMaxStrategies)) {
    return absl::InvalidArgumentError(absl::StrCat("placementStrategy: at most ", kMaxStrategies,
                                                   " strategies are allowed; got ",
                                                   spec.strategies.size()));
  }
  for (size_t i = 0; i < spec.strategies.size(); ++i) {
    absl::StatusOr<Strategy> s = ResolveStrategy(spec.strategies[i], i);
    if (!s.ok()) {
      return s.status();
    }
    out.strategies.push_back(*std::move(s));
  }
  if (out.strategies.empty()) {
    out.strategies = DefaultStrategies(spec.kind);
  }
  auto random = std::find_if(out.strategies.begin(), out.strategies.end(),
                             [](const Strategy& s) { return s.kind == Strategy::Kind::kRandom; });
  if (random != out.strategies.end()) {
    out.strategies.erase(random + 1, out.strategies.end());
  }

  if (spec.kind == RequestKind::kStartTask) {
    if (spec.container_instances.empty() ||
        spec.container_instances.size() > static_cast<size_t>(kMaxStartTaskInstances)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "containerInstances: between 1 and ", kMaxStartTaskInstances, " are required"));
    }
    out.container_instances = spec.container_instances;
    out.count = static_cast<int>(spec.container_instances.size());
    out.strategies.clear();
  } else {
    if (!spec.container_instances.empty()) {
      return absl::InvalidArgumentError("containerInstances: only StartTask names instances");
    }
    if (spec.count < 1 || (spec.kind == RequestKind::kRunTask && spec.count > kMaxRunTaskCount)) {
      return absl::InvalidArgumentError(
          spec.kind == RequestKind::kRunTask
              ? absl::StrCat("count: must be between 1 and ", kMaxRunTaskCount)
              : std::string("count: must be at least 1"));
    }
    out.count = spec.count;
  }
  return out;
}

}  // namespace berth::scheduler
