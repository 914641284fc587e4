#!/usr/bin/env bash
# wrk against the berth HTTP server and against Debian's nginx, configured
# alike (one single-threaded server, a fixed 200 JSON body, keep-alive), in
# one run, alternating them, on loopback only. Prints a JSON summary with
# both req/s, latency percentiles, errors and the ratio berth/nginx.
#
#   bench/http_server/run.sh            # after building berth_bench_http_server
#
# Environment (all optional):
#   BERTH_BENCH_SERVER  path of berth_bench_http_server (default: the newest
#                       one under build/)
#   BENCH_DURATION      seconds per measured wrk run (10)
#   BENCH_WARMUP        seconds of wrk against each server before measuring (3)
#   BENCH_ROUNDS        measured runs per server (2); the order alternates
#                       berth,nginx / nginx,berth / ... so drift cancels
#   BENCH_CONNECTIONS   wrk -c (256)
#   BENCH_THREADS       wrk -t (1: see bench/README.md for why)
#   BENCH_PIN           1: pin the servers to CPU 1 and wrk to CPU 0 (off)
#   BENCH_KEEP          1: keep the temp dir with every raw wrk report
#
# Exit status: 0 when both servers answered every request without socket
# errors and are still alive; 1 otherwise (the summary says which); 2 when
# a tool is missing.
set -euo pipefail

readonly BODY='{"status":"ok","service":"berth"}'
readonly HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO="$(cd "${HERE}/../.." && pwd)"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-3}"
ROUNDS="${BENCH_ROUNDS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-256}"
THREADS="${BENCH_THREADS:-1}"
PIN="${BENCH_PIN:-0}"

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "run.sh: $*" >&2; }

# --- tools -------------------------------------------------------------------
WRK="$(command -v wrk || true)"
[[ -n "${WRK}" ]] || die "wrk not found (apt-get install wrk)"
NGINX="$(command -v nginx || true)"
[[ -z "${NGINX}" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
[[ -n "${NGINX}" ]] || die "nginx not found (apt-get install nginx-light)"
PYTHON="$(command -v python3 || true)"
[[ -n "${PYTHON}" ]] || die "python3 not found (it writes the JSON summary)"
command -v curl >/dev/null || die "curl not found (it checks both servers answer)"
SERVER="${BERTH_BENCH_SERVER:-}"
if [[ -z "${SERVER}" ]]; then
  SERVER="$(find "${REPO}/build" -type f -name berth_bench_http_server -perm -u+x \
              -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n1 | cut -d' ' -f2- || true)"
fi
[[ -n "${SERVER}" && -x "${SERVER}" ]] ||
  die "berth_bench_http_server not found; build it (cmake --build build/bench --target \
berth_bench_http_server) or set BERTH_BENCH_SERVER"
for n in DURATION WARMUP ROUNDS CONNECTIONS THREADS; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_${n} must be a positive integer, not '${!n}'"
done

PIN_SERVER=()
PIN_WRK=()
if [[ "${PIN}" == 1 ]]; then
  command -v taskset >/dev/null || die "BENCH_PIN=1 needs taskset"
  PIN_SERVER=(taskset -c 1)
  PIN_WRK=(taskset -c 0)
fi

# --- processes and clean-up --------------------------------------------------
# Every process this script starts is a child of this shell, recorded here
# and cleared once reaped (so a recycled pid is never signalled).
TMP="$(mktemp -d -t berth-http-bench.XXXXXX)"
BERTH_PID=""
NGINX_PID=""
WRK_PID=""
running() {  # alive and not a zombie
  local state
  state="$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "${state}" && "${state}" != Z ]]
}
cleanup() {
  local pid
  local pids=(${WRK_PID} ${BERTH_PID} ${NGINX_PID})
  for pid in "${pids[@]}"; do
    kill -TERM "${pid}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do
      running "${pid}" || break
      sleep 0.1
    done
    kill -KILL "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "raw reports kept in ${TMP}"
  else
    rm -rf "${TMP}"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "${PYTHON}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # name pid port
  for _ in $(seq 100); do
    running "$2" || die "$1 exited at start-up: $(tail -n3 "${TMP}/$1".* 2>/dev/null)"
    if [[ "$(curl -s --max-time 1 "http://127.0.0.1:$3/" 2>/dev/null)" == "${BODY}" ]]; then
      return 0
    fi
    sleep 0.1
  done
  die "$1 did not answer on 127.0.0.1:$3 with the expected body"
}

# CPU seconds (user+system) a process has used so far.
readonly CLK_TCK="$(getconf CLK_TCK)"
cpu_seconds() {
  awk -v t="${CLK_TCK}" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / t }' "/proc/$1/stat"
}

# --- berth ---------------------------------------------------------------------
BERTH_PORT="$(free_port)"
"${PIN_SERVER[@]}" "${SERVER}" --listen "127.0.0.1:${BERTH_PORT}" \
  >"${TMP}/berth.out" 2>"${TMP}/berth.err" &
BERTH_PID=$!

# --- nginx: one worker, return 200 with the same body, keep-alive defaults ----
# master_process off: a single process serves the traffic, like berth, and it
# is the only pid to stop; with it on, the idle master would only add a
# process (the worker runs the same code either way).
NGINX_PORT="$(free_port)"
mkdir -p "${TMP}/nginx/logs"
cat >"${TMP}/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid ${TMP}/nginx/nginx.pid;
error_log ${TMP}/nginx/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${TMP}/nginx/body;
  proxy_temp_path ${TMP}/nginx/proxy;
  fastcgi_temp_path ${TMP}/nginx/fastcgi;
  uwsgi_temp_path ${TMP}/nginx/uwsgi;
  scgi_temp_path ${TMP}/nginx/scgi;
  server {
    listen 127.0.0.1:${NGINX_PORT};
    location / {
      default_type application/json;
      return 200 '${BODY}';
    }
  }
}
EOF
"${PIN_SERVER[@]}" "${NGINX}" -p "${TMP}/nginx" -c "${TMP}/nginx/nginx.conf" \
  -e "${TMP}/nginx/error.log" >"${TMP}/nginx.out" 2>&1 &
NGINX_PID=$!

wait_http berth "${BERTH_PID}" "${BERTH_PORT}"
wait_http nginx "${NGINX_PID}" "${NGINX_PORT}"
log "berth (pid ${BERTH_PID}) on 127.0.0.1:${BERTH_PORT}, nginx (pid ${NGINX_PID}) on" \
  "127.0.0.1:${NGINX_PORT}; wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s," \
  "${ROUNDS} rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- wrk ---------------------------------------------------------------------
RESULTS="${TMP}/results.jsonl"
: >"${RESULTS}"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# User+sys seconds of every reaped child of this shell. `times` must run in
# this shell (a $(...) subshell starts with zero children), hence the file.
children_cpu() {
  times >"${TMP}/times"
  tail -n1 "${TMP}/times" | awk '{
    n = split($1 " " $2, f, " "); s = 0
    for (i = 1; i <= n; i++) { split(f[i], p, "m"); s += p[1] * 60 + p[2] }
    printf "%.3f\n", s }'
}

run_wrk() {  # name pid port seconds label
  local name="$1" pid="$2" port="$3" secs="$4" label="$5"
  local out="${TMP}/wrk-${label}.txt"
  local cpu0 cpu1
  cpu0="$(cpu_seconds "${pid}")"
  children_cpu >"${TMP}/wcpu0"
  # In the background, so an INT/TERM trap runs at once, not after wrk.
  "${PIN_WRK[@]}" "${WRK}" -t"${THREADS}" -c"${CONNECTIONS}" -d"${secs}s" --latency \
    -s "${HERE}/wrk_report.lua" "http://127.0.0.1:${port}/" >"${out}" 2>&1 &
  WRK_PID=$!
  wait "${WRK_PID}" || log "wrk against ${name} exited with $?"
  WRK_PID=""
  children_cpu >"${TMP}/wcpu1"
  local alive=true
  if running "${pid}"; then
    cpu1="$(cpu_seconds "${pid}")"
  else
    alive=false
    cpu1="${cpu0}"
    log "${name} (pid ${pid}) DIED during ${label}"
  fi
  local json
  json="$(sed -n 's/^WRK_JSON //p' "${out}")"
  if [[ -z "${json}" ]]; then
    log "wrk against ${name} printed no report:"
    cat "${out}" >&2
    json='null'
  fi
  printf '{"server":"%s","label":"%s","alive":%s,"server_cpu_s":%s,"wrk_cpu_s":%s,"wrk":%s}\n' \
    "${name}" "${label}" "${alive}" \
    "$(awk -v a="${cpu0}" -v b="${cpu1}" 'BEGIN { printf "%.3f", b - a }')" \
    "$(paste "${TMP}/wcpu0" "${TMP}/wcpu1" | awk '{ printf "%.3f", $2 - $1 }')" \
    "${json}" >>"${RESULTS}"
  grep -E 'Requests/sec|Socket errors|Non-2xx' "${out}" | sed "s/^/run.sh: ${label} /" >&2 || true
  [[ "${alive}" == true ]]
}

run_berth() { run_wrk berth "${BERTH_PID}" "${BERTH_PORT}" "$1" "$2"; }
run_nginx() { run_wrk nginx "${NGINX_PID}" "${NGINX_PORT}" "$1" "$2"; }

run_berth "${WARMUP}" warmup-berth || exit 1
run_nginx "${WARMUP}" warmup-nginx || exit 1
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2 == 1)); then
    run_berth "${DURATION}" "round${r}-berth" || break
    run_nginx "${DURATION}" "round${r}-nginx" || break
  else
    run_nginx "${DURATION}" "round${r}-nginx" || break
    run_berth "${DURATION}" "round${r}-berth" || break
  fi
done
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
# The bench itself keeps ~2 CPUs busy, so judge by the load before it ran.
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  log "warning: load ${LOAD_BEFORE} on $(nproc) CPUs before the bench: other work shares" \
    "the cores, so req/s" \
    "mostly measures CPU share; compare ratio_req_per_cpu_s too"
fi

# Stop berth gracefully to collect its own counters (requests, 400s sent).
BERTH_STATS=null
if running "${BERTH_PID}"; then
  kill -TERM "${BERTH_PID}"
  wait "${BERTH_PID}" || log "berth exited with $? on SIGTERM"
  BERTH_PID=""
  BERTH_STATS="$(grep -E '^\{' "${TMP}/berth.out" | tail -n1)"
  [[ -n "${BERTH_STATS}" ]] || BERTH_STATS=null
fi

"${PYTHON}" - "${RESULTS}" <<EOF
import json, statistics, sys

runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
measured = [r for r in runs if not r["label"].startswith("warmup")]

def side(name):
    rs = [r for r in measured if r["server"] == name]
    ok = [r for r in rs if r["wrk"]]
    rps = [r["wrk"]["requests"] / (r["wrk"]["duration_us"] / 1e6) for r in ok]
    errors = {k: sum(r["wrk"]["errors"][k] for r in ok)
              for k in ("connect", "read", "write", "timeout", "status")}
    lat = {k: round(statistics.mean(r["wrk"]["latency_us"][k] for r in ok))
           for k in ("p50", "p90", "p99", "p999", "max")} if ok else None
    requests = sum(r["wrk"]["requests"] for r in ok)
    cpu = sum(r["server_cpu_s"] for r in rs)
    seconds = sum(r["wrk"]["duration_us"] for r in ok) / 1e6
    return {
        "req_per_s": round(statistics.mean(rps)) if rps else 0,
        "req_per_s_runs": [round(x) for x in rps],
        "latency_us_mean_of_runs": lat,
        "non_2xx_3xx": errors.pop("status"),
        "socket_errors": errors,
        "bytes_per_response": round(sum(r["wrk"]["bytes"] for r in ok) / requests, 1)
                              if requests else None,
        "server_cpu_utilisation": round(cpu / seconds, 2) if seconds else None,
        "req_per_server_cpu_s": round(requests / cpu) if cpu else None,
        "wrk_cpu_utilisation": round(sum(r["wrk_cpu_s"] for r in rs) / seconds, 2)
                               if seconds else None,
        "alive": all(r["alive"] for r in runs if r["server"] == name),
    }

berth, nginx = side("berth"), side("nginx")
pairs = []
b = [x for x in berth["req_per_s_runs"]]
n = [x for x in nginx["req_per_s_runs"]]
for i in range(min(len(b), len(n))):
    pairs.append(round(b[i] / n[i], 3) if n[i] else None)
summary = {
    "wrk": {"threads": ${THREADS}, "connections": ${CONNECTIONS}, "duration_s": ${DURATION},
            "warmup_s": ${WARMUP}, "rounds": ${ROUNDS}, "pinned": "${PIN}" == "1"},
    "body": json.loads('${BODY}'),
    "load_before": "${LOAD_BEFORE}",
    "load_after": "${LOAD_AFTER}",
    "berth": berth,
    "nginx": nginx,
    "berth_server_counters": json.loads('''${BERTH_STATS}'''),
    "ratio_berth_over_nginx": round(berth["req_per_s"] / nginx["req_per_s"], 3)
                              if nginx["req_per_s"] else None,
    "ratio_per_round": pairs,
    # Requests per CPU-second of the server process: steadier than req/s when
    # other work shares the cores (then req/s mostly measures the CPU share).
    "ratio_req_per_cpu_s": round(berth["req_per_server_cpu_s"] / nginx["req_per_server_cpu_s"], 3)
                           if berth["req_per_server_cpu_s"] and nginx["req_per_server_cpu_s"]
                           else None,
}
print(json.dumps(summary, indent=2))
clean = all(s["alive"] and not s["non_2xx_3xx"] and not any(s["socket_errors"].values())
            and len(s["req_per_s_runs"]) == ${ROUNDS} for s in (berth, nginx))
sys.exit(0 if clean else 1)
EOF
