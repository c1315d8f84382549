#!/usr/bin/env bash
# Profiles the three processes of the forwarder chain (hybridrelay forward -L → serve → forward -T)
# with JFR while iperf3 pushes bulk data through it, and prints the hot spots of each process.
#
# Usage: benchmarks/profile-chain.sh [SECONDS]     (default 10; loopback only; stops what it starts)
# Needs: relay-cli/target/hybridrelay.jar, iperf3, python3, jcmd/jfr from the JDK.
# Recordings are kept in benchmarks/results/profile/<role>.jfr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SECS=${1:-10}
OUT="$HERE/results/profile"; mkdir -p "$OUT"
W="$(mktemp -d -t hr-prof.XXXXXX)"
cp "$ROOT/relay-cli/target/hybridrelay.jar" "$W/hybridrelay.jar"
CLI="$W/hybridrelay.jar"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3;
            for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
PI=$(fp); PR=$(fp); PL=$(fp)
iperf3 -s -B 127.0.0.1 -p "$PI" > "$W/iperf.log" 2>&1 & PIDS+=($!)
java -Xmx1g -jar "$CLI" serve --bind=127.0.0.1 --port="$PR" --auto-create > "$W/relay.log" 2>&1 & PIDS+=($!); RELAY=$!
for _ in $(seq 200); do grep -q Endpoint= "$W/relay.log" && break; sleep 0.1; done
CS=$(grep -o 'Endpoint=[^ ]*' "$W/relay.log" | head -1)
java -Xmx1g -jar "$CLI" forward -q -x "$CS" -T "iperf:bench/127.0.0.1:$PI" > "$W/t.log" 2>&1 & PIDS+=($!); FT=$!
java -Xmx1g -jar "$CLI" forward -q -x "$CS" -L "127.0.0.1:$PL/bench:iperf" > "$W/l.log" 2>&1 & PIDS+=($!); FL=$!
ok=0
for _ in $(seq 100); do
  if iperf3 -c 127.0.0.1 -p "$PL" -t 2 > /dev/null 2>&1; then ok=1; break; fi   # warm-up
  sleep 0.2
done
[[ $ok == 1 ]] || { echo "chain did not come up" >&2; exit 1; }
for p in $RELAY $FT $FL; do jcmd "$p" JFR.start name=prof settings=profile > /dev/null; done
iperf3 -c 127.0.0.1 -p "$PL" -t "$SECS" | tail -3
for pr in "$RELAY:relay" "$FT:forward-T" "$FL:forward-L"; do
  p=${pr%%:*}; role=${pr#*:}
  jcmd "$p" JFR.dump name=prof filename="$OUT/$role.jfr" > /dev/null
  echo "===== $role (pid $p)"
  python3 "$HERE/jfr_top.py" "$OUT/$role.jfr"
done
