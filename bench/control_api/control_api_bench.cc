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

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/control_api/control_process.h"
#include "bench/control_api/load_client.h"
#include "bench/control_api/phase.h"
#include "bench/control_api/report.h"
#include "bench/control_api/sim_agents.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"

namespace berth::bench {
namespace {

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
      problem = take() && (value == "tasks" || value == "instances")
                    ? ""
                    : "--ops is tasks or instances";
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

std::string UtcNow() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

std::string RandomHex(int bytes) {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    absl::StrAppend(&out, absl::Hex(rd() & 0xff, absl::kZeroPad2));
  }
  return out;
}

std::string JsonString(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

// The JSON object of a 200 answer, or nullptr with `problem` set.
struct Parsed {
  boost::json::value value;
  const boost::json::object* object = nullptr;
};
Parsed ParseObject(std::string_view body) {
  Parsed p;
  boost::system::error_code ec;
  p.value = boost::json::parse(body, ec);
  if (!ec && p.value.is_object()) {
    p.object = &p.value.as_object();
  }
  return p;
}

const boost::json::array* ArrayMember(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

std::string StringMember(const boost::json::value& v, std::string_view name) {
  if (!v.is_object()) {
    return "";
  }
  const boost::json::value* m = v.as_object().if_contains(name);
  return m != nullptr && m->is_string() ? std::string(m->as_string()) : "";
}

void FailureReasons(const boost::json::object& o, Judged* j) {
  if (const boost::json::array* failures = ArrayMember(o, "failures")) {
    for (const boost::json::value& f : *failures) {
      std::string reason = StringMember(f, "reason");
      j->item_failures.push_back(reason.empty() ? "(no reason)" : reason);
    }
  }
}

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
    spec.server_alive = [this] { return server->Alive(); };
    return spec;
  }
};

std::string Describe(const HttpReply& r) {
  if (r.status == 0) {
    return absl::StrCat("transport error: ", r.error);
  }
  return absl::StrCat("HTTP ", r.status, ": ", r.body.substr(0, 300));
}

bool IsUnknownOperation(const HttpReply& r) {
  return r.status == 400 && absl::StrContains(r.body, "UnknownOperationException");
}

void Progress(const std::string& line) { std::fprintf(stderr, "control_api: %s\n", line.c_str()); }

// CreateCluster, RegisterTaskDefinition, and N RegisterContainerInstance over
// the phase connections (their rate is reported too). Agents start polling as
// their instances register.
absl::StatusOr<boost::json::object> SetUp(Bench& b, std::vector<std::string>* instance_arns) {
  boost::json::object out;
  HttpReply r = b.Call("CreateCluster", absl::StrCat(R"({"clusterName":)", JsonString(kCluster), "}"));
  if (r.status != 200) {
    return absl::InternalError(absl::StrCat("CreateCluster failed: ", Describe(r)));
  }
  // cpu 1 and the smallest memory berth accepts (6 MiB, docs/control.md).
  r = b.Call("RegisterTaskDefinition",
             absl::StrCat(R"({"family":)", JsonString(kFamily),
                          R"(,"containerDefinitions":[{"name":"app","image":"busybox:latest",)"
                          R"("cpu":1,"memory":6,"essential":true}]})"));
  if (r.status != 200) {
    return absl::InternalError(absl::StrCat("RegisterTaskDefinition failed: ", Describe(r)));
  }
  // Capacity that never runs out: 2^30 CPU units and MiB per instance.
  const std::string register_body =
      absl::StrCat(R"({"cluster":)", JsonString(kCluster),
                   R"(,"totalResources":[{"name":"CPU","type":"INTEGER","integerValue":1073741824},)"
                   R"({"name":"MEMORY","type":"INTEGER","integerValue":1073741824}]})");
  PhaseSpec spec = b.Spec("register", 0, 3600);
  spec.max_calls = static_cast<uint64_t>(b.flags.instances);
  spec.next_request = [&](int) { return EcsRequest(b.host, "RegisterContainerInstance", register_body); };
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    Parsed p = ParseObject(reply.body);
    std::string arn = p.object != nullptr ? StringMember(p.object->contains("containerInstance")
                                                             ? p.object->at("containerInstance")
                                                             : boost::json::value(),
                                                         "containerInstanceArn")
                                          : "";
    if (arn.empty()) {
      j.problem = "no containerInstance.containerInstanceArn";
      return j;
    }
    instance_arns->push_back(arn);
    if (b.flags.agents == "poll") {
      b.agents->Add(arn);
    }
    j.items = 1;
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  out["register_container_instances"] = PhaseJson(stats, "instances");
  if (instance_arns->size() != static_cast<size_t>(b.flags.instances)) {
    return absl::InternalError(absl::StrCat("registered ", instance_arns->size(), " of ",
                                            b.flags.instances, " container instances: ",
                                            boost::json::serialize(PhaseJson(stats, "instances"))));
  }
  return out;
}

// Phase 1: RunTask (or RegisterContainerInstance with --ops instances).
boost::json::object WritePhase(Bench& b, std::vector<std::string>* arns,
                               std::map<std::string, uint64_t>* per_instance) {
  const bool tasks = b.flags.ops == "tasks";
  const std::string op = tasks ? "RunTask" : "RegisterContainerInstance";
  const std::string body =
      tasks ? absl::StrCat(R"({"cluster":)", JsonString(kCluster), R"(,"taskDefinition":)",
                           JsonString(kFamily), R"(,"count":)", b.flags.count, "}")
            : absl::StrCat(R"({"cluster":)", JsonString(kCluster),
                           R"(,"totalResources":[{"name":"CPU","type":"INTEGER","integerValue":1024},)"
                           R"({"name":"MEMORY","type":"INTEGER","integerValue":2048}]})");
  boost::json::object out;
  out["operation"] = op;
  HttpReply probe = b.Call(op, tasks ? absl::StrCat(R"({"cluster":)", JsonString(kCluster),
                                                    R"(,"taskDefinition":)", JsonString(kFamily),
                                                    R"(,"count":1})")
                                     : body);
  if (IsUnknownOperation(probe)) {
    out["skipped"] = absl::StrCat(op, " is not served by this berth-control "
                                      "(UnknownOperationException): phase skipped");
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  if (probe.status != 200) {
    out["skipped"] = absl::StrCat("the probe ", op, " failed: ", Describe(probe));
    Progress(std::string(out["skipped"].as_string()));
    b.exit_code = 1;
    return out;
  }
  Progress(absl::StrCat("phase 1: ", op, " from ", b.conns.size(), " connections, warm-up ",
                        b.flags.warmup, " s, then ", b.flags.duration, " s"));
  out["load_at_start"] = MachineLoad();
  Metrics before = b.FetchMetrics();
  PhaseSpec spec = b.Spec(op, b.flags.warmup, b.flags.duration);
  spec.next_request = [&](int) { return EcsRequest(b.host, op, body); };
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    Parsed p = ParseObject(reply.body);
    if (p.object == nullptr) {
      j.problem = "not a JSON object";
      return j;
    }
    if (!tasks) {
      const boost::json::value* ci = p.object->if_contains("containerInstance");
      std::string arn = ci != nullptr ? StringMember(*ci, "containerInstanceArn") : "";
      if (arn.empty()) {
        j.problem = "no containerInstance.containerInstanceArn";
      } else {
        arns->push_back(arn);
        j.items = 1;
      }
      return j;
    }
    const boost::json::array* list = ArrayMember(*p.object, "tasks");
    if (list == nullptr) {
      j.problem = "no tasks array";
      return j;
    }
    for (const boost::json::value& t : *list) {
      std::string arn = StringMember(t, "taskArn");
      if (arn.empty()) {
        j.problem = "a task without taskArn";
        return j;
      }
      arns->push_back(std::move(arn));
      ++(*per_instance)[StringMember(t, "containerInstanceArn")];
    }
    j.items = list->size();
    FailureReasons(*p.object, &j);
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  Metrics after = b.FetchMetrics();
  out["request_body"] = body;
  boost::json::object figures = PhaseJson(stats, tasks ? "tasks" : "instances");
  for (auto& [k, v] : figures) {
    out[k] = v;
  }
  if (tasks) {
    out["goal_tasks_per_s"] = kGoalTasksPerS;
    out["ratio_to_goal"] =
        std::round(static_cast<double>(stats.items) / std::max(stats.window_s, 1e-9) /
                   kGoalTasksPerS * 100) / 100;
  }
  out["store"] = CommitFigures(before, after);
  if (stats.aborted || !stats.errors.empty()) {
    b.exit_code = 1;
  }
  return out;
}

// Phase 2: DescribeTasks (or DescribeContainerInstances) of `batch` ARNs.
boost::json::object ReadPhase(Bench& b, const std::vector<std::string>& arns) {
  const bool tasks = b.flags.ops == "tasks";
  const std::string op = tasks ? "DescribeTasks" : "DescribeContainerInstances";
  const std::string member = tasks ? "tasks" : "containerInstances";
  boost::json::object out;
  out["operation"] = op;
  if (arns.empty()) {
    out["skipped"] = "no ARNs from phase 1 to describe: phase skipped";
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  const size_t batch = std::min<size_t>(static_cast<size_t>(b.flags.describe_batch), arns.size());
  std::vector<std::string> requests;
  for (size_t at = 0; at + batch <= arns.size(); at += batch) {
    std::string body = absl::StrCat(R"({"cluster":)", JsonString(kCluster), ",\"", member, "\":[");
    for (size_t i = at; i < at + batch; ++i) {
      absl::StrAppend(&body, i == at ? "\"" : ",\"", arns[i], "\"");
    }
    body.append("]}");
    requests.push_back(EcsRequest(b.host, op, body));
  }
  HttpReply probe = b.client->Call(b.ctl, requests[0], kSetupTimeout);
  if (IsUnknownOperation(probe)) {
    out["skipped"] = absl::StrCat(op, " is not served by this berth-control "
                                      "(UnknownOperationException): phase skipped");
    Progress(std::string(out["skipped"].as_string()));
    return out;
  }
  if (probe.status != 200) {
    out["skipped"] = absl::StrCat("the probe ", op, " failed: ", Describe(probe));
    Progress(std::string(out["skipped"].as_string()));
    b.exit_code = 1;
    return out;
  }
  Progress(absl::StrCat("phase 2: ", op, " of ", batch, " ARNs per call (", requests.size(),
                        " distinct batches) from ", b.conns.size(), " connections"));
  out["load_at_start"] = MachineLoad();
  Metrics before = b.FetchMetrics();
  PhaseSpec spec = b.Spec(op, b.flags.warmup, b.flags.duration);
  uint64_t next = 0;
  uint64_t answers = 0;
  uint64_t validated = 0;
  spec.next_request = [&](int) { return requests[next++ % requests.size()]; };
  const std::string empty_failures = "\"failures\":[]";
  spec.judge = [&](const HttpReply& reply) {
    Judged j;
    // Cheap on most answers: every ARN asked for is in `member` or in
    // `failures`, so an empty `failures` means `batch` described.
    if (answers++ % kValidateEvery != 0 && absl::StrContains(reply.body, empty_failures)) {
      j.items = batch;
      return j;
    }
    Parsed p = ParseObject(reply.body);
    const boost::json::array* list = p.object != nullptr ? ArrayMember(*p.object, member) : nullptr;
    if (list == nullptr) {
      j.problem = absl::StrCat("no ", member, " array");
      return j;
    }
    ++validated;
    j.items = list->size();
    FailureReasons(*p.object, &j);
    if (list->size() + j.item_failures.size() != batch) {
      j.problem = absl::StrCat(list->size(), " described + ", j.item_failures.size(),
                               " failures for ", batch, " asked");
    }
    return j;
  };
  PhaseStats stats = RunPhase(*b.client, spec);
  Metrics after = b.FetchMetrics();
  out["arns_per_call"] = batch;
  out["distinct_batches"] = requests.size();
  out["answers_validated_in_full"] = validated;
  boost::json::object figures = PhaseJson(stats, tasks ? "tasks_described" : "instances_described");
  for (auto& [k, v] : figures) {
    out[k] = v;
  }
  out["response_body_bytes"] = probe.body.size();
  if (tasks) {
    out["goal_requests_per_s"] = kGoalDescribePerS;
    out["ratio_to_goal"] =
        std::round(static_cast<double>(stats.calls_ok) / std::max(stats.window_s, 1e-9) /
                   kGoalDescribePerS * 100) / 100;
  }
  out["store"] = CommitFigures(before, after);
  if (stats.aborted || !stats.errors.empty()) {
    b.exit_code = 1;
  }
  return out;
}

// Starts berth-control; if this build does not know --agent-disconnect-after
// (usage error naming it), starts it again without.
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
    std::fprintf(stderr, "berth_bench_control_api: %s\n", std::string(server.status().message()).c_str());
    if (!flags.keep) {
      std::filesystem::remove_all(work);
    }
    return 1;
  }
  b.server = *std::move(server);
  b.host = b.server->host();
  Progress(absl::StrCat("berth-control pid ", b.server->pid(), " on ", b.host, ", work dir ", work));

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
    std::fprintf(stderr, "berth_bench_control_api: %s\n", std::string(client.status().message()).c_str());
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
          std::round(static_cast<double>(arns.size()) / static_cast<double>(per_instance.size()) * 10) / 10;
      if ((flags.agents == "none" || b.agents->endpoint_missing()) && most >= 900) {
        placement["warning"] =
            "no agent acknowledged messages and an instance holds >= 900 tasks: its outbox "
            "(cap 1000) may have refused placements (reason AGENT)";
      }
      report["placement"] = placement;
    }
    report["phase2_" + std::string(flags.ops == "tasks" ? "describe_tasks" : "describe_instances")] =
        ReadPhase(b, arns);
  }

  Metrics end_metrics = b.FetchMetrics();
  report["agents"] = b.agents->ToJson();
  b.agents->StopAll();
  report["metrics_end"] =
      SelectMetrics(end_metrics, {"berth_store_", "berth_agent", "berth_api_responses_waiting",
                                  "berth_api_writes_failed"});
  report["client_connects"] = b.client->connects();
  report["load_end"] = MachineLoad();
  const double server_cpu_total = b.server->CpuSeconds();
  std::string how = b.server->Stop(std::chrono::seconds(15));
  report["server_cpu_s_total"] = std::round(server_cpu_total * 100) / 100;
  report["server_exit"] = how;
  if (how != "exit 0") {
    b.exit_code = 1;
    std::fprintf(stderr, "berth_bench_control_api: berth-control ended with %s; its log ends:\n%s\n",
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
