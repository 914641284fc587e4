#!/usr/bin/env bash
# The README's first command, as a test: packaging/quickstart.sh with the
# binaries of this build tree (no apt, no rebuild), stopping once its task is
# RUNNING. Exits 77 (skip) without root or the tools it needs.
set -uo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "SKIP: the quickstart needs root"; exit 77; }
for tool in /usr/bin/aws /usr/bin/umoci /usr/bin/skopeo /usr/bin/docker-registry /bin/busybox curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
work=$(mktemp -d /tmp/berth-quickstart-test.XXXXXX)
cleanup() {
  # The stopped task's (empty) cgroups stay until the agent's cleanup, which
  # this run never reaches: remove them with the data dir.
  local id
  id=$(sed -n 's|^task: arn:.*/||p' "$work/out.txt" 2>/dev/null | head -1)
  if [[ -n "$id" ]]; then
    for m in $(awk '{for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break }}' /proc/self/mountinfo); do
      [[ -d "$m/berth/$id" ]] || continue
      echo 1 >"$m/berth/$id/cgroup.kill" 2>/dev/null || true
      rmdir "$m/berth/$id"/*/ "$m/berth/$id" 2>/dev/null || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cd "$work"
BERTH_SKIP_DEPS=1 BERTH_SKIP_BUILD=1 BERTH_BUILD_DIR="$build" BERTH_CONTROL_PORT=$port \
  BERTH_QUICKSTART_EXIT=1 timeout 300 "$root/packaging/quickstart.sh" >"$work/out.txt" 2>&1
rc=$?
cat "$work/out.txt"
if ((rc != 0)); then
  echo "FAIL: quickstart exited $rc"
  for f in "$work"/.berth/*.log; do echo "--- $f"; tail -30 "$f"; done
  exit 1
fi
for want in '"lastStatus": "RUNNING"' '"KnownStatus": "RUNNING"' 'berth is running' \
            '==> stopping the task' '==> done'; do
  grep -qF "$want" "$work/out.txt" || { echo "FAIL: the output lacks: $want"; exit 1; }
done
grep -qF '"log":"hello from berth\n","stream":"stdout"' "$work"/.berth/agent/containers/*/*-json.log ||
  { echo "FAIL: the container's json-file log lacks its greeting"; exit 1; }
echo PASS
