#!/usr/bin/python3
"""Measures berth-control's start-up: from exec to its "ready" log line, on a
fresh (empty) data dir and on one holding N clusters. Not a test (timings on
a shared machine are not assertions); docs/control.md quotes its output.

  startup_time.py BERTH_CONTROL [RUNS] [CLUSTERS]
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def start_once(binary, data_dir):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stderr:
        if "ready on 127.0.0.1:" in line:
            port = int(line.split("ready on 127.0.0.1:")[1].split()[0])
            break
    elapsed = time.perf_counter() - t0
    return p, port, elapsed


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.stderr.read()
    p.wait(timeout=15)


def measure(binary, runs, fresh, prepare=None):
    times = []
    tmp = tempfile.mkdtemp(prefix="berth-startup-")
    try:
        data = os.path.join(tmp, "data")
        if prepare:
            prepare(data)
        for _ in range(runs):
            if fresh:
                shutil.rmtree(data, ignore_errors=True)
            p, port, elapsed = start_once(binary, data)
            if port is None:
                raise SystemExit("berth-control did not become ready")
            times.append(elapsed * 1000)
            stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    times.sort()
    return statistics.median(times), times[0], times[-1]


def fill(binary, count):
    def prepare(data):
        import boto3
        p, port, _ = start_once(binary, data)
        ecs = boto3.client("ecs", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="y")
        for i in range(count):
            ecs.create_cluster(clusterName=f"c{i:05d}", tags=[{"key": "k", "value": "v"}])
        stop(p)
    return prepare


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    clusters = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    for proxy in [k for k in os.environ if k.lower().endswith("_proxy")]:
        del os.environ[proxy]
    med, lo, hi = measure(binary, runs, fresh=True)
    print(f"new data dir (store created):  median {med:.1f} ms, min {lo:.1f}, max {hi:.1f} "
          f"over {runs} starts")
    med, lo, hi = measure(binary, runs, fresh=False)
    print(f"empty store (existing):        median {med:.1f} ms, min {lo:.1f}, max {hi:.1f}")
    med, lo, hi = measure(binary, max(3, runs // 4), fresh=False, prepare=fill(binary, clusters))
    print(f"{clusters} clusters:                median {med:.1f} ms, min {lo:.1f}, max {hi:.1f}")


if __name__ == "__main__":
    main()
