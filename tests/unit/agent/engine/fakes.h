#ifndef BERTH_TESTS_UNIT_AGENT_ENGINE_FAKES_H_
#define BERTH_TESTS_UNIT_AGENT_ENGINE_FAKES_H_

// A fake ContainerDriver over a fake "world" of processes, and a recording
// EngineSink, for the task engine's unit tests. The world is plain data, so a
// test can copy it at any moment (a crash) and hand the copy to a fresh
// driver under a fresh engine (the restarted agent).

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "agent/engine/container_driver.h"
#include "io/fake_loop.h"

namespace berth::agent::testing {

struct FakeWorld {
  struct Process {
    std::string name;  // the container's
    int starts = 0;    // Start calls that made it run: must never exceed 1
    bool running = false;
    std::optional<ContainerExit> exit;
    ProcessIdentity shim;
    ProcessIdentity process;
  };
  std::map<std::string, Process> by_runtime_id;
  std::map<std::string, int> created;  // runtime id → Create calls
  int next_pid = 100;

  const Process* Find(const std::string& name) const;
};

class FakeDriver final : public ContainerDriver {
 public:
  FakeDriver(io::FakeLoop& loop, FakeWorld& world) : loop_(loop), world_(world) {}

  // Behaviour, set by the test.
  bool auto_pull = false;  // answer every pull (posted to the loop) with success
  std::map<std::string, absl::Status> pull_errors;    // by container name, for auto_pull
  std::map<std::string, absl::Status> create_errors;  // by container name
  std::map<std::string, absl::Status> start_errors;   // by container name
  absl::Status create_task_error;
  std::map<std::string, int> exit_on_term;      // name → exit code on SIGTERM
  std::map<std::string, int> exit_after_start;  // name → code, posted once it runs
  // name → code: on_exit is called from inside Start (the contract says
  // never; the engine copes anyway).
  std::map<std::string, int> exit_inside_start;
  std::set<std::string> survive_kill;  // names whose process Kill does not end
  // Runs first thing in Start (a test checks what was persisted by then).
  std::function<void(const ContainerState&)> before_start;

  // What the engine did, in order: "pull a", "create-task", "create a",
  // "start a", "reattach a", "signal a 15", "kill a", "remove a",
  // "remove-task".
  std::vector<std::string> calls;
  std::vector<std::string> CallsStartingWith(const std::string& prefix) const;

  // Test controls for pulls that are not answered automatically.
  bool PullPending(const std::string& name) const { return pulls_.count(name) != 0; }
  void CompletePull(const std::string& name);
  void FailPull(const std::string& name, absl::Status status);
  // The container's process ends now (its on_exit runs, posted).
  void Exit(const std::string& name, ContainerExit exit);
  void Exit(const std::string& name, int code) { Exit(name, ContainerExit{.exit_code = code}); }

  // ContainerDriver.
  void Pull(const TaskSpec& task, const ContainerSpec& container,
            absl::AnyInvocable<void(absl::StatusOr<PulledImage>)> done) override;
  absl::Status CreateTask(const TaskSpec& task) override;
  absl::Status Create(const TaskSpec& task, const ContainerSpec& container,
                      ContainerState& state) override;
  absl::Status Start(const TaskSpec& task, const ContainerSpec& container, ContainerState& state,
                     absl::AnyInvocable<void(ContainerExit)> on_exit) override;
  void Reattach(const TaskSpec& task, const ContainerSpec& container, ContainerState& state,
                absl::AnyInvocable<void(ContainerExit)> on_exit) override;
  void Signal(const ContainerState& state, int signal) override;
  void Kill(const ContainerState& state) override;
  void Remove(const TaskSpec& task, const ContainerState& state) override;
  void RemoveTask(const TaskSpec& task) override;

 private:
  void Watch(const std::string& runtime_id, absl::AnyInvocable<void(ContainerExit)> on_exit);
  void End(const std::string& runtime_id, ContainerExit exit);
  std::string RuntimeIdOf(const std::string& name) const;

  io::FakeLoop& loop_;
  FakeWorld& world_;
  std::map<std::string, absl::AnyInvocable<void(absl::StatusOr<PulledImage>)>> pulls_;
  std::map<std::string, absl::AnyInvocable<void(ContainerExit)>> watchers_;  // by runtime id
};

class FakeSink final : public EngineSink {
 public:
  struct Change {
    TaskState state;
    std::optional<TaskChange> report;
  };
  void Changed(const TaskState& state, std::optional<TaskChange> report) override;
  void Forgotten(const std::string& task_arn) override { forgotten.push_back(task_arn); }

  std::vector<TaskChange> Reports() const;
  std::vector<Change> changes;
  std::vector<std::string> forgotten;
  // Called at the start of every Changed, before it is recorded (a test
  // snapshots the world there: a crash just before this write).
  std::function<void()> before_change;
};

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_ENGINE_FAKES_H_
