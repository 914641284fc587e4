#!/usr/bin/python3
"""Tasks through boto3 with simulated agents (agent_sim.py): DiscoverPollEndpoint;
StartTask on named instances; DescribeTasks with include TAGS and MISSING
failures; tags on a task ARN; an essential container's exit →
EssentialContainerExited (a non-essential one's does not stop the task);
exit codes and networkBindings; RESOURCE:CPU / MEMORY / PORTS failures and
resources released once a task is STOPPED; counts in DescribeClusters and
DescribeContainerInstances; SubmitTaskStateChange idempotent; the ListTasks
paginator over 250 tasks; AGENT failures for a silent agent
(--agent-disconnect-after 2) and recovery when it polls again."""
import agent_sim
import berth_compat as bc


def td(ecs, family, cpu=128, memory=128, ports=(), extra_containers=(), network_mode=None):
    app = {"name": "app", "image": "busybox:1.36", "cpu": cpu, "memory": memory,
           "essential": True,
           "portMappings": [{"containerPort": c, "hostPort": h} for c, h in ports]}
    args = dict(family=family, containerDefinitions=[app] + list(extra_containers))
    if network_mode:
        args["networkMode"] = network_mode
    return ecs.register_task_definition(**args)["taskDefinition"]["taskDefinitionArn"]


def reasons(got):
    """(arn, reason) of each failure; `detail` is berth's extra word."""
    return [(f["arn"], f["reason"]) for f in got["failures"]]


def describe(ecs, cluster, arns, **kw):
    return ecs.describe_tasks(cluster=cluster, tasks=arns, **kw)


def one(ecs, cluster, arn):
    return describe(ecs, cluster, [arn])["tasks"][0]


def instance(ecs, cluster, arn):
    return ecs.describe_container_instances(cluster=cluster,
                                            containerInstances=[arn])["containerInstances"][0]


def remaining(ci, name):
    for r in ci["remainingResources"]:
        if r["name"] == name:
            return r.get("integerValue", r.get("stringSetValue"))
    raise AssertionError(f"no {name} in {ci['remainingResources']}")


def main(s):
    b = s.berth(extra=["--agent-poll-timeout", "1", "--agent-disconnect-after", "2"])
    b.start()
    ecs = s.client(b)
    ecs.create_cluster(clusterName="apps")
    LOG = {"name": "log", "image": "busybox:1.36", "memory": 32, "essential": False}

    # DiscoverPollEndpoint: the control listener.
    a = agent_sim.SimAgent(s, b, "apps", cpu=2048, memory=1000,
                           ports=["22", "8080"]).start()
    c = agent_sim.SimAgent(s, b, "apps", cpu=2048, memory=1000).start()
    got = ecs.discover_poll_endpoint(containerInstance=a.arn, cluster="apps")
    bc.expect_eq(got["endpoint"], b.endpoint, "DiscoverPollEndpoint endpoint")
    bc.expect_eq(got["telemetryEndpoint"], b.endpoint, "telemetryEndpoint")
    bc.expect_client_error(lambda: ecs.discover_poll_endpoint(cluster="nope"),
                           "ClusterNotFoundException")

    # StartTask on named instances, with tags; include TAGS.
    small = td(ecs, "small", cpu=128, memory=100, extra_containers=[LOG])
    got = ecs.start_task(cluster="apps", taskDefinition="small",
                         containerInstances=[a.arn, c.arn.rsplit("/", 1)[1]],
                         startedBy="boto3", tags=[{"key": "tier", "value": "gold"}])
    bc.expect_eq(got["failures"], [], "start_task failures")
    bc.expect_eq(sorted(t["containerInstanceArn"] for t in got["tasks"]),
                 sorted([a.arn, c.arn]), "one task per named instance")
    started = [t["taskArn"] for t in got["tasks"]]
    for t in got["tasks"]:
        bc.expect_eq((t["lastStatus"], t["desiredStatus"], t["group"], t["startedBy"]),
                     ("PENDING", "RUNNING", "family:small", "boto3"), "started task")
        bc.expect_eq(t["taskDefinitionArn"], small, "taskDefinitionArn")
    sims = {a.arn: a, c.arn: c}
    for t in got["tasks"]:
        sims[t["containerInstanceArn"]].wait_task(t["taskArn"], "RUNNING")
    plain = describe(ecs, "apps", started)["tasks"]
    bc.expect_eq([t.get("tags", []) for t in plain], [[], []], "no tags without include")
    tagged = describe(ecs, "apps", started, include=["TAGS"])["tasks"]
    bc.expect_eq([t["tags"] for t in tagged], [[{"key": "tier", "value": "gold"}]] * 2,
                 "include TAGS")
    got = ecs.start_task(cluster="apps", taskDefinition="small", containerInstances=["f" * 32])
    bc.expect_eq((got["tasks"], [f["reason"] for f in got["failures"]]), ([], ["MISSING"]),
                 "StartTask on an unknown instance")
    bc.expect_eq(got["failures"][0]["arn"].endswith("container-instance/apps/" + "f" * 32), True,
                 "the failure names the instance ARN: " + got["failures"][0]["arn"])

    # Tags on a task ARN.
    t0 = started[0]
    ecs.tag_resource(resourceArn=t0, tags=[{"key": "owner", "value": "ops"},
                                           {"key": "tier", "value": "silver"}])
    got = ecs.list_tags_for_resource(resourceArn=t0)["tags"]
    bc.expect_eq(sorted(got, key=lambda x: x["key"]),
                 [{"key": "owner", "value": "ops"}, {"key": "tier", "value": "silver"}],
                 "tag_resource on a task")
    ecs.untag_resource(resourceArn=t0, tagKeys=["tier"])
    bc.expect_eq(ecs.list_tags_for_resource(resourceArn=t0)["tags"],
                 [{"key": "owner", "value": "ops"}], "untag_resource on a task")
    bc.expect_client_error(lambda: ecs.list_tags_for_resource(
        resourceArn="arn:aws:ecs:us-east-1:000000000000:task/apps/" + "0" * 32),
        "ResourceNotFoundException")

    # MISSING failures; more than 100.
    other = "arn:aws:ecs:us-east-1:000000000000:task/elsewhere/" + started[1].rsplit("/", 1)[1]
    got = describe(ecs, "apps", [started[1], "e" * 32, other])
    bc.expect_eq([t["taskArn"] for t in got["tasks"]], [started[1]], "described")
    bc.expect_eq(sorted((f["arn"], f["reason"]) for f in got["failures"]),
                 sorted([("arn:aws:ecs:us-east-1:000000000000:task/apps/" + "e" * 32, "MISSING"),
                         (other, "MISSING")]), "MISSING failures")
    bc.expect_client_error(lambda: describe(ecs, "apps", ["a" * 32] * 101),
                           "InvalidParameterException")

    # Exit codes and networkBindings; an essential container's exit.
    web = td(ecs, "web", cpu=256, memory=200, ports=[(80, 0), (8443, 0)],
             extra_containers=[dict(LOG, portMappings=[{"containerPort": 514, "hostPort": 0,
                                                        "protocol": "udp"}])])
    got = ecs.run_task(cluster="apps", taskDefinition=web, count=2,
                       placementConstraints=[{"type": "distinctInstance"}])
    bc.expect_eq(got["failures"], [], "run web")
    w1, w2 = [t["taskArn"] for t in got["tasks"]]
    owner = {t["taskArn"]: (a if t["containerInstanceArn"] == a.arn else c) for t in got["tasks"]}
    for arn in (w1, w2):
        owner[arn].wait_task(arn, "RUNNING")
    t = one(ecs, "apps", w1)
    bc.expect_eq(t["lastStatus"], "RUNNING", "web RUNNING")
    bindings = {x["name"]: x["networkBindings"] for x in t["containers"]}
    sim_bindings = {n: x["networkBindings"] for n, x in owner[w1].tasks[w1].containers.items()}
    bc.expect_eq(bindings, sim_bindings, "networkBindings as reported")
    bc.expect_eq(sorted(x["containerPort"] for x in bindings["app"]), [80, 8443], "app ports")
    bc.expect_eq(all(x["hostPort"] >= 32768 for x in bindings["app"]), True, "dynamic ports")
    bc.expect_eq(bindings["log"][0]["protocol"], "udp", "udp binding")
    if t.get("pullStartedAt") is None or t.get("startedAt") is None:
        raise AssertionError(f"pullStartedAt/startedAt missing: {t}")

    owner[w1].exit_container(w1, "log", 3, stop_task=False)
    t = one(ecs, "apps", w1)
    log = next(x for x in t["containers"] if x["name"] == "log")
    bc.expect_eq((log["lastStatus"], log.get("exitCode")), ("STOPPED", 3),
                 "a non-essential container's exit")
    bc.expect_eq((t["lastStatus"], t["desiredStatus"]), ("RUNNING", "RUNNING"),
                 "a non-essential exit leaves the task running")

    # The agent reports the container's exit, stops the others and reports the
    # task STOPPED, as Amazon's does.
    owner[w2].exit_container(w2, "app", 2, stop_task=True)
    t = bc.wait_for(lambda: (lambda x: x if x["lastStatus"] == "STOPPED" else None)(
        one(ecs, "apps", w2)), 10, "lastStatus STOPPED")
    codes = {x["name"]: x.get("exitCode") for x in t["containers"]}
    bc.expect_eq(codes["app"], 2, "the essential container's exit code")
    bc.expect_eq(t["desiredStatus"], "STOPPED", "desiredStatus after the essential exit")
    bc.expect_eq(t["stopCode"], "EssentialContainerExited", "stopCode")
    bc.expect_eq(t["stoppedReason"], "Essential container in task exited", "stoppedReason")
    bc.expect_eq(bool(t.get("stoppedAt")), True, "stoppedAt")

    # SubmitTaskStateChange is idempotent: an earlier status changes nothing.
    for status in ("RUNNING", "STOPPED"):
        got = ecs.submit_task_state_change(cluster="apps", task=w2, status=status)
        bc.expect_eq(got["acknowledgment"], "ACK", f"resubmitted {status}")
    bc.expect_eq(one(ecs, "apps", w2)["lastStatus"], "STOPPED", "still STOPPED")
    got = ecs.submit_container_state_change(cluster="apps", task=w2, containerName="app",
                                            status="STOPPED", exitCode=2)
    bc.expect_eq(got["acknowledgment"], "ACK", "container change resubmitted")

    # Resources: RESOURCE:MEMORY, release after STOPPED, RESOURCE:CPU, RESOURCE:PORTS.
    ecs.create_cluster(clusterName="tight")
    r = agent_sim.SimAgent(s, b, "tight", cpu=2048, memory=1000, ports=["22"]).start()
    td(ecs, "mem400", cpu=512, memory=400)
    got = ecs.run_task(cluster="tight", taskDefinition="mem400", count=2)
    bc.expect_eq(len(got["tasks"]), 2, "two fit")
    m1, m2 = [x["taskArn"] for x in got["tasks"]]
    got = ecs.run_task(cluster="tight", taskDefinition="mem400")
    bc.expect_eq(got["tasks"], [], "the third does not fit")
    bc.expect_eq(reasons(got), [(r.arn, "RESOURCE:MEMORY")],
                 "RESOURCE:MEMORY")
    ci = instance(ecs, "tight", r.arn)
    bc.expect_eq((remaining(ci, "CPU"), remaining(ci, "MEMORY")), (1024, 200), "remaining")
    r.wait_task(m1, "RUNNING")
    r.wait_task(m2, "RUNNING")
    ci = instance(ecs, "tight", r.arn)
    bc.expect_eq((ci["runningTasksCount"], ci["pendingTasksCount"]), (2, 0), "instance counts")
    cl = ecs.describe_clusters(clusters=["tight"])["clusters"][0]
    bc.expect_eq((cl["runningTasksCount"], cl["pendingTasksCount"]), (2, 0), "cluster counts")
    ecs.stop_task(cluster="tight", task=m1, reason="make room")
    r.wait_task(m1, "STOPPED")
    ci = bc.wait_for(lambda: (lambda x: x if remaining(x, "MEMORY") == 600 else None)(
        instance(ecs, "tight", r.arn)), 10, "memory released after STOPPED")
    bc.expect_eq(remaining(ci, "CPU"), 1536, "cpu released")
    bc.expect_eq((ci["runningTasksCount"], ci["pendingTasksCount"]), (1, 0), "counts after stop")
    got = ecs.run_task(cluster="tight", taskDefinition="mem400")
    bc.expect_eq((len(got["tasks"]), got["failures"]), (1, []), "fits again")
    td(ecs, "cpu4096", cpu=4096, memory=10)
    got = ecs.run_task(cluster="tight", taskDefinition="cpu4096")
    bc.expect_eq(reasons(got), [(r.arn, "RESOURCE:CPU")], "RESOURCE:CPU")
    td(ecs, "port22", cpu=10, memory=10, ports=[(22, 22)])
    got = ecs.run_task(cluster="tight", taskDefinition="port22")
    bc.expect_eq(reasons(got), [(r.arn, "RESOURCE:PORTS")],
                 "RESOURCE:PORTS (22 is reserved)")

    # awsvpc starts PROVISIONING; the intermediate states; StopTask leaves
    # lastStatus to the agent; a task that never ran → TaskFailedToStart.
    ecs.create_cluster(clusterName="vpc")
    v = agent_sim.SimAgent(s, b, "vpc", policy="hold",
                           attributes=[{"name": "ecs.capability.task-eni"}]).start()
    td(ecs, "eni", cpu=64, memory=64, ports=[(443, 443)], network_mode="awsvpc")
    got = ecs.run_task(cluster="vpc", taskDefinition="eni")
    bc.expect_eq(got["failures"], [], "awsvpc placed")
    e1 = got["tasks"][0]["taskArn"]
    bc.expect_eq(got["tasks"][0]["lastStatus"], "PROVISIONING", "awsvpc starts PROVISIONING")
    v.wait(lambda s_: e1 in s_.tasks, what="the awsvpc task delivered")
    for status in ("PENDING", "ACTIVATING", "RUNNING"):
        v.report(e1, status)
        bc.expect_eq(one(ecs, "vpc", e1)["lastStatus"], status, f"lastStatus {status}")
    v.report(e1, "PENDING")
    bc.expect_eq(one(ecs, "vpc", e1)["lastStatus"], "RUNNING", "an earlier status changes nothing")
    t = ecs.stop_task(cluster="vpc", task=e1)["task"]
    bc.expect_eq((t["lastStatus"], t["desiredStatus"]), ("RUNNING", "STOPPED"),
                 "StopTask leaves lastStatus to the agent")
    v.wait(lambda s_: any(m[1] == "stop" and m[2] == e1 for m in s_.delivered),
           what="the stop message delivered")
    bc.expect_eq(one(ecs, "vpc", e1)["lastStatus"], "RUNNING", "still RUNNING until reported")
    for status in ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"):
        v.report(e1, status)
        bc.expect_eq(one(ecs, "vpc", e1)["lastStatus"], status, f"lastStatus {status}")
    t = one(ecs, "vpc", e1)
    bc.expect_eq((t["stopCode"], t["stoppedReason"]), ("UserInitiated", "Task stopped by user"),
                 "the user's stop code stays")
    got = ecs.run_task(cluster="vpc", taskDefinition="eni")
    e2 = got["tasks"][0]["taskArn"]
    v.wait(lambda s_: e2 in s_.tasks, what="the second awsvpc task delivered")
    pull = "CannotPullContainerError: pull access denied for busybox"
    v.report(e2, "STOPPED", reason=pull,
             containers=[{"containerName": "app", "status": "STOPPED", "reason": pull}])
    t = one(ecs, "vpc", e2)
    bc.expect_eq((t["lastStatus"], t["stopCode"], t["stoppedReason"]),
                 ("STOPPED", "TaskFailedToStart", pull), "a task that never ran")
    bc.expect_eq(t["containers"][0].get("reason"), pull, "the container's reason")
    cl = ecs.describe_clusters(clusters=["vpc"])["clusters"][0]
    bc.expect_eq((cl["runningTasksCount"], cl["pendingTasksCount"]), (0, 0), "vpc counts")

    # Pending counts with an agent that holds its tasks.
    ecs.create_cluster(clusterName="bulk")
    holders = [agent_sim.SimAgent(s, b, "bulk", cpu=100000, memory=100000, policy="hold").start()
               for _ in range(3)]
    td(ecs, "tiny", cpu=1, memory=8)
    arns = []
    for i in range(25):
        got = ecs.run_task(cluster="bulk", taskDefinition="tiny", count=10,
                           startedBy="batch-odd" if i % 2 else "batch-even")
        bc.expect_eq(got["failures"], [], "bulk run failures")
        arns += [x["taskArn"] for x in got["tasks"]]
    bc.expect_eq(len(set(arns)), 250, "250 distinct tasks")
    cl = ecs.describe_clusters(clusters=["bulk"])["clusters"][0]
    bc.expect_eq((cl["runningTasksCount"], cl["pendingTasksCount"]), (0, 250), "250 pending")
    cis = ecs.describe_container_instances(cluster="bulk", containerInstances=[
        h.arn for h in holders])["containerInstances"]
    bc.expect_eq(sum(x["pendingTasksCount"] for x in cis), 250, "instances' pending counts")
    bc.expect_eq(sum(x["runningTasksCount"] for x in cis), 0, "instances' running counts")

    # The ListTasks paginator over 250 tasks.
    pages = list(ecs.get_paginator("list_tasks").paginate(
        cluster="bulk", PaginationConfig={"PageSize": 100}))
    listed = [x for p in pages for x in p["taskArns"]]
    bc.expect_eq(len(pages), 3, "three pages of 100")
    bc.expect_eq(len(listed), 250, "250 listed")
    bc.expect_eq(sorted(listed), sorted(arns), "every task once")
    odd = [x for p in ecs.get_paginator("list_tasks").paginate(
        cluster="bulk", startedBy="batch-odd", PaginationConfig={"PageSize": 7})
        for x in p["taskArns"]]
    bc.expect_eq(len(odd), 120, "startedBy over pages of 7")
    bc.expect_eq(len(set(odd)), 120, "no repeats")
    page = ecs.list_tasks(cluster="bulk", maxResults=100)
    rest = ecs.list_tasks(cluster="bulk", maxResults=100, nextToken=page["nextToken"])
    bc.expect_eq(set(page["taskArns"]) & set(rest["taskArns"]), set(), "pages are disjoint")
    bc.expect_client_error(lambda: ecs.list_tasks(cluster="bulk", maxResults=101),
                           "InvalidParameterException")
    for h in holders:
        bc.expect_eq(len(h.tasks), len([x for x in arns if x in h.tasks]), "holder tasks")
    bc.expect_eq(sum(len(h.tasks) for h in holders), 250, "every task delivered once")

    # A silent agent: disconnected after 2 s, RunTask fails with AGENT; it recovers.
    r.silence()
    bc.wait_for(lambda: instance(ecs, "tight", r.arn)["agentConnected"] is False, 15,
                "agentConnected false")
    got = ecs.run_task(cluster="tight", taskDefinition="tiny")
    bc.expect_eq(got["tasks"], [], "nothing placed on a disconnected instance")
    bc.expect_eq(reasons(got), [(r.arn, "AGENT")], "AGENT failure")
    r.thread.join(5)
    r.start()
    bc.wait_for(lambda: instance(ecs, "tight", r.arn)["agentConnected"] is True, 15,
                "agentConnected again")
    got = ecs.run_task(cluster="tight", taskDefinition="tiny")
    bc.expect_eq((len(got["tasks"]), got["failures"]), (1, []), "placed again")

    for agent in [a, c, r, v] + holders:
        agent.stop()
        agent.check_no_errors()
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
