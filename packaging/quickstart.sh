#!/usr/bin/env bash
# berth end to end on this machine: installs the Debian packages berth needs,
# builds the release preset, starts berth-control and berth-agent on loopback
# with every file under ./.berth/, starts a local image registry (Debian's
# docker-registry) holding a busybox image (umoci + busybox-static, pushed
# with skopeo), registers a task definition whose image the agent pulls from
# that registry, runs it with the stock aws
# CLI, waits for RUNNING and shows what the agent knows about it. Ctrl-C
# stops the task, then the agent and the control plane.
#
#   packaging/quickstart.sh            # as root, on Debian 12
#
# Environment: BERTH_QUICKSTART_DIR (default ./.berth), BERTH_CONTROL_PORT
# (default 8080), BERTH_SKIP_DEPS=1 / BERTH_SKIP_BUILD=1 to skip those steps
# (BERTH_BUILD_DIR: a build tree to take the binaries from, default build/release),
# BERTH_QUICKSTART_EXIT=1 to stop everything once the task is RUNNING instead
# of waiting for Ctrl-C (the system tests use it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(realpath -m "${BERTH_QUICKSTART_DIR:-$PWD/.berth}")
port=${BERTH_CONTROL_PORT:-8080}
endpoint="http://127.0.0.1:$port"
cluster=quickstart

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run me as root: berth-agent creates cgroups, namespaces and mounts"
if ! grep -qs '^VERSION_ID="12"' /etc/os-release; then
  echo "quickstart: this is not Debian 12; carrying on, but only Debian 12 is tested" >&2
fi

if [[ "${BERTH_SKIP_DEPS:-0}" != 1 ]]; then
  say "installing dependencies (Debian packages)"
  bash "$root/packaging/install-deps.sh"
fi

build=${BERTH_BUILD_DIR:-$root/build/release}
if [[ "${BERTH_SKIP_BUILD:-0}" != 1 ]]; then
  say "building berth (release preset; a first build takes several minutes on 2 cores)"
  (cd "$root" && cmake --preset release >/dev/null &&
     cmake --build --preset release --target berth-control berth-agent berth-init berth-shim berth-unpack)
fi
for b in control/berth-control agent/berth-agent agent/runtime/berth-init agent/runtime/berth-shim \
         agent/images/berth-unpack; do
  [[ -x "$build/$b" ]] || die "$build/$b is missing: build first (or unset BERTH_SKIP_BUILD)"
done

if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "127.0.0.1:$port is taken; set BERTH_CONTROL_PORT to a free port"
fi
if (: <"/dev/tcp/127.0.0.1/51678") 2>/dev/null; then
  die "127.0.0.1:51678 (the agent's introspection port) is taken: is another agent running?"
fi

mkdir -p "$work"
say "working in $work"
# One key pair, accepted by berth-control and used by the agent and the CLI.
key_id=AKIDBERTHQUICKSTART
secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s %s\n' "$key_id" "$secret" >"$work/credentials"
chmod 600 "$work/credentials"
export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
ecs() { aws ecs --endpoint-url "$endpoint" "$@"; }

control_pid="" agent_pid="" registry_pid="" task_arn=""
cleanup() {
  trap - INT TERM EXIT
  echo
  if [[ -n "$task_arn" ]] && [[ -n "$agent_pid" ]] && kill -0 "$agent_pid" 2>/dev/null; then
    say "stopping the task"
    ecs stop-task --cluster "$cluster" --task "$task_arn" --reason "quickstart ended" >/dev/null || true
    timeout 60 aws ecs --endpoint-url "$endpoint" wait tasks-stopped --cluster "$cluster" \
      --tasks "$task_arn" || echo "quickstart: the task did not stop within a minute" >&2
  fi
  if [[ -n "$agent_pid" ]]; then
    say "stopping berth-agent"
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  if [[ -n "$control_pid" ]]; then
    say "stopping berth-control"
    kill -TERM "$control_pid" 2>/dev/null || true
    wait "$control_pid" 2>/dev/null || true
  fi
  if [[ -n "$registry_pid" ]]; then
    say "stopping the image registry"
    kill -TERM "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  say "done; everything berth wrote is under $work"
}
trap cleanup INT TERM EXIT

say "starting berth-control on $endpoint"
"$build/control/berth-control" --listen "127.0.0.1:$port" --data-dir "$work/control" \
  --credentials "$work/credentials" >"$work/berth-control.log" 2>&1 &
control_pid=$!
for _ in $(seq 100); do
  grep -q "ready on" "$work/berth-control.log" 2>/dev/null && break
  kill -0 "$control_pid" 2>/dev/null || { cat "$work/berth-control.log"; die "berth-control exited"; }
  sleep 0.1
done
ecs create-cluster --cluster-name "$cluster" >/dev/null

say "starting a local image registry with a busybox image (umoci + busybox-static, pushed by skopeo)"
# tests/fixtures/registry.py runs Debian's docker-registry on 127.0.0.1 with a
# generated config and prints one JSON line once the image is pushed.
/usr/bin/python3 "$root/tests/fixtures/registry.py" serve --dir "$work/registry" \
  --push-busybox busybox:latest >"$work/registry.json" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 600); do
  [[ -s "$work/registry.json" ]] && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$work/registry.log"; die "the registry did not start"; }
  sleep 0.2
done
[[ -s "$work/registry.json" ]] || { cat "$work/registry.log"; die "the registry did not start in 2 minutes"; }
registry=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["host"])' \
             "$work/registry.json")
image="$registry/busybox:latest"
echo "registry: http://$registry (image $image)"

cat >"$work/ecs.config" <<EOF
# berth-agent's configuration, the Amazon agent's variables (docs/agent.md).
ECS_CLUSTER=$cluster
ECS_BACKEND_HOST=$endpoint
ECS_DATADIR=$work/agent
ECS_LOGLEVEL=info
# The quickstart's registry speaks plain HTTP on loopback.
BERTH_INSECURE_REGISTRIES=$registry
EOF
say "starting berth-agent (config: $work/ecs.config)"
"$build/agent/berth-agent" --config "$work/ecs.config" >"$work/berth-agent.log" 2>&1 &
agent_pid=$!
instance=""
for _ in $(seq 100); do
  instance=$(ecs list-container-instances --cluster "$cluster" \
               --query 'containerInstanceArns[0]' --output text 2>/dev/null || true)
  [[ -n "$instance" && "$instance" != None ]] && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$work/berth-agent.log"; die "berth-agent exited"; }
  sleep 0.2
done
[[ -n "$instance" && "$instance" != None ]] || { cat "$work/berth-agent.log"; die "the agent did not register"; }
echo "registered: $instance"

say "registering task definition 'hello'"
ecs register-task-definition --family hello --container-definitions "$(cat <<EOF
[{"name": "hello", "image": "$image", "cpu": 128, "memory": 64, "essential": true,
  "command": ["sh", "-c", "trap 'echo bye; exit 0' TERM; echo hello from berth; while true; do date; sleep 1; done"]}]
EOF
)" --query 'taskDefinition.taskDefinitionArn' --output text

say "running it"
task_arn=$(ecs run-task --cluster "$cluster" --task-definition hello \
             --query 'tasks[0].taskArn' --output text)
echo "task: $task_arn"
ecs wait tasks-running --cluster "$cluster" --tasks "$task_arn"
ecs describe-tasks --cluster "$cluster" --tasks "$task_arn" \
  --query 'tasks[0].{lastStatus: lastStatus, pullStartedAt: pullStartedAt, pullStoppedAt: pullStoppedAt, containers: containers[].{name: name, image: image, imageDigest: imageDigest, lastStatus: lastStatus, runtimeId: runtimeId}}'

say "what the agent knows (http://127.0.0.1:51678/v1/tasks)"
curl -s --noproxy '*' http://127.0.0.1:51678/v1/tasks | python3 -m json.tool

cat <<EOF

berth is running. Try, in another shell (same directory):
  export AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1
  aws ecs --endpoint-url $endpoint describe-tasks --cluster $cluster --tasks $task_arn
  curl -s http://127.0.0.1:51678/v1/metadata
  curl -s http://127.0.0.1:51678/metrics | grep '^berth_task_'   # what the task uses (eBPF, cgroups)
  curl -s $endpoint/metrics | grep -E '^berth_(cluster|service)_'  # reservation, utilization (every 20 s)
  tail -f $work/agent/containers/*/*-json.log   # the container's output (Docker's json-file format)
  ls $work/agent/images/layers                   # the image's layers, pulled from $registry
  aws ecs --endpoint-url $endpoint stop-task --cluster $cluster --task $task_arn
Logs: $work/berth-control.log, $work/berth-agent.log, $work/registry.log
Press Ctrl-C to stop the task, the agent and the control plane.
EOF
if [[ "${BERTH_QUICKSTART_EXIT:-0}" == 1 ]]; then
  exit 0
fi
wait "$agent_pid"
