#include "tests/unit/agent/engine/fakes.h"

#include <signal.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace berth::agent::testing {

const FakeWorld::Process* FakeWorld::Find(const std::string& name) const {
  for (const auto& [id, process] : by_runtime_id) {
    if (process.name == name) return &process;
  }
  return nullptr;
}

std::vector<std::string> FakeDriver::CallsStartingWith(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const std::string& call : calls) {
    if (absl::StartsWith(call, prefix)) out.push_back(call);
  }
  return out;
}

void FakeDriver::Pull(const TaskSpec&, const ContainerSpec& container,
                      absl::AnyInvocable<void(absl::StatusOr<PulledImage>)> done) {
  calls.push_back("pull " + container.name);
  if (auto_pull) {
    absl::StatusOr<PulledImage> result =
        PulledImage{.image_id = "sha256:config-" + container.name,
                    .image_digest = "sha256:manifest-" + container.name};
    if (auto it = pull_errors.find(container.name); it != pull_errors.end()) {
      result = it->second;
    }
    loop_.Post([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
    return;
  }
  pulls_[container.name] = std::move(done);
}

void FakeDriver::CompletePull(const std::string& name) {
  auto node = pulls_.extract(name);
  node.mapped()(PulledImage{.image_id = "sha256:config-" + name,
                            .image_digest = "sha256:manifest-" + name});
  loop_.RunUntilIdle();
}

void FakeDriver::FailPull(const std::string& name, absl::Status status) {
  auto node = pulls_.extract(name);
  node.mapped()(std::move(status));
  loop_.RunUntilIdle();
}

absl::Status FakeDriver::CreateTask(const TaskSpec&) {
  calls.push_back("create-task");
  return create_task_error;
}

absl::Status FakeDriver::Create(const TaskSpec&, const ContainerSpec& container,
                                ContainerState& state) {
  calls.push_back("create " + container.name);
  if (auto it = create_errors.find(container.name); it != create_errors.end()) {
    return it->second;
  }
  ++world_.created[state.runtime_id];
  return absl::OkStatus();
}

absl::Status FakeDriver::Start(const TaskSpec&, const ContainerSpec& container,
                               ContainerState& state,
                               absl::AnyInvocable<void(ContainerExit)> on_exit) {
  calls.push_back("start " + container.name);
  if (before_start) before_start(state);
  if (auto it = start_errors.find(container.name); it != start_errors.end()) {
    return it->second;
  }
  FakeWorld::Process& p = world_.by_runtime_id[state.runtime_id];
  p.name = container.name;
  ++p.starts;
  p.running = true;
  p.shim = {.pid = world_.next_pid++, .start_time = 1000};
  p.process = {.pid = world_.next_pid++, .start_time = 1001};
  state.shim = p.shim;
  state.process = p.process;
  if (auto it = exit_inside_start.find(container.name); it != exit_inside_start.end()) {
    p.running = false;
    p.exit = ContainerExit{.exit_code = it->second};
    on_exit(*p.exit);
    return absl::OkStatus();
  }
  Watch(state.runtime_id, std::move(on_exit));
  return absl::OkStatus();
}

void FakeDriver::Reattach(const TaskSpec&, const ContainerSpec& container, ContainerState& state,
                          absl::AnyInvocable<void(ContainerExit)> on_exit) {
  calls.push_back("reattach " + container.name);
  auto it = world_.by_runtime_id.find(state.runtime_id);
  if (it == world_.by_runtime_id.end() || it->second.starts == 0) {
    return;  // never started: shim left empty, on_exit never called
  }
  FakeWorld::Process& p = it->second;
  state.shim = p.shim;
  state.process = p.process;
  if (!p.running) {
    on_exit(p.exit.value_or(ContainerExit{.error = "ContainerVanishedError: gone"}));
    return;
  }
  Watch(state.runtime_id, std::move(on_exit));
}

void FakeDriver::Watch(const std::string& runtime_id,
                       absl::AnyInvocable<void(ContainerExit)> on_exit) {
  watchers_[runtime_id] = std::move(on_exit);
  const std::string& name = world_.by_runtime_id[runtime_id].name;
  if (auto it = exit_after_start.find(name); it != exit_after_start.end()) {
    loop_.Post([this, runtime_id, code = it->second] {
      End(runtime_id, ContainerExit{.exit_code = code});
    });
  }
}

void FakeDriver::End(const std::string& runtime_id, ContainerExit exit) {
  FakeWorld::Process& p = world_.by_runtime_id[runtime_id];
  if (!p.running) return;
  p.running = false;
  p.exit = exit;
  auto node = watchers_.extract(runtime_id);
  if (!node.empty()) {
    loop_.Post([cb = std::move(node.mapped()), exit]() mutable { cb(exit); });
  }
}

std::string FakeDriver::RuntimeIdOf(const std::string& name) const {
  for (const auto& [id, process] : world_.by_runtime_id) {
    if (process.name == name) return id;
  }
  return "";
}

void FakeDriver::Exit(const std::string& name, ContainerExit exit) {
  End(RuntimeIdOf(name), std::move(exit));
  loop_.RunUntilIdle();
}

void FakeDriver::Signal(const ContainerState& state, int signal) {
  calls.push_back(absl::StrCat("signal ", state.name, " ", signal));
  if (auto it = exit_on_term.find(state.name); it != exit_on_term.end() && signal == SIGTERM) {
    End(state.runtime_id, ContainerExit{.exit_code = it->second});
  }
}

void FakeDriver::Kill(const ContainerState& state) {
  calls.push_back("kill " + state.name);
  if (survive_kill.count(state.name) != 0) return;
  End(state.runtime_id, ContainerExit{.exit_code = 137});
}

void FakeDriver::Remove(const TaskSpec&, const ContainerState& state) {
  calls.push_back("remove " + state.name);
}

void FakeDriver::RemoveTask(const TaskSpec&) { calls.push_back("remove-task"); }

void FakeSink::Changed(const TaskState& state, std::optional<TaskChange> report) {
  if (before_change) before_change();
  changes.push_back(Change{state, std::move(report)});
}

std::vector<TaskChange> FakeSink::Reports() const {
  std::vector<TaskChange> out;
  for (const Change& change : changes) {
    if (change.report.has_value()) out.push_back(*change.report);
  }
  return out;
}

}  // namespace berth::agent::testing
