#!/usr/bin/env bash
# Runs every berth test: installs dependencies, builds the release, asan and
# fuzz presets, and runs the tiers through ctest:
#   release: unit, kernel, system, compat, then vm (one VM at a time)
#   asan:    unit, kernel (ASan + UBSan)
#   fuzz:    every libFuzzer target for BERTH_FUZZ_SECONDS (default 60) each
# Prints each ctest summary, the skipped tests with their reasons, and a
# total line; exits non-zero if anything failed. docs/testing.md explains the
# tiers. Environment: BERTH_TEST_STAGES (default "release asan fuzz") picks
# stages; BERTH_SKIP_DEPS=1 skips the apt step.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stages=${BERTH_TEST_STAGES:-release asan fuzz}
export BERTH_FUZZ_SECONDS=${BERTH_FUZZ_SECONDS:-60}
export CTEST_OUTPUT_ON_FAILURE=1
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
failed=0

stamp() { printf '\n==> %s  [%s]\n' "$1" "$(date -u +%H:%M:%S)"; }

if [[ "${BERTH_SKIP_DEPS:-0}" != 1 ]]; then
  stamp "dependencies"
  bash packaging/install-deps.sh || { echo "dependency install failed"; exit 1; }
fi

build() {  # build PRESET [TARGET]
  stamp "configure + build: $1"
  cmake --preset "$1" >"$reports/configure-$1.log" 2>&1 ||
    { cat "$reports/configure-$1.log"; echo "configure $1 failed"; exit 1; }
  if [[ -n "${2:-}" ]]; then
    cmake --build --preset "$1" --target "$2" || { echo "build $1 failed"; exit 1; }
  else
    cmake --build --preset "$1" || { echo "build $1 failed"; exit 1; }
  fi
}

run_ctest() {  # run_ctest PRESET NAME LABEL-REGEX [extra ctest args]
  local preset=$1 name=$2 labels=$3
  shift 3
  stamp "ctest $preset: $labels"
  ctest --test-dir "build/$preset" -L "$labels" --no-tests=error \
    --output-junit "$reports/$name.xml" "$@"
  local rc=$?
  if ((rc != 0)); then
    # --no-tests=error makes an empty label set fail, except for tiers that
    # have no tests yet by design (see docs/testing.md).
    failed=1
  fi
}

for stage in $stages; do
  case $stage in
    release)
      build release
      run_ctest release release-fast '^(unit|kernel|system|compat)$' -j2
      run_ctest release release-vm '^vm$'
      ;;
    asan)
      build asan
      run_ctest asan asan '^(unit|kernel)$' -j2
      ;;
    fuzz)
      build fuzz fuzz_targets
      run_ctest fuzz fuzz '^fuzz$' -j2
      ;;
    *)
      echo "unknown stage '$stage'"; exit 2 ;;
  esac
done

stamp "summary"
python3 "$root/tests/junit_summary.py" "$reports"/*.xml || failed=1
if ((failed)); then
  echo "tests/run.sh: FAILED"
  exit 1
fi
echo "tests/run.sh: all stages passed"
