#ifndef BERTH_CONTROL_SCHEDULER_DIAGNOSIS_H_
#define BERTH_CONTROL_SCHEDULER_DIAGNOSIS_H_

// Builds Explanations and ECS failure entries by checking instances on
// every dimension (internal to control/scheduler).

#include <vector>

#include "control/scheduler/explanation.h"
#include "control/scheduler/placer.h"
#include "ecs/failure.h"

namespace berth::scheduler::internal {

struct Diagnosis {
  Explanation explanation;
  // One per rejected instance, its first reason in pipeline order, closest
  // instances first, at most kMaxFailures.
  std::vector<ecs::Failure> failures;
};

Diagnosis Diagnose(const Placer& placer, const std::vector<Slot>& slots);

// The explanation for a StartTask name that matches no instance.
Diagnosis DiagnoseMissing(const std::string& name);

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_DIAGNOSIS_H_
