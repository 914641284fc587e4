"""The task metadata endpoint of a real agent: a container reaches its own
ECS_CONTAINER_METADATA_URI_V4 (host network, busybox wget) and reads its
container response; from the host, /v4/<id>/task names both containers,
/v4/<id>/stats has Docker's shape with counters that move between samples,
/v4/<id>/task/stats covers every container, an unknown id is 404 with the
agent's error string, and requests past ECS_TASK_METADATA_RPS_LIMIT get 429."""
import glob
import json
import os
import re
import time
import urllib.error

import berth_system as bs
from berth_compat import expect_eq, _no_proxy_opener


def get(url):
    try:
        with _no_proxy_opener().open(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def log_lines(agent):
    lines = []
    for path in glob.glob(os.path.join(agent.data_dir, "**", "*-json.log"), recursive=True):
        with open(path) as f:
            lines += [json.loads(line)["log"] for line in f if line.strip()]
    return lines


def main(s):
    control = s.berth()
    control.start()
    s.aws(control, "create-cluster", "--cluster-name", "tmds")
    agent = s.agent(control, "tmds", extra_config={
        "ECS_POLLING_METRICS_WAIT_DURATION": "1s",
        "ECS_TASK_METADATA_RPS_LIMIT": "20,20",
    })
    agent.start()
    image = s.image()
    s.register(control, "meta", [
        {"name": "app", "image": image, "memory": 32, "essential": True,
         "command": ["sh", "-c",
                     "echo URI=$ECS_CONTAINER_METADATA_URI_V4; "
                     "echo SELF=$(wget -qO- $ECS_CONTAINER_METADATA_URI_V4); "
                     "while true; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; "
                     "sleep 0.1; done"]},
        {"name": "side", "image": image, "memory": 16, "essential": False,
         "command": ["sleep", "3600"]},
    ])
    arn = s.run_task(control, "tmds", "meta")[0]
    s.wait_status(control, "tmds", arn, "RUNNING")

    uri = self_line = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (uri and self_line):
        for line in log_lines(agent):
            if line.startswith("URI="):
                uri = line[4:].strip()
            if line.startswith("SELF="):
                self_line = line[5:].strip()
        time.sleep(0.2)
    if not uri or not uri.startswith("http://127.0.0.1:"):
        raise AssertionError(f"no ECS_CONTAINER_METADATA_URI_V4 in the container: {uri!r}")
    if not self_line:
        raise AssertionError("the container could not read its own metadata")
    me = json.loads(self_line)
    expect_eq((me["Name"], me["KnownStatus"], me["Limits"]["Memory"]), ("app", "RUNNING", 32),
              "the container's own metadata")

    status, body = get(uri + "/task")
    expect_eq(status, 200, "/task status")
    task = json.loads(body)
    expect_eq(task["TaskARN"], arn, "TaskARN")
    expect_eq(sorted(c["Name"] for c in task["Containers"]), ["app", "side"], "containers")

    def stats():
        status, body = get(uri + "/stats")
        expect_eq(status, 200, "/stats status")
        return json.loads(body)

    deadline = time.monotonic() + 20
    first = None
    while time.monotonic() < deadline:
        status, body = get(uri + "/stats")
        if status == 200:
            first = json.loads(body)
            break
        time.sleep(0.3)
    if first is None:
        raise AssertionError(f"/stats never answered 200: {status} {body}")
    for key in ("read", "preread", "cpu_stats", "precpu_stats", "memory_stats", "pids_stats",
                "blkio_stats", "name", "id"):
        if key not in first:
            raise AssertionError(f"/stats lacks {key}: {first}")
    expect_eq(first["id"], me["DockerId"], "stats id")
    time.sleep(2.5)
    second = stats()
    if not (second["cpu_stats"]["cpu_usage"]["total_usage"]
            > first["cpu_stats"]["cpu_usage"]["total_usage"]):
        raise AssertionError(f"CPU did not move: {first['cpu_stats']} then {second['cpu_stats']}")
    if second["read"] == first["read"]:
        raise AssertionError("the sample did not change")

    status, body = get(uri + "/task/stats")
    expect_eq(status, 200, "/task/stats status")
    expect_eq(sorted(json.loads(body)), sorted(c["DockerId"] for c in task["Containers"]),
              "/task/stats keys")

    base = uri.rsplit("/v4/", 1)[0]
    status, body = get(base + "/v4/nope")
    expect_eq(status, 404, "unknown id")
    if "unable to get docker ID from v3 endpoint ID: nope" not in json.loads(body):
        raise AssertionError(f"unknown id body: {body}")

    # Past the limit (20 per second, 20 at once): 429.
    codes = [get(uri)[0] for _ in range(60)]
    if 429 not in codes or 200 not in codes:
        raise AssertionError(f"no 429 past the rate limit: {codes}")


if __name__ == "__main__":
    bs.run(main)
