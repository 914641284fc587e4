#!/usr/bin/python3
"""Tasks through /usr/bin/aws with simulated agents (agent_sim.py): the
empty-cluster RunTask error as the CLI prints it; run-task with --count,
--started-by, --group, --overrides, --placement-strategy,
--placement-constraints and --tags; describe-tasks; list-tasks with each
filter; `aws ecs wait tasks-running` / `tasks-stopped` succeeding and
tasks-running failing on a stopped task; stop-task with and without
--reason; DeleteCluster refused while tasks are not stopped; a deregistered
task definition refused."""
import concurrent.futures
import json

import agent_sim
import berth_compat as bc

APP = {"name": "app", "image": "public.ecr.aws/nginx/nginx:1.25", "cpu": 128, "memory": 128,
       "essential": True, "portMappings": [{"containerPort": 80, "hostPort": 0}]}
SIDECAR = {"name": "log", "image": "public.ecr.aws/docker/library/busybox:1.36",
           "memory": 64, "essential": False}


def main(s):
    b = s.berth(extra=["--agent-poll-timeout", "2"])
    b.start()
    aws = lambda *a, **k: s.aws(b, *a, **k)  # noqa: E731
    ecs = s.client(b)  # set-up and the checks that need no CLI run on boto3 (the CLI is slow)
    ecs.create_cluster(clusterName="web")
    td1 = ecs.register_task_definition(family="web", containerDefinitions=[APP, SIDECAR])[
        "taskDefinition"]["taskDefinitionArn"]

    # No instance yet: ECS's text, exit 254.
    rc, _, err = aws("run-task", "--cluster", "web", "--task-definition", "web", check=False)
    bc.expect_eq(rc, 254, "run-task on an empty cluster exit code")
    bc.expect_eq(err, "An error occurred (InvalidParameterException) when calling the RunTask "
                 "operation: No Container Instances were found in your cluster.",
                 "empty cluster error")

    blue = agent_sim.SimAgent(s, b, "web", attributes=[{"name": "stack", "value": "blue"}]).start()
    green = agent_sim.SimAgent(s, b, "web", attributes=[{"name": "stack", "value": "green"}]).start()
    agents = {blue.arn: blue, green.arn: green}

    bc.expect_client_error(lambda: ecs.run_task(cluster="web", taskDefinition="web", count=11),
                           "InvalidParameterException")

    # --count, --started-by, --group, --overrides, --placement-strategy, --tags.
    overrides = {"containerOverrides": [{"name": "app", "command": ["nginx", "-g", "daemon off;"],
                                         "environment": [{"name": "MODE", "value": "nightly"}]}]}
    _, out, _ = aws("run-task", "--cluster", "web", "--task-definition", "web",
                    "--count", "4", "--started-by", "ci-42", "--group", "batch:nightly",
                    "--overrides", json.dumps(overrides),
                    "--placement-strategy", "type=spread,field=instanceId",
                    "--tags", "key=team,value=web", "key=run,value=42")
    bc.expect_eq(out["failures"], [], "run-task failures")
    spread = out["tasks"]
    bc.expect_eq(len(spread), 4, "--count 4")
    for t in spread:
        bc.expect_eq(t["lastStatus"], "PENDING", "lastStatus")
        bc.expect_eq(t["desiredStatus"], "RUNNING", "desiredStatus")
        bc.expect_eq(t["group"], "batch:nightly", "group")
        bc.expect_eq(t["startedBy"], "ci-42", "startedBy")
        bc.expect_eq(t["taskDefinitionArn"], td1, "taskDefinitionArn")
        bc.expect_eq(t["clusterArn"], bc.arn("web"), "clusterArn")
        bc.expect_eq(t["launchType"], "EC2", "launchType")
        bc.expect_in(t["containerInstanceArn"], agents, "placed on a registered instance")
        bc.expect_eq(t["taskArn"].startswith(
            "arn:aws:ecs:us-east-1:000000000000:task/web/"), True, "task ARN " + t["taskArn"])
        bc.expect_eq(sorted(c["name"] for c in t["containers"]), ["app", "log"], "containers")
        for c in t["containers"]:
            bc.expect_eq(c["lastStatus"], "PENDING", "container lastStatus")
            bc.expect_eq(c["taskArn"], t["taskArn"], "container taskArn")
            bc.expect_in(":container/web/", c["containerArn"], "containerArn")
        app_override = t["overrides"]["containerOverrides"][0]
        bc.expect_eq(app_override["name"], "app", "overrides echoed")
        bc.expect_eq(app_override["environment"], [{"name": "MODE", "value": "nightly"}],
                     "override environment echoed")
        bc.expect_eq(app_override["command"], ["nginx", "-g", "daemon off;"], "override command")
        bc.expect_eq(sorted(t["tags"], key=lambda x: x["key"]),
                     [{"key": "run", "value": "42"}, {"key": "team", "value": "web"}], "tags")
    per_instance = {}
    for t in spread:
        per_instance[t["containerInstanceArn"]] = per_instance.get(t["containerInstanceArn"], 0) + 1
    bc.expect_eq(sorted(per_instance.values()), [2, 2], "spread by instanceId")
    spread_arns = [t["taskArn"] for t in spread]

    # --placement-constraints memberOf; the default group.
    _, out, _ = aws("run-task", "--cluster", "web", "--task-definition", "web", "--count", "2",
                    "--placement-constraints",
                    json.dumps([{"type": "memberOf", "expression": "attribute:stack == blue"}]))
    blue_tasks = out["tasks"]
    bc.expect_eq(len(blue_tasks), 2, "memberOf tasks")
    for t in blue_tasks:
        bc.expect_eq(t["containerInstanceArn"], blue.arn, "memberOf(stack == blue)")
        bc.expect_eq(t["group"], "family:web", "default group")
        bc.expect_eq("startedBy" in t, False, "no startedBy unless given")
    blue_arns = [t["taskArn"] for t in blue_tasks]
    _, out, _ = aws("run-task", "--cluster", "web", "--task-definition", "web",
                    "--placement-constraints",
                    json.dumps([{"type": "memberOf", "expression": "attribute:stack == red"}]))
    bc.expect_eq(out["tasks"], [], "no instance matches the constraint")
    bc.expect_eq(len(out["failures"]), 2, "one failure per instance")
    bc.expect_eq(sorted(f["arn"] for f in out["failures"]), sorted(agents), "failure ARNs")
    bc.expect_eq({f["reason"] for f in out["failures"]},
                 {"MemberOf placement constraint unsatisfied."}, "memberOf failure reason")
    # A definition needing an attribute no instance has (the awslogs driver).
    logs = dict(APP, name="app", logConfiguration={"logDriver": "awslogs", "options": {
        "awslogs-group": "web", "awslogs-region": "us-east-1"}})
    ecs.register_task_definition(family="logs", containerDefinitions=[logs])
    _, out, _ = aws("run-task", "--cluster", "web", "--task-definition", "logs")
    bc.expect_eq(out["tasks"], [], "nothing has the logging driver")
    bc.expect_eq(sorted((f["arn"], f["reason"]) for f in out["failures"]),
                 sorted((arn, "ATTRIBUTE") for arn in agents), "reason ATTRIBUTE")

    # wait tasks-running succeeds once the agents have reported.
    every = spread_arns + blue_arns
    rc, _, err = aws("wait", "tasks-running", "--cluster", "web", "--tasks", *every, check=False)
    bc.expect_eq((rc, err), (0, ""), "wait tasks-running")
    _, out, _ = aws("describe-tasks", "--cluster", "web", "--tasks", *every)
    bc.expect_eq(out["failures"], [], "describe failures")
    bc.expect_eq(sorted(t["taskArn"] for t in out["tasks"]), sorted(every), "described")
    for t in out["tasks"]:
        bc.expect_eq(t["lastStatus"], "RUNNING", "RUNNING after the agent's report")
        app = next(c for c in t["containers"] if c["name"] == "app")
        bc.expect_eq(app["lastStatus"], "RUNNING", "container RUNNING")
        bc.expect_eq(len(app["networkBindings"]), 1, "app network binding")
        nb = app["networkBindings"][0]
        bc.expect_eq(nb["containerPort"], 80, "containerPort")
        bc.expect_eq(nb["hostPort"] >= 32768, True, f"dynamic hostPort {nb['hostPort']}")
        bc.expect_eq(bool(app.get("runtimeId")), True, "runtimeId")
    _, out, _ = aws("describe-tasks", "--cluster", "web", "--tasks",
                    spread_arns[0].rsplit("/", 1)[1], "ffffffffffffffffffffffffffffffff")
    bc.expect_eq([t["taskArn"] for t in out["tasks"]], [spread_arns[0]], "describe by id")
    bc.expect_eq([f["reason"] for f in out["failures"]], ["MISSING"], "unknown task MISSING")

    # list-tasks with each filter (the CLI calls run side by side: each one is
    # a second of Python start-up).
    def listed(*args):
        _, o, _ = aws("list-tasks", "--cluster", "web", *args)
        return sorted(o["taskArns"])
    on_green = sorted(x["taskArn"] for x in spread if x["containerInstanceArn"] == green.arn)
    calls = {
        "list-tasks": (lambda: listed(), sorted(every)),
        "--started-by": (lambda: listed("--started-by", "ci-42"), sorted(spread_arns)),
        "--family": (lambda: listed("--family", "web"), sorted(every)),
        "--family other": (lambda: listed("--family", "other"), []),
        "--container-instance": (lambda: listed("--container-instance", green.arn), on_green),
        "--container-instance by id": (
            lambda: listed("--container-instance", blue.arn.rsplit("/", 1)[1]),
            sorted(set(every) - set(on_green))),
        "--desired-status STOPPED": (lambda: listed("--desired-status", "STOPPED"), []),
        "--service-name unknown": (
            lambda: aws("list-tasks", "--cluster", "web", "--service-name", "nothing",
                        check=False)[::2],
            (254, "An error occurred (ServiceNotFoundException) when calling the ListTasks "
                  "operation: Service not found.")),
        "--max-items": (
            lambda: (lambda o: (len(o["taskArns"]), bool(o.get("NextToken"))))(
                aws("list-tasks", "--cluster", "web", "--max-items", "3")[1]),
            (3, True)),
    }
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = {what: pool.submit(fn) for what, (fn, _) in calls.items()}
    for what, (_, expected) in calls.items():
        bc.expect_eq(futures[what].result(), expected, what)

    out = ecs.describe_clusters(clusters=["web"])
    bc.expect_eq(out["clusters"][0]["runningTasksCount"], 6, "runningTasksCount")
    bc.expect_eq(out["clusters"][0]["pendingTasksCount"], 0, "pendingTasksCount")

    # stop-task --reason; wait tasks-stopped; the waiter that fails.
    victim = spread_arns[0]
    _, out, _ = aws("stop-task", "--cluster", "web", "--task", victim, "--reason", "deploy 7")
    t = out["task"]
    bc.expect_eq(t["desiredStatus"], "STOPPED", "desired STOPPED")
    bc.expect_eq(t["stopCode"], "UserInitiated", "stopCode")
    bc.expect_eq(t["stoppedReason"], "deploy 7", "stoppedReason")
    rc, _, err = aws("wait", "tasks-stopped", "--cluster", "web", "--tasks", victim, check=False)
    bc.expect_eq((rc, err), (0, ""), "wait tasks-stopped")
    _, out, _ = aws("describe-tasks", "--cluster", "web", "--tasks", victim)
    t = out["tasks"][0]
    bc.expect_eq(t["lastStatus"], "STOPPED", "lastStatus STOPPED")
    bc.expect_eq(t["stoppedReason"], "deploy 7", "stoppedReason kept")
    bc.expect_eq({c["name"]: c.get("exitCode") for c in t["containers"]}, {"app": 0, "log": 0},
                 "exit codes")
    bc.expect_eq(bool(t.get("stoppedAt")), True, "stoppedAt")
    rc, _, err = aws("wait", "tasks-running", "--cluster", "web", "--tasks", victim, check=False)
    bc.expect_eq(rc, 255, "wait tasks-running on a stopped task exit code")
    bc.expect_in("Waiter TasksRunning failed: Waiter encountered a terminal failure state", err,
                 "waiter failure text")
    bc.expect_eq(victim in listed(), False, "a stopped task is not listed by default")
    bc.expect_eq(listed("--desired-status", "STOPPED"), [victim], "--desired-status STOPPED")

    _, out, _ = aws("stop-task", "--cluster", "web", "--task", blue_arns[0])
    bc.expect_eq(out["task"]["stoppedReason"], "Task stopped by user", "default reason")
    blue.wait_task(blue_arns[0], "STOPPED")
    rc, _, err = aws("stop-task", "--cluster", "web", "--task", "ffffffffffffffffffffffffffffffff",
                     check=False)
    bc.expect_eq(rc, 254, "stop-task unknown exit code")
    bc.expect_in("InvalidParameterException", err, "stop-task unknown")

    # A deregistered task definition runs nothing.
    ecs.deregister_task_definition(taskDefinition="web:1")
    rc, _, err = aws("run-task", "--cluster", "web", "--task-definition", "web:1", check=False)
    bc.expect_eq(rc, 254, "run-task on an INACTIVE revision exit code")
    bc.expect_in("when calling the RunTask operation", err, "INACTIVE revision error")
    bc.expect_in("inactive", err.lower(), "the message says INACTIVE: " + err)
    bc.expect_client_error(lambda: ecs.run_task(cluster="web", taskDefinition="web"),
                           "ClientException")
    rc, _, err = aws("start-task", "--cluster", "web", "--task-definition", "web:1",
                     "--container-instances", blue.arn, check=False)
    bc.expect_eq(rc, 254, "start-task on an INACTIVE revision: " + err)

    # DeleteCluster while tasks run: the instances are checked first (berth, like
    # ECS on EC2, has no task without an instance). Forced deregistration stops
    # the instance's tasks (nothing will report for them any more; berth's
    # choice, ECS leaves them orphaned), and then the cluster can go.
    rc, _, err = aws("delete-cluster", "--cluster", "web", check=False)
    bc.expect_eq((rc, err), (254, "An error occurred (ClusterContainsContainerInstancesException) "
                             "when calling the DeleteCluster operation: The Cluster cannot be "
                             "deleted while Container Instances are active or draining."),
                 "delete-cluster with instances and tasks")
    live = listed()
    bc.expect_eq(len(live), 4, "four tasks still running")
    for agent in agents.values():
        agent.stop()
        agent.check_no_errors()
        ecs.deregister_container_instance(cluster="web", containerInstance=agent.arn, force=True)
    out = ecs.describe_tasks(cluster="web", tasks=live)
    for t in out["tasks"]:
        bc.expect_eq((t["lastStatus"], t["desiredStatus"], t["stoppedReason"]),
                     ("STOPPED", "STOPPED", "Container instance deregistered"),
                     "a forced deregistration stops its tasks")
    bc.expect_eq(listed(), [], "nothing running")
    out = ecs.describe_clusters(clusters=["web"])
    bc.expect_eq((out["clusters"][0]["runningTasksCount"], out["clusters"][0]["pendingTasksCount"]),
                 (0, 0), "counts after the forced deregistration")
    aws("delete-cluster", "--cluster", "web")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
