#!/usr/bin/python3
"""Smoke run of berth_bench_control_api (ctest, label `system`).

Runs the bench for a fraction of a second against the real berth-control and
checks that it exits 0 and prints one JSON object with every section: set-up,
both phases (each either measured or skipped because this berth-control does
not serve the operation yet), the store's commit counters and the machine's
load. It never looks at a figure: benchmarks print figures, nothing asserts
them.

usage: smoke.py BENCH_BINARY BERTH_CONTROL_BINARY
"""

import json
import subprocess
import sys


def main():
    bench, control = sys.argv[1], sys.argv[2]
    cmd = [bench, "--control", control, "--instances", "10", "--connections", "4",
           "--warmup", "0.1", "--duration", "0.5", "--agents", "none", "--no-pin"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    sys.stderr.write(run.stderr)
    if run.returncode != 0:
        print(run.stdout)
        sys.exit(f"{' '.join(cmd)} exited {run.returncode}")
    report = json.loads(run.stdout)
    for key in ("parameters", "pinning", "load_start", "load_end", "setup", "metrics_end",
                "server_exit"):
        assert key in report, f"no '{key}' in the report"
    assert report["server_exit"] == "exit 0", report["server_exit"]
    setup = report["setup"]["register_container_instances"]
    assert setup["calls_ok"] == 10 and not setup["errors"], setup
    for phase, figure in (("phase1_run_task", "tasks_per_s"),
                          ("phase2_describe_tasks", "tasks_described_per_s")):
        section = report[phase]
        if "skipped" in section:
            # Only "not served yet" (or no tasks to describe because of it).
            assert ("UnknownOperationException" in section["skipped"]
                    or section["skipped"].startswith("no ARNs")), section["skipped"]
            continue
        for key in (figure, "calls_per_s", "latency_ms", "errors", "store"):
            assert key in section, f"no '{key}' in {phase}"
        assert not section["errors"], section["errors"]
    print("smoke ok:", json.dumps({k: report[k].get("skipped", "measured")
                                   for k in ("phase1_run_task", "phase2_describe_tasks")}))


if __name__ == "__main__":
    main()
