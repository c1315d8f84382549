#!/usr/bin/env bash
# CPU time per new connection in each process of the CLI chain, and connections/s.
#
# Usage: benchmarks/conn-cpu.sh [--warm S] [--seconds S] [--reps N] JAR [JAR...]
#   Starts, for each JAR in turn (alternated, --reps times): a Java echo server, `serve`,
#   `forward -T` to the echo server and `forward -L` to it; loads the chain with ConnLoad connrate
#   (8 clients: connect, 1-byte echo, close) for --warm seconds (not measured, default 40: with less
#   the JIT compiler threads dominate), then measures --seconds (default 10) and prints one row per
#   run: connections, connections/s, the utime+stime of each process from /proc divided by the
#   connections, and the load average before and after.
#   Needs benchmarks/target/benchmarks.jar (mvn -pl benchmarks -am package -DskipTests).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WARM=40; T=10; REPS=1; JARS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --warm) WARM="$2"; shift ;;
    --seconds) T="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) JARS+=("$1") ;;
  esac
  shift
done
[[ ${#JARS[@]} -gt 0 ]] || { sed -n '2,12p' "$0"; exit 2; }
WORK="$(mktemp -d -t hr-conncpu.XXXXXX)"
cp "$HERE/target/benchmarks.jar" "$WORK/benchmarks.jar"
B="$WORK/benchmarks.jar"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

run() { # jar label
  local jar=$1 label=$2 w="$WORK/$2"
  mkdir -p "$w"
  local pr pe pl
  pr=$(fp); pe=$(fp); pl=$(fp)
  java -cp "$B" dev.hybridrelay.benchmarks.e2e.EchoServer "$pe" > "$w/echo.log" 2>&1 & local pecho=$!
  java -jar "$jar" serve --bind=127.0.0.1 --port="$pr" --auto-create --max-connections=100000 \
    --max-pending-handshakes=10000 --max-connections-per-address=100000 > "$w/relay.log" 2>&1 & local prelay=$!
  PIDS=("$pecho" "$prelay")
  for _ in $(seq 1 300); do grep -q 'Endpoint=' "$w/relay.log" && break; sleep 0.1; done
  local cs
  cs="$(grep -o 'Endpoint=[^ ]*' "$w/relay.log" | head -1)"
  local fwd=(forward -q --status-interval=0 --max-connections=20000 -x "$cs")
  java -jar "$jar" "${fwd[@]}" -T "echo:bench/127.0.0.1:$pe" > "$w/fwdT.log" 2>&1 & local pt=$!
  java -jar "$jar" "${fwd[@]}" -L "127.0.0.1:$pl/bench:echo" > "$w/fwdL.log" 2>&1 & local pll=$!
  PIDS+=("$pt" "$pll")
  for _ in $(seq 1 100); do
    java -cp "$B" dev.hybridrelay.benchmarks.e2e.ConnLoad rtt 127.0.0.1 "$pl" 10 > /dev/null 2>&1 && break
    sleep 0.2
  done
  java -cp "$B" dev.hybridrelay.benchmarks.e2e.ConnLoad connrate 127.0.0.1 "$pl" "$WARM" 8 0 > /dev/null 2>&1
  local a1 b1 c1 l1 a2 b2 c2 l2
  a1=$(ticks "$prelay"); b1=$(ticks "$pt"); c1=$(ticks "$pll"); l1=$(cut -d' ' -f1 /proc/loadavg)
  java -cp "$B" dev.hybridrelay.benchmarks.e2e.ConnLoad connrate 127.0.0.1 "$pl" "$T" 8 0 > "$w/conn.txt" 2>&1
  a2=$(ticks "$prelay"); b2=$(ticks "$pt"); c2=$(ticks "$pll"); l2=$(cut -d' ' -f1 /proc/loadavg)
  local n rate errors
  n=$(sed -n 's/^conn_ok=//p' "$w/conn.txt"); rate=$(sed -n 's/^conn_per_s=//p' "$w/conn.txt")
  errors=$(sed -n 's/^conn_errors=//p' "$w/conn.txt")
  python3 - "$label" "${n:-0}" "${rate:-0}" "${errors:-?}" "$HZ" "$a1" "$a2" "$b1" "$b2" "$c1" "$c2" "$l1" "$l2" <<'PY'
import sys
label, n, rate, errors, hz = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
a1, a2, b1, b2, c1, c2 = map(int, sys.argv[6:12])
ms = lambda x, y: (y - x) * 1000 / hz / n if n else float("nan")
print("%-14s conns=%d conn/s=%s errors=%s  ms CPU/conn: serve %.3f  forward-T %.3f  forward-L %.3f  sum %.3f"
      "  load %s->%s" % (label, n, rate, errors, ms(a1, a2), ms(b1, b2), ms(c1, c2),
                         ms(a1 + b1 + c1, a2 + b2 + c2), sys.argv[12], sys.argv[13]))
PY
  kill "$pll" "$pt" "$prelay" "$pecho" 2>/dev/null || true
  wait "$pll" "$pt" "$prelay" "$pecho" 2>/dev/null || true
  PIDS=()
}

for r in $(seq 1 "$REPS"); do
  i=0
  for j in "${JARS[@]}"; do
    i=$((i + 1))
    run "$j" "jar$i-rep$r"
  done
done
