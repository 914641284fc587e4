// berth_bench_control_api: the ECS API of a real berth-control under load
// (issue 4). Starts berth-control on a fresh data dir, sets up a cluster of
// simulated container instances over the ECS JSON 1.1 API, then measures
//
//   phase 1  RunTask (count 10, default strategy) from C keep-alive
//            connections: tasks placed per second, durably (every answer
//            waits for its commit's fsync), and per-call latency;
//   phase 2  DescribeTasks of 100 of those tasks per call: requests/s,
//            tasks described/s, latency;
//
// and prints one JSON object with the figures, the goals (2,000 tasks/s,
// 5,000 DescribeTasks/s), the machine's load, and the store's group-commit
// counters from /metrics. Figures are printed, never asserted. README.md
// next to this file says how to run it and what was measured.
//
// Until RunTask/DescribeTasks are served, a phase whose operation answers
// UnknownOperationException is skipped with a message; `--ops instances`
// runs the same two phases with RegisterContainerInstance (a durable write)
// and DescribeContainerInstances (100 per call) instead.

#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/control_api/api_phases.h"
#include "bench/control_api/control_process.h"
#include "bench/control_api/load_client.h"
#include "bench/control_api/report.h"
#include "bench/control_api/sim_agents.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"

namespace berth::bench {
namespace {

int Usage(const char* argv0, std::string_view problem) {
  std::fprintf(stderr, "berth_bench_control_api: %.*s\n", static_cast<int>(problem.size()),
               problem.data());
  std::fprintf(
      stderr,
      "usage: %s [--control PATH] [--instances 200] [--connections 32] [--duration 10]\n"
      "          [--warmup 2] [--count 10] [--describe-batch 100] [--agents poll|none]\n"
      "          [--no-pin] [--work-dir /var/tmp] [--keep] [--agent-disconnect-after 3600]\n"
      "          [--ops tasks|instances]\n",
      argv0);
  return 2;
}

std::string DefaultControlPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "";
  }
  // <build>/bench/control_api/berth_bench_control_api → <build>/control/berth-control
  return (self.parent_path().parent_path().parent_path() / "control" / "berth-control").string();
}

std::string ParseFlags(int argc, char** argv, Flags* f) {
  f->control = DefaultControlPath();
  const char* env_dir = getenv("BERTH_BENCH_DIR");
  f->work_dir = env_dir != nullptr && *env_dir != '\0' ? env_dir : "/var/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    std::string_view name = arg.substr(0, eq);
    auto take = [&]() -> bool {
      if (eq != std::string_view::npos) {
        value = std::string(arg.substr(eq + 1));
        return true;
      }
      if (i + 1 >= argc) {
        return false;
      }
      value = argv[++i];
      return true;
    };
    auto int_flag = [&](int* out, int min) -> std::string {
      if (!take() || !absl::SimpleAtoi(value, out) || *out < min) {
        return absl::StrCat(Absl(name), " needs an integer >= ", min);
      }
      return "";
    };
    auto double_flag = [&](double* out, double min) -> std::string {
      if (!take() || !absl::SimpleAtod(value, out) || *out < min) {
        return absl::StrCat(Absl(name), " needs a number >= ", min);
      }
      return "";
    };
    std::string problem;
    if (name == "--control") {
      problem = take() ? "" : "--control needs a path";
      f->control = value;
    } else if (name == "--instances") {
      problem = int_flag(&f->instances, 1);
    } else if (name == "--connections") {
      problem = int_flag(&f->connections, 1);
    } else if (name == "--duration") {
      problem = double_flag(&f->duration, 0.1);
    } else if (name == "--warmup") {
      problem = double_flag(&f->warmup, 0);
    } else if (name == "--count") {
      problem = int_flag(&f->count, 1);
    } else if (name == "--describe-batch") {
      problem = int_flag(&f->describe_batch, 1);
    } else if (name == "--agents") {
      problem = take() && (value == "poll" || value == "none") ? "" : "--agents is poll or none";
      f->agents = value;
    } else if (name == "--ops") {
      problem =
          take() && (value == "tasks" || value == "instances") ? "" : "--ops is tasks or instances";
      f->ops = value;
    } else if (name == "--no-pin") {
      f->pin = false;
    } else if (name == "--keep") {
      f->keep = true;
    } else if (name == "--work-dir") {
      problem = take() ? "" : "--work-dir needs a path";
      f->work_dir = value;
    } else if (name == "--agent-disconnect-after") {
      problem = int_flag(&f->agent_disconnect_after, 0);
    } else {
      problem = absl::StrCat("unknown argument ", Absl(arg));
    }
    if (!problem.empty()) {
      return problem;
    }
  }
  if (f->control.empty() || access(f->control.c_str(), X_OK) != 0) {
    return absl::StrCat("no berth-control binary at '", f->control, "' (pass --control PATH)");
  }
  return "";
}

std::string UtcNow() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
}

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppend(&out, absl::Hex(rd() & 0xff, absl::kZeroPad2));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<ControlProcess>> StartServer(const Flags& flags,
                                                            ControlProcessOptions opts,
                                                            std::string* disconnect_note) {
  if (flags.agent_disconnect_after > 0) {
    opts.extra_args = {"--agent-disconnect-after", absl::StrCat(flags.agent_disconnect_after)};
    absl::StatusOr<std::unique_ptr<ControlProcess>> started = ControlProcess::Start(opts);
    if (started.ok() || !absl::StrContains(started.status().message(), "agent-disconnect-after")) {
      *disconnect_note = absl::StrCat("--agent-disconnect-after ", flags.agent_disconnect_after);
      return started;
    }
    *disconnect_note =
        "not known to this berth-control: its default window (60 s after registration or the "
        "last poll) applies";
    Progress(absl::StrCat("--agent-disconnect-after ", *disconnect_note));
    opts.extra_args.clear();
  } else {
    *disconnect_note = "not passed (--agent-disconnect-after 0)";
  }
  return ControlProcess::Start(opts);
}

int Main(int argc, char** argv) {
  Bench b;
  if (std::string problem = ParseFlags(argc, argv, &b.flags); !problem.empty()) {
    return Usage(argv[0], problem);
  }
  const Flags& flags = b.flags;
  boost::json::object report;
  report["bench"] = "control_api";
  report["started_utc"] = UtcNow();
  report["load_start"] = MachineLoad();

  // Pinning: the bench (one thread) on the first allowed CPU, berth-control
  // (loop and store writer) on the second.
  boost::json::object pinning;
  int server_cpu = -1;
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &allowed)) {
        cpus.push_back(c);
      }
    }
  }
  if (!flags.pin) {
    pinning["pinned"] = false;
    pinning["why"] = "--no-pin";
  } else if (cpus.size() < 2) {
    pinning["pinned"] = false;
    pinning["why"] = absl::StrCat(cpus.size(), " CPU(s) allowed");
  } else {
    cpu_set_t mine;
    CPU_ZERO(&mine);
    CPU_SET(cpus[0], &mine);
    if (sched_setaffinity(0, sizeof(mine), &mine) != 0) {
      pinning["pinned"] = false;
      pinning["why"] = absl::StrCat("sched_setaffinity failed: ", std::strerror(errno));
    } else {
      server_cpu = cpus[1];
      pinning["pinned"] = true;
      pinning["client_cpu"] = cpus[0];
      pinning["server_cpu"] = server_cpu;
    }
  }
  pinning["cpus_allowed"] = cpus.size();
  report["pinning"] = pinning;

  std::string dir_template = flags.work_dir + "/berth-bench-control-api-XXXXXX";
  if (mkdtemp(dir_template.data()) == nullptr) {
    std::fprintf(stderr, "berth_bench_control_api: failed to create a directory under %s: %s\n",
                 flags.work_dir.c_str(), std::strerror(errno));
    return 1;
  }
  const std::string work = dir_template;
  ControlProcessOptions opts;
  opts.binary = flags.control;
  opts.data_dir = work + "/data";
  opts.log_path = work + "/berth-control.log";
  opts.cpu = server_cpu;
  std::string disconnect_note;
  absl::StatusOr<std::unique_ptr<ControlProcess>> server =
      StartServer(flags, opts, &disconnect_note);
  if (!server.ok()) {
    std::fprintf(stderr, "berth_bench_control_api: %s\n",
                 std::string(server.status().message()).c_str());
    if (!flags.keep) {
      std::filesystem::remove_all(work);
    }
    return 1;
  }
  b.server = *std::move(server);
  b.host = b.server->host();
  Progress(
      absl::StrCat("berth-control pid ", b.server->pid(), " on ", b.host, ", work dir ", work));

  boost::json::object params;
  params["control"] = flags.control;
  params["ops"] = flags.ops;
  params["instances"] = flags.instances;
  params["connections"] = flags.connections;
  params["warmup_s"] = flags.warmup;
  params["duration_s"] = flags.duration;
  params["runtask_count"] = flags.count;
  params["describe_batch"] = flags.describe_batch;
  params["agents"] = flags.agents;
  params["agent_disconnect_after"] = disconnect_note;
  params["data_dir"] = opts.data_dir;
  params["server_ready_line"] = b.server->ready_line();
  report["parameters"] = params;

  absl::StatusOr<std::unique_ptr<LoadClient>> client = LoadClient::Create(b.server->address());
  if (!client.ok()) {
    std::fprintf(stderr, "berth_bench_control_api: %s\n",
                 std::string(client.status().message()).c_str());
    return 1;
  }
  b.client = *std::move(client);
  b.ctl = b.client->AddConnection();
  for (int i = 0; i < flags.connections; ++i) {
    b.conns.push_back(b.client->AddConnection());
  }
  b.agents = std::make_unique<SimAgents>(*b.client, b.host, std::string(kCluster), RandomHex(16));

  std::vector<std::string> instance_arns;
  absl::StatusOr<boost::json::object> setup = SetUp(b, &instance_arns);
  if (!setup.ok()) {
    std::fprintf(stderr, "berth_bench_control_api: set-up failed: %s\n",
                 std::string(setup.status().message()).c_str());
    b.exit_code = 1;
  } else {
    report["setup"] = *setup;
    Progress(absl::StrCat("set up: cluster, task definition, ", instance_arns.size(),
                          " container instances"));
    std::vector<std::string> arns;
    std::map<std::string, uint64_t> per_instance;
    report["phase1_" + std::string(flags.ops == "tasks" ? "run_task" : "register_instance")] =
        WritePhase(b, &arns, &per_instance);
    if (!per_instance.empty()) {
      uint64_t most = 0;
      for (const auto& [arn, n] : per_instance) {
        most = std::max(most, n);
      }
      boost::json::object placement;
      placement["instances_used"] = per_instance.size();
      placement["max_tasks_on_one_instance"] = most;
      placement["mean_tasks_per_instance"] =
          std::round(static_cast<double>(arns.size()) / static_cast<double>(per_instance.size()) *
                     10) /
          10;
      if ((flags.agents == "none" || b.agents->endpoint_missing()) && most >= 900) {
        placement["warning"] =
            "no agent acknowledged messages and an instance holds >= 900 tasks: its outbox "
            "(cap 1000) may have refused placements (reason AGENT)";
      }
      report["placement"] = placement;
    }
    report["phase2_" +
           std::string(flags.ops == "tasks" ? "describe_tasks" : "describe_instances")] =
        ReadPhase(b, arns);
  }

  Metrics end_metrics = b.FetchMetrics();
  report["agents"] = b.agents->ToJson();
  b.agents->StopAll();
  report["metrics_end"] = SelectMetrics(
      end_metrics,
      {"berth_store_", "berth_agent", "berth_api_responses_waiting", "berth_api_writes_failed"});
  report["client_connects"] = b.client->connects();
  report["load_end"] = MachineLoad();
  const double server_cpu_total = b.server->CpuSeconds();
  std::string how = b.server->Stop(std::chrono::seconds(15));
  report["server_cpu_s_total"] = std::round(server_cpu_total * 100) / 100;
  report["server_exit"] = how;
  if (how != "exit 0") {
    b.exit_code = 1;
    std::fprintf(stderr,
                 "berth_bench_control_api: berth-control ended with %s; its log ends:\n%s\n",
                 how.c_str(), b.server->LogTail(3000).c_str());
  }
  report["ended_utc"] = UtcNow();
  std::fputs(PrettyJson(report).c_str(), stdout);
  std::fflush(stdout);
  if (flags.keep) {
    Progress(absl::StrCat("kept ", work));
  } else {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  return b.exit_code;
}

}  // namespace
}  // namespace berth::bench

int main(int argc, char** argv) { return berth::bench::Main(argc, argv); }
