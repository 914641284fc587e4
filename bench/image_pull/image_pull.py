#!/usr/bin/python3
"""bench/image_pull: berth's cold pull + unpack against skopeo copy + umoci
unpack, side by side in one run, and the registry requests of a warm launch
with each ECS_IMAGE_PULL_BEHAVIOR. Prints JSON; asserts nothing.

    python3 bench/image_pull/image_pull.py build/release [--samples 3]
        [--layers 5] [--layer-mb 8] [--work DIR] [--keep]

Root only (umoci unpack keeps ownership; berth-unpack too). It starts Debian's
docker-registry on 127.0.0.1 (tests/fixtures/registry.py), generates an image
of --layers gzip layers of about --layer-mb MB each (a few incompressible
files and a few hundred small text files per layer, deterministic), pushes it,
then alternates, sample by sample, so both sides see the same machine:

  berth:   berth_bench_image_pull_tool (the agent's RegistryClient,
           RegistrySource, ImageStore and berth-unpack in one process) pulls
           the image into an empty store: manifest, config, every layer
           downloaded (3 at once), verified, fsynced and unpacked.
  skopeo:  skopeo copy docker://… oci:<dir>:<tag> (downloads and verifies the
           blobs into an OCI layout), then umoci unpack --image <dir>:<tag>
           (unpacks every layer into one rootfs).

Both are timed from outside, process start to exit. The goal is berth's p50
≤ skopeo + umoci's p50 (a ratio ≥ 1.0). The warm part runs the tool twice per
behaviour on the store the last cold sample filled: the first Get of a fresh
process (it probes /v2/ first) and the second (as a long-running agent sees
every later launch).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))
import registry as rf  # noqa: E402


def make_layers(count, layer_mb, seed=20261121):
    rng = random.Random(seed)
    words = [f"w{rng.randrange(10**6)}" for _ in range(5000)]
    layers = []
    for n in range(count):
        entries = [rf.tar_dir(f"layer{n}"), rf.tar_dir(f"layer{n}/text")]
        big = max(1, layer_mb // 2)
        for b in range(big):
            entries.append(rf.tar_file(f"layer{n}/blob{b}.bin", rng.randbytes(1 << 20)))
        remaining = layer_mb * (1 << 20) - big * (1 << 20)
        i = 0
        while remaining > 0:
            text = " ".join(rng.choice(words) for _ in range(rng.randrange(200, 2000))).encode()
            entries.append(rf.tar_file(f"layer{n}/text/f{i}.txt", text))
            remaining -= len(text) * 4  # text compresses about 4:1
            i += 1
        layers.append(rf.make_tar_gz(entries))
    return layers


def timed(cmd, **kw):
    start = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    took = time.monotonic() - start
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return took, r.stdout


def p50(xs):
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--layer-mb", type=int, default=8)
    ap.add_argument("--work")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    missing = rf.missing_requirements()
    if missing or os.geteuid() != 0:
        print(json.dumps({"skipped": missing or ["needs root"]}))
        return 77
    tool = os.path.join(os.path.abspath(args.build), "bench", "image_pull",
                        "berth_bench_image_pull_tool")
    if not os.access(tool, os.X_OK):
        print(f"image_pull.py: {tool} is not built", file=sys.stderr)
        return 2
    work = args.work or tempfile.mkdtemp(prefix="berth-image-pull-")
    os.makedirs(work, exist_ok=True)
    out = {"layers": args.layers, "layer_mb": args.layer_mb, "samples": args.samples}
    try:
        with rf.Registry(auth="none", workdir=os.path.join(work, "registry")) as reg:
            layers = make_layers(args.layers, args.layer_mb)
            out["image_bytes"] = sum(len(b) for b in layers)
            digest = reg.push_raw("bench/app", "v1", layers)
            out["manifest"] = digest
            image = f"{reg.host}/bench/app:v1"
            berth, skopeo, umoci_only = [], [], []
            store = None
            for n in range(args.samples):
                store = os.path.join(work, f"store{n}")
                took, stdout = timed([tool, "--store", store, "--image", image,
                                      "--insecure", reg.host])
                result = json.loads(stdout)
                if not result["gets"][0]["ok"]:
                    raise RuntimeError("berth's pull failed: " + result["gets"][0]["error"])
                berth.append(took)
                layout, bundle = os.path.join(work, f"oci{n}"), os.path.join(work, f"bundle{n}")
                t1, _ = timed(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                               f"docker://{image}", f"oci:{layout}:v1"])
                t2, _ = timed(["umoci", "unpack", "--image", f"{layout}:v1", bundle])
                skopeo.append(t1 + t2)
                umoci_only.append(t2)
                if n + 1 < args.samples:
                    for d in (store, layout, bundle):
                        shutil.rmtree(d, ignore_errors=True)
            out["cold_seconds"] = {
                "berth": [round(x, 3) for x in berth],
                "skopeo_copy_plus_umoci_unpack": [round(x, 3) for x in skopeo],
                "of_which_umoci_unpack": [round(x, 3) for x in umoci_only],
                "berth_p50": round(p50(berth), 3),
                "skopeo_umoci_p50": round(p50(skopeo), 3),
                "speed_ratio_p50": round(p50(skopeo) / p50(berth), 2),
            }
            warm = {}
            for behavior in ("default", "always", "once", "prefer-cached"):
                _, stdout = timed([tool, "--store", store, "--image", image, "--insecure",
                                   reg.host, "--behavior", behavior, "--gets", "2"])
                gets = json.loads(stdout)["gets"]
                warm[behavior] = {
                    "requests_first_get_of_a_process": gets[0]["requests"],
                    "requests_per_later_launch": gets[1]["requests"],
                    "blob_bytes": gets[0]["blob_bytes"] + gets[1]["blob_bytes"],
                    "seconds_later_launch": round(gets[1]["seconds"], 6),
                }
            out["warm"] = warm
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
