#!/usr/bin/env bash
# vm.rig_exit_status: run-in-vm.sh must hand back the guest command's exit
# status and its output (stdout and stderr, a last line without a newline),
# pass its arguments verbatim, keep the working directory, boot with every
# cgroup v2 controller enabled in the root, and turn a hung guest into exit
# 124. Exit 77 (skip) when the rig itself skips.
#
#   rig_exit_status_test.sh path/to/run-in-vm.sh
set -uo pipefail
rig=${1:?usage: $0 path/to/run-in-vm.sh}
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

script='pwd
printf "<%s>\n" "$@"
echo to-stderr >&2
cat /sys/fs/cgroup/cgroup.controllers /sys/fs/cgroup/cgroup.subtree_control
printf no-newline
exit 3'
out=$("$rig" -- /bin/sh -c "$script" sh "a b" "it's" '' '$HOME' '*')
rc=$?
if ((rc == 77)); then
  echo "run-in-vm.sh skipped (see its message above)" >&2
  exit 77
fi
printf '%s\n' "--- guest output ---" "$out" "--- exit status $rc ---"

((rc == 3)) || fail "exit status $rc, want 3 (the guest command's)"
mapfile -t lines <<<"$out"
expect=("$(pwd)" "<a b>" "<it's>" "<>" "<\$HOME>" "<*>" "to-stderr")
for i in "${!expect[@]}"; do
  [[ ${lines[i]-} == "${expect[i]}" ]] ||
    fail "output line $((i + 1)) is '${lines[i]-}', want '${expect[i]}'"
done
controllers=${lines[7]-}
enabled=${lines[8]-}
[[ -n $controllers && $controllers == "$enabled" ]] ||
  fail "root cgroup.subtree_control '$enabled' should enable all of cgroup.controllers '$controllers'"
for c in cpu memory; do
  [[ " $enabled " == *" $c "* ]] || fail "controller $c is not enabled in the guest's root"
done
[[ ${lines[9]-} == no-newline && ${#lines[@]} == 10 ]] ||
  fail "the last line should be 'no-newline' and there should be 10 lines, got ${#lines[@]}"

# A guest that does not finish is killed and reported as 124.
start=$SECONDS
"$rig" --timeout 2 -- /bin/sleep 600 >/dev/null 2>&1
rc=$?
((rc == 124)) || fail "a guest over its --timeout exited $rc, want 124"
((SECONDS - start < 30)) || fail "the timed-out guest took $((SECONDS - start)) s to be killed"

if ((failures)); then
  exit 1
fi
echo "PASS: exit status, output, arguments, cwd, controllers and timeout all came back"
