"""Telemetry end to end (docs/agent-protocol.md "Telemetry"): a real agent
publishing every 2 s (BERTH_TELEMETRY_INTERVAL) with a stats round every 1 s
runs a busy-loop task in group service:busy and a sleeping one in
service:idle; berth-control's GET /metrics then shows the busy service well
above 0 % CPU and the idle one near 0, the cluster's CPU reservation equal to
the tasks' CPU over the instance's registered CPU, a cluster CPU utilization
above 0, memory utilization for both services (or, on a host whose cgroup v2
has no memory controller, no memory utilization at all rather than a wrong
0 %), and both ends count the messages without errors. Once the busy task is
stopped its service's series go within 10 s: STOPPED tasks do not count."""
import re
import time

import berth_system as bs
from berth_compat import expect_eq

CLUSTER = "telem"
BUSY_CPU, BUSY_MEMORY = 512, 256
IDLE_CPU, IDLE_MEMORY = 256, 128


def metric(text, name, labels=""):
    """The value of the series `name{labels}`, or None when it is absent."""
    key = name + (("{" + labels + "}") if labels else "")
    m = re.search("^" + re.escape(key) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def service(name):
    return f'cluster="{CLUSTER}",service="{name}"'


def service_series(text, name):
    """Every series line labelled with service `name`."""
    return [line for line in text.splitlines()
            if not line.startswith("#") and f'service="{name}"' in line]


def registered(control, s, agent, resource):
    out = s.aws(control, "describe-container-instances", "--cluster", CLUSTER,
                "--container-instances", agent.instance_arn)[1]
    for r in out["containerInstances"][0]["registeredResources"]:
        if r["name"] == resource:
            return r.get("integerValue") or r.get("longValue") or r.get("doubleValue")
    raise AssertionError(f"no registered {resource}: {out}")


def wait_metrics(control, condition, timeout, what):
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = control.metrics()
        if condition(text):
            return text
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; control's /metrics:\n"
                         + "\n".join(line for line in text.splitlines()
                                     if line.startswith(("berth_service", "berth_cluster",
                                                         "berth_telemetry"))))


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", CLUSTER)
    agent = s.agent(control, CLUSTER, extra_config={
        "BERTH_TELEMETRY_INTERVAL": "2s",
        "ECS_POLLING_METRICS_WAIT_DURATION": "1s",
    })
    agent.start()
    image = s.image()
    s.register(control, "busy", [
        {"name": "busy", "image": image, "essential": True,
         "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do :; done"]}],
        cpu=str(BUSY_CPU), memory=str(BUSY_MEMORY))
    s.register(control, "idle", [
        {"name": "idle", "image": image, "essential": True, "command": ["sleep", "3600"]}],
        cpu=str(IDLE_CPU), memory=str(IDLE_MEMORY))
    busy = s.run_task(control, CLUSTER, "busy", "--group", "service:busy")[0]
    idle = s.run_task(control, CLUSTER, "idle", "--group", "service:idle")[0]
    s.wait_status(control, CLUSTER, busy, "RUNNING")
    s.wait_status(control, CLUSTER, idle, "RUNNING")

    text = wait_metrics(
        control,
        lambda t: (metric(t, "berth_service_tasks_reporting", service("busy")) == 1
                   and metric(t, "berth_service_tasks_reporting", service("idle")) == 1),
        30, "both services' tasks to report")

    busy_cpu = metric(text, "berth_service_cpu_utilization_percent", service("busy"))
    idle_cpu = metric(text, "berth_service_cpu_utilization_percent", service("idle"))
    print(f"busy service CPU utilization: {busy_cpu} % (a busy loop on one CPU ~ 200 %)")
    print(f"idle service CPU utilization: {idle_cpu} %")
    if busy_cpu is None or busy_cpu <= 50:
        raise AssertionError(f"the busy service's CPU utilization is not above 50 %: {busy_cpu}")
    if idle_cpu is None or idle_cpu >= 10:
        raise AssertionError(f"the idle service's CPU utilization is not below 10 %: {idle_cpu}")

    # Memory: the working set needs cgroup v2's memory controller. Where the
    # agent samples no memory (its /metrics has no memory usage for the
    # containers), control must not make up a figure. A failure here is
    # raised at the end, so the other figures are still checked and printed.
    memory_problem = None
    agent_text = agent.get("/metrics")[1]
    agent_has_memory = all(
        re.search(r'^berth_container_memory_usage_bytes\{[^}]*task_arn="' + re.escape(arn)
                  + r'"[^}]*\} ', agent_text, re.M)
        for arn in (busy, idle))
    busy_mem = metric(text, "berth_service_memory_utilization_percent", service("busy"))
    idle_mem = metric(text, "berth_service_memory_utilization_percent", service("idle"))
    if agent_has_memory:
        print(f"memory case: sampled; busy {busy_mem} %, idle {idle_mem} %")
        if busy_mem is None or idle_mem is None or not (busy_mem > 0 and idle_mem > 0):
            memory_problem = f"memory utilization not above 0: busy {busy_mem}, idle {idle_mem}"
    else:
        print(f"memory case: not sampled (the agent's /metrics has no memory usage: no cgroup v2 "
              f"memory controller); service memory utilization busy {busy_mem}, idle {idle_mem} "
              f"(expected absent)")
        if busy_mem is not None or idle_mem is not None:
            memory_problem = (
                "the agent samples no memory (no cgroup v2 memory controller) yet berth-control "
                f"shows service memory utilization busy {busy_mem} %, idle {idle_mem} %")

    cpu_registered = registered(control, s, agent, "CPU")
    memory_registered = registered(control, s, agent, "MEMORY")
    reservation = metric(text, "berth_cluster_cpu_reservation_percent", f'cluster="{CLUSTER}"')
    expected = 100.0 * (BUSY_CPU + IDLE_CPU) / cpu_registered
    print(f"cluster CPU reservation: {reservation} % (expected {expected:.4f} % of "
          f"{cpu_registered} registered CPU units)")
    if reservation is None or abs(reservation - expected) > 0.01:
        raise AssertionError(f"cluster CPU reservation {reservation}, expected {expected}")
    mem_reservation = metric(text, "berth_cluster_memory_reservation_percent",
                             f'cluster="{CLUSTER}"')
    mem_expected = 100.0 * (BUSY_MEMORY + IDLE_MEMORY) / memory_registered
    print(f"cluster memory reservation: {mem_reservation} % (expected {mem_expected:.4f} % of "
          f"{memory_registered} MiB)")
    if mem_reservation is None or abs(mem_reservation - mem_expected) > 0.01:
        raise AssertionError(f"cluster memory reservation {mem_reservation}, "
                             f"expected {mem_expected}")
    cluster_cpu = metric(text, "berth_cluster_cpu_utilization_percent", f'cluster="{CLUSTER}"')
    print(f"cluster CPU utilization: {cluster_cpu} %")
    if cluster_cpu is None or cluster_cpu <= 0:
        raise AssertionError(f"cluster CPU utilization not above 0: {cluster_cpu}")

    messages = metric(text, "berth_telemetry_messages_total")
    skipped = metric(text, "berth_telemetry_tasks_total", 'result="skipped"')
    print(f"control: berth_telemetry_messages_total {messages}, tasks skipped {skipped}")
    if not messages or messages <= 0:
        raise AssertionError(f"berth_telemetry_messages_total is {messages}")
    expect_eq(skipped, 0.0, "telemetry task entries skipped (all tasks are on that instance)")
    # The agent feeds its counter from the publisher every 5 s.
    deadline = time.monotonic() + 15
    ok = error = None
    while time.monotonic() < deadline:
        agent_text = agent.get("/metrics")[1]
        ok = metric(agent_text, "berth_agent_telemetry_messages_total", 'result="ok"')
        error = metric(agent_text, "berth_agent_telemetry_messages_total", 'result="error"')
        if ok:
            break
        time.sleep(0.5)
    print(f"agent: berth_agent_telemetry_messages_total ok {ok}, error {error}")
    if not ok or ok <= 0:
        raise AssertionError(f"the agent counted no telemetry message sent: ok {ok}")
    expect_eq(error, 0.0, "the agent's failed telemetry messages")

    # A STOPPED task does not count: the busy service's series go.
    stopped_at = time.monotonic()
    s.aws(control, "stop-task", "--cluster", CLUSTER, "--task", busy)
    text = wait_metrics(control, lambda t: not service_series(t, "busy"), 10,
                        "the busy service's series to go")
    print(f"busy service's series gone {time.monotonic() - stopped_at:.1f} s after stop-task")
    expect_eq(s.describe(control, CLUSTER, [busy])["tasks"][0]["lastStatus"], "STOPPED",
              "the busy task's status once its series went")
    expect_eq(metric(text, "berth_service_tasks_reporting", service("idle")), 1.0,
              "the idle service still reports")
    reservation = metric(text, "berth_cluster_cpu_reservation_percent", f'cluster="{CLUSTER}"')
    expected = 100.0 * IDLE_CPU / cpu_registered
    print(f"cluster CPU reservation after the stop: {reservation} % (expected {expected:.4f} %)")
    if reservation is None or abs(reservation - expected) > 0.01:
        raise AssertionError(f"cluster CPU reservation after the stop {reservation}, "
                             f"expected {expected}")
    if memory_problem:
        raise AssertionError(memory_problem)


if __name__ == "__main__":
    bs.run(main)
