#!/usr/bin/env python3
"""berth-agent's memory: resident set at idle (registered, polling, no task)
and with N running tasks (default 100), plus what the tasks' shims cost
(each container's monitor is a fork of the agent: its pages are shared with
the agent until written, so PSS, not RSS, is the fair measure). Prints one
JSON object; nothing is asserted (bench/agent_launch/README.md).

    python3 bench/agent_launch/agent_rss.py build/release [--tasks 100]

Needs root (it runs real containers), /usr/bin/aws's botocore (python3-boto3),
umoci and busybox-static, like the system tier whose harness it uses.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import berth_system as bs  # noqa: E402


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_by_mapping(pid, top=12):
    """Resident KiB per mapped file (anonymous memory as "[anon]"), largest
    first: where the idle figure comes from."""
    totals = {}
    name = None
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                head = line.split()
                if not head:
                    continue
                if "-" in head[0] and not head[0].endswith(":"):
                    path = head[5] if len(head) > 5 else ""
                    if path.startswith("/"):
                        name = os.path.basename(path)
                    elif path in ("", "[heap]"):
                        name = "[anon]"
                    else:
                        name = path
                elif head[0] == "Rss:":
                    totals[name] = totals.get(name, 0) + int(head[1])
    except OSError:
        return {}
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    out = dict(ranked[:top])
    out["(others)"] = sum(v for _, v in ranked[top:])
    return out


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def sample(agent_pid):
    shims = children(agent_pid)
    return {
        "agent_rss_kib": status_kib(agent_pid, "VmRSS"),
        "agent_pss_kib": pss_kib(agent_pid),
        "shims": len(shims),
        "shims_pss_kib_total": sum(pss_kib(p) for p in shims),
        "shims_rss_kib_each_max": max((status_kib(p, "VmRSS") for p in shims), default=0),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--top", type=int, default=12,
                        help="mappings listed in idle_rss_kib_by_mapping")
    args = parser.parse_args()
    sys.argv = [sys.argv[0], args.build_dir]
    result = {}

    def scenario(s):
        control = s.berth()
        control.start()
        s.aws(control, "create-cluster", "--cluster-name", "rss")
        agent = s.agent(control, "rss", extra_config={"ECS_LOGLEVEL": "info"})
        agent.start()
        image = s.image()
        time.sleep(3)  # a few polls, settled
        result["idle"] = sample(agent.proc.pid)
        result["idle_rss_kib_by_mapping"] = rss_by_mapping(agent.proc.pid, args.top)
        s.register(control, "sleeper", [
            {"name": "main", "image": image, "memory": 8, "cpu": 10,
             "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}])
        ecs = s.client(control)
        arns = []
        while len(arns) < args.tasks:
            n = min(10, args.tasks - len(arns))
            out = ecs.run_task(cluster="rss", taskDefinition="sleeper", count=n)
            if out.get("failures"):
                raise AssertionError(f"run-task failed: {out['failures']}")
            arns += [t["taskArn"] for t in out["tasks"]]
        s.task_ids.update(a.rsplit("/", 1)[1] for a in arns)
        deadline = time.monotonic() + 300
        running = 0
        while time.monotonic() < deadline:
            running = 0
            for k in range(0, len(arns), 100):
                running += sum(1 for t in ecs.describe_tasks(cluster="rss",
                                                             tasks=arns[k:k + 100])["tasks"]
                               if t["lastStatus"] == "RUNNING")
            if running == len(arns):
                break
            time.sleep(1)
        if running != len(arns):
            raise AssertionError(f"only {running} of {len(arns)} tasks reached RUNNING")
        time.sleep(3)
        result[f"running_{args.tasks}"] = sample(agent.proc.pid)
        for k in range(0, len(arns)):
            ecs.stop_task(cluster="rss", task=arns[k])
        result["goal_idle_rss_kib"] = 15 * 1024
        print(json.dumps(result, indent=1))

    bs.run(scenario)


if __name__ == "__main__":
    main()
