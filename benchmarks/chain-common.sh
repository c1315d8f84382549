# Shared helpers of benchmarks/e2e.sh, benchmarks/startup.sh and benchmarks/footprint.sh (sourced,
# not run). Loopback only; every process started through `start` is stopped on exit.

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RESULTS="$HERE/results"
mkdir -p "$RESULTS"
WORK="$(mktemp -d -t hr-bench.XXXXXX)"
PIDS=()
METRICS="$WORK/metrics.txt"
: > "$METRICS"
# Private copies, so a concurrent rebuild cannot swap jars under a running measurement.
# (e2e.sh can run without the CLI jar: its chain then runs on the library through ChainNode)
if [[ -f "$ROOT/relay-cli/target/hybridrelay.jar" ]]; then cp "$ROOT/relay-cli/target/hybridrelay.jar" "$WORK/hybridrelay.jar"; fi
cp "$HERE/target/benchmarks.jar" "$WORK/benchmarks.jar"
cp "$ROOT/relay-cli/src/main/bin/hybridrelay" "$WORK/hybridrelay"
CLI_JAR="$WORK/hybridrelay.jar"
if [[ -n "${OLD_JAR:-}" ]]; then cp "$OLD_JAR" "$WORK/old.jar"; fi
BENCH_JAR="$WORK/benchmarks.jar"
LAUNCHER="$WORK/hybridrelay"
# a private archive cache: the measurement never reuses (or pollutes) the user's
export HYBRIDRELAY_CACHE="$WORK/cds"
COLD="python3 $HERE/coldload.py"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
metric() { echo "$1=$2" >> "$METRICS"; }
kv() { sed -n "s/^$2=//p" "$1" | tail -1; }
now_ms() { date +%s%3N; }

cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null || true; done
  if [[ -f "$WORK/sshd.pid" ]]; then kill "$(cat "$WORK/sshd.pid")" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'
}

wait_port() { # port [seconds]
  local port=$1 t=${2:-30} i
  for ((i = 0; i < t * 100; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.01
  done
  echo "port $port did not open within ${t}s" >&2
  return 1
}

wait_line() { # file pattern [seconds]: polls every 10 ms
  local f=$1 pat=$2 t=${3:-30} i
  for ((i = 0; i < t * 100; i++)); do
    if grep -q "$pat" "$f" 2>/dev/null; then return 0; fi
    sleep 0.01
  done
  echo "'$pat' did not appear in $f within ${t}s; log follows:" >&2
  tail -20 "$f" >&2 || true
  return 1
}

line_ms() { # file pattern start_epoch_ms -> ms from start to the log line's own HH:MM:SS.mmm stamp
  python3 - "$1" "$2" "$3" <<'PY'
import re, sys, time, datetime
f, pat, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in open(f, errors="replace"):
    if re.search(pat, line):
        m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)", line)
        if not m:
            break
        d = datetime.datetime.fromtimestamp(start / 1000)
        t = d.replace(hour=int(m[1]), minute=int(m[2]), second=int(m[3]), microsecond=int(m[4]) * 1000)
        print(int(t.timestamp() * 1000) - start)
        sys.exit(0)
print("nan")
PY
}

start() { # name cmd... ; background, log in $WORK/name.log, pid in PID_name
  local name=$1; shift
  : > "$WORK/$name.log"   # empty it now: a waiter must not see the previous run's lines
  "$@" >> "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

stop() { # name
  local v="PID_${1//-/_}" p
  p="${!v:-}"
  [[ -z "$p" ]] && return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

# hr_cmd VARIANT -> sets HR=(...) and HR_ENV=(...) for the named JVM setting
#   default   java -jar hybridrelay.jar (the JVM's defaults)
#   launcher  bin/hybridrelay without the CDS archive
#   cds       bin/hybridrelay with its archive (primed before the measurement)
#   cdsc1     cds, and only the C1 compiler (-XX:TieredStopAtLevel=1)
#   cds+NAME  cds, plus the JVM options in $VARIANT_OPTS_<NAME> (appended last, so they win)
#   custom:   bin/hybridrelay without defaults and CDS, JVM options from $VARIANT_OPTS_<name>
#   NAME@old  setting NAME with the jar given as OLD_JAR (a before/after comparison in one run)
hr_cmd() {
  if [[ "$1" == *@old ]]; then
    hr_cmd "${1%@old}"
    HR=(env "HYBRIDRELAY_JAR=$WORK/old.jar" "${HR[@]}")
    return
  fi
  case "$1" in
    default) HR=(env HYBRIDRELAY_DEFAULTS=0 HYBRIDRELAY_CDS=0 "$LAUNCHER") ;;
    launcher) HR=(env HYBRIDRELAY_CDS=0 "$LAUNCHER") ;;
    cds) HR=("$LAUNCHER") ;;
    cdsc1) HR=(env "HYBRIDRELAY_OPTS=-XX:TieredStopAtLevel=1" "$LAUNCHER") ;;
    cds+*) local o="VARIANT_OPTS_${1#cds+}"
       HR=(env "HYBRIDRELAY_OPTS=${!o:-}" "$LAUNCHER") ;;
    *) local v="VARIANT_OPTS_$1"
       HR=(env HYBRIDRELAY_DEFAULTS=0 HYBRIDRELAY_CDS=0 "HYBRIDRELAY_OPTS=${!v:-}" "$LAUNCHER") ;;
  esac
}

start_targets() { # echo server (Java NIO, warmed) and iperf3 server
  P_ECHO=$(free_port)
  start echo java -Xmx256m -cp "$BENCH_JAR" dev.hybridrelay.benchmarks.e2e.EchoServer "$P_ECHO"
  wait_port "$P_ECHO"
  $COLD rr "$P_ECHO" 5 4 64 0-5 > /dev/null
  if command -v iperf3 > /dev/null; then
    P_IPERF=$(free_port)
    start iperf iperf3 -s -B 127.0.0.1 -p "$P_IPERF"
    wait_port "$P_IPERF"
  fi
}

start_sshd() { # sets P_SSHD and SSH_L=(...) for "ssh -L" baselines; no-op without sshd
  SSH_L=()
  [[ -x /usr/sbin/sshd ]] && command -v ssh > /dev/null || return 0
  P_SSHD=$(free_port)
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
  SSH_L=(ssh -N -F /dev/null -i "$WORK/id_client" -p "$P_SSHD" -o StrictHostKeyChecking=no
         -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes -o BatchMode=yes)
}

rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo nan; }

# cpu_ticks PID... -> user + system clock ticks of those processes so far (/proc/PID/stat; a PID
# that is gone counts 0). The command name in parentheses may hold spaces, so fields count after it.
cpu_ticks() {
  local t=0 p
  for p in "$@"; do
    if [[ -r /proc/$p/stat ]]; then t=$(( t + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat") )); fi
  done
  echo "$t"
}

# jvm_pid PID -> the java process: the launcher execs java, except on a first (archive-creating) run
jvm_pid() {
  local p=$1 c
  if [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == java ]]; then echo "$p"; return; fi
  c="$(pgrep -P "$p" -x java | head -1)"
  echo "${c:-$p}"
}

write_json() { # section
  local stamp
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  python3 - "$METRICS" "$RESULTS/$1-latest.json" "$RESULTS/$1-$stamp.json" <<'PY'
import json, sys
d = {}
for line in open(sys.argv[1]):
    if "=" in line:
        k, v = line.rstrip("\n").split("=", 1)
        try:
            d[k] = float(v) if v not in ("", "nan") else None
        except ValueError:
            d[k] = v
for out in sys.argv[2:]:
    json.dump(d, open(out, "w"), indent=1, sort_keys=True)
PY
  log "results: $RESULTS/$1-latest.json"
}
