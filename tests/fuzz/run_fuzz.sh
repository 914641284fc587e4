#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: run_fuzz.sh TARGET SEEDS WORKDIR
# New corpus entries and any crash artifact go to WORKDIR (in the build tree).
set -euo pipefail
target=$1 seeds=$2 work=$3
seconds=${BERTH_FUZZ_SECONDS:-60}
mkdir -p "$work/corpus" "$work/artifacts"
args=("-max_total_time=$seconds" "-rss_limit_mb=2048" "-timeout=10"
      "-artifact_prefix=$work/artifacts/" "-print_final_stats=1")
[[ -f "$seeds/../dict" ]] && args+=("-dict=$seeds/../dict")
exec "$target" "${args[@]}" "$work/corpus" "$seeds"
