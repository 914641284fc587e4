#!/usr/bin/python3
"""Tasks and agent messages survive restarts: after SIGTERM and after kill -9,
tasks keep their status, stop code and reason, exit codes, network bindings,
tags, group, startedBy and overrides, and the counts are rebuilt; an agent's
unacknowledged messages come again with the same sequence numbers, the
acknowledged ones do not, numbering goes on above the old numbers, and a
restored instance is disconnected until its agent polls."""
import signal

import agent_sim
import berth_compat as bc

APP = {"name": "app", "image": "busybox:1.36", "cpu": 64, "memory": 64, "essential": True,
       "portMappings": [{"containerPort": 8080, "hostPort": 0}]}

KEPT = ("taskArn", "lastStatus", "desiredStatus", "stopCode", "stoppedReason", "group",
        "startedBy", "overrides", "containerInstanceArn", "taskDefinitionArn", "tags",
        "createdAt", "startedAt", "stoppedAt")


def commits_ok(b):
    return b.metric("berth_store_commits_total", 'result="ok"')


def snapshot(ecs, arns):
    got = ecs.describe_tasks(cluster="keep", tasks=arns, include=["TAGS"])
    bc.expect_eq(got["failures"], [], "describe failures")
    out = {}
    for t in got["tasks"]:
        out[t["taskArn"]] = ({k: t.get(k) for k in KEPT},
                             sorted((c["name"], c.get("lastStatus"), c.get("exitCode"),
                                     str(c.get("networkBindings")), c.get("containerArn"))
                                    for c in t["containers"]))
    return out


def counts(ecs):
    c = ecs.describe_clusters(clusters=["keep"])["clusters"][0]
    return c["runningTasksCount"], c["pendingTasksCount"]


def messages(answer):
    bc.expect_eq(answer[0], 200, f"poll status {answer}")
    return [(m["seq"], m["type"], m["taskArn"]) for m in answer[1].get("messages", [])]


def main(s):
    b = s.berth(extra=["--agent-poll-timeout", "1"])
    b.start()
    ecs = s.client(b)
    ecs.create_cluster(clusterName="keep")
    ecs.register_task_definition(family="svc", containerDefinitions=[APP])

    # A: a polling agent that runs its tasks. B: an instance whose polls the
    # scenario makes by hand.
    a = agent_sim.SimAgent(s, b, "keep").start()
    hand = agent_sim.SimAgent(s, b, "keep", policy="hold")
    hand.register()

    got = ecs.start_task(cluster="keep", taskDefinition="svc", containerInstances=[a.arn] * 1,
                         startedBy="dur", group="g1",
                         overrides={"containerOverrides": [{"name": "app",
                                                            "command": ["sleep", "9"]}]},
                         tags=[{"key": "k", "value": "v"}])
    r1 = got["tasks"][0]["taskArn"]
    got = ecs.start_task(cluster="keep", taskDefinition="svc", containerInstances=[a.arn])
    r2 = got["tasks"][0]["taskArn"]
    a.wait_task(r1, "RUNNING")
    a.wait_task(r2, "RUNNING")
    ecs.stop_task(cluster="keep", task=r2, reason="gone for good")
    a.wait_task(r2, "STOPPED")

    # Four tasks for B: seq 1..4. B acknowledges 2.
    b_tasks = []
    for _ in range(4):
        got = ecs.start_task(cluster="keep", taskDefinition="svc",
                             containerInstances=[hand.arn])
        b_tasks.append(got["tasks"][0]["taskArn"])
    first = messages(hand.poll_once(ack=0, timeout=5))
    bc.expect_eq([m[0] for m in first], [1, 2, 3, 4], "seq 1..4")
    bc.expect_eq([m[2] for m in first], b_tasks, "in placement order")
    bc.expect_eq({m[1] for m in first}, {"task"}, "task messages")
    before = commits_ok(b)
    again = messages(hand.poll_once(ack=2, timeout=5))
    bc.expect_eq(again, first[2:], "after ack 2: 3 and 4 again, same numbers")
    bc.wait_for(lambda: commits_ok(b) > before, 10, "the ack written (lazily)")
    ecs.stop_task(cluster="keep", task=b_tasks[3], reason="cancelled")  # seq 5

    arns = [r1, r2] + b_tasks
    kept = snapshot(ecs, arns)
    kept_counts = counts(ecs)
    bc.expect_eq(kept_counts, (1, 4), "running, pending before the restart")
    listed = sorted(ecs.list_tasks(cluster="keep")["taskArns"])

    # SIGTERM.
    bc.expect_eq(b.stop(), 0, "SIGTERM exit status")
    b.start()
    ecs = s.client(b)
    bc.expect_eq(snapshot(ecs, arns), kept, "tasks after SIGTERM")
    bc.expect_eq(counts(ecs), kept_counts, "counts after SIGTERM")
    bc.expect_eq(sorted(ecs.list_tasks(cluster="keep")["taskArns"]), listed, "list after SIGTERM")
    bc.expect_eq(sorted(ecs.list_tasks(cluster="keep", desiredStatus="STOPPED")["taskArns"]),
                 sorted([r2, b_tasks[3]]), "STOPPED list after SIGTERM")
    t = ecs.describe_tasks(cluster="keep", tasks=[r2])["tasks"][0]
    bc.expect_eq((t["stopCode"], t["stoppedReason"]), ("UserInitiated", "gone for good"),
                 "stop code and reason kept")
    got = ecs.describe_container_instances(cluster="keep", containerInstances=[hand.arn])
    bc.expect_eq(got["containerInstances"][0]["agentConnected"], False,
                 "a restored instance is disconnected until it polls")
    hand.restart_session()
    redelivered = messages(hand.poll_once(ack=0, timeout=5))
    bc.expect_eq(redelivered, first[2:] + [(5, "stop", b_tasks[3])],
                 "unacknowledged messages again with their numbers; acknowledged ones not")
    got = ecs.describe_container_instances(cluster="keep", containerInstances=[hand.arn])
    bc.expect_eq(got["containerInstances"][0]["agentConnected"], True, "connected after a poll")

    # B acknowledges 3; a new task (seq 6); kill -9.
    before = commits_ok(b)
    bc.expect_eq(messages(hand.poll_once(ack=3, timeout=5)), redelivered[1:], "after ack 3")
    bc.wait_for(lambda: commits_ok(b) > before, 10, "the ack written (lazily)")
    got = ecs.start_task(cluster="keep", taskDefinition="svc", containerInstances=[hand.arn])
    b_tasks.append(got["tasks"][0]["taskArn"])
    arns.append(b_tasks[-1])
    kept = snapshot(ecs, arns)
    kept_counts = counts(ecs)
    bc.expect_eq(b.stop(signal.SIGKILL), -signal.SIGKILL, "killed")
    b.start()
    ecs = s.client(b)
    bc.expect_eq(snapshot(ecs, arns), kept, "tasks after kill -9")
    bc.expect_eq(counts(ecs), kept_counts, "counts after kill -9")
    hand.restart_session()
    got = messages(hand.poll_once(ack=0, timeout=5))
    bc.expect_eq(got, [(4, "task", b_tasks[3]), (5, "stop", b_tasks[3]),
                       (6, "task", b_tasks[4])], "after kill -9: 4, 5, 6")
    messages(hand.poll_once(ack=6, timeout=5))  # held until the 1 s heartbeat

    # A followed both restarts; its numbering goes on above the old numbers.
    a_seqs = [m[0] for m in a.applied_log]
    ecs.stop_task(cluster="keep", task=r1)
    a.wait_task(r1, "STOPPED")
    new = [m for m in a.applied_log if m[2] == r1 and m[1] == "stop"]
    bc.expect_eq(len(new), 1, "the stop applied once")
    bc.expect_eq(new[0][0] > max(a_seqs), True, f"a new number {new[0][0]} above {a_seqs}")
    seqs = [m[0] for m in a.applied_log]
    bc.expect_eq(seqs, sorted(set(seqs)), "A applied each number once, in order")
    t = ecs.describe_tasks(cluster="keep", tasks=[r1])["tasks"][0]
    bc.expect_eq((t["lastStatus"], t["stoppedReason"]), ("STOPPED", "Task stopped by user"),
                 "stopped after the restarts")
    a.stop()
    a.check_no_errors()
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
