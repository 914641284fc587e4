"""kill -9 of berth-agent in the middle of 50 launches, then a restart, three
times over: every task still runs exactly once and stops with its own exit
code, including those that exited while the agent was down (their shims kept
the status), and none is left behind.

Each task runs `sh -c 'echo started; sleep S; exit N'` with its own N (an
override), so a lost task stays PENDING/RUNNING, a wrong report shows the
wrong exit code, and a second launch shows as a second "started" line in
the container's json-file log (a restarted agent keeps the runtime id)."""
import glob
import json
import os
import random
import time

import berth_system as bs
from berth_compat import expect_eq

TASKS = 50
KILL_AFTER = {12, 27, 41}


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", "crash")
    agent = s.agent(control, "crash", extra_config={
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1h",  # keep the logs to count launches
        "ECS_CONTAINER_STOP_TIMEOUT": "2s",
    })
    agent.start()
    image = s.image()
    s.register(control, "exiter", [
        {"name": "main", "image": image, "memory": 16, "command": ["sh", "-c", "exit 0"]}])
    ecs = s.client(control)
    rng = random.Random(5)
    expected = {}
    kills = 0
    for i in range(TASKS):
        code = 1 + i % 120
        sleep = rng.choice(["0", "0.5", "1", "2"])
        out = ecs.run_task(cluster="crash", taskDefinition="exiter", overrides={
            "containerOverrides": [{"name": "main", "command": [
                "sh", "-c", f"echo started; sleep {sleep}; exit {code}"]}]})
        if out.get("failures"):
            raise AssertionError(f"run-task {i} failed: {out['failures']}")
        arn = out["tasks"][0]["taskArn"]
        expected[arn] = code
        s.task_ids.add(arn.rsplit("/", 1)[1])
        if i in KILL_AFTER:
            time.sleep(rng.choice([0.0, 0.05, 0.3]))
            agent.kill9()
            kills += 1
            time.sleep(rng.choice([0.1, 1.5]))  # some tasks end while it is down
            agent.start()

    deadline = time.monotonic() + 180
    tasks = {}
    while time.monotonic() < deadline:
        tasks = {}
        arns = list(expected)
        for k in range(0, len(arns), 100):
            for t in ecs.describe_tasks(cluster="crash", tasks=arns[k:k + 100])["tasks"]:
                tasks[t["taskArn"]] = t
        if all(t["lastStatus"] == "STOPPED" for t in tasks.values()) and len(tasks) == TASKS:
            break
        time.sleep(1)
    not_stopped = {a: t["lastStatus"] for a, t in tasks.items() if t["lastStatus"] != "STOPPED"}
    if not_stopped or len(tasks) != TASKS:
        raise AssertionError(f"lost: {len(not_stopped)} tasks not STOPPED after the restarts "
                             f"({json.dumps(not_stopped)[:2000]}); described {len(tasks)}")
    wrong = {}
    for arn, t in tasks.items():
        c = t["containers"][0]
        if c.get("exitCode") != expected[arn] or c.get("reason"):
            wrong[arn] = (expected[arn], c.get("exitCode"), c.get("reason"))
    if wrong:
        raise AssertionError(f"{len(wrong)} tasks with a wrong exit: {json.dumps(wrong)[:2000]}")

    # Exactly once: one log per container, each with one "started".
    runtime_ids = {t["containers"][0]["runtimeId"] for t in tasks.values()}
    expect_eq(len(runtime_ids), TASKS, "distinct runtime ids")
    starts = {}
    for rid in runtime_ids:
        path = os.path.join(agent.data_dir, "containers", rid, f"{rid}-json.log")
        with open(path) as f:
            starts[rid] = sum(1 for line in f if json.loads(line)["log"] == "started\n")
    twice = {rid: n for rid, n in starts.items() if n != 1}
    if twice:
        raise AssertionError(f"containers not started exactly once: {twice}")
    expect_eq(kills, len(KILL_AFTER), "agent kills")
    # Nothing is left running in any of the tasks' cgroups.
    for root in bs.cgroup2_mounts():
        for path in glob.glob(os.path.join(root, "berth", "*", "main", "cgroup.procs")):
            if path.split("/")[-3] in s.task_ids:
                with open(path) as f:
                    if f.read().strip():
                        raise AssertionError(f"processes left in {path}")
    print(f"{TASKS} tasks, {kills} kill -9s of the agent: 0 lost, 0 launched twice, "
          f"every exit code right")


if __name__ == "__main__":
    bs.run(main)
