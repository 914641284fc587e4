"""Harness for the system tier: a real berth-control and a real berth-agent on
127.0.0.1, driven by Debian's /usr/bin/aws, with images built by
tests/fixtures/make-busybox-image.sh (umoci + busybox-static), pushed with
skopeo to Debian's docker-registry on 127.0.0.1 (tests/fixtures/registry.py)
and pulled from there by the agent, and the tasks run by the agent's own
runtime in cgroup v2 on this host.

Every scenario script takes the build directory as its first argument and
exits 0 (pass), 1 (fail) or 77 (skip, naming what is missing: root, the aws
CLI, umoci, busybox-static, a cgroup2 mount).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "compat"))
import berth_compat as bc  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
import registry as rf  # noqa: E402

SKIP = 77
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "make-busybox-image.sh")


def require_system():
    """Exit 77 naming what this host lacks for real launches."""
    bc.require_tools()
    if os.geteuid() != 0:
        print("SKIP: the system tier launches containers: it needs root")
        sys.exit(SKIP)
    for tool in ("/usr/bin/umoci", "/bin/busybox"):
        if not os.access(tool, os.X_OK):
            print(f"SKIP: {tool} is missing (install-deps.sh installs umoci and busybox-static)")
            sys.exit(SKIP)
    with open("/proc/self/mountinfo") as f:
        if " - cgroup2 " not in f.read():
            print("SKIP: no cgroup2 hierarchy is mounted")
            sys.exit(SKIP)


class Agent:
    """One berth-agent process with its own ecs.config and data dir."""

    def __init__(self, binary, workdir, control, cluster, extra_config=None):
        self.binary = binary
        self.command_prefix = []  # e.g. setpriv to start it with fewer capabilities
        self.workdir = workdir
        self.control = control
        self.cluster = cluster
        self.extra_config = dict(extra_config or {})
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "ecs.config")
        self.proc = None
        self.starts = 0
        self.introspection = None
        self.instance_arn = None

    def write_config(self):
        os.makedirs(self.workdir, exist_ok=True)
        values = {
            "ECS_CLUSTER": self.cluster,
            "ECS_BACKEND_HOST": self.control.endpoint,
            "ECS_DATADIR": self.data_dir,
            "ECS_LOGLEVEL": "debug",
            # Port 0: several agents may run at once; the agent logs the port.
            "BERTH_INTROSPECTION_ADDR": "127.0.0.1:0",
            "BERTH_METADATA_ADDR": "127.0.0.1:0",
            # Stopped tasks give their cgroups and directories back at once.
            "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION": "1s",
        }
        values.update(self.extra_config)
        with open(self.config_path, "w") as f:
            for k, v in values.items():
                f.write(f"{k}={v}\n")

    def start(self, timeout=20.0):
        self.write_config()
        self.starts += 1
        self.log_path = os.path.join(self.workdir, f"berth-agent.{self.starts}.log")
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self.proc = subprocess.Popen([*self.command_prefix, self.binary, "--config",
                                      self.config_path],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            m = re.search(r"introspection on 127\.0\.0\.1:(\d+)", text)
            r = re.search(r"registered as (arn:\S+)", text)
            if m and r:
                self.introspection = f"http://127.0.0.1:{m.group(1)}"
                self.instance_arn = r.group(1)
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"berth-agent exited with {self.proc.returncode}:\n{text}")
            time.sleep(0.02)
        raise AssertionError("berth-agent did not register in time:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def kill9(self):
        """SIGKILL our own child (its containers live on in their shims)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self, timeout=20.0):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        self.log.close()
        return self.proc.returncode

    def get(self, path):
        """(status, parsed JSON or text) from the introspection server."""
        try:
            with bc._no_proxy_opener().open(self.introspection + path, timeout=10) as r:
                body = r.read().decode()
                status = r.status
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            status = e.code
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body


class SystemScenario(bc.Scenario):
    def __init__(self, build_dir):
        self.build_dir = os.path.abspath(build_dir)
        control = os.path.join(self.build_dir, "control", "berth-control")
        self.agent_binary = os.path.join(self.build_dir, "agent", "berth-agent")
        if not os.access(self.agent_binary, os.X_OK):
            print(f"FAIL: {self.agent_binary} is not executable")
            sys.exit(1)
        super().__init__(control)
        self.agents = []
        self.task_ids = set()
        self._registry = None

    def registry(self):
        """The scenario's registry (started on first use; auth none)."""
        if self._registry is None:
            missing = rf.missing_requirements()
            if missing:
                print("SKIP: " + "; ".join(missing))
                sys.exit(SKIP)
            self._registry = rf.Registry(auth="none", workdir=os.path.join(self.tmp, "registry"))
            self._registry.start()
        return self._registry

    def agent(self, control, cluster, name="agent", extra_config=None):
        """An agent that may pull from the scenario's registry over plain HTTP."""
        config = {"BERTH_INSECURE_REGISTRIES": self.registry().host}
        config.update(extra_config or {})
        a = Agent(self.agent_binary, os.path.join(self.tmp, name), control, cluster, config)
        self.agents.append(a)
        return a

    def image(self, name="busybox", tag="latest", *extra):
        """A busybox-static image built with umoci (make-busybox-image.sh
        options in `extra`) and pushed to the scenario's registry; returns its
        name there ("127.0.0.1:<port>/<name>:<tag>")."""
        layout = self.oci_layout(name, tag, *extra)
        self.registry().push_layout(layout, tag, name, tag)
        return f"{self.registry().host}/{name}:{tag}"

    def oci_layout(self, name="busybox", tag="latest", *extra):
        """The OCI layout alone (the agent can run oci:<layout>:<tag> too)."""
        layout = os.path.join(self.tmp, "images", name)
        subprocess.run(["bash", FIXTURE, layout, tag, *extra], check=True,
                       capture_output=True, timeout=120)
        return layout

    def register(self, control, family, containers, **extra):
        args = ["register-task-definition", "--family", family,
                "--container-definitions", json.dumps(containers)]
        for k, v in extra.items():
            args += [f"--{k.replace('_', '-')}", v]
        return self.aws(control, *args)[1]["taskDefinition"]

    def run_task(self, control, cluster, family, *extra):
        """run-task; returns the task ARNs (remembered for clean-up)."""
        out = self.aws(control, "run-task", "--cluster", cluster, "--task-definition", family,
                       *extra)[1]
        if out.get("failures"):
            raise AssertionError(f"run-task {family} failed: {out['failures']}")
        arns = [t["taskArn"] for t in out["tasks"]]
        self.task_ids.update(a.rsplit("/", 1)[1] for a in arns)
        return arns

    def describe(self, control, cluster, arns):
        return self.aws(control, "describe-tasks", "--cluster", cluster, "--tasks", *arns)[1]

    def wait_status(self, control, cluster, arn, status, timeout=60.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.describe(control, cluster, [arn])["tasks"][0]
            if last["lastStatus"] == status:
                return last
            time.sleep(0.2)
        raise AssertionError(f"{arn} did not reach {status} in {timeout}s: {json.dumps(last)}")

    def cleanup(self):
        for a in self.agents:
            try:
                a.stop()
            except Exception:  # noqa: BLE001 - best effort
                pass
        for s in self.servers:
            try:
                s.stop()
            except Exception:  # noqa: BLE001
                pass
        if self._registry is not None:
            self._registry.stop()
        # Containers outlive their agent by design: end the ones this
        # scenario started (only those: the cgroups of its own task ids).
        for root in cgroup2_mounts():
            for task_id in self.task_ids:
                task_dir = os.path.join(root, "berth", task_id)
                if not os.path.isdir(task_dir):
                    continue
                try:
                    with open(os.path.join(task_dir, "cgroup.kill"), "w") as f:
                        f.write("1")
                except OSError:
                    pass
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    try:
                        for sub in os.listdir(task_dir):
                            if os.path.isdir(os.path.join(task_dir, sub)):
                                os.rmdir(os.path.join(task_dir, sub))
                        os.rmdir(task_dir)
                        break
                    except OSError:
                        time.sleep(0.05)


def cgroup2_mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if " - cgroup2 " in line]


def run(main):
    """Runs main(scenario) with the skip checks and clean-up; exits 0/1/77."""
    require_system()
    if len(sys.argv) < 2:
        print("usage: <scenario>.py <build dir>")
        sys.exit(2)
    s = SystemScenario(sys.argv[1])
    try:
        main(s)
    except AssertionError as e:
        print(f"FAIL: {e}")
        for a in s.agents:
            print(f"--- {a.log_path} (tail)")
            print(a.log_text()[-4000:])
        sys.exit(1)
    finally:
        s.cleanup()
    shutil.rmtree(s.tmp, ignore_errors=True)
    print("PASS")
    sys.exit(0)
