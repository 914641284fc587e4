#ifndef BERTH_CONTROL_SCHEDULER_PLACE_H_
#define BERTH_CONTROL_SCHEDULER_PLACE_H_

// Task placement with ECS semantics: filter -> constraints -> strategies ->
// choose. docs/scheduler.md describes the pipeline, the choices made where
// ECS is silent, and the indexes.

#include "control/scheduler/cluster_snapshot.h"
#include "control/scheduler/placement_request.h"
#include "control/scheduler/plan.h"
#include "io/rng.h"

namespace berth::scheduler {

// Places request.count tasks one after another, each seeing the resources
// and group counts the previous ones took. Pure: reads the snapshot, draws
// only from `rng`, touches no clock and does no I/O; the same snapshot,
// request and seed give the same plan.
//
// RunTask / services: candidates are ACTIVE instances with a connected
// agent; an instance fits when it has the CPU, MEMORY and static host
// ports, holds requiresAttributes and every memberOf, and (distinctInstance)
// runs no task of the group. Among those, the strategies pick the instance
// (lexicographically: later rules break ties of earlier ones), remaining
// ties at random. The first task that fits nowhere, and every task after it,
// is unplaced with an Explanation; plan.failures lists ECS failure entries.
//
// StartTask: each named instance gets one task if it passes the same checks.
Plan Place(const ClusterSnapshot& snapshot, const PlacementRequest& request, io::Rng& rng);

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_PLACE_H_
