"""The introspection API of a real agent: /v1/metadata names the registered
instance and says whether the eBPF accounting is on, /v1/tasks agrees with
describe-tasks through a task's life, the error answers are Amazon's empty
objects, and /metrics counts what happened (launches, the engine's starts,
poll answers, reports sent). An agent started without the capabilities BPF
needs runs on with accounting disabled and says why."""
import re
import time

import berth_system as bs
from berth_compat import expect_eq


def metric(text, name, labels=""):
    m = re.search(re.escape(name + (("{" + labels + "}") if labels else "")) + r" ([0-9.e+]+)\n",
                  text)
    return float(m.group(1)) if m else None


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", "intro")
    agent = s.agent(control, "intro", extra_config={"ECS_POLLING_METRICS_WAIT_DURATION": "1s"})
    agent.start()
    status, meta = agent.get("/v1/metadata")
    expect_eq(status, 200, "/v1/metadata status")
    expect_eq(meta["Cluster"], "intro", "Cluster")
    expect_eq(meta["ContainerInstanceArn"], agent.instance_arn, "ContainerInstanceArn")
    if not meta["Version"].startswith("berth-agent - v"):
        raise AssertionError(f"Version: {meta['Version']!r}")
    expect_eq(meta.get("Accounting", {}).get("Enabled"), True, "Accounting.Enabled (root)")
    expect_eq(agent.get("/v1/tasks"), (200, {"Tasks": []}), "no tasks yet")
    expect_eq(agent.get("/nope")[1], {"AvailableCommands": ["/v1/metadata", "/v1/tasks",
                                                            "/license"]}, "catch-all")
    expect_eq(agent.get("/v1/tasks?taskarn=arn:aws:ecs:us-east-1:000000000000:task/intro/x"),
              (404, {"Arn": "", "KnownStatus": "", "Family": "", "Version": "",
                     "Containers": None}), "unknown task")
    expect_eq(agent.get("/v1/tasks?taskarn=a&dockerid=b")[0], 400, "both keys")

    image = s.image()
    s.register(control, "web", [
        {"name": "web", "image": image, "memory": 16,
         "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
         "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]}])
    arn = s.run_task(control, "intro", "web")[0]
    task = s.wait_status(control, "intro", arn, "RUNNING")
    status, body = agent.get("/v1/tasks")
    expect_eq(status, 200, "/v1/tasks")
    expect_eq(len(body["Tasks"]), 1, "one task")
    t = body["Tasks"][0]
    expect_eq((t["Arn"], t["KnownStatus"], t["DesiredStatus"], t["Family"], t["Version"]),
              (arn, "RUNNING", "RUNNING", "web", "1"), "task fields")
    c = t["Containers"][0]
    expect_eq(c["DockerId"], task["containers"][0]["runtimeId"], "DockerId")
    expect_eq(c["Ports"], [{"ContainerPort": 8080, "Protocol": "tcp", "HostPort": 8080,
                            "HostIp": "0.0.0.0"}], "Ports")
    expect_eq(task["containers"][0]["networkBindings"],
              [{"bindIP": "0.0.0.0", "containerPort": 8080, "hostPort": 8080,
                "protocol": "tcp"}], "networkBindings in describe-tasks")
    if not c["DockerName"].startswith("ecs-web-1-web-"):
        raise AssertionError(f"DockerName {c['DockerName']!r}")

    # Usage series of the running container, from the stats collector (1 s).
    labels = f'cluster="intro",task_arn="{arn}",family="web",container="web"'
    deadline = time.monotonic() + 15
    cpu = None
    while time.monotonic() < deadline:
        cpu = metric(agent.get("/metrics")[1], "berth_container_cpu_seconds_total", labels)
        if cpu:
            break
        time.sleep(0.5)
    if not cpu or cpu <= 0:
        raise AssertionError(f"no berth_container_cpu_seconds_total for web: {cpu}")
    text = agent.get("/metrics")[1]
    for name in ("berth_container_network_receive_bytes_total",
                 "berth_container_runqueue_delay_seconds_total"):
        if metric(text, name, labels) is None:
            raise AssertionError(f"{name} missing for web:\n{text}")

    s.aws(control, "stop-task", "--cluster", "intro", "--task", arn)
    s.wait_status(control, "intro", arn, "STOPPED")
    deadline = time.monotonic() + 15
    text = ""
    while time.monotonic() < deadline:
        status, text = agent.get("/metrics")
        sent = metric(text, "berth_agent_state_reports_total", 'result="sent"') or 0
        if sent >= 3:  # PENDING, RUNNING, STOPPED
            break
        time.sleep(0.5)
    expect_eq(metric(text, "berth_agent_task_launches_total"), 1.0, "launches")
    expect_eq(metric(text, "berth_agent_engine_containers_started_total"), 1.0, "started")
    expect_eq(metric(text, "berth_agent_cgroup_enforcement") is not None, True, "enforcement")
    if (metric(text, "berth_agent_polls_total", 'answer="messages"') or 0) < 2:
        raise AssertionError("polls with messages not counted:\n" + text)
    if (metric(text, "berth_agent_state_reports_total", 'result="sent"') or 0) < 3:
        raise AssertionError("reports sent not counted:\n" + text)
    if not re.search(r'^berth_agent_accounting_enabled\{[^}]*scheduler_hooks="[a-z_]+"[^}]*\} 1$',
                     text, re.M):
        raise AssertionError("berth_agent_accounting_enabled is not 1:\n" + text)
    agent.stop()

    # Without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN the programs cannot load:
    # the agent registers all the same, with accounting disabled, and says why.
    weak = s.agent(control, "intro", name="agent-no-bpf")
    weak.command_prefix = ["/usr/bin/setpriv", "--inh-caps=-bpf,-perfmon,-sys_admin",
                           "--bounding-set=-bpf,-perfmon,-sys_admin", "--"]
    weak.start()
    status, meta = weak.get("/v1/metadata")
    expect_eq(status, 200, "/v1/metadata of the agent without BPF")
    expect_eq(meta.get("Accounting", {}).get("Enabled"), False, "Accounting.Enabled (no caps)")
    if "Operation not permitted" not in meta["Accounting"].get("Detail", ""):
        raise AssertionError(f"Accounting.Detail does not say why: {meta['Accounting']!r}")
    if "accounting is disabled" not in weak.log_text():
        raise AssertionError("the agent's log does not say accounting is disabled")
    status, text = weak.get("/metrics")
    if not re.search(r'^berth_agent_accounting_enabled\{reason="[^"]+"\} 0$', text, re.M):
        raise AssertionError("berth_agent_accounting_enabled is not 0 with a reason:\n" + text)


if __name__ == "__main__":
    bs.run(main)
