#!/usr/bin/python3
"""The agent long poll on the wire (docs/agent-protocol.md), with --credentials:
signed like every call (unsigned and badly signed polls refused); body errors,
an unknown cluster, an unknown instance (reregister); a held poll answered
`heartbeat` after --agent-poll-timeout and `messages` as soon as a task is
placed, with the task payload; the instance id accepted for its ARN; a second
poll supersedes a held one; a new session id starts a new epoch; agentConnected
follows the polls (--agent-disconnect-after); a deregistered instance's polls
(and a held one) are InactiveInstanceException; the poll's metrics."""
import json
import re
import threading
import time

import agent_sim
import berth_compat as bc

POLL = agent_sim.POLL_PATH


def main(s):
    creds = s.credentials_file([f"{bc.KEY_ID} {bc.SECRET}"])
    b = s.berth(credentials=creds,
                extra=["--agent-poll-timeout", "1", "--agent-disconnect-after", "2"])
    b.start()
    ecs = s.client(b)
    ecs.create_cluster(clusterName="edge")
    ecs.register_task_definition(family="ping", containerDefinitions=[
        {"name": "app", "image": "busybox:1.36", "memory": 16,
         "portMappings": [{"containerPort": 7, "hostPort": 0}]}])
    sim = agent_sim.SimAgent(s, b, "edge", policy="hold")
    sim.register()
    arn = sim.arn
    conn = bc.SignedConnection(b.endpoint, timeout=10)

    def poll(body, c=None, timeout=10):
        return (c or conn).post(POLL, json.dumps(body) if not isinstance(body, (str, bytes))
                                else body, content_type="application/json", timeout=timeout)

    def body(**kw):
        out = {"cluster": "edge", "containerInstanceArn": arn, "sessionId": "s1", "ack": 0}
        out.update(kw)
        return {k: v for k, v in out.items() if v is not None}

    def error_type(answer):
        return (answer[0], answer[1].get("__type") if isinstance(answer[1], dict) else answer[1])

    # Signatures, as for every call.
    status, _, text = s.raw(b, None, json.dumps(body()), content_type="application/json",
                            path=POLL, sign=False)
    bc.expect_eq((status, json.loads(text)["__type"]), (400, "MissingAuthenticationTokenException"),
                 "an unsigned poll")
    bad = bc.SignedConnection(b.endpoint, secret="not-the-secret")
    bc.expect_eq(error_type(poll(body(), c=bad)), (400, "InvalidSignatureException"),
                 "a poll signed with the wrong secret")

    # Body errors, the cluster, an unknown instance.
    bc.expect_eq(error_type(poll("{not json")), (400, "SerializationException"), "not JSON")
    bc.expect_eq(error_type(poll(body(ack="7"))), (400, "SerializationException"),
                 "ack as a string")
    bc.expect_eq(error_type(poll(body(sessionId=None))), (400, "InvalidParameterException"),
                 "no sessionId")
    bc.expect_eq(error_type(poll(body(containerInstanceArn=None))),
                 (400, "InvalidParameterException"), "no containerInstanceArn")
    bc.expect_eq(error_type(poll(body(ack=-1))), (400, "InvalidParameterException"),
                 "a negative ack")
    bc.expect_eq(error_type(poll(body(cluster="nowhere"))), (400, "ClusterNotFoundException"),
                 "an unknown cluster")
    bc.expect_eq(poll(body(containerInstanceArn="0" * 32)), (200, {"type": "reregister",
                                                                    "epoch": 0}),
                 "an unknown instance")
    bc.expect_eq(error_type(poll(body(cluster=None))), (400, "ClusterNotFoundException"),
                 "cluster defaults to default, which does not exist")

    # A held poll: heartbeat after the poll timeout (1 s).
    started = time.monotonic()
    status, answer = poll(body())
    held = time.monotonic() - started
    bc.expect_eq((status, answer["type"]), (200, "heartbeat"), "an idle poll")
    if not 0.8 <= held <= 5:
        raise AssertionError(f"the idle poll was held {held:.2f} s (--agent-poll-timeout 1)")
    epoch = answer["epoch"]

    # Messages as soon as a task is placed, to a poll already held; the id
    # stands for the ARN.
    result = {}

    def held_poll():
        t0 = time.monotonic()
        result["answer"] = poll(body(containerInstanceArn=arn.rsplit("/", 1)[1]),
                                c=bc.SignedConnection(b.endpoint))
        result["seconds"] = time.monotonic() - t0

    th = threading.Thread(target=held_poll)
    th.start()
    time.sleep(0.2)  # let the poll be held before the task is placed
    task = ecs.start_task(cluster="edge", taskDefinition="ping",
                          containerInstances=[arn])["tasks"][0]
    th.join(10)
    status, answer = result["answer"]
    bc.expect_eq((status, answer["type"], answer["epoch"]), (200, "messages", epoch),
                 "the held poll answered with the message")
    if result["seconds"] >= 1.0:
        raise AssertionError(f"the message took {result['seconds']:.2f} s (a heartbeat's time)")
    (m,) = answer["messages"]
    bc.expect_eq((m["seq"], m["type"], m["taskArn"], m["desiredStatus"]),
                 (1, "task", task["taskArn"], "RUNNING"), "the task message")
    payload = m["task"]
    bc.expect_eq(payload["task"]["taskArn"], task["taskArn"], "payload task")
    bc.expect_eq([c["name"] for c in payload["task"]["containers"]], ["app"], "payload containers")
    bc.expect_eq(payload["taskDefinition"]["family"], "ping", "payload task definition")
    bc.expect_eq([(p["containerPort"], p["hostPort"]) for p in
                  payload["taskDefinition"]["containerDefinitions"][0]["portMappings"]],
                 [(7, 0)], "payload ports")
    # Not acknowledged: the same message again, at once.
    status, answer = poll(body())
    bc.expect_eq([(x["seq"], x["taskArn"]) for x in answer["messages"]], [(1, task["taskArn"])],
                 "unacknowledged: delivered again")

    # A second poll supersedes a held one: one of two concurrent polls is
    # answered superseded, the other is held until the heartbeat.
    first = {}

    def first_poll():
        first["answer"] = poll(body(ack=1), c=bc.SignedConnection(b.endpoint))

    th = threading.Thread(target=first_poll)
    th.start()
    time.sleep(0.2)
    status, answer = poll(body(ack=1))
    th.join(10)
    bc.expect_eq(sorted([first["answer"][1]["type"], answer["type"]]), ["heartbeat", "superseded"],
                 "two concurrent polls")

    # A new session id: a new epoch; stop messages.
    ecs.stop_task(cluster="edge", task=task["taskArn"], reason="bye")
    status, answer = poll(body(ack=1, sessionId="s2"))
    bc.expect_eq(answer["epoch"] > epoch, True, f"a new epoch ({answer['epoch']} > {epoch})")
    (m,) = answer["messages"]
    bc.expect_eq((m["seq"], m["type"], m["taskArn"], m["desiredStatus"], m["reason"]),
                 (2, "stop", task["taskArn"], "STOPPED", "bye"), "the stop message")

    # agentConnected follows the polls.
    def connected():
        return ecs.describe_container_instances(
            cluster="edge", containerInstances=[arn])["containerInstances"][0]["agentConnected"]
    bc.wait_for(lambda: connected() is False, 10, "disconnected 2 s after the last poll")
    poll(body(ack=2, sessionId="s2"), timeout=5)
    bc.expect_eq(connected(), True, "connected again after a poll")

    # Deregistration: a held poll and later polls get InactiveInstanceException.
    held = {}

    def last_poll():
        held["answer"] = poll(body(ack=2, sessionId="s2"), c=bc.SignedConnection(b.endpoint))

    th = threading.Thread(target=last_poll)
    th.start()
    time.sleep(0.2)
    ecs.deregister_container_instance(cluster="edge", containerInstance=arn, force=True)
    th.join(10)
    bc.expect_eq(error_type(held["answer"]), (400, "InactiveInstanceException"),
                 "a poll held across the deregistration")
    bc.expect_eq(error_type(poll(body(ack=2, sessionId="s2"))), (400, "InactiveInstanceException"),
                 "a deregistered instance's poll")

    # Metrics.
    text = b.metrics()
    for name in ("heartbeats", "superseded", "reregister", "new_epochs", "delivered",
                 "redelivered", "disconnects", "reconnects"):
        m = re.search(rf"^berth_agent_channel_{name}_total (\d+)$", text, re.M)
        if m is None or int(m.group(1)) == 0:
            raise AssertionError(f"berth_agent_channel_{name}_total: {m and m.group(0)}")
    if b.metric("berth_api_requests_total", 'operation="AgentPoll",error="none"') < 5:
        raise AssertionError("polls are not counted as operation AgentPoll:\n" + b.metrics())
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
