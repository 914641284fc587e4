#!/usr/bin/python3
"""berth-agent at density (issue 7): N running containers (default 200), every
one sampled each second (ECS_POLLING_METRICS_WAIT_DURATION=1s) with the eBPF
accounting loaded; what the agent costs meanwhile: CPU as a share of one core
over a window (default 60 s), per thread, its RSS and PSS, the shims' PSS, the
stats rounds it made. Prints one JSON object; nothing is asserted; exits 1
only when the setup fails (bench/density/README.md).

    /usr/bin/python3 bench/density/density.py build/h-static \
        [--containers 200] [--seconds 60] [--interval 1s]

Needs root (cgroups, BPF, real containers), /usr/bin/aws's botocore
(python3-boto3), umoci, skopeo, docker-registry and busybox-static, like the
system tier whose harness (tests/system/berth_system.py) it uses. Everything
it starts (berth-control, berth-agent, the registry, the containers, their
cgroups, its temp dir) is stopped and removed on exit, failure, Ctrl-C or
SIGTERM. Loopback only.
"""
import argparse
import datetime
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
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
sys.path.insert(0, os.path.join(ROOT, "tests", "compat"))
sys.path.insert(0, os.path.join(ROOT, "bench", "agent_launch"))
import berth_compat as bc  # noqa: E402
import berth_system as bs  # noqa: E402
from agent_rss import children, pss_kib, status_kib  # noqa: E402

CLUSTER = "density"
FAMILY = "density"
TICKS = os.sysconf("SC_CLK_TCK")
# Quiet containers: one sh waiting on one sleep, no fork per second, so the
# host's churn does not blur the agent's figure; TERM ends them at once.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait"]


class SetupError(Exception):
    pass


def parse_duration(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 1s, 500ms)")
    value = float(m.group(1))
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]


def go_duration(seconds):
    return f"{int(round(seconds * 1000))}ms"


# --- /proc -----------------------------------------------------------------------

def stat_fields(path):
    """The fields after "(comm)" of a /proc stat file (field 3 is index 0)."""
    with open(path) as f:
        text = f.read()
    return text[:text.rindex(")")].split("(", 1)[1], text[text.rindex(")") + 2:].split()


def cpu_ticks(path):
    """utime + stime in clock ticks (the thread group's, dead threads included,
    for /proc/PID/stat; one thread's for /proc/PID/task/TID/stat)."""
    _, f = stat_fields(path)
    return int(f[11]) + int(f[12])


def schedstat_ns(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def threads(pid):
    """{tid: {"comm", "ticks", "ns", "wchan"}} of a process's live threads."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            comm, f = stat_fields(f"{base}/{tid}/stat")
            wchan = ""
            try:
                with open(f"{base}/{tid}/wchan") as w:
                    wchan = w.read().strip()
            except OSError:
                pass
            out[int(tid)] = {"comm": comm, "ticks": int(f[11]) + int(f[12]),
                             "user": int(f[11]), "system": int(f[12]),
                             "ns": schedstat_ns(f"{base}/{tid}/schedstat"), "wchan": wchan}
        except (OSError, ValueError):
            continue
    return out


def host_cpu():
    """(busy ticks, total ticks) over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def pressure():
    try:
        with open("/proc/pressure/cpu") as f:
            some = f.readline().split()
        return {kv.split("=")[0]: float(kv.split("=")[1]) for kv in some[1:4]}
    except OSError:
        return {}


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def smaps_rollup(pid, keys=("Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous")):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k = line.split(":")[0]
                if k in keys:
                    out[k] = int(line.split()[1])
    except OSError:
        pass
    return out


class Snapshot:
    """CPU counters of the agent, its threads, its shims, berth-control and the
    host at one moment."""

    def __init__(self, agent_pid, control_pid):
        self.t = time.monotonic()
        _, f = stat_fields(f"/proc/{agent_pid}/stat")
        self.agent = int(f[11]) + int(f[12])
        self.agent_user = int(f[11])
        self.threads = threads(agent_pid)
        self.control = cpu_ticks(f"/proc/{control_pid}/stat")
        self.shims = {}
        for p in children(agent_pid):
            try:
                self.shims[p] = cpu_ticks(f"/proc/{p}/stat")
            except OSError:
                pass
        self.host = host_cpu()


def percent(ticks, seconds):
    return round(100.0 * ticks / TICKS / seconds, 3) if seconds > 0 else None


def window_figures(a, b, agent_pid):
    wall = b.t - a.t
    busy = b.host[0] - a.host[0]
    total = b.host[1] - a.host[1]
    per_thread = []
    # The pool's two threads start right after the loop (agent/main.cc), so
    # they hold the two lowest thread ids after the main thread's.
    workers = sorted(tid for tid in a.threads if tid != agent_pid)[:2]
    for tid, t1 in sorted(b.threads.items()):
        t0 = a.threads.get(tid)
        ticks = t1["ticks"] - (t0["ticks"] if t0 else 0)
        ns = None
        if t1["ns"] is not None and (t0 is None or t0["ns"] is not None):
            ns = t1["ns"] - (t0["ns"] if t0 else 0)
        per_thread.append({
            "tid": tid,
            "comm": t1["comm"],
            "role": ("loop (main thread)" if tid == agent_pid else
                     "worker pool" if tid in workers else "other"),
            "wchan": t1["wchan"],
            "new_in_window": t0 is None,
            "cpu_percent_of_core": percent(ticks, wall),
            "user_percent_of_core": percent(t1["user"] - (t0["user"] if t0 else 0), wall),
            "system_percent_of_core": percent(t1["system"] - (t0["system"] if t0 else 0), wall),
            "cpu_percent_of_core_schedstat": (round(100.0 * ns / 1e9 / wall, 3)
                                              if ns is not None else None),
        })
    gone = sorted(set(a.threads) - set(b.threads))
    shim_ticks = sum(b.shims[p] - a.shims.get(p, 0) for p in b.shims)
    sched_total = [t["cpu_percent_of_core_schedstat"] for t in per_thread]
    return {
        "window_s": round(wall, 3),
        "agent_cpu_percent_of_core": percent(b.agent - a.agent, wall),
        "agent_user_percent_of_core": percent(b.agent_user - a.agent_user, wall),
        "agent_system_percent_of_core": percent((b.agent - b.agent_user)
                                                - (a.agent - a.agent_user), wall),
        "agent_cpu_percent_of_core_schedstat_live_threads": (
            round(sum(sched_total), 3) if None not in sched_total else None),
        "agent_cpu_s": round((b.agent - a.agent) / TICKS, 3),
        "agent_threads": per_thread,
        "agent_threads_gone_in_window": gone,
        "shims_cpu_percent_of_core": percent(shim_ticks, wall),
        "control_cpu_percent_of_core": percent(b.control - a.control, wall),
        "host_cpu_busy_percent_of_all_cores": round(100.0 * busy / total, 2) if total else None,
    }


# --- the agent's endpoints ----------------------------------------------------------

def http_get(url, timeout=10):
    try:
        with bc._no_proxy_opener().open(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def go_time(text):
    """Seconds since the epoch of a Go time.Time JSON string, None for Go's zero."""
    if not text or text.startswith("0001-01-01"):
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    if not m:
        return None
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    frac = m.group(2) or "0"
    return base + int(frac) / 10 ** len(frac)


def metadata_uri(task_id):
    """ECS_CONTAINER_METADATA_URI_V4 of one container of the task, from the
    environment of a process in its cgroup."""
    for root in bs.cgroup2_mounts():
        task_dir = os.path.join(root, "berth", task_id)
        if not os.path.isdir(task_dir):
            continue
        for sub in sorted(os.listdir(task_dir)):
            procs = os.path.join(task_dir, sub, "cgroup.procs")
            if not os.path.exists(procs):
                continue
            with open(procs) as f:
                pids = f.read().split()
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/environ", "rb") as e:
                        env = e.read().split(b"\0")
                except OSError:
                    continue
                for kv in env:
                    if kv.startswith(b"ECS_CONTAINER_METADATA_URI_V4="):
                        return kv.split(b"=", 1)[1].decode()
    return None


def stats_probe(uri):
    """(read, preread) of the container's last sample (Docker stats JSON)."""
    status, body = http_get(uri + "/stats")
    if status != 200:
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return go_time(doc.get("read")), go_time(doc.get("preread"))


def series(metrics_text, family, arns):
    """Series of `family` whose task_arn is one of ours: {(arn, container): value}."""
    out = {}
    pattern = re.compile(re.escape(family) + r"\{([^}]*)\} (\S+)")
    for m in pattern.finditer(metrics_text):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
        if labels.get("task_arn") in arns:
            out[(labels["task_arn"], labels.get("container"))] = float(m.group(2))
    return out


def memory_figures(agent_pid):
    rollup = smaps_rollup(agent_pid)
    shims = children(agent_pid)
    return {
        "agent_rss_kib": status_kib(agent_pid, "VmRSS"),
        "agent_pss_kib": rollup.get("Pss", pss_kib(agent_pid)),
        "agent_pss_anon_kib": rollup.get("Pss_Anon"),
        "agent_pss_file_kib": rollup.get("Pss_File"),
        "agent_rss_anon_kib": status_kib(agent_pid, "RssAnon"),
        "agent_rss_file_kib": status_kib(agent_pid, "RssFile"),
        "shims": len(shims),
        "shims_pss_kib": sum(pss_kib(p) for p in shims),
        "shims_rss_kib_each_max": max((status_kib(p, "VmRSS") for p in shims), default=0),
    }


# --- the run ------------------------------------------------------------------------

def run_tasks(s, control, image, args):
    per_task = args.containers_per_task
    containers = [{"name": f"c{i}" if per_task > 1 else "main", "image": image,
                   "memory": args.memory_mib, "cpu": 0, "essential": True,
                   "command": COMMAND} for i in range(per_task)]
    s.register(control, FAMILY, containers)
    ecs = s.client(control)
    tasks = args.containers // per_task
    arns = []
    while len(arns) < tasks:
        n = min(10, tasks - len(arns))
        out = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, count=n)
        arns += [t["taskArn"] for t in out.get("tasks", [])]
        s.task_ids.update(a.rsplit("/", 1)[1] for a in arns)
        if out.get("failures"):
            raise SetupError(f"run-task failed after {len(arns)} tasks: {out['failures']}")
    return ecs, arns


def wait_running(agent, arns, timeout):
    """Seconds until the agent knows every task RUNNING (its /v1/tasks)."""
    start = time.monotonic()
    wanted = set(arns)
    running = 0
    while time.monotonic() - start < timeout:
        status, doc = agent.get("/v1/tasks")
        if status == 200:
            running = sum(1 for t in doc.get("Tasks") or []
                          if t.get("Arn") in wanted and t.get("KnownStatus") == "RUNNING")
            if running == len(wanted):
                return time.monotonic() - start
        if agent.proc.poll() is not None:
            raise SetupError(f"berth-agent exited with {agent.proc.returncode}")
        time.sleep(1)
    raise SetupError(f"only {running} of {len(wanted)} tasks reached RUNNING in {timeout}s")


def measure(agent_pid, control_pid, seconds, uri, probe_every):
    """A window of `seconds`: CPU snapshots at both ends, and the last
    sample's read/preread of one container every `probe_every` s (one small
    request to the agent each) to count the stats rounds."""
    probes = []
    first = stats_probe(uri) if uri else None
    a = Snapshot(agent_pid, control_pid)
    end = a.t + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(probe_every, left))
        if uri and end - time.monotonic() > 0.5:
            p = stats_probe(uri)
            if p:
                probes.append(p)
    b = Snapshot(agent_pid, control_pid)
    last = stats_probe(uri) if uri else None
    figures = window_figures(a, b, agent_pid)
    figures["_probes"] = [p for p in [first] + probes + [last] if p and p[0]]
    return figures


def rounds_figures(probes, window_s, interval_s):
    """Rounds per window from the sample timestamps: each probe gives one
    period (read − preread: the interval plus one round's time, since the
    collector waits the interval after a round ends); the reads seen span
    (last − first) / period rounds."""
    periods = [r - p for r, p in probes if r and p]
    reads = sorted({r for r, _ in probes})
    if not periods or len(reads) < 2:
        return {"rounds": None, "rounds_source": "no stats samples seen"}
    period = sum(periods) / len(periods)
    spanned = (reads[-1] - reads[0]) / period
    return {
        "rounds": round(window_s / period, 1),
        "rounds_source": ("window / mean period between two samples of one container "
                          "(task metadata stats read - preread); the agent exports no "
                          "round counter"),
        "rounds_seen_between_first_and_last_probe": round(spanned, 1),
        "round_period_ms": {"mean": round(1000 * period, 1),
                            "min": round(1000 * min(periods), 1),
                            "max": round(1000 * max(periods), 1),
                            "samples": len(periods)},
        "round_time_ms_estimate": round(1000 * (period - interval_s), 1),
    }


def perf_profile(pid, out, seconds):
    """`perf record` of the agent over a window after the measured one (the
    sampling costs CPU of its own), and the symbols above 1 % of its samples."""
    perf = shutil.which("perf")
    if perf is None:
        return {"error": "perf is not installed"}
    rec = subprocess.run([perf, "record", "-q", "-F", "997", "-p", str(pid), "-o", out,
                          "--", "sleep", str(seconds)], capture_output=True, text=True,
                         timeout=seconds + 60)
    if rec.returncode != 0:
        return {"error": f"perf record exited {rec.returncode}: {rec.stderr.strip()[-300:]}"}
    top = {}
    for sort in ("dso", "sym"):
        rep = subprocess.run([perf, "report", "-i", out, "--stdio", "--no-children", "--sort",
                              sort, "--percent-limit", "1"], capture_output=True, text=True,
                             timeout=120)
        top[sort] = [" ".join(line.split()) for line in rep.stdout.splitlines()
                     if line.strip() and not line.startswith("#")][:40]
    return {"file": out, "seconds": seconds, "top": top}


def stop_tasks(agent, ecs, arns, timeout=90):
    for arn in arns:
        try:
            ecs.stop_task(cluster=CLUSTER, task=arn, reason="density bench done")
        except Exception:  # noqa: BLE001 - the clean-up kills what is left
            pass
    deadline = time.monotonic() + timeout
    wanted = set(arns)
    while time.monotonic() < deadline:
        status, doc = agent.get("/v1/tasks")
        if status != 200:
            break
        left = [t for t in doc.get("Tasks") or []
                if t.get("Arn") in wanted and t.get("KnownStatus") != "STOPPED"]
        if not left:
            return True
        time.sleep(1)
    return False


def scenario(s, args, result):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", CLUSTER)
    agent = s.agent(control, CLUSTER, extra_config={
        "ECS_LOGLEVEL": "info",
        "ECS_POLLING_METRICS_WAIT_DURATION": go_duration(args.interval),
        "ECS_CONTAINER_STOP_TIMEOUT": "5s",
    })
    image = s.image()
    agent.start()
    pid = agent.proc.pid
    status, meta = agent.get("/v1/metadata")
    accounting = meta.get("Accounting") if status == 200 and isinstance(meta, dict) else None
    result["accounting"] = accounting
    if not accounting or not accounting.get("Enabled"):
        raise SetupError(f"the eBPF accounting is not loaded: /v1/metadata says {meta}")
    result["agent_version"] = meta.get("Version")
    result["agent_binary_mtime"] = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(s.agent_binary).st_mtime))

    if args.idle_seconds > 0:
        time.sleep(2)
        idle = measure(pid, control.proc.pid, args.idle_seconds, None, args.probe_every)
        idle.pop("_probes")
        result["idle"] = {k: idle[k] for k in (
            "window_s", "agent_cpu_percent_of_core",
            "agent_cpu_percent_of_core_schedstat_live_threads")}
        result["idle"].update({k: v for k, v in memory_figures(pid).items()
                               if k.startswith("agent_r") or k == "agent_pss_kib"})

    launch_start = time.monotonic()
    ecs, arns = run_tasks(s, control, image, args)
    result["tasks"] = len(arns)
    result["containers"] = len(arns) * args.containers_per_task
    result["containers_per_task"] = args.containers_per_task
    wait_running(agent, arns, args.timeout)
    result["launch_all_running_s"] = round(time.monotonic() - launch_start, 1)

    # Settle: a few rounds over every container, launches' work done.
    time.sleep(max(3.0, 3 * args.interval))
    uri = metadata_uri(arns[0].rsplit("/", 1)[1])
    result["interval_s"] = args.interval
    result["load_before"] = {"loadavg": loadavg(), "cpu_pressure_some": pressure()}
    t0 = time.monotonic()
    metrics_before = agent.get("/metrics")[1]
    scrape_ms = 1000 * (time.monotonic() - t0)
    time.sleep(args.interval + 0.5)  # the scrape's work out of the window
    window = measure(pid, control.proc.pid, args.seconds, uri, args.probe_every)
    probes = window.pop("_probes")
    result.update(window)
    result.update(rounds_figures(probes, window["window_s"], args.interval))
    if result.get("rounds"):
        # % of a core over the window -> CPU ms per round (schedstat: ns, not ticks).
        per_round = 10.0 * window["window_s"] / result["rounds"]

        def share(role):
            return sum(t["cpu_percent_of_core_schedstat"] or 0 for t in window["agent_threads"]
                       if t["role"] == role)

        result["cpu_ms_per_round"] = {
            "agent": round(window["agent_cpu_percent_of_core"] * per_round, 3),
            "loop_thread": round(share("loop (main thread)") * per_round, 3),
            "worker_pool": round(share("worker pool") * per_round, 3),
            "other_threads": round(share("other") * per_round, 3)}
    result["load_after"] = {"loadavg": loadavg(), "cpu_pressure_some": pressure()}

    # After the window: memory, and the stats are real (a series per container).
    result.update(memory_figures(pid))
    t0 = time.monotonic()
    metrics_after = agent.get("/metrics")[1]
    scrape_ms = max(scrape_ms, 1000 * (time.monotonic() - t0))
    result["metrics_scrape_ms"] = round(scrape_ms, 1)
    result["metrics_bytes"] = len(metrics_after)
    wanted = set(arns)
    cpu_before = series(metrics_before, "berth_container_cpu_seconds_total", wanted)
    cpu_after = series(metrics_after, "berth_container_cpu_seconds_total", wanted)
    result["series"] = len(cpu_after)
    result["series_with_ebpf_runqueue"] = len(
        series(metrics_after, "berth_container_runqueue_delay_seconds_total", wanted))
    result["series_with_memory"] = len(
        series(metrics_after, "berth_container_memory_working_set_bytes", wanted))
    result["series_cpu_nonzero"] = sum(1 for v in cpu_after.values() if v > 0)
    result["series_cpu_grew_in_window"] = sum(
        1 for k, v in cpu_after.items() if k in cpu_before and v > cpu_before[k])
    result["cgroup_enforcement"] = next(
        (int(float(m)) for m in re.findall(r"^berth_agent_cgroup_enforcement (\S+)",
                                           metrics_after, re.M)), None)
    result["process_resident_memory_bytes"] = next(
        (int(float(m)) for m in re.findall(r"^process_resident_memory_bytes (\S+)",
                                           metrics_after, re.M)), None)
    if args.perf_out:
        result["perf"] = perf_profile(pid, args.perf_out, min(args.seconds, 30.0))
    result["goal_cpu_percent"] = 1.0
    result["cpu_within_goal"] = (result["agent_cpu_percent_of_core"] is not None
                                 and result["agent_cpu_percent_of_core"] <= 1.0)
    result["stopped_cleanly"] = stop_tasks(agent, ecs, arns)


def cleanup(s):
    """The harness's clean-up (agents, control, registry, our tasks' cgroups),
    then SIGKILL to any child of ours it could not stop, then the temp dir
    unless something is still mounted under it."""
    try:
        s.cleanup()
    except Exception as e:  # noqa: BLE001
        print(f"density: clean-up: {e}", file=sys.stderr)
    for p in [a.proc for a in s.agents] + [b.proc for b in s.servers]:
        if p is not None and p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    with open("/proc/self/mountinfo") as f:
        mounted = [line.split()[4] for line in f
                   if line.split()[4].startswith(s.tmp.rstrip("/") + "/")]
    if mounted:
        print(f"density: left {s.tmp}: still mounted under it: {mounted[:3]}", file=sys.stderr)
    else:
        shutil.rmtree(s.tmp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_dir", help="a build tree with control/berth-control and "
                        "agent/berth-agent (and the agent's helpers beside it)")
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--containers-per-task", type=int, default=1,
                        help="1: N tasks of one container (default); 10: N/10 tasks of ten")
    parser.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    parser.add_argument("--interval", type=parse_duration, default=1.0,
                        help="ECS_POLLING_METRICS_WAIT_DURATION (the agent allows 1s-20s)")
    parser.add_argument("--idle-seconds", type=float, default=20.0,
                        help="a window before any task, same interval (0: none)")
    parser.add_argument("--memory-mib", type=int, default=8, help="each container's memory")
    parser.add_argument("--probe-every", type=float, default=10.0,
                        help="seconds between the stats probes in the window")
    parser.add_argument("--perf-out", metavar="FILE",
                        help="also `perf record` the agent for min(--seconds, 30) s after "
                        "the window into FILE and list its top symbols")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds for all tasks to reach RUNNING")
    args = parser.parse_args()
    if args.containers < 1 or args.containers % args.containers_per_task:
        parser.error("--containers must be a positive multiple of --containers-per-task")
    if not 1.0 <= args.interval <= 20.0:
        parser.error("--interval: the agent accepts 1s to 20s")

    bs.require_system()
    s = bs.SystemScenario(args.build_dir)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    result = {}
    code = 0
    try:
        scenario(s, args, result)
    except (SetupError, AssertionError) as e:
        print(f"density: setup failed: {e}", file=sys.stderr)
        for a in s.agents:
            if getattr(a, "log_path", None) and os.path.exists(a.log_path):
                print(f"--- {a.log_path} (tail)\n{a.log_text()[-3000:]}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("density: interrupted; cleaning up", file=sys.stderr)
        code = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup(s)
    if code == 0:
        print(json.dumps(result, indent=1))
    sys.exit(code)


if __name__ == "__main__":
    main()
