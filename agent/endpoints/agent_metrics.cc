#include "agent/endpoints/agent_metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"

namespace berth::agent::endpoints {
namespace {

using Type = MetricRegistry::Type;

constexpr std::string_view kLaunches = "berth_agent_task_launches_total";
constexpr std::string_view kLaunchFailures = "berth_agent_task_launch_failures_total";
constexpr std::string_view kReports = "berth_agent_state_reports_total";
constexpr std::string_view kReportsQueued = "berth_agent_state_reports_queued";
constexpr std::string_view kPolls = "berth_agent_polls_total";
constexpr std::string_view kTelemetry = "berth_agent_telemetry_messages_total";
constexpr std::string_view kRegistration = "berth_agent_registration_state";
constexpr std::string_view kCgroupEnforcement = "berth_agent_cgroup_enforcement";
constexpr std::string_view kIntrospection = "berth_agent_introspection_requests_total";
constexpr std::string_view kAccounting = "berth_agent_accounting_enabled";

constexpr std::string_view kStatusCodes =
    "known status as a number: 0 NONE, 1 PULLED, 2 CREATED, 3 RUNNING, 4 STOPPED.";

constexpr std::array<TaskStatus, 5> kTaskStatuses = {TaskStatus::kNone, TaskStatus::kPulled,
                                                     TaskStatus::kCreated, TaskStatus::kRunning,
                                                     TaskStatus::kStopped};

Labels L(std::string_view name, std::string_view value) {
  return {{std::string(name), std::string(value)}};
}

}  // namespace

AgentMetrics::AgentMetrics(const io::TimeSource& time)
    : time_(time), started_(time.Monotonic()) {
  registry_.Declare(kLaunches, Type::kCounter, "Tasks the agent started launching.");
  registry_.Declare(kLaunchFailures, Type::kCounter,
                    "Tasks or containers that failed to launch, by the reason's error name.");
  registry_.Declare(kReports, Type::kCounter,
                    "State change reports to berth-control, by result (each attempt counts).");
  registry_.Declare(kReportsQueued, Type::kGauge,
                    "State changes persisted but not yet acknowledged by berth-control.");
  registry_.Declare(kPolls, Type::kCounter, "Long-poll answers from berth-control, by type.");
  registry_.Declare(kTelemetry, Type::kCounter,
                    "Telemetry messages to berth-control, by result (error: failed or dropped "
                    "unsent; never resent).");
  registry_.Declare(kRegistration, Type::kGauge,
                    "1 for the registration state the agent is in, 0 for states it was in.");
  registry_.Declare(kCgroupEnforcement, Type::kGauge,
                    "1 when cgroup v2 limits are enforced, 0 when the hierarchy has no "
                    "controllers and limits are skipped.");
  registry_.Declare(kAccounting, Type::kGauge,
                    "1 when the eBPF accounting programs are loaded (labels: how they hook "
                    "the scheduler and OOM kills), 0 when accounting is disabled (label: why).");
  registry_.Declare(kIntrospection, Type::kCounter,
                    "Introspection API requests, by route and HTTP status.");
  registry_.Add(kLaunches, {}, 0);
  registry_.Add(kReports, L("result", "sent"), 0);
  registry_.Add(kReports, L("result", "failed"), 0);
  registry_.Set(kReportsQueued, {}, 0);
  registry_.Add(kTelemetry, L("result", "ok"), 0);
  registry_.Add(kTelemetry, L("result", "error"), 0);
  registry_.Set(kCgroupEnforcement, {}, 0);
}

void AgentMetrics::RecordLaunch() { registry_.Add(kLaunches, {}); }

void AgentMetrics::RecordLaunchFailure(std::string_view reason_name) {
  registry_.Add(kLaunchFailures, L("reason", reason_name));
}

void AgentMetrics::RecordReportSent() { registry_.Add(kReports, L("result", "sent")); }

void AgentMetrics::RecordReportFailed() { registry_.Add(kReports, L("result", "failed")); }

void AgentMetrics::SetReportsQueued(size_t queued) {
  registry_.Set(kReportsQueued, {}, static_cast<double>(queued));
}

void AgentMetrics::RecordPoll(std::string_view answer) {
  registry_.Add(kPolls, L("answer", answer));
}

void AgentMetrics::SetRegistrationState(std::string_view state) {
  if (!registration_state_.empty()) {
    registry_.Set(kRegistration, L("state", registration_state_), 0);
  }
  registration_state_ = std::string(state);
  registry_.Set(kRegistration, L("state", state), 1);
}

void AgentMetrics::SetAccounting(bool enabled, std::string_view scheduler_hooks,
                                 std::string_view oom_hook, std::string_view reason) {
  if (enabled) {
    registry_.Set(kAccounting,
                  {{"scheduler_hooks", std::string(scheduler_hooks)},
                   {"oom_hook", std::string(oom_hook.substr(0, oom_hook.find(' ')))}},
                  1);
  } else {
    registry_.Set(kAccounting, L("reason", reason.substr(0, 200)), 0);
  }
}

void AgentMetrics::SetCgroupEnforcement(bool enforced) {
  registry_.Set(kCgroupEnforcement, {}, enforced ? 1 : 0);
}

void AgentMetrics::RecordIntrospectionRequest(std::string_view route, int status) {
  registry_.Add(kIntrospection, {{"route", std::string(route)}, {"code", absl::StrCat(status)}});
}

std::string AgentMetrics::Render(const IntrospectionSource& source,
                                 std::optional<uint64_t> rss_bytes) const {
  std::string out;
  registry_.Render(&out);

  MetricRegistry state;
  state.Declare("berth_agent_tasks", Type::kGauge, "Tasks the agent holds, by known status.");
  state.Declare("berth_agent_containers_running", Type::kGauge,
                "Containers whose known status is RUNNING.");
  state.Declare("berth_agent_task_state", Type::kGauge, absl::StrCat("A task's ", Absl(kStatusCodes)));
  state.Declare("berth_agent_container_state", Type::kGauge,
                absl::StrCat("A container's ", Absl(kStatusCodes)));
  state.Declare("berth_agent_container_exit_code", Type::kGauge,
                "A container's exit code, once it has exited.");
  state.Declare("berth_agent_uptime_seconds", Type::kGauge, "Seconds since the agent started.");
  // Usage, from the last stats sample (ECS_POLLING_METRICS_WAIT_DURATION).
  state.Declare("berth_container_cpu_seconds_total", Type::kCounter,
                "CPU time a container's processes used (eBPF on-CPU time, else cpu.stat).");
  state.Declare("berth_container_runqueue_delay_seconds_total", Type::kCounter,
                "Time a container's processes waited runnable for a CPU (eBPF).");
  state.Declare("berth_container_memory_usage_bytes", Type::kGauge,
                "memory.current of a container's cgroup (page cache included).");
  state.Declare("berth_container_memory_working_set_bytes", Type::kGauge,
                "memory.current minus inactive_file: the memory ECS reports as used.");
  state.Declare("berth_container_memory_limit_bytes", Type::kGauge,
                "memory.max of a container's cgroup, when it has one.");
  state.Declare("berth_container_network_receive_bytes_total", Type::kCounter,
                "Bytes delivered to a container's sockets, IP headers included (eBPF).");
  state.Declare("berth_container_network_transmit_bytes_total", Type::kCounter,
                "Bytes a container's sockets sent, IP headers included (eBPF).");
  state.Declare("berth_container_oom_kills_total", Type::kCounter,
                "Processes of a container the OOM killer killed (eBPF, where the kernel lets it).");
  state.Declare("berth_container_pids", Type::kGauge, "pids.current of a container's cgroup.");
  // Per task: the sums over its containers that have a sample (the running
  // ones), so a container that stops leaves the sums: rate() sees a reset.
  state.Declare("berth_task_cpu_seconds_total", Type::kCounter,
                "CPU time of a task's running containers (eBPF on-CPU time, else cpu.stat).");
  state.Declare("berth_task_runqueue_delay_seconds_total", Type::kCounter,
                "Time a task's running containers waited runnable for a CPU (eBPF).");
  state.Declare("berth_task_memory_working_set_bytes", Type::kGauge,
                "Working set of a task's running containers (memory.current minus inactive_file).");
  state.Declare("berth_task_network_receive_bytes_total", Type::kCounter,
                "Bytes delivered to a task's running containers' sockets (eBPF).");
  state.Declare("berth_task_network_transmit_bytes_total", Type::kCounter,
                "Bytes a task's running containers' sockets sent (eBPF).");
  if (rss_bytes.has_value()) {
    state.Declare("process_resident_memory_bytes", Type::kGauge,
                  "Resident memory size of the agent process in bytes.");
    state.Set("process_resident_memory_bytes", {}, static_cast<double>(*rss_bytes));
  }
  for (TaskStatus s : kTaskStatuses) {
    state.Set("berth_agent_tasks", L("status", ToString(s)), 0);
  }
  state.Set("berth_agent_containers_running", {}, 0);

  std::string cluster = source.Metadata().cluster;
  source.ForEachTask([&](const TaskState& task) {
    state.Add("berth_agent_tasks", L("status", ToString(task.known)));
    state.Set("berth_agent_task_state",
              {{"cluster", cluster},
               {"task_arn", task.spec.arn},
               {"family", task.spec.family},
               {"revision", absl::StrCat(task.spec.revision)}},
              static_cast<double>(task.known));
    const Labels task_labels = {
        {"cluster", cluster}, {"task_arn", task.spec.arn}, {"family", task.spec.family}};
    for (const ContainerState& c : task.containers) {
      Labels labels = {{"cluster", cluster},
                       {"task_arn", task.spec.arn},
                       {"family", task.spec.family},
                       {"container", c.name}};
      state.Set("berth_agent_container_state", labels, static_cast<double>(c.known));
      if (c.exit_code.has_value()) {
        state.Set("berth_agent_container_exit_code", labels, *c.exit_code);
      }
      if (c.known == ContainerStatus::kRunning) {
        state.Add("berth_agent_containers_running", {});
      }
      // (A fresh registry each render: Add from zero sets a counter's total.)
      if (const stats::ContainerSample* s = source.LatestStats(c.runtime_id)) {
        state.Add("berth_container_cpu_seconds_total", labels, s->CpuNs() / 1e9);
        state.Add("berth_task_cpu_seconds_total", task_labels, s->CpuNs() / 1e9);
        if (s->has_memory) {
          state.Add("berth_task_memory_working_set_bytes", task_labels,
                    static_cast<double>(s->WorkingSet()));
          state.Set("berth_container_memory_usage_bytes", labels,
                    static_cast<double>(s->memory_usage));
          state.Set("berth_container_memory_working_set_bytes", labels,
                    static_cast<double>(s->WorkingSet()));
        }
        if (s->memory_limit.has_value()) {
          state.Set("berth_container_memory_limit_bytes", labels,
                    static_cast<double>(*s->memory_limit));
        }
        if (s->has_pids) {
          state.Set("berth_container_pids", labels, static_cast<double>(s->pids_current));
        }
        if (s->bpf.has_value()) {
          state.Add("berth_container_runqueue_delay_seconds_total", labels,
                    s->bpf->runq_delay_ns / 1e9);
          state.Add("berth_container_network_receive_bytes_total", labels,
                    static_cast<double>(s->bpf->rx_bytes));
          state.Add("berth_container_network_transmit_bytes_total", labels,
                    static_cast<double>(s->bpf->tx_bytes));
          state.Add("berth_container_oom_kills_total", labels,
                    static_cast<double>(s->bpf->oom_kills));
          state.Add("berth_task_runqueue_delay_seconds_total", task_labels,
                    s->bpf->runq_delay_ns / 1e9);
          state.Add("berth_task_network_receive_bytes_total", task_labels,
                    static_cast<double>(s->bpf->rx_bytes));
          state.Add("berth_task_network_transmit_bytes_total", task_labels,
                    static_cast<double>(s->bpf->tx_bytes));
        }
      }
    }
  });
  state.Set("berth_agent_uptime_seconds", {},
            absl::ToDoubleSeconds(time_.Monotonic() - started_));
  state.Render(&out);
  return out;
}

std::optional<uint64_t> ReadSelfRssBytes() {
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) {
    return std::nullopt;
  }
  // "size resident shared text lib data dt", in pages.
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(buf, static_cast<size_t>(n)), ' ');
  uint64_t pages = 0;
  long page_size = sysconf(_SC_PAGESIZE);
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pages) || page_size <= 0) {
    return std::nullopt;
  }
  return pages * static_cast<uint64_t>(page_size);
}

}  // namespace berth::agent::endpoints
