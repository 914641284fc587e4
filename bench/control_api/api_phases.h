#ifndef BERTH_BENCH_CONTROL_API_API_PHASES_H_
#define BERTH_BENCH_CONTROL_API_API_PHASES_H_

// The ECS API steps of berth_bench_control_api (control_api_bench.cc has the
// process around them): set-up (cluster, task definition, N container
// instances with their simulated agents), phase 1 (RunTask, or
// RegisterContainerInstance with --ops instances) and phase 2 (DescribeTasks,
// or DescribeContainerInstances). Each returns its part of the JSON report; a
// phase whose operation answers UnknownOperationException says "skipped".

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/control_api/control_process.h"
#include "bench/control_api/load_client.h"
#include "bench/control_api/phase.h"
#include "bench/control_api/report.h"
#include "bench/control_api/sim_agents.h"
#include "boost/json.hpp"

namespace berth::bench {

constexpr double kGoalTasksPerS = 2000;
constexpr double kGoalDescribePerS = 5000;
constexpr std::string_view kCluster = "bench";
constexpr std::string_view kFamily = "bench";
constexpr auto kSetupTimeout = std::chrono::seconds(30);
// Validate every Nth DescribeTasks answer in full; the others by a scan.
constexpr uint64_t kValidateEvery = 16;

struct Flags {
  std::string control;
  int instances = 200;
  int connections = 32;
  double duration = 10;
  double warmup = 2;
  int count = 10;
  int describe_batch = 100;
  std::string agents = "poll";
  bool pin = true;
  std::string work_dir;
  bool keep = false;
  int agent_disconnect_after = 3600;
  std::string ops = "tasks";
};

// Everything the run shares: the child, the client, the connections.
struct Bench {
  Flags flags;
  std::unique_ptr<ControlProcess> server;
  std::unique_ptr<LoadClient> client;
  std::unique_ptr<SimAgents> agents;
  std::string host;
  int ctl = -1;  // set-up and /metrics
  std::vector<int> conns;
  int exit_code = 0;

  HttpReply Call(std::string_view op, const std::string& body) {
    return client->Call(ctl, EcsRequest(host, op, body), kSetupTimeout);
  }
  Metrics FetchMetrics() {
    HttpReply r = client->Call(ctl, HttpGet(host, "/metrics"), kSetupTimeout);
    return r.status == 200 ? ParseMetrics(r.body) : Metrics{};
  }
  PhaseSpec Spec(std::string name, double warmup, double duration) {
    PhaseSpec spec;
    spec.name = std::move(name);
    spec.connections = conns;
    spec.warmup = std::chrono::duration<double>(warmup);
    spec.duration = std::chrono::duration<double>(duration);
    spec.tick = [this] { agents->Tick(); };
    spec.server_cpu = [this] { return server->CpuSeconds(); };
    spec.server_loop_cpu = [this] { return server->MainThreadCpuSeconds(); };
    spec.server_alive = [this] { return server->Alive(); };
    return spec;
  }
};

// One progress line on stderr.
void Progress(const std::string& line);

// CreateCluster, RegisterTaskDefinition, and N RegisterContainerInstance over
// the phase connections (their rate is reported too). Agents start polling as
// their instances register.
absl::StatusOr<boost::json::object> SetUp(Bench& b, std::vector<std::string>* instance_arns);
// Phase 1; collects the ARNs it created and, for tasks, tasks per instance.
boost::json::object WritePhase(Bench& b, std::vector<std::string>* arns,
                               std::map<std::string, uint64_t>* per_instance);
// Phase 2 over `arns`.
boost::json::object ReadPhase(Bench& b, const std::vector<std::string>& arns);

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_API_PHASES_H_
