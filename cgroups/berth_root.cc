#include "cgroups/berth_root.h"

#include "absl/strings/str_cat.h"
#include "io/status.h"

namespace berth::cgroups {

absl::StatusOr<BerthRoot> BerthRoot::Open(const Cgroup& hierarchy) {
  const ControllerSet wanted = ControllerSet::All();
  ASSIGN_OR_RETURN(ControllerSet offered, hierarchy.Controllers());
  ASSIGN_OR_RETURN(std::string root_enabled_text, hierarchy.ReadFile("cgroup.subtree_control"));
  ControllerSet root_enabled = ControllerSet::Parse(root_enabled_text);
  ControllerSet to_enable = offered.Intersect(wanted).Minus(root_enabled);
  if (!to_enable.empty()) {
    RETURN_IF_ERROR(hierarchy.EnableForChildren(to_enable));
  }

  ASSIGN_OR_RETURN(Cgroup berth, hierarchy.CreateChild(kDirName, Cgroup::IfExists::kReuse));
  ASSIGN_OR_RETURN(ControllerSet available, berth.Controllers());
  available = available.Intersect(wanted);
  ASSIGN_OR_RETURN(std::string enabled_text, berth.ReadFile("cgroup.subtree_control"));
  ControllerSet missing = available.Minus(ControllerSet::Parse(enabled_text));
  if (!missing.empty()) {
    absl::Status st = berth.EnableForChildren(missing);
    if (!st.ok()) {
      absl::Status annotated(st.code(),
                             absl::StrCat(st.message(), " (berth/ must hold no processes: cgroup v2 "
                                                        "enables controllers only for children of "
                                                        "a cgroup without processes of its own)"));
      st.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
        annotated.SetPayload(url, payload);
      });
      return annotated;
    }
  }
  return BerthRoot(std::move(berth), available);
}

absl::StatusOr<BerthRoot> BerthRoot::OpenMount(std::string mount_path) {
  ASSIGN_OR_RETURN(Cgroup root, Cgroup::Open(std::move(mount_path)));
  return Open(root);
}

absl::StatusOr<Cgroup> BerthRoot::CreateTask(std::string_view task_id) const {
  ASSIGN_OR_RETURN(Cgroup task, berth_.CreateChild(task_id, Cgroup::IfExists::kReuse));
  RETURN_IF_ERROR(task.EnableForChildren(controllers_));
  return task;
}

absl::StatusOr<Cgroup> BerthRoot::OpenTask(std::string_view task_id) const {
  return berth_.OpenChild(task_id);
}

}  // namespace berth::cgroups
