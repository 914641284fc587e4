"""A simulated berth agent for the compat tier, used until the real
berth-agent exists: it registers a container instance with boto3, long-polls
POST /agent/v1/poll (docs/agent-protocol.md) in a background thread with its
ack, and answers the messages by policy with SubmitTaskStateChange /
SubmitContainerStateChange, as the agent would.

Policies (`policy=`):
  "run"   a `task` message → the task is reported RUNNING, each container with
          a runtimeId and networkBindings (bridge: hostPort 0 → a dynamic port
          from 32768 up, else the hostPort; host/awsvpc: the containerPort);
          a `stop` message → the task is reported STOPPED, every running
          container with exit code `stop_exit_code` (0: a clean exit on
          SIGTERM, as a well-behaved app shows in ECS; 143 for one killed by it).
  "hold"  messages are applied and acknowledged but nothing is reported:
          tasks stay PENDING (load tests; stop messages are remembered).
`exit_container(task, name, code)` makes one container exit on demand (an
essential exit when the container is essential); `silence()` stops polling,
so the instance becomes disconnected after --agent-disconnect-after.

Exactly once, as the protocol page says: a message is applied only if its
seq is above the last applied one (`applied`, the sim's "persisted" state,
kept in memory across `restart_session()`), and applying is idempotent by
task ARN (a `task` for a known ARN only moves its desired status forward; a
`stop` for an unknown ARN is a tombstone, so a later `task` for it is
reported STOPPED without starting). Every delivered message is logged in
`delivered` (redeliveries too), every applied one in `applied_log`.
"""
import threading
import time
import uuid

import berth_compat as bc

POLL_PATH = "/agent/v1/poll"
DEFAULT_PORTS = ["22", "2375", "2376", "51678", "51679"]
DYNAMIC_PORT_FIRST = 32768
DYNAMIC_PORT_LAST = 60999
# A container's status while its task is in each ECS task status.
CONTAINER_STATUS_OF = {"PROVISIONING": "PENDING", "PENDING": "PENDING", "ACTIVATING": "PENDING",
                       "RUNNING": "RUNNING", "DEACTIVATING": "RUNNING", "STOPPING": "RUNNING",
                       "DEPROVISIONING": "STOPPED", "STOPPED": "STOPPED"}


def resources(cpu=2048, memory=3900, ports=None, ports_udp=None):
    """The totalResources list an agent registers (ECS's Resource shape)."""
    return [
        {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
        {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
        {"name": "PORTS", "type": "STRINGSET",
         "stringSetValue": list(DEFAULT_PORTS if ports is None else ports)},
        {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": list(ports_udp or [])},
    ]


class SimTask:
    def __init__(self, arn, payload):
        self.arn = arn
        self.payload = payload or {}
        self.desired = "RUNNING"
        self.last = "PENDING"
        self.containers = {}  # name → {"status", "exitCode", "runtimeId", "networkBindings"}
        self.ports = []       # dynamic host ports taken


class SimAgent:
    def __init__(self, scenario, berth, cluster="default", cpu=2048, memory=3900, ports=None,
                 ports_udp=None, attributes=(), policy="run", stop_exit_code=0,
                 instance_type="t3.medium", poll_timeout=30.0):
        self.scenario = scenario
        self.berth = berth
        self.cluster = cluster
        self.total_resources = resources(cpu, memory, ports, ports_udp)
        self.attributes = [{"name": "ecs.os-type", "value": "linux"},
                           {"name": "ecs.instance-type", "value": instance_type}] + list(attributes)
        self.policy = policy
        self.stop_exit_code = stop_exit_code
        self.poll_timeout = poll_timeout  # HTTP timeout of one poll (server's hold + margin)
        self.arn = None
        self.session = uuid.uuid4().hex
        self.applied = 0          # the "durably applied" seq (in memory)
        self.tasks = {}           # task ARN → SimTask
        self.tombstones = set()   # stopped before they were known
        self.delivered = []       # (seq, type, taskArn) of every message received
        self.applied_log = []     # (seq, type, taskArn) of every message applied
        self.answers = []         # answer types in order (messages/heartbeat/…)
        self.errors = []          # unexpected answers and failed reports
        self.polls = 0
        self.next_dynamic_port = DYNAMIC_PORT_FIRST
        self.ports_in_use = set()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.thread = None
        self.running = False
        self.ecs = scenario.client(berth)
        self.ecs_endpoint = berth.endpoint

    # --- registration and the poll loop ---------------------------------------

    def client(self):
        """boto3 for the current endpoint (a restarted berth-control has a new port)."""
        if self.ecs_endpoint != self.berth.endpoint:
            self.ecs = self.scenario.client(self.berth)
            self.ecs_endpoint = self.berth.endpoint
        return self.ecs

    def register(self):
        """RegisterContainerInstance; again with the saved ARN when there is one."""
        args = dict(cluster=self.cluster, totalResources=self.total_resources,
                    attributes=self.attributes,
                    versionInfo={"agentVersion": "1.70.2", "agentHash": "berthsim",
                                 "dockerVersion": "berth-sim"})
        if self.arn:
            args["containerInstanceArn"] = self.arn
        got = self.client().register_container_instance(**args)
        self.arn = got["containerInstance"]["containerInstanceArn"]
        return got["containerInstance"]

    def start(self):
        """Registers (if needed) and starts polling in a background thread."""
        if self.arn is None:
            self.register()
        self.running = True
        self.thread = threading.Thread(target=self._loop, name=f"sim-{self.arn[-6:]}",
                                       daemon=True)
        self.thread.start()
        return self

    def silence(self):
        """Stops polling (the thread ends after its current poll is answered or
        its connection closed); nothing more is reported."""
        self.running = False
        conn = getattr(self, "conn", None)
        if conn is not None:
            conn.abort()

    def stop(self, timeout=None):
        self.silence()
        if self.thread is not None:
            self.thread.join(timeout if timeout is not None else self.poll_timeout + 5)

    def restart_session(self):
        """What an agent restart looks like: a new sessionId (a new epoch);
        `applied` and the tasks are kept (they are "persisted")."""
        self.session = uuid.uuid4().hex

    def poll_once(self, ack=None, timeout=None, conn=None):
        """One poll with `ack` (default: applied); returns (status, answer)
        without applying anything (for scenarios that drive the poll by hand)."""
        conn = conn or bc.SignedConnection(lambda: self.berth.endpoint,
                                           timeout=timeout or self.poll_timeout)
        body = {"cluster": self.cluster, "containerInstanceArn": self.arn,
                "sessionId": self.session, "ack": self.applied if ack is None else ack}
        return conn.post(POLL_PATH, body, content_type="application/json",
                         timeout=timeout or self.poll_timeout)

    def _loop(self):
        self.conn = bc.SignedConnection(lambda: self.berth.endpoint, timeout=self.poll_timeout)
        backoff = 0.05
        while self.running:
            try:
                status, answer = self.poll_once(conn=self.conn)
            except Exception as e:  # noqa: BLE001 - connection refused/reset while restarting
                if not self.running:
                    break
                self._note_answer(f"error:{type(e).__name__}")
                time.sleep(backoff)
                backoff = min(backoff * 1.5, 1.0)
                continue
            if not self.running:
                break
            self.polls += 1
            if status != 200:
                kind = answer.get("__type", "") if isinstance(answer, dict) else str(answer)
                self._note_answer(f"http{status}:{kind}")
                if "InactiveInstance" in kind:
                    self.running = False  # the agent waits an hour; the sim gives up
                    break
                time.sleep(backoff)
                backoff = min(backoff * 1.5, 1.0)
                continue
            backoff = 0.05
            kind = answer.get("type")
            self._note_answer(kind)
            if kind == "messages":
                self._apply_all(answer.get("messages", []))
            elif kind == "reregister":
                try:
                    self.register()
                except Exception as e:  # noqa: BLE001
                    self._error(f"re-register failed: {e}")
                    time.sleep(backoff)
            elif kind == "superseded":
                time.sleep(0.2)
            elif kind != "heartbeat":
                self._error(f"unknown poll answer {answer!r}")
        self.conn.close()

    def _note_answer(self, kind):
        with self.lock:
            self.answers.append(kind)
            self.changed.notify_all()

    def _error(self, text):
        with self.lock:
            self.errors.append(text)
            self.changed.notify_all()

    # --- applying messages ------------------------------------------------------

    def _apply_all(self, messages):
        for m in messages:
            seq = m.get("seq")
            with self.lock:
                self.delivered.append((seq, m.get("type"), m.get("taskArn")))
                if not isinstance(seq, int) or seq <= self.applied:
                    continue  # redelivered: already applied (skipped by number)
            self._apply(m)
            with self.lock:
                self.applied = seq
                self.applied_log.append((seq, m.get("type"), m.get("taskArn")))
                self.changed.notify_all()

    def _apply(self, m):
        arn = m.get("taskArn")
        kind = m.get("type")
        if kind == "task":
            with self.lock:
                known = self.tasks.get(arn)
                if known is not None:
                    # Idempotent by ARN: only move the desired status forward.
                    if m.get("desiredStatus") == "STOPPED" and known.desired != "STOPPED":
                        known.desired = "STOPPED"
                        stop = True
                    else:
                        return
                else:
                    known = SimTask(arn, m.get("task"))
                    self.tasks[arn] = known
                    stop = arn in self.tombstones or m.get("desiredStatus") == "STOPPED"
                    if stop:
                        known.desired = "STOPPED"
            if stop:
                self._report_stopped(known, m.get("reason"))
            elif self.policy == "run":
                self._report_running(known)
        elif kind == "stop":
            with self.lock:
                known = self.tasks.get(arn)
                if known is None:
                    self.tombstones.add(arn)
                    return
                if known.desired == "STOPPED" and known.last == "STOPPED":
                    return
                known.desired = "STOPPED"
            if self.policy == "run":
                self._report_stopped(known, m.get("reason"))
        else:
            self._error(f"unknown message type {m!r}")

    def _payload(self, task):
        """(task JSON, task definition JSON) from a message's payload."""
        p = task.payload if isinstance(task.payload, dict) else {}
        t = p.get("task") if isinstance(p.get("task"), dict) else p
        d = p.get("taskDefinition") if isinstance(p.get("taskDefinition"), dict) else {}
        return t, d

    def container_names(self, task):
        t, d = self._payload(task)
        names = [c.get("name") for c in t.get("containers", []) if c.get("name")]
        if not names:
            names = [c.get("name") for c in d.get("containerDefinitions", [])]
        return names

    def _bindings(self, task, name):
        t, d = self._payload(task)
        mode = d.get("networkMode") or "bridge"
        out = []
        for cd in d.get("containerDefinitions", []):
            if cd.get("name") != name:
                continue
            for pm in cd.get("portMappings", []) or []:
                cport = pm.get("containerPort")
                hport = pm.get("hostPort") or 0
                if mode in ("host", "awsvpc"):
                    hport = cport
                elif hport == 0:
                    hport = self._dynamic_port()
                    task.ports.append(hport)
                out.append({"bindIP": "0.0.0.0", "containerPort": cport, "hostPort": hport,
                            "protocol": pm.get("protocol", "tcp")})
        return out

    def _dynamic_port(self):
        with self.lock:
            port = self.next_dynamic_port
            while port in self.ports_in_use:
                port += 1
                if port > DYNAMIC_PORT_LAST:
                    port = DYNAMIC_PORT_FIRST
            self.ports_in_use.add(port)
            self.next_dynamic_port = port + 1 if port < DYNAMIC_PORT_LAST else DYNAMIC_PORT_FIRST
            return port

    def _submit_task(self, task, status, containers, reason=None, **times):
        args = dict(cluster=self.cluster, task=task.arn, status=status, containers=containers)
        if reason:
            args["reason"] = reason
        args.update(times)
        try:
            got = self.client().submit_task_state_change(**args)
            if got.get("acknowledgment") != "ACK":
                self._error(f"SubmitTaskStateChange {status} answered {got!r}")
        except Exception as e:  # noqa: BLE001 - recorded; the scenario fails on it
            self._error(f"SubmitTaskStateChange {task.arn} {status}: {e}")
            return False
        with self.lock:
            task.last = status
            self.changed.notify_all()
        return True

    def _report_running(self, task):
        now = time.time()
        containers = []
        for name in self.container_names(task):
            c = {"status": "RUNNING", "runtimeId": uuid.uuid4().hex + uuid.uuid4().hex,
                 "networkBindings": self._bindings(task, name)}
            task.containers[name] = dict(c)
            containers.append({"containerName": name, "runtimeId": c["runtimeId"],
                               "status": "RUNNING", "networkBindings": c["networkBindings"]})
        self._submit_task(task, "RUNNING", containers, pullStartedAt=now - 0.2,
                          pullStoppedAt=now - 0.1)

    def _release_ports(self, task):
        with self.lock:
            for p in task.ports:
                self.ports_in_use.discard(p)
            task.ports = []

    def _report_stopped(self, task, reason=None, exit_code=None):
        code = self.stop_exit_code if exit_code is None else exit_code
        containers = []
        for name in self.container_names(task):
            c = task.containers.setdefault(name, {"status": "PENDING"})
            entry = {"containerName": name, "status": "STOPPED"}
            if c.get("runtimeId"):
                entry["runtimeId"] = c["runtimeId"]
            if c.get("status") == "RUNNING":
                c["exitCode"] = code
                entry["exitCode"] = code
            elif "exitCode" in c:
                entry["exitCode"] = c["exitCode"]
            if c.get("reason"):
                entry["reason"] = c["reason"]
            c["status"] = "STOPPED"
            containers.append(entry)
        self._release_ports(task)
        self._submit_task(task, "STOPPED", containers, reason=reason,
                          executionStoppedAt=time.time())

    # --- on demand --------------------------------------------------------------

    def exit_container(self, task_arn, name, exit_code, stop_task=True,
                       reason="Essential container in task exited"):
        """Container `name` exits with `exit_code` (SubmitContainerStateChange).
        With stop_task, the agent then stops the task's other containers and
        reports the task STOPPED, as Amazon's agent does after an essential
        container exits."""
        task = self.tasks[task_arn]
        c = task.containers.setdefault(name, {})
        c.update({"status": "STOPPED", "exitCode": exit_code})
        got = self.client().submit_container_state_change(
            cluster=self.cluster, task=task_arn, containerName=name,
            runtimeId=c.get("runtimeId", ""), status="STOPPED", exitCode=exit_code,
            networkBindings=c.get("networkBindings", []))
        if got.get("acknowledgment") != "ACK":
            self._error(f"SubmitContainerStateChange answered {got!r}")
        if stop_task:
            task.desired = "STOPPED"
            self._report_stopped(task, reason=reason)
        return got

    def report(self, task_arn, status, containers=None, reason=None):
        """A SubmitTaskStateChange for scenarios that drive states by hand; the
        containers' status follows the task's (PENDING before RUNNING, RUNNING
        up to STOPPING, STOPPED after) unless `containers` is given. Raises
        what the call raised."""
        task = self.tasks[task_arn]
        if containers is None:
            cstatus = CONTAINER_STATUS_OF.get(status, status)
            containers = [{"containerName": n, "status": cstatus}
                          for n in self.container_names(task)]
        args = dict(cluster=self.cluster, task=task_arn, status=status, containers=containers)
        if reason:
            args["reason"] = reason
        got = self.client().submit_task_state_change(**args)
        if got.get("acknowledgment") != "ACK":
            raise AssertionError(f"SubmitTaskStateChange {status} answered {got!r}")
        with self.lock:
            task.last = status
            self.changed.notify_all()
        return got

    def wait(self, predicate, timeout=20.0, what="the sim agent"):
        """Waits (on the sim's condition variable) until predicate(self) holds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                         f"answers {self.answers[-5:]}, errors {self.errors}")
                self.changed.wait(min(left, 0.2))

    def wait_task(self, task_arn, status, timeout=20.0):
        self.wait(lambda s: s.tasks.get(task_arn) is not None
                  and s.tasks[task_arn].last == status,
                  timeout, f"task {task_arn} reported {status}")

    def wait_applied(self, seq, timeout=20.0):
        self.wait(lambda s: s.applied >= seq, timeout, f"applied seq {seq}")

    def check_no_errors(self):
        if self.errors:
            raise AssertionError(f"sim agent {self.arn}: {self.errors}")


def main():
    """Runs one simulated agent against a berth-control until interrupted, so
    tasks can be tried by hand before berth-agent exists:

        python3 tests/compat/agent_sim.py --endpoint http://127.0.0.1:8080 --cluster demo

    It signs with the compat tier's key, which berth-control accepts in dev
    mode (no --credentials)."""
    import argparse
    import types

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", default="http://127.0.0.1:8080")
    parser.add_argument("--cluster", default="default")
    parser.add_argument("--cpu", type=int, default=2048, help="CPU units to register")
    parser.add_argument("--memory", type=int, default=3900, help="MiB to register")
    parser.add_argument("--stop-exit-code", type=int, default=0)
    args = parser.parse_args()

    def client(berth):
        import boto3
        session = boto3.session.Session(aws_access_key_id=bc.KEY_ID,
                                        aws_secret_access_key=bc.SECRET, region_name=bc.REGION)
        return session.client("ecs", endpoint_url=berth.endpoint)

    berth = types.SimpleNamespace(endpoint=args.endpoint)
    agent = SimAgent(types.SimpleNamespace(client=client), berth, cluster=args.cluster,
                     cpu=args.cpu, memory=args.memory, stop_exit_code=args.stop_exit_code)
    agent.start()
    print(f"simulated agent registered {agent.arn}; reporting its tasks RUNNING, and STOPPED "
          f"when stopped (Ctrl-C to end)", flush=True)
    seen = {}
    try:
        while True:
            with agent.lock:
                for arn, task in agent.tasks.items():
                    if seen.get(arn) != task.last:
                        seen[arn] = task.last
                        print(f"{task.last or 'received'}: {arn}", flush=True)
                agent.changed.wait(1.0)
    except KeyboardInterrupt:
        agent.stop(timeout=2)


if __name__ == "__main__":
    main()
