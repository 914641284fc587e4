#ifndef BERTH_TESTS_UNIT_AGENT_TASK_RANDOM_STATE_H_
#define BERTH_TESTS_UNIT_AGENT_TASK_RANDOM_STATE_H_

// Random valid TaskStates and TaskChanges for property tests: every member
// drawn (optionals present or not), strings of valid UTF-8 including
// quotes, escapes and multi-byte characters, times to the nanosecond.

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "agent/task/task_state.h"

namespace berth::agent::testing {

inline uint64_t Below(std::mt19937_64& rng, uint64_t n) {
  return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng);
}
inline bool Coin(std::mt19937_64& rng) { return Below(rng, 2) == 0; }

inline std::string RandomText(std::mt19937_64& rng, size_t max_pieces = 8) {
  static const char* const kPieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t",
                                        "\x01", "\xC3\xA9", "\xE2\x82\xAC",
                                        "\xF0\x9F\x90\xB3", "ecs", "-", "_", ":", "="};
  std::string out;
  size_t n = Below(rng, max_pieces + 1);
  for (size_t i = 0; i < n; ++i) {
    out += kPieces[Below(rng, std::size(kPieces))];
  }
  return out;
}

inline std::string RandomName(std::mt19937_64& rng, bool underscore) {
  static const char kAlphabet[] = "abcXYZ019-_";
  std::string out;
  size_t n = 1 + Below(rng, 12);
  for (size_t i = 0; i < n; ++i) {
    char c = kAlphabet[Below(rng, sizeof(kAlphabet) - 1)];
    out += (c == '_' && !underscore) ? '-' : c;
  }
  return out;
}

template <typename T>
std::optional<T> Maybe(std::mt19937_64& rng, T value) {
  return Coin(rng) ? std::optional<T>(std::move(value)) : std::nullopt;
}

inline int32_t RandomInt32(std::mt19937_64& rng) { return static_cast<int32_t>(rng()); }

inline std::optional<absl::Time> RandomTime(std::mt19937_64& rng) {
  // Within +-200 years of the epoch, to the nanosecond.
  int64_t range = int64_t{200} * 365 * 24 * 3600 * 1000000000;
  int64_t ns = std::uniform_int_distribution<int64_t>(-range, range)(rng);
  return Maybe(rng, absl::FromUnixNanos(ns));
}

inline std::vector<std::pair<std::string, std::string>> RandomPairs(std::mt19937_64& rng) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t n = Below(rng, 4);
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(RandomText(rng), RandomText(rng));
  }
  return out;
}

inline std::vector<NetworkBinding> RandomBindings(std::mt19937_64& rng) {
  std::vector<NetworkBinding> out;
  size_t n = Below(rng, 3);
  for (size_t i = 0; i < n; ++i) {
    NetworkBinding b;
    b.bind_ip = Coin(rng) ? "0.0.0.0" : "127.0.0.1";
    b.container_port = static_cast<int32_t>(Below(rng, 65536));
    b.host_port = static_cast<int32_t>(Below(rng, 65536));
    b.protocol = Coin(rng) ? "tcp" : "udp";
    out.push_back(b);
  }
  return out;
}

inline TaskSpec RandomSpec(std::mt19937_64& rng) {
  TaskSpec s;
  s.id = RandomName(rng, false);
  s.arn = absl::StrCat("arn:aws:ecs:us-east-1:000000000000:task/", RandomText(rng, 3), "/", s.id);
  s.cluster_arn = RandomText(rng);
  s.container_instance_arn = RandomText(rng);
  s.task_definition_arn = RandomText(rng);
  s.family = RandomText(rng);
  s.revision = RandomInt32(rng);
  s.desired_status = Coin(rng) ? "RUNNING" : "STOPPED";
  s.cpu_units = Maybe(rng, static_cast<int64_t>(Below(rng, 1 << 20)));
  s.memory_mib = Maybe(rng, static_cast<int64_t>(Below(rng, 1 << 30)));
  s.network_mode = static_cast<ecs::NetworkMode>(Below(rng, 4));
  s.launch_type = Coin(rng) ? "EC2" : RandomText(rng);
  s.availability_zone = RandomText(rng);
  s.group = RandomText(rng);
  s.started_by = RandomText(rng);
  s.version = Maybe(rng, static_cast<int64_t>(rng()));
  size_t n = 1 + Below(rng, 4);
  for (size_t i = 0; i < n; ++i) {
    ContainerSpec c;
    c.name = absl::StrCat(RandomName(rng, true), "-", i);  // unique
    c.image = "img" + RandomText(rng);
    c.cpu = static_cast<int32_t>(Below(rng, 4096));
    c.memory = Maybe(rng, static_cast<int32_t>(Below(rng, 1 << 20)));
    c.memory_reservation = Maybe(rng, static_cast<int32_t>(Below(rng, 1 << 20)));
    c.essential = Coin(rng);
    if (Coin(rng)) {
      c.entry_point = std::vector<std::string>(Below(rng, 3), RandomText(rng));
    }
    if (Coin(rng)) {
      c.command = std::vector<std::string>{RandomText(rng), RandomText(rng)};
      c.command->resize(Below(rng, 3));
    }
    c.environment = RandomPairs(rng);
    if (Coin(rng)) c.working_directory = RandomText(rng);
    if (Coin(rng)) c.user = RandomText(rng);
    if (Coin(rng)) c.hostname = RandomText(rng);
    size_t ports = Below(rng, 3);
    for (size_t p = 0; p < ports; ++p) {
      ecs::PortMapping m;
      m.container_port = Maybe(rng, static_cast<int32_t>(Below(rng, 65536)));
      m.host_port = Maybe(rng, static_cast<int32_t>(Below(rng, 65536)));
      if (Coin(rng)) {
        m.protocol = Coin(rng) ? ecs::TransportProtocol::kTcp : ecs::TransportProtocol::kUdp;
      }
      m.name = Maybe(rng, RandomText(rng));
      m.app_protocol = Maybe(rng, std::string("http2"));
      c.port_mappings.push_back(m);
    }
    // Only on earlier containers: never a cycle.
    for (size_t d = 0; d < i; ++d) {
      if (Coin(rng)) {
        c.depends_on.push_back(ContainerDependency{
            s.containers[d].name, static_cast<DependencyCondition>(Below(rng, 4))});
      }
    }
    c.start_timeout = Maybe(rng, static_cast<int32_t>(Below(rng, 600)));
    c.stop_timeout = Maybe(rng, static_cast<int32_t>(Below(rng, 600)));
    c.init_process_enabled = Coin(rng);
    c.readonly_root_filesystem = Coin(rng);
    c.log_driver = Coin(rng) ? "json-file" : RandomText(rng);
    c.docker_labels = RandomPairs(rng);
    s.containers.push_back(std::move(c));
  }
  return s;
}

inline TaskState RandomState(std::mt19937_64& rng) {
  TaskState state = NewTaskState(RandomSpec(rng));
  state.known = static_cast<TaskStatus>(Below(rng, 5));
  state.desired = static_cast<TaskStatus>(Below(rng, 5));
  for (ContainerState& c : state.containers) {
    c.known = static_cast<ContainerStatus>(Below(rng, 5));
    c.desired = static_cast<ContainerStatus>(Below(rng, 5));
    c.runtime_id = RandomText(rng);
    c.runtime_name = RandomText(rng);
    c.image_id = RandomText(rng);
    c.image_digest = RandomText(rng);
    c.metadata_id = RandomText(rng);
    c.shim = ProcessIdentity{static_cast<int32_t>(Below(rng, 1u << 31)), rng()};
    c.process = ProcessIdentity{static_cast<int32_t>(Below(rng, 1u << 31)), rng()};
    c.exit_code = Maybe(rng, RandomInt32(rng));
    c.reason = RandomText(rng);
    c.oom_killed = Coin(rng);
    c.network_bindings = RandomBindings(rng);
    c.created_at = RandomTime(rng);
    c.started_at = RandomTime(rng);
    c.finished_at = RandomTime(rng);
  }
  state.stop_reason = RandomText(rng);
  state.pull_started_at = RandomTime(rng);
  state.pull_stopped_at = RandomTime(rng);
  state.execution_stopped_at = RandomTime(rng);
  state.stopped_at = RandomTime(rng);
  return state;
}

inline TaskChange RandomChange(std::mt19937_64& rng) {
  static const char* const kStatuses[] = {"", "PENDING", "RUNNING", "STOPPED"};
  TaskChange change;
  change.seq = rng();
  change.cluster_arn = RandomText(rng);
  change.task_arn = RandomText(rng);
  change.status = kStatuses[Below(rng, 4)];
  change.reason = RandomText(rng);
  size_t n = 1 + Below(rng, 3);
  for (size_t i = 0; i < n; ++i) {
    ContainerChange c;
    c.container_name = RandomText(rng);
    c.runtime_id = RandomText(rng);
    c.status = kStatuses[Below(rng, 4)];
    c.exit_code = Maybe(rng, RandomInt32(rng));
    c.reason = RandomText(rng);
    c.image_digest = RandomText(rng);
    c.network_bindings = RandomBindings(rng);
    change.containers.push_back(std::move(c));
  }
  change.pull_started_at = RandomTime(rng);
  change.pull_stopped_at = RandomTime(rng);
  change.execution_stopped_at = RandomTime(rng);
  return change;
}

}  // namespace berth::agent::testing

#endif  // BERTH_TESTS_UNIT_AGENT_TASK_RANDOM_STATE_H_
