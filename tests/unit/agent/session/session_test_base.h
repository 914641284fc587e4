#ifndef BERTH_TESTS_UNIT_AGENT_SESSION_SESSION_TEST_BASE_H_
#define BERTH_TESTS_UNIT_AGENT_SESSION_SESSION_TEST_BASE_H_

// A FakeLoop, a fake control plane reached in process, a signed
// ControlClient and a state store on a temp directory.

#include <memory>
#include <string>

#include "agent/session/control_client.h"
#include "agent/state/agent_state_store.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/log.h"
#include "io/rng.h"
#include "tests/unit/agent/session/fake_control_plane.h"
#include "tests/unit/agent/state/state_test_util.h"

namespace berth::agent::testing {

inline constexpr char kBackend[] = "http://control.invalid:8080";

class SessionTestBase : public ::testing::Test {
 protected:
  SessionTestBase() {
    ControlClientOptions options;
    options.backend_url = kBackend;
    options.credentials = {kAccessKey, kSecret};
    client_ = std::make_unique<ControlClient>(loop_, transport_, options);
    OpenStore();
  }

  void OpenStore() {
    store_.reset();
    AgentStateOptions options;
    options.data_dir = dir_.Sub("data");
    auto store = AgentStateStore::Open(options);
    CHECK_OK(store.status());
    store_ = std::move(*store);
  }

  TempDir dir_;
  io::FakeLoop loop_;
  FakeControlPlane plane_{loop_};
  InProcessTransport transport_{loop_, plane_};
  io::Rng rng_{42};
  std::unique_ptr<ControlClient> client_;
  std::unique_ptr<AgentStateStore> store_;
};

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_SESSION_SESSION_TEST_BASE_H_
