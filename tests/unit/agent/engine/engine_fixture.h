#ifndef BERTH_TESTS_UNIT_AGENT_ENGINE_ENGINE_FIXTURE_H_
#define BERTH_TESTS_UNIT_AGENT_ENGINE_ENGINE_FIXTURE_H_

#include <memory>
#include <string>

#include "agent/engine/task_engine.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/rng.h"
#include "tests/unit/agent/engine/fakes.h"
#include "tests/unit/agent/engine/test_specs.h"

namespace berth::agent::testing {

class EngineTest : public ::testing::Test {
 protected:
  TaskEngine& engine() {
    if (!engine_) {
      engine_ = std::make_unique<TaskEngine>(loop_, driver_, sink_, rng_, options_);
    }
    return *engine_;
  }
  void Apply(TaskSpec spec) {
    engine().Apply(std::move(spec));
    loop_.RunUntilIdle();
  }
  void Stop(std::string reason = "Task stopped by user", std::string arn = kTaskArn) {
    engine().Stop(arn, std::move(reason));
    loop_.RunUntilIdle();
  }
  const TaskState& State(const std::string& arn = kTaskArn) {
    const TaskState* state = engine().Find(arn);
    EXPECT_NE(state, nullptr) << arn;
    return *state;
  }
  const ContainerState& C(const std::string& name, const std::string& arn = kTaskArn) {
    for (const ContainerState& c : State(arn).containers) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no container " << name;
    static const ContainerState none;
    return none;
  }
  std::vector<std::string> Reports() { return Summaries(sink_.Reports()); }
  void Advance(absl::Duration d) {
    loop_.AdvanceTime(d);
    loop_.RunUntilIdle();
  }

  io::FakeLoop loop_;
  FakeWorld world_;
  FakeDriver driver_{loop_, world_};
  FakeSink sink_;
  io::Rng rng_{42};
  EngineOptions options_;
  std::unique_ptr<TaskEngine> engine_;
};

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_ENGINE_ENGINE_FIXTURE_H_
