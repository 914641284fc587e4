"""run-task → RUNNING → stop-task → STOPPED through the real agent, with the
exit codes a user sees: a container that handles SIGTERM exits 0, one that
ignores it (a PID 1 without a handler) is killed after its stopTimeout (137),
an essential container's own exit stops the task (EssentialContainerExited)
with its exit code, and /v1/tasks agrees with describe-tasks."""
import glob
import json
import os
import time

import berth_system as bs
from berth_compat import expect_eq, expect_in


def cgroup_procs(task_id, container):
    """The PIDs in the container's cgroup, under whichever cgroup2 mount."""
    for m in bs.cgroup2_mounts():
        path = os.path.join(m, "berth", task_id, container, "cgroup.procs")
        if os.path.exists(path):
            with open(path) as f:
                return [int(p) for p in f.read().split()]
    return None


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", "sys")
    agent = s.agent(control, "sys")
    agent.start()
    image = s.image()

    s.register(control, "pair", [
        {"name": "polite", "image": image, "essential": True, "cpu": 256, "memory": 64,
         "command": ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo started; "
                                 "while true; do sleep 0.2; done"]},
        {"name": "stubborn", "image": image, "essential": False, "memory": 32,
         "stopTimeout": 2, "command": ["sleep", "3600"],
         "environment": [{"name": "GREETING", "value": "hi"}]},
    ])
    arn = s.run_task(control, "sys", "pair")[0]
    task_id = arn.rsplit("/", 1)[1]
    task = s.wait_status(control, "sys", arn, "RUNNING")
    containers = {c["name"]: c for c in task["containers"]}
    for name in ("polite", "stubborn"):
        expect_eq(containers[name]["lastStatus"], "RUNNING", f"{name} lastStatus")
        rid = containers[name].get("runtimeId", "")
        if len(rid) != 64 or any(ch not in "0123456789abcdef" for ch in rid):
            raise AssertionError(f"{name} runtimeId is not 64 hex characters: {rid!r}")
        procs = cgroup_procs(task_id, name)
        if not procs:
            raise AssertionError(f"no process in the cgroup of {name}: {procs}")

    # The introspection API agrees with describe-tasks.
    status, body = agent.get("/v1/tasks?taskarn=" + arn)
    expect_eq(status, 200, "/v1/tasks?taskarn status")
    expect_eq(body["Arn"], arn, "Arn")
    expect_eq(body["KnownStatus"], "RUNNING", "KnownStatus")
    expect_eq(body["Family"], "pair", "Family")
    seen = {c["Name"]: c["DockerId"] for c in body["Containers"]}
    expect_eq(seen, {n: c["runtimeId"] for n, c in containers.items()}, "DockerIds")
    status, body = agent.get("/v1/tasks?dockerid=" + containers["polite"]["runtimeId"][:12])
    expect_eq((status, body.get("Arn")), (200, arn), "/v1/tasks?dockerid= short id")

    # The container's stdout is in Docker's json-file format.
    logs = glob.glob(os.path.join(agent.data_dir, "**", "*-json.log"), recursive=True)
    lines = []
    for path in logs:
        with open(path) as f:
            lines += [json.loads(line) for line in f if line.strip()]
    expect_in({"log": "started\n", "stream": "stdout"},
              [{"log": entry["log"], "stream": entry["stream"]} for entry in lines],
              "json-file log entries")

    began = time.monotonic()
    s.aws(control, "stop-task", "--cluster", "sys", "--task", arn)
    task = s.wait_status(control, "sys", arn, "STOPPED", timeout=60)
    took = time.monotonic() - began
    containers = {c["name"]: c for c in task["containers"]}
    expect_eq(containers["polite"].get("exitCode"), 0, "polite exit code (SIGTERM handled)")
    expect_eq(containers["stubborn"].get("exitCode"), 137,
              "stubborn exit code (SIGKILL after stopTimeout)")
    if took < 2.0:
        raise AssertionError(f"stopped in {took:.2f}s: the stopTimeout of 2 s was not honoured")
    expect_eq(task.get("stopCode"), "UserInitiated", "stopCode")
    for name in ("polite", "stubborn"):
        procs = cgroup_procs(task_id, name)
        if procs:
            raise AssertionError(f"processes left in {name}'s cgroup after STOPPED: {procs}")

    # An essential container that exits on its own stops the task.
    s.register(control, "quitter", [
        # main exits once side has had time to install its SIGTERM handler
        # (a PID 1 without one ignores SIGTERM and is killed at the timeout).
        {"name": "main", "image": image, "memory": 32, "command": ["sh", "-c", "sleep 1; exit 3"]},
        {"name": "side", "image": image, "essential": False, "memory": 32,
         "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]},
    ])
    arn = s.run_task(control, "sys", "quitter")[0]
    task = s.wait_status(control, "sys", arn, "STOPPED", timeout=60)
    containers = {c["name"]: c for c in task["containers"]}
    expect_eq(containers["main"].get("exitCode"), 3, "main exit code")
    expect_eq(containers["side"].get("exitCode"), 0, "side exit code")
    expect_eq(task.get("stopCode"), "EssentialContainerExited", "stopCode")

    # A command that does not exist fails the container with Docker's reason.
    s.register(control, "broken", [
        {"name": "main", "image": image, "memory": 32, "command": ["/bin/no-such-thing"]}])
    arn = s.run_task(control, "sys", "broken")[0]
    task = s.wait_status(control, "sys", arn, "STOPPED", timeout=60)
    reason = task["containers"][0].get("reason", "")
    if not reason.startswith("CannotStartContainerError: "):
        raise AssertionError(f"reason of a missing command: {reason!r}")

    # ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION (1 s here) after STOPPED, every
    # task's files go (deleted on a worker thread, off the agent's loop).
    containers_dir = os.path.join(agent.data_dir, "containers")
    deadline = time.monotonic() + 30
    left = os.listdir(containers_dir)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = os.listdir(containers_dir)
    if left:
        raise AssertionError(f"container directories left after cleanup: {left}")


if __name__ == "__main__":
    bs.run(main)
