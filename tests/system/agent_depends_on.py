"""dependsOn through the real agent: a container waits for SUCCESS of one and
START of another before it starts, the task stops in reverse dependency
order (a dependency is signalled only after its dependents have stopped), and
a SUCCESS dependency that fails stops the task without starting its
dependent. Times come from the containers' json-file logs."""
import json
import os

import berth_system as bs
from berth_compat import expect_eq


def log_lines(agent, runtime_id):
    path = os.path.join(agent.data_dir, "containers", runtime_id, f"{runtime_id}-json.log")
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def first_time(lines, text):
    for entry in lines:
        if entry["log"] == text + "\n":
            return entry["time"]
    raise AssertionError(f"no log line {text!r} in {lines}")


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", "deps")
    agent = s.agent(control, "deps", extra_config={"ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1h"})
    agent.start()
    image = s.image()
    loop = "while true; do sleep 0.1; done"
    s.register(control, "ordered", [
        {"name": "app", "image": image, "memory": 16,
         "dependsOn": [{"containerName": "init", "condition": "SUCCESS"},
                       {"containerName": "db", "condition": "START"}],
         "command": ["sh", "-c", f"trap 'echo app bye; exit 0' TERM; echo app up; {loop}"]},
        {"name": "db", "image": image, "memory": 16, "essential": False,
         "command": ["sh", "-c", f"trap 'echo db bye; exit 0' TERM; echo db up; {loop}"]},
        {"name": "init", "image": image, "memory": 16, "essential": False,
         "command": ["sh", "-c", "echo init; sleep 1; echo init done; exit 0"]},
    ])
    arn = s.run_task(control, "deps", "ordered")[0]
    task = s.wait_status(control, "deps", arn, "RUNNING", timeout=60)
    c = {x["name"]: x for x in task["containers"]}
    expect_eq(c["init"]["lastStatus"], "STOPPED", "init lastStatus once the task runs")
    expect_eq(c["init"].get("exitCode"), 0, "init exit code")
    init_done = first_time(log_lines(agent, c["init"]["runtimeId"]), "init done")
    app_up = first_time(log_lines(agent, c["app"]["runtimeId"]), "app up")
    if not app_up > init_done:
        raise AssertionError(f"app started at {app_up}, before init succeeded at {init_done}")

    s.aws(control, "stop-task", "--cluster", "deps", "--task", arn)
    task = s.wait_status(control, "deps", arn, "STOPPED", timeout=60)
    c = {x["name"]: x for x in task["containers"]}
    expect_eq((c["app"].get("exitCode"), c["db"].get("exitCode")), (0, 0), "app and db exits")
    app_bye = first_time(log_lines(agent, c["app"]["runtimeId"]), "app bye")
    db_bye = first_time(log_lines(agent, c["db"]["runtimeId"]), "db bye")
    if not db_bye >= app_bye:
        raise AssertionError(f"db was stopped at {db_bye}, before its dependent app ({app_bye})")

    # A SUCCESS dependency that fails: the dependent never starts.
    s.register(control, "blocked", [
        {"name": "main", "image": image, "memory": 16,
         "dependsOn": [{"containerName": "setup", "condition": "SUCCESS"}],
         "command": ["sh", "-c", "echo main up; sleep 30"]},
        {"name": "setup", "image": image, "memory": 16, "essential": False,
         "command": ["sh", "-c", "exit 4"]},
    ])
    arn = s.run_task(control, "deps", "blocked")[0]
    task = s.wait_status(control, "deps", arn, "STOPPED", timeout=60)
    c = {x["name"]: x for x in task["containers"]}
    expect_eq(c["setup"].get("exitCode"), 4, "setup exit code")
    reason = c["main"].get("reason", "")
    if "setup" not in reason:
        raise AssertionError(f"main's reason does not name the failed dependency: {reason!r}")
    if c["main"].get("runtimeId"):
        path = os.path.join(agent.data_dir, "containers", c["main"]["runtimeId"])
        logs = os.path.join(path, c["main"]["runtimeId"] + "-json.log")
        if os.path.exists(logs) and os.path.getsize(logs) > 0:
            raise AssertionError("main ran although its SUCCESS dependency failed")


if __name__ == "__main__":
    bs.run(main)
