#!/usr/bin/env bash
# End-to-end performance harness for Hybrid Relay, loopback only.
#
# Measures the relay path and, in the same run, the baselines it is judged against, then prints a
# table of RATIOS (value / baseline) with the targets, and writes it as CSV and JSON to
# benchmarks/results/ (e2e-latest.csv/.json plus a timestamped copy). benchmarks/plot.py turns the
# CSV into src-site/resources/images/performance.png.
#
# Baselines: direct loopback, a plain 1-hop Java TCP proxy (TcpProxy), a chain of three such proxy
# processes (the same hops as forward -L -> relay -> forward -T), a chain of three socat processes, and
# ssh -L through an sshd on loopback (encrypted, as wss is). Every ratio names its baseline.
#
# Usage: benchmarks/e2e.sh [--quick] [--no-ssh] [--no-jmh] [--no-tls] [--no-http|--http-only] [--chain cli|lib]
#                          [--idle N] [--startup] [--footprint] [--sections-only]
#   --quick     everything small (< 4 minutes); default is the full run
#   --no-ssh    skip the ssh -L baseline (needs /usr/sbin/sshd and ssh)
#   --no-tls    skip the TLS section: the same chain over wss (serve with a generated keystore), with the
#               JDK's TLS and, when benchmarks/target/tls-engines/ has the jars, netty-tcnative (relay)
#               and Conscrypt (forwarders); needs the CLI chain and keytool
#   --no-jmh    skip the in-process JMH measures (bulk relay vs 1-hop proxy, pump B/op)
#   --chain     cli: hybridrelay serve / forward -L / forward -T from relay-cli/target/hybridrelay.jar
#               lib: the same three roles from benchmarks.jar (ChainNode, library classes directly)
#               default: cli when the CLI jar has serve and forward, else lib
#   --idle N    number of idle tunnelled connections (default 10000, --quick 1000)
#   --conn-warm S  unmeasured warm-up of each path before its connections/s (default 40, --quick 5):
#               a JVM needs tens of seconds of this load before its rate is steady (8 s: 372 conn/s,
#               40 s: 898 conn/s, same jar, same hour)
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
TLS=1
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
    --no-tls) TLS=0 ;;
    --no-http) HTTP=0 ;;
    --http-only) TCP=0; JMH=0 ;;
    --chain) CHAIN="$2"; shift ;;
    --idle) IDLE_N="$2"; shift ;;
    --conn-warm) CONNRATE_WARM_ARG="$2"; shift ;;
    --startup) SECTIONS+=(startup) ;;
    --footprint) SECTIONS+=(footprint) ;;
    --sections-only) SECTIONS_ONLY=1 ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
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
  MODE=quick; HTTP_T=5; HTTP_WARM=5; IPERF_T=3; CONN_T=4; CONN_WARM=5; CONNRATE_WARM=5; RTT_N=5000; RDV_N=200; IDLE_N=${IDLE_N:-1000}; IDLE_HOLD=5
else
  MODE=full; HTTP_T=15; HTTP_WARM=20; IPERF_T=10; CONN_T=15; CONN_WARM=10; CONNRATE_WARM=40; RTT_N=20000; RDV_N=1000; IDLE_N=${IDLE_N:-10000}; IDLE_HOLD=20
fi
CONNRATE_WARM=${CONNRATE_WARM_ARG:-$CONNRATE_WARM}

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

# work folder, private jar copies, log/metric/kv, start/stop, free_port, wait_port, wait_line,
# start_sshd, cleanup on exit: shared with startup.sh and footprint.sh
. "$HERE/chain-common.sh"
JAR="$BENCH_JAR"
CLI_SRC="$ROOT/relay-cli/target/hybridrelay.jar"
JAVA_OPTS=(-Xmx1g -XX:+UseG1GC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn)

iperf_mibs() { # port -> MiB/s received (client sends)
  local out="$WORK/iperf-$1.json"
  if iperf3 -c 127.0.0.1 -p "$1" -t "$IPERF_T" -J > "$out" 2>&1; then
    python3 -c 'import json,sys;d=json.load(open(sys.argv[1]));print("%.1f"%(d["end"]["sum_received"]["bits_per_second"]/8/1048576))' "$out"
  else
    echo "nan"
  fi
}

rss_mib() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
rtt_run() { # name port: 1-byte round trips -> <name>_rtt_p50_us, <name>_rtt_p99_us
  "${CL[@]}" rtt 127.0.0.1 "$2" "$RTT_N" > "$WORK/rtt-$1.txt" 2>&1 || true
  metric "${1}_rtt_p50_us" "$(kv "$WORK/rtt-$1.txt" rtt_p50_us)"
  metric "${1}_rtt_p99_us" "$(kv "$WORK/rtt-$1.txt" rtt_p99_us)"
}
conn_run() { # name port: connections/s after the warm-up -> <name>_conn_per_s, ...
  "${CL[@]}" connrate 127.0.0.1 "$2" "$CONN_T" 8 "$CONNRATE_WARM" > "$WORK/conn-$1.txt" 2>&1 || true
  local k
  for k in conn_per_s conn_errors conn_p50_us conn_p99_us; do metric "${1}_$k" "$(kv "$WORK/conn-$1.txt" $k)"; done
}
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
PROXY=(java "${JAVA_OPTS[@]}" -cp "$JAR" dev.hybridrelay.benchmarks.e2e.TcpProxy)
# 1 hop: one proxy process in front of each target
P_PX_IPERF=$(free_port); P_PX_ECHO=$(free_port)
start proxy_iperf "${PROXY[@]}" "$P_PX_IPERF" 127.0.0.1 "$P_IPERF"
start proxy_echo "${PROXY[@]}" "$P_PX_ECHO" 127.0.0.1 "$P_ECHO"
# 3 hops: client -> proxy -> proxy -> proxy -> target, three processes (each serves both targets'
# chains on two ports), the same hops as forward -L -> relay -> forward -T
P3_I1=$(free_port); P3_I2=$(free_port); P3_I3=$(free_port)
P3_E1=$(free_port); P3_E2=$(free_port); P3_E3=$(free_port)
start proxy3c "${PROXY[@]}" "$P3_I3" 127.0.0.1 "$P_IPERF" "$P3_E3" 127.0.0.1 "$P_ECHO"
start proxy3b "${PROXY[@]}" "$P3_I2" 127.0.0.1 "$P3_I3" "$P3_E2" 127.0.0.1 "$P3_E3"
start proxy3a "${PROXY[@]}" "$P3_I1" 127.0.0.1 "$P3_I2" "$P3_E1" 127.0.0.1 "$P3_E2"
P_S1=$(free_port); P_S2=$(free_port); P_S3=$(free_port)
start socat3 socat TCP-LISTEN:"$P_S3",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_IPERF"
start socat2 socat TCP-LISTEN:"$P_S2",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_S3"
start socat1 socat TCP-LISTEN:"$P_S1",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_S2"

P_SSHL=""; P_SSHL_ECHO=""
if [[ $SSH == 1 ]]; then
  start_sshd
  if [[ ${#SSH_L[@]} -gt 0 ]]; then
    P_SSHL=$(free_port); P_SSHL_ECHO=$(free_port)
    start sshL "${SSH_L[@]}" -L "127.0.0.1:$P_SSHL:127.0.0.1:$P_IPERF" -L "127.0.0.1:$P_SSHL_ECHO:127.0.0.1:$P_ECHO" \
      root@127.0.0.1
    wait_port "$P_SSHL" 20; wait_port "$P_SSHL_ECHO" 20
    metric ssh_cipher "$(ssh -G -F /dev/null 127.0.0.1 | awk '/^ciphers /{split($2,a,",");print a[1]}')"
  fi
fi
wait_port "$P_PX_IPERF"; wait_port "$P_PX_ECHO"; wait_port "$P_S1"; wait_port "$P3_I1"; wait_port "$P3_E1"

# ---------------------------------------------------------------- the relay chain
if [[ -z "$CHAIN" ]]; then
  CHAIN=lib
  if [[ -f "$CLI_JAR" ]] && java -jar "$CLI_JAR" --help 2>&1 | grep -q "serve" \
     && java -jar "$CLI_JAR" --help 2>&1 | grep -q "forward"; then
    CHAIN=cli
  fi
fi
metric chain "$CHAIN"
P_RELAY=$(free_port); P_HR_IPERF=$(free_port); P_HR_ECHO=$(free_port)
if [[ $CHAIN == cli ]]; then
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
metric iperf_proxy3_mibs "$(iperf_mibs "$P3_I1")"
# the JVMs of the chain get the same unmeasured warm-up as the wss variants below
iperf3 -c 127.0.0.1 -p "$P_HR_IPERF" -t "$CONN_WARM" > /dev/null 2>&1 || true
metric iperf_chain_mibs "$(iperf_mibs "$P_HR_IPERF")"

# ---------------------------------------------------------------- the same chain over wss
# A second relay (serve with a generated RSA-2048 keystore, certificate for 127.0.0.1) and a second
# pair of forwarders that trust it through the JDK's trust-store properties. Variants, one after the
# other, each measured against the ws chain and ssh -L of this run: the JDK's TLS everywhere, and, when
# benchmarks/target/tls-engines/ holds the jars (mvn package of benchmarks copies them there),
# netty-tcnative/BoringSSL in the relay (Netty's OpenSSL engine) and Conscrypt in the forwarders.
TLS_ENGINES="$HERE/target/tls-engines"
if [[ $TLS == 1 && $CHAIN == cli ]] && command -v keytool >/dev/null \
   && java -jar "$CLI_JAR" serve --help 2>&1 | grep -q -- '--tls-keystore'; then
  keytool -genkeypair -alias relay -keyalg RSA -keysize 2048 -validity 2 -dname CN=127.0.0.1 \
    -ext SAN=ip:127.0.0.1,dns:localhost -storetype PKCS12 -keystore "$WORK/relay.p12" \
    -storepass changeit -keypass changeit > /dev/null 2>&1
  keytool -exportcert -alias relay -keystore "$WORK/relay.p12" -storepass changeit -file "$WORK/relay.cer" > /dev/null 2>&1
  keytool -importcert -noprompt -alias relay -file "$WORK/relay.cer" -storetype PKCS12 \
    -keystore "$WORK/trust.p12" -storepass changeit > /dev/null 2>&1
  TRUST=(-Djavax.net.ssl.trustStore="$WORK/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit
         -Djavax.net.ssl.trustStoreType=PKCS12)
  VARIANTS=(jdk)
  TCN_JARS="$(ls "$TLS_ENGINES"/netty-tcnative-*.jar 2>/dev/null | tr '\n' ':' || true)"
  CONSCRYPT_JAR="$(ls "$TLS_ENGINES"/conscrypt-openjdk-uber-*.jar 2>/dev/null | head -1 || true)"
  if [[ -n "$TCN_JARS" ]]; then VARIANTS+=(openssl); fi
  if [[ -n "$CONSCRYPT_JAR" ]]; then VARIANTS+=(conscrypt); fi
  if [[ -n "$TCN_JARS" && -n "$CONSCRYPT_JAR" ]]; then VARIANTS+=(native); fi
  log "wss chain, ${IPERF_T}s iperf3 per TLS variant: ${VARIANTS[*]}"
  for v in "${VARIANTS[@]}"; do
    # -Dhybridrelay.tls.provider: jdk keeps the JDK engine even where a native one is on the class path;
    # openssl (relay) and conscrypt (forwarders) ask for the native ones
    RCP="$WORK/hybridrelay.jar"; FCP="$WORK/hybridrelay.jar"; RPROV=jdk; FPROV=jdk
    case $v in
      openssl) RCP="$WORK/hybridrelay.jar:$TCN_JARS"; RPROV=openssl ;;
      conscrypt) FCP="$WORK/hybridrelay.jar:$CONSCRYPT_JAR"; FPROV=conscrypt ;;
      native) RCP="$WORK/hybridrelay.jar:$TCN_JARS"; RPROV=openssl; FCP="$WORK/hybridrelay.jar:$CONSCRYPT_JAR"; FPROV=conscrypt ;;
    esac
    P_RT=$(free_port); P_TL=$(free_port)
    start "tls_relay_$v" java "${JAVA_OPTS[@]}" -Dhybridrelay.tls.provider=$RPROV -cp "$RCP" dev.hybridrelay.cli.Main \
      serve --bind=127.0.0.1 --port="$P_RT" --auto-create --tls-keystore="$WORK/relay.p12" --tls-password=changeit
    if ! wait_line "$WORK/tls_relay_$v.log" 'Endpoint=' 60; then continue; fi
    metric "tls_${v}_relay_engine" "$(sed -n 's/.*TLS engine: //p' "$WORK/tls_relay_$v.log" | head -1)"
    CS_TLS="$(grep -o 'Endpoint=[^ ]*' "$WORK/tls_relay_$v.log" | head -1)"
    FWD_TLS=(java "${JAVA_OPTS[@]}" "${TRUST[@]}" -Dhybridrelay.tls.provider=$FPROV -cp "$FCP" dev.hybridrelay.cli.Main
             forward -q --status-interval=0 -x "$CS_TLS")
    start "tls_fwdT_$v" "${FWD_TLS[@]}" -T "iperf:bench/127.0.0.1:$P_IPERF"
    start "tls_fwdL_$v" "${FWD_TLS[@]}" -L "127.0.0.1:$P_TL/bench:iperf"
    wait_port "$P_TL"
    ok=0  # the listener must be online: a short iperf3 through the chain, retried
    for i in $(seq 1 50); do
      if iperf3 -c 127.0.0.1 -p "$P_TL" -t 1 > /dev/null 2>&1; then ok=1; break; fi
      sleep 0.2
    done
    # unmeasured warm-up: from cold, the JDK's AES-GCM runs interpreted (about 20 MiB/s here) until the
    # JIT compiles it with the CPU's AES and carry-less multiply instructions (about 1 GiB/s per core)
    if [[ $ok == 1 ]]; then iperf3 -c 127.0.0.1 -p "$P_TL" -t "$CONN_WARM" > /dev/null 2>&1 || true; fi
    if [[ $ok == 1 ]]; then metric "iperf_wss_${v}_mibs" "$(iperf_mibs "$P_TL")"
    else metric "iperf_wss_${v}_mibs" nan; log "wss variant $v did not come up: $(tail -n 1 "$WORK/tls_fwdT_$v.log")"; fi
    stop "tls_fwdL_$v"; stop "tls_fwdT_$v"; stop "tls_relay_$v"
  done
  # the ws chain once more after the wss variants, so that the wss/ws ratio is not one moment's noise
  metric iperf_chain2_mibs "$(iperf_mibs "$P_HR_IPERF")"
fi

# ---------------------------------------------------------------- connections per second
CL=(java -Xmx512m -cp "$JAR" dev.hybridrelay.benchmarks.e2e.ConnLoad)
# Each path gets the same load, uncounted, for CONNRATE_WARM seconds first: the processes are
# long-running in use, and from cold the JIT compiler threads took more than half of their CPU in a
# 4 s run; with 8 s of warm-up the chain still made less than half its steady rate.
metric conn_warm_s "$CONNRATE_WARM"
log "conn/s ${CONN_T}s per path (after ${CONNRATE_WARM}s warm-up each)"
conn_run proxy "$P_PX_ECHO"
conn_run proxy3 "$P3_E1"
conn_run chain "$P_HR_ECHO"

# ---------------------------------------------------------------- 1-byte round trip
log "1-byte RTT x $RTT_N"
rtt_run direct "$P_ECHO"
rtt_run proxy "$P_PX_ECHO"
rtt_run proxy3 "$P3_E1"
if [[ -n "$P_SSHL_ECHO" ]]; then rtt_run sshL "$P_SSHL_ECHO"; fi
rtt_run chain "$P_HR_ECHO"

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
