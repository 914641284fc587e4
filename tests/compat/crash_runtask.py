#!/usr/bin/python3
"""kill -9 berth-control in the middle of a RunTask load; after the restart
every task that got a 200 is there exactly once.

Client threads send signed RunTask calls on keep-alive connections (one per
thread, no retries) to a cluster of simulated agents with plenty of capacity
(policy "hold": tasks are acknowledged and stay PENDING). After some hundreds
of 200s berth-control gets SIGKILL while calls are in flight, and is started
again on the same data dir. Then: the store opens (the ready line); every
task ARN of a 200 is described exactly once (DescribeTasks in batches of
100); ListTasks (desiredStatus RUNNING, every page) lists each ARN once and
every answered one; DescribeClusters' pendingTasksCount equals the listed
count and the instances' pending counts add up to it; and the agents end up
holding every listed task exactly once (the outboxes survived with their
tasks). Four kill points with different loads; the figures are printed."""
import signal
import threading
import time

import agent_sim
import berth_compat as bc

THREADS = 6
ROUNDS = [  # (answers before the kill, tasks per RunTask)
    (200, 1),
    (300, 2),
    (250, 5),
    (30, 10),  # early in a round of the largest RunTask commits
]


class Load:
    def __init__(self, b, count):
        self.b = b
        self.count = count
        self.lock = threading.Lock()
        self.answered = 0
        self.in_flight = 0
        self.unanswered = 0
        self.arns = []
        self.errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.worker, args=(i,), daemon=True)
                        for i in range(THREADS)]

    def worker(self, i):
        conn = bc.SignedConnection(self.b.endpoint, timeout=30)
        body = {"cluster": "load", "taskDefinition": "load", "count": self.count,
                "startedBy": f"w{i}"}
        while not self.stop.is_set():
            with self.lock:
                self.in_flight += 1
            try:
                status, out = conn.call("RunTask", body)
            except Exception:  # noqa: BLE001 - the kill: no answer for this call
                with self.lock:
                    self.in_flight -= 1
                    self.unanswered += 1
                return
            with self.lock:
                self.in_flight -= 1
                if status != 200:
                    self.errors.append((status, out))
                    return
                if out.get("failures"):
                    self.errors.append(("failures", out["failures"]))
                self.answered += 1
                self.arns += [t["taskArn"] for t in out.get("tasks", [])]
                if len(out.get("tasks", [])) != self.count:
                    self.errors.append(("tasks", len(out.get("tasks", []))))

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(40)


def listed_running(ecs):
    arns = []
    for page in ecs.get_paginator("list_tasks").paginate(
            cluster="load", desiredStatus="RUNNING", PaginationConfig={"PageSize": 100}):
        arns += page["taskArns"]
    return arns


def main(s):
    b = s.berth(extra=["--agent-poll-timeout", "2"])
    b.start()
    ecs = s.client(b)
    ecs.create_cluster(clusterName="load")
    ecs.register_task_definition(family="load", containerDefinitions=[
        {"name": "app", "image": "busybox:1.36", "cpu": 1, "memory": 8, "essential": True}])
    agents = [agent_sim.SimAgent(s, b, "load", cpu=1_000_000, memory=1_000_000,
                                 policy="hold").start() for _ in range(4)]
    answered = []  # every task ARN a 200 returned, across rounds
    before = []    # every task listed after the previous round
    for round_no, (target, count) in enumerate(ROUNDS, 1):
        bc.wait_for(lambda: all(c["agentConnected"] for c in ecs.describe_container_instances(
            cluster="load", containerInstances=[a.arn for a in agents])["containerInstances"]),
            20, "every agent connected")
        load = Load(b, count)
        started = time.monotonic()
        load.start()
        bc.wait_for(lambda: load.answered >= target or load.errors, 60,
                    f"{target} answered RunTask calls")
        with load.lock:
            in_flight = load.in_flight
        b.stop(signal.SIGKILL)
        elapsed = time.monotonic() - started
        load.join()
        if load.errors:
            raise AssertionError(f"round {round_no}: errors {load.errors[:5]}")
        answered += load.arns
        b.start()
        log = b.log_text()
        bc.expect_in("ready on", log, "the store opens after kill -9")
        if "refusing" in log or "ERROR" in log:
            raise AssertionError("start-up after kill -9 complained:\n" + log)
        ecs = s.client(b)

        listed = listed_running(ecs)
        bc.expect_eq(len(listed), len(set(listed)), "no ARN listed twice")
        missing = set(answered) - set(listed)
        bc.expect_eq(sorted(missing), [], "every answered task listed")
        bc.expect_eq(len(answered), len(set(answered)), "no ARN answered twice")
        bc.expect_eq(sorted(set(before) - set(listed)), [], "every task of earlier rounds kept")
        # Tasks of calls that got no answer may or may not be there: at most one
        # call per thread went unanswered.
        extra = len(set(listed) - set(answered) - set(before))
        if extra > load.unanswered * count:
            raise AssertionError(f"{extra} tasks beyond the answered ones with "
                                 f"{load.unanswered} calls unanswered")
        before = listed
        found = []
        for i in range(0, len(answered), 100):
            got = ecs.describe_tasks(cluster="load", tasks=answered[i:i + 100])
            bc.expect_eq(got["failures"], [], "describe failures")
            found += [t["taskArn"] for t in got["tasks"]]
            for t in got["tasks"]:
                bc.expect_eq((t["lastStatus"], t["desiredStatus"]), ("PENDING", "RUNNING"),
                             "status")
        bc.expect_eq(sorted(found), sorted(answered), "each answered task described once")
        c = ecs.describe_clusters(clusters=["load"])["clusters"][0]
        bc.expect_eq(c["pendingTasksCount"], len(listed), "pendingTasksCount = listed")
        bc.expect_eq(c["runningTasksCount"], 0, "runningTasksCount")
        cis = ecs.describe_container_instances(
            cluster="load", containerInstances=[a.arn for a in agents])["containerInstances"]
        bc.expect_eq(sum(x["pendingTasksCount"] for x in cis), len(listed),
                     "the instances' pending counts add up")
        # The agents get every committed task, each exactly once.
        bc.wait_for(lambda: sum(len(a.tasks) for a in agents) >= len(listed), 30,
                    "every listed task delivered to its agent")
        held = [arn for a in agents for arn in a.tasks]
        bc.expect_eq(sorted(held), sorted(listed), "the agents hold exactly the listed tasks")
        for a in agents:
            applied = [m[2] for m in a.applied_log]
            bc.expect_eq(len(applied), len(set(applied)), "each task applied once")
            a.check_no_errors()
        print(f"round {round_no}: {load.answered} RunTask calls answered 200 in {elapsed:.1f} s "
              f"(count {count}), {in_flight} in flight at the kill, "
              f"{load.unanswered} unanswered; {len(listed)} tasks found after the restart "
              f"({len(answered)} answered in all, {extra} from this round's unanswered calls)")
    for a in agents:
        a.stop()
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
