#!/usr/bin/env bash
# End-to-end performance harness for Hybrid Relay, loopback only.
#
# Measures the relay path and, in the same run, the baselines it is judged against, then prints a
# table of RATIOS (value / baseline) with the targets, and writes it as CSV and JSON to
# benchmarks/results/ (e2e-latest.csv/.json plus a timestamped copy). benchmarks/plot.py turns the
# CSV into src-site/resources/images/performance.png.
#
# Usage: benchmarks/e2e.sh [--quick] [--no-ssh] [--no-jmh] [--no-http|--http-only] [--chain cli|lib] [--idle N]
#                          [--startup] [--footprint] [--sections-only]
#   --quick     everything small (< 3 minutes); default is the full run
#   --no-ssh    skip the ssh -L baseline (needs /usr/sbin/sshd and ssh)
#   --no-jmh    skip the in-process JMH measures (bulk relay vs 1-hop proxy, pump B/op)
#   --chain     cli: hybridrelay serve / forward -L / forward -T from relay-cli/target/hybridrelay.jar
#               lib: the same three roles from benchmarks.jar (ChainNode, library classes directly)
#               default: cli when the CLI jar has serve and forward, else lib
#   --idle N    number of idle tunnelled connections (default 10000, --quick 1000)
#   --no-http   skip the HTTP section (forward -H against nginx proxy_pass; needs nginx, ab, curl)
#   --http-only only the HTTP section (the TCP measures are skipped)
#   --startup   also the cold-start section (benchmarks/startup.sh; results/startup-latest.json)
#   --footprint also the footprint section (benchmarks/footprint.sh; results/footprint-latest.json)
#   --sections-only  only the sections asked for with --startup / --footprint
#
# Needs: java 17, iperf3, socat, (sshd + ssh), python3; benchmarks/target/benchmarks.jar built
#   (from the repository root: mvn -B -q -pl benchmarks -am package -DskipTests).
# Everything binds 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
QUICK=0
SSH=1
JMH=1
HTTP=1
TCP=1
CHAIN=""
IDLE_N=""
SECTIONS=()
SECTIONS_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-ssh) SSH=0 ;;
    --no-jmh) JMH=0 ;;
    --no-http) HTTP=0 ;;
    --http-only) TCP=0; JMH=0 ;;
    --chain) CHAIN="$2"; shift ;;
    --idle) IDLE_N="$2"; shift ;;
    --startup) SECTIONS+=(startup) ;;
    --footprint) SECTIONS+=(footprint) ;;
    --sections-only) SECTIONS_ONLY=1 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# The cold-start and footprint sections start their own processes (each its own script).
run_sections() {
  local s
  for s in "${SECTIONS[@]:-}"; do
    [[ -z "$s" ]] && continue
    if [[ $s == startup ]]; then
      if [[ $QUICK == 1 ]]; then "$HERE/startup.sh" --quick; else "$HERE/startup.sh"; fi
    else
      if [[ $QUICK == 1 ]]; then "$HERE/footprint.sh" --short 1000 --bulk 256M --idle-max 20
      else "$HERE/footprint.sh" --variants "default launcher cds" --nmt "default cds"; fi
    fi
  done
}
if [[ $SECTIONS_ONLY == 1 ]]; then run_sections; exit 0; fi

if [[ $QUICK == 1 ]]; then
  MODE=quick; HTTP_T=5; HTTP_WARM=5; IPERF_T=3; CONN_T=4; CONN_WARM=5; RTT_N=5000; RDV_N=200; IDLE_N=${IDLE_N:-1000}; IDLE_HOLD=5
else
  MODE=full; HTTP_T=15; HTTP_WARM=20; IPERF_T=10; CONN_T=15; CONN_WARM=10; RTT_N=20000; RDV_N=1000; IDLE_N=${IDLE_N:-10000}; IDLE_HOLD=20
fi

# Each tunnelled connection costs the relay two sockets (sender leg, listener leg), and the
# forwarders two each as well; the per-process descriptor limit caps the idle test.
NOFILE=$(ulimit -Hn)
if [[ "$NOFILE" != unlimited ]]; then
  MAX_IDLE=$(( (NOFILE - 400) / 2 ))
  if (( IDLE_N > MAX_IDLE )); then
    echo "note: RLIMIT_NOFILE hard limit is $NOFILE; idle connections capped at $MAX_IDLE (asked $IDLE_N)" >&2
    IDLE_CAPPED_FROM=$IDLE_N
    IDLE_N=$MAX_IDLE
  fi
fi
ulimit -n "$NOFILE" 2>/dev/null || true

WORK="$(mktemp -d -t hr-e2e.XXXXXX)"
RESULTS="$HERE/results"
mkdir -p "$RESULTS"
# Private copies, so a concurrent rebuild cannot swap jars under a running measurement.
cp "$HERE/target/benchmarks.jar" "$WORK/benchmarks.jar"
JAR="$WORK/benchmarks.jar"
CLI_SRC="$ROOT/relay-cli/target/hybridrelay.jar"
JAVA_OPTS=(-Xmx1g -XX:+UseG1GC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)
PIDS=()
METRICS="$WORK/metrics.txt"
: > "$METRICS"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [[ -n "$p" ]] && kill "$p" 2>/dev/null || true
  done
  sleep 0.5
  for p in "${PIDS[@]:-}"; do
    [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true
  done
  if [[ -f "$WORK/sshd.pid" ]]; then kill "$(cat "$WORK/sshd.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

wait_port() { # port [seconds]
  local port=$1 t=${2:-30} i
  for ((i = 0; i < t * 20; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "port $port did not open within ${t}s" >&2
  return 1
}

wait_line() { # file pattern [seconds]
  local f=$1 pat=$2 t=${3:-30} i
  for ((i = 0; i < t * 20; i++)); do
    if grep -q "$pat" "$f" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "'$pat' did not appear in $f within ${t}s; log follows:" >&2
  tail -20 "$f" >&2 || true
  return 1
}

start() { # name cmd... ; runs in background, logs to $WORK/name.log, records the pid
  local name=$1; shift
  "$@" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

metric() { echo "$1=$2" >> "$METRICS"; }

kv() { # file key -> value
  sed -n "s/^$2=//p" "$1" | tail -1
}

iperf_mibs() { # port -> MiB/s received (client sends)
  local out="$WORK/iperf-$1.json"
  if iperf3 -c 127.0.0.1 -p "$1" -t "$IPERF_T" -J > "$out" 2>&1; then
    python3 -c 'import json,sys;d=json.load(open(sys.argv[1]));print("%.1f"%(d["end"]["sum_received"]["bits_per_second"]/8/1048576))' "$out"
  else
    echo "nan"
  fi
}

rss_mib() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
threads() { awk '/^Threads/{print $2}' "/proc/$1/status"; }

log "mode=$MODE work=$WORK jar=$JAR"
metric mode "$MODE"
metric cores "$(nproc)"
if [[ $TCP == 0 ]]; then metric sections http; fi
metric loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"

# ---------------------------------------------------------------- targets of the traffic
P_IPERF=$(free_port)
start iperf iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
P_ECHO=$(free_port)
start echo java -Xmx256m -cp "$JAR" dev.hybridrelay.benchmarks.e2e.EchoServer "$P_ECHO"
wait_port "$P_IPERF"; wait_port "$P_ECHO"

# ---------------------------------------------------------------- baselines
P_PX_IPERF=$(free_port); P_PX_ECHO=$(free_port)
start proxy_iperf java "${JAVA_OPTS[@]}" -cp "$JAR" dev.hybridrelay.benchmarks.e2e.TcpProxy "$P_PX_IPERF" 127.0.0.1 "$P_IPERF"
start proxy_echo java "${JAVA_OPTS[@]}" -cp "$JAR" dev.hybridrelay.benchmarks.e2e.TcpProxy "$P_PX_ECHO" 127.0.0.1 "$P_ECHO"
P_S1=$(free_port); P_S2=$(free_port); P_S3=$(free_port)
start socat3 socat TCP-LISTEN:"$P_S3",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_IPERF"
start socat2 socat TCP-LISTEN:"$P_S2",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_S3"
start socat1 socat TCP-LISTEN:"$P_S1",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_S2"

P_SSHL=""
if [[ $SSH == 1 ]] && [[ -x /usr/sbin/sshd ]] && command -v ssh >/dev/null; then
  P_SSHD=$(free_port); P_SSHL=$(free_port)
  mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -f "$WORK/id_client"
  cp "$WORK/id_client.pub" "$WORK/authorized_keys"
  chmod 600 "$WORK/authorized_keys"
  cat > "$WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1:$P_SSHD
HostKey $WORK/ssh_host_ed25519_key
PidFile $WORK/sshd.pid
AuthorizedKeysFile $WORK/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
EOF
  start sshd /usr/sbin/sshd -D -e -f "$WORK/sshd_config"
  wait_port "$P_SSHD"
  start sshL ssh -N -F /dev/null -i "$WORK/id_client" -p "$P_SSHD" \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
    -o BatchMode=yes -L "127.0.0.1:$P_SSHL:127.0.0.1:$P_IPERF" root@127.0.0.1
  wait_port "$P_SSHL" 20
  metric ssh_cipher "$(ssh -G -F /dev/null 127.0.0.1 | awk '/^ciphers /{split($2,a,",");print a[1]}')"
fi
wait_port "$P_PX_IPERF"; wait_port "$P_PX_ECHO"; wait_port "$P_S1"

# ---------------------------------------------------------------- the relay chain
if [[ -z "$CHAIN" ]]; then
  CHAIN=lib
  if [[ -f "$CLI_SRC" ]] && java -jar "$CLI_SRC" --help 2>&1 | grep -q "serve" \
     && java -jar "$CLI_SRC" --help 2>&1 | grep -q "forward"; then
    CHAIN=cli
  fi
fi
metric chain "$CHAIN"
P_RELAY=$(free_port); P_HR_IPERF=$(free_port); P_HR_ECHO=$(free_port)
if [[ $CHAIN == cli ]]; then
  cp "$CLI_SRC" "$WORK/hybridrelay.jar"
  HR=(java "${JAVA_OPTS[@]}" -jar "$WORK/hybridrelay.jar")
  MAXC=$(( IDLE_N * 2 + 1000 ))
  # All test traffic comes from 127.0.0.1 and each tunnel costs the relay two sockets from it, so the
  # relay's per-address connection cap must be raised too. When `serve` has no flag for it, the
  # relay process is the library's LocalRelayServer (ChainNode) with the cap raised; the
  # forwarders stay the CLI.
  if java -jar "$WORK/hybridrelay.jar" serve --help 2>&1 | grep -q -- '--max-connections-per-address'; then
    metric relay_impl cli
    start relay "${HR[@]}" serve --bind=127.0.0.1 --port="$P_RELAY" --auto-create \
      --max-connections=$(( MAXC * 2 )) --max-pending-handshakes=10000 \
      --max-connections-per-address=$(( MAXC * 2 ))
    wait_line "$WORK/relay.log" 'Endpoint=' 60
    CS="$(grep -o 'Endpoint=[^ ]*' "$WORK/relay.log" | head -1)"
  else
    metric relay_impl "lib (serve lacks --max-connections-per-address)"
    start relay java "${JAVA_OPTS[@]}" -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ChainNode serve "$P_RELAY"
    wait_line "$WORK/relay.log" '^CS=' 60
    CS="$(sed -n 's/^CS=//p' "$WORK/relay.log" | head -1)"
  fi
  FWD=(forward -q --status-interval=0 --max-connections="$MAXC" -x "$CS")
  start fwdT_iperf "${HR[@]}" "${FWD[@]}" -T "iperf:bench/127.0.0.1:$P_IPERF"
  start fwdT_echo "${HR[@]}" "${FWD[@]}" -T "echo:bench/127.0.0.1:$P_ECHO"
  start fwdL_iperf "${HR[@]}" "${FWD[@]}" -L "127.0.0.1:$P_HR_IPERF/bench:iperf"
  start fwdL_echo "${HR[@]}" "${FWD[@]}" -L "127.0.0.1:$P_HR_ECHO/bench:echo"
else
  NODE=(java "${JAVA_OPTS[@]}" -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ChainNode)
  start relay "${NODE[@]}" serve "$P_RELAY"
  wait_line "$WORK/relay.log" '^CS='
  CS="$(sed -n 's/^CS=//p' "$WORK/relay.log" | head -1)"
  start fwdT_iperf "${NODE[@]}" forward-T "$CS" iperf 127.0.0.1 "$P_IPERF"
  start fwdT_echo "${NODE[@]}" forward-T "$CS" echo 127.0.0.1 "$P_ECHO"
  start fwdL_iperf "${NODE[@]}" forward-L "$CS" iperf "$P_HR_IPERF"
  start fwdL_echo "${NODE[@]}" forward-L "$CS" echo "$P_HR_ECHO"
  wait_line "$WORK/fwdT_iperf.log" READY; wait_line "$WORK/fwdT_echo.log" READY
fi
wait_port "$P_HR_IPERF"; wait_port "$P_HR_ECHO"
# the listeners must be online before traffic: one echo through the chain, retried
for i in $(seq 1 100); do
  if java -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ConnLoad rtt 127.0.0.1 "$P_HR_ECHO" 10 >/dev/null 2>&1; then break; fi
  sleep 0.2
done

if [[ $TCP == 1 ]]; then
# ---------------------------------------------------------------- bulk throughput (iperf3)
log "iperf3 ${IPERF_T}s per path"
metric iperf_direct_mibs "$(iperf_mibs "$P_IPERF")"
metric iperf_proxy1_mibs "$(iperf_mibs "$P_PX_IPERF")"
metric iperf_socat3_mibs "$(iperf_mibs "$P_S1")"
if [[ -n "$P_SSHL" ]]; then metric iperf_sshL_mibs "$(iperf_mibs "$P_SSHL")"; fi
metric iperf_chain_mibs "$(iperf_mibs "$P_HR_IPERF")"

# ---------------------------------------------------------------- connections per second
CL=(java -Xmx512m -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ConnLoad)
# Each path gets the same load, uncounted, for CONN_WARM seconds first: the processes are long-running
# in use, and from cold the JIT compiler threads took more than half of their CPU in a 4 s run.
log "conn/s ${CONN_T}s per path (after ${CONN_WARM}s warm-up each)"
"${CL[@]}" connrate 127.0.0.1 "$P_PX_ECHO" "$CONN_T" 8 "$CONN_WARM" > "$WORK/conn-proxy.txt" 2>&1 || true
"${CL[@]}" connrate 127.0.0.1 "$P_HR_ECHO" "$CONN_T" 8 "$CONN_WARM" > "$WORK/conn-chain.txt" 2>&1 || true
for k in conn_per_s conn_errors conn_p50_us conn_p99_us; do
  metric "proxy_$k" "$(kv "$WORK/conn-proxy.txt" $k)"
  metric "chain_$k" "$(kv "$WORK/conn-chain.txt" $k)"
done

# ---------------------------------------------------------------- 1-byte round trip
log "1-byte RTT x $RTT_N"
"${CL[@]}" rtt 127.0.0.1 "$P_ECHO" "$RTT_N" > "$WORK/rtt-direct.txt" 2>&1 || true
"${CL[@]}" rtt 127.0.0.1 "$P_PX_ECHO" "$RTT_N" > "$WORK/rtt-proxy.txt" 2>&1 || true
"${CL[@]}" rtt 127.0.0.1 "$P_HR_ECHO" "$RTT_N" > "$WORK/rtt-chain.txt" 2>&1 || true
for p in direct proxy chain; do
  metric "${p}_rtt_p50_us" "$(kv "$WORK/rtt-$p.txt" rtt_p50_us)"
  metric "${p}_rtt_p99_us" "$(kv "$WORK/rtt-$p.txt" rtt_p99_us)"
done

# ---------------------------------------------------------------- rendezvous
log "rendezvous x $RDV_N"
java -Xmx512m -cp "$JAR" dev.hybridrelay.benchmarks.e2e.Rendezvous "$CS" rdv "$RDV_N" > "$WORK/rdv.txt" 2>&1 || true
metric rdv_p50_us "$(kv "$WORK/rdv.txt" rdv_p50_us)"
metric rdv_p99_us "$(kv "$WORK/rdv.txt" rdv_p99_us)"
metric rdv_errors "$(kv "$WORK/rdv.txt" rdv_errors)"

# ---------------------------------------------------------------- idle connections
log "idle: $IDLE_N tunnelled connections, hold ${IDLE_HOLD}s"
metric idle_requested "${IDLE_CAPPED_FROM:-$IDLE_N}"
metric relay_rss_before_mib "$(rss_mib "$PID_relay")"
metric listener_rss_before_mib "$(rss_mib "$PID_fwdT_echo")"
metric relay_threads_before "$(threads "$PID_relay")"
metric listener_threads_before "$(threads "$PID_fwdT_echo")"
# Guard for the shared machine: stop opening connections once the whole machine runs 55 % of
# pid_max threads (a thread-per-connection process under test would otherwise exhaust it).
THREAD_BUDGET=$(( $(cat /proc/sys/kernel/pid_max) * 55 / 100 ))
metric idle_thread_budget "$THREAD_BUDGET"
java -Xmx1g -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ConnLoad idle 127.0.0.1 "$P_HR_ECHO" "$IDLE_N" "$IDLE_HOLD" 16 "$THREAD_BUDGET" \
  > "$WORK/idle.txt" 2>&1 &
IDLE_PID=$!
PIDS+=("$IDLE_PID")
# the hold starts at IDLE_READY; sample in the middle of it
if wait_line "$WORK/idle.txt" IDLE_READY $(( 120 + IDLE_N / 20 )); then
  sleep $(( IDLE_HOLD / 2 ))
  metric relay_rss_idle_mib "$(rss_mib "$PID_relay")"
  metric listener_rss_idle_mib "$(rss_mib "$PID_fwdT_echo")"
  metric sender_fwd_rss_idle_mib "$(rss_mib "$PID_fwdL_echo")"
  metric relay_threads_idle "$(threads "$PID_relay")"
  metric listener_threads_idle "$(threads "$PID_fwdT_echo")"
  metric sender_fwd_threads_idle "$(threads "$PID_fwdL_echo")"
fi
wait "$IDLE_PID" || true
if [[ "$(kv "$WORK/idle.txt" idle_errors)" != "0" ]]; then
  mkdir -p "$RESULTS/logs"
  for f in relay fwdT_echo fwdL_echo idle; do
    grep -hiE 'warn|error|refus|idle_' "$WORK/$f".* 2>/dev/null | sed -E 's/^[0-9:.]+ //' | sort | uniq -c \
      | sort -rn | head -20 > "$RESULTS/logs/idle-$f.txt" || true
  done
  log "idle errors: summaries in $RESULTS/logs/"
fi
for k in idle_open idle_errors idle_open_seconds idle_probed idle_alive idle_thread_budget_hit idle_system_threads; do
  metric "$k" "$(kv "$WORK/idle.txt" $k)"
done
metric idle_n "$IDLE_N"
fi # TCP

. "$HERE/e2e_http.sh"

# ---------------------------------------------------------------- in-process JMH
if [[ $JMH == 1 && $TCP == 1 ]]; then
  log "JMH: in-process bulk (RELAY vs TCP_PROXY) and pump allocation"
  if [[ $QUICK == 1 ]]; then JQ=(-f 1 -wi 1 -i 2 -w 1s -r 2s); else JQ=(-f 1 -wi 2 -i 3 -w 2s -r 3s); fi
  java -jar "$JAR" ThroughputBenchmark "${JQ[@]}" -p transport=TCP_PROXY,RELAY -p payload=16777216 \
    -p chunk=65536 -rf json -rff "$WORK/jmh-bulk.json" > "$WORK/jmh-bulk.log" 2>&1 || true
  java -jar "$JAR" 'PumpBenchmark|StreamCopyBenchmark' "${JQ[@]}" -p impl=SPSC -p chunk=16384 -prof gc \
    -rf json -rff "$WORK/jmh-pump.json" > "$WORK/jmh-pump.log" 2>&1 || true
  python3 - "$WORK" >> "$METRICS" <<'PY'
import json, os, sys
w = sys.argv[1]
def load(n):
    p = os.path.join(w, n)
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) > 0 else []
for r in load("jmh-bulk.json"):
    t = r["params"]["transport"]; size = int(r["params"]["payload"])
    print("jmh_bulk_%s_mibs=%.1f" % (t, r["primaryMetric"]["score"] * size / 1048576))
for r in load("jmh-pump.json"):
    name = r["benchmark"].split(".")[-1]
    sec = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
    if sec: print("jmh_%s_alloc_b_per_op=%.3f" % (name, sec["score"]))
    print("jmh_%s_mibs=%.1f" % (name, r["primaryMetric"]["score"] * int(r["params"]["chunk"]) / 1048576))
PY
fi
metric loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"

# ---------------------------------------------------------------- table, CSV, JSON
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
python3 "$HERE/e2e_report.py" "$METRICS" "$RESULTS" "$STAMP"
if [[ $TCP == 1 ]] && /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$HERE/plot.py" "$RESULTS/e2e-latest.csv" "$ROOT/src-site/resources/images/performance.png" \
    "$RESULTS/jmh-codec.json" || true
fi
if [[ $TCP == 1 ]]; then LATEST=e2e-latest; else LATEST=e2e-http-latest; fi
log "done; results in $RESULTS ($LATEST.csv, $LATEST.json)"
run_sections
