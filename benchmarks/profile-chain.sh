#!/usr/bin/env bash
# Profiles the three processes of the forwarder chain (hybridrelay forward -L → serve → forward -T)
# with JFR while iperf3 pushes bulk data through it, and prints the hot spots of each process.
#
# Usage: benchmarks/profile-chain.sh [SECONDS] [--tls [RELAY_CP FORWARDER_CP]]
#   SECONDS  default 10, after WARM (default 5) unmeasured seconds; loopback only; stops what it starts;
#            NOPROF=1 prints the iperf3 rate only (no recording), for alternated A/B runs;
#            JOPTS adds JVM options to all three (e.g. -Dhybridrelay.tls.provider=jdk);
#            CLI_JAR=path runs another build of the CLI jar (old/new comparisons)
#   --tls    the chain over wss: serve with a generated keystore, forwarders trusting it; the optional
#            class path additions (e.g. benchmarks/target/tls-engines/*.jar joined with ':') put the native
#            TLS engines into the relay and/or the forwarders
# Needs: relay-cli/target/hybridrelay.jar, iperf3, python3, jcmd/jfr from the JDK.
# Recordings are kept in benchmarks/results/profile/<role>.jfr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SECS=${1:-10}
TLS=0; RELAY_CP=""; FWD_CP=""
if [[ "${2:-}" == --tls ]]; then TLS=1; RELAY_CP="${3:-}"; FWD_CP="${4:-}"; fi
OUT="$HERE/results/profile"; mkdir -p "$OUT"
W="$(mktemp -d -t hr-prof.XXXXXX)"
cp "${CLI_JAR:-$ROOT/relay-cli/target/hybridrelay.jar}" "$W/hybridrelay.jar"
CLI="$W/hybridrelay.jar"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3;
            for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
PI=$(fp); PR=$(fp); PL=$(fp)
iperf3 -s -B 127.0.0.1 -p "$PI" > "$W/iperf.log" 2>&1 & PIDS+=($!)
RELAY_ARGS=(); FWD_JAVA=()
if [[ $TLS == 1 ]]; then
  keytool -genkeypair -alias relay -keyalg RSA -keysize 2048 -validity 2 -dname CN=127.0.0.1 \
    -ext SAN=ip:127.0.0.1,dns:localhost -storetype PKCS12 -keystore "$W/relay.p12" -storepass changeit -keypass changeit >/dev/null 2>&1
  keytool -exportcert -alias relay -keystore "$W/relay.p12" -storepass changeit -file "$W/relay.cer" >/dev/null 2>&1
  keytool -importcert -noprompt -alias relay -file "$W/relay.cer" -storetype PKCS12 -keystore "$W/trust.p12" \
    -storepass changeit >/dev/null 2>&1
  RELAY_ARGS=(--tls-keystore="$W/relay.p12" --tls-password=changeit)
  FWD_JAVA=(-Djavax.net.ssl.trustStore="$W/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit
            -Djavax.net.ssl.trustStoreType=PKCS12)
fi
java -Xmx1g ${JOPTS:-} -cp "$CLI${RELAY_CP:+:$RELAY_CP}" dev.hybridrelay.cli.Main serve --bind=127.0.0.1 --port="$PR" --auto-create \
  "${RELAY_ARGS[@]}" > "$W/relay.log" 2>&1 & PIDS+=($!); RELAY=$!
for _ in $(seq 200); do grep -q Endpoint= "$W/relay.log" && break; sleep 0.1; done
CS=$(grep -o 'Endpoint=[^ ]*' "$W/relay.log" | head -1)
FWD=(java -Xmx1g ${JOPTS:-} "${FWD_JAVA[@]}" -cp "$CLI${FWD_CP:+:$FWD_CP}" dev.hybridrelay.cli.Main forward -q -x "$CS")
"${FWD[@]}" -T "iperf:bench/127.0.0.1:$PI" > "$W/t.log" 2>&1 & PIDS+=($!); FT=$!
"${FWD[@]}" -L "127.0.0.1:$PL/bench:iperf" > "$W/l.log" 2>&1 & PIDS+=($!); FL=$!
ok=0
for _ in $(seq 100); do
  if iperf3 -c 127.0.0.1 -p "$PL" -t 2 > /dev/null 2>&1; then ok=1; break; fi   # warm-up
  sleep 0.2
done
[[ $ok == 1 ]] || { echo "chain did not come up" >&2; for f in "$W"/*.log; do echo "== $f" >&2; tail -n 5 "$f" >&2; done; exit 1; }
grep -o 'TLS engine: .*' "$W/relay.log" | head -1 || true
# an unmeasured warm-up first, so that the profile shows compiled code (TLS needs it most: the
# JDK's AES-GCM runs interpreted until the JIT has compiled it)
iperf3 -c 127.0.0.1 -p "$PL" -t "${WARM:-5}" > /dev/null 2>&1 || true
if [[ -n "${NOPROF:-}" ]]; then iperf3 -c 127.0.0.1 -p "$PL" -t "$SECS" | tail -3; exit 0; fi  # rate only (A/B runs)
for p in $RELAY $FT $FL; do jcmd "$p" JFR.start name=prof settings=profile > /dev/null; done
iperf3 -c 127.0.0.1 -p "$PL" -t "$SECS" | tail -3
for pr in "$RELAY:relay" "$FT:forward-T" "$FL:forward-L"; do
  p=${pr%%:*}; role=${pr#*:}
  jcmd "$p" JFR.dump name=prof filename="$OUT/$role.jfr" > /dev/null
  echo "===== $role (pid $p)"
  python3 "$HERE/jfr_top.py" "$OUT/$role.jfr"
done
