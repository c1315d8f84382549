#!/usr/bin/env bash
# Cold-start section of the performance harness (issue "cold start"), loopback only.
#
# For each JVM setting (VARIANTS) and each repetition: starts `hybridrelay serve`, then `forward -T`
# and `forward -L` at the same moment (all three JVMs start together), and measures
#   - start to "listening" (serve), to "online" (forward -T), to "Forwarding" (forward -L), from each
#     process's own log stamp;
#   - start of the forwarders to the first byte echoed through the chain;
#   - a fixed request/response workload (benchmarks/coldload.py rr: CONNS connections, 64-byte
#     echo, no warm-up of its own) over the first 1, 5 and 30 s, then a steady-state window of 10 s
#     on the same, now warm, processes;
#   - `hybridrelay --version` wall time, started the same way;
#   - then, with the relay running and the forwarders stopped: `--version` again and `forward -T`
#     started alone, to "online" (the case of a user starting a forwarder against a running relay).
# socat (three hops, like the chain) and `ssh -L` are started and measured the same way in the same
# run. Writes benchmarks/results/startup-latest.json (and a timestamped copy); prints a table.
#
# Usage: benchmarks/startup.sh [--reps N] [--variants "default launcher cds"] [--conns N] [--quick]
#                              [--no-workload] [--no-baselines]
# Settings (VARIANTS): see hr_cmd in benchmarks/chain-common.sh; OLD_JAR=path adds NAME@old settings.
# Needs: relay-cli/target/hybridrelay.jar and benchmarks/target/benchmarks.jar built, python3,
#   socat; sshd + ssh for the ssh -L baseline (skipped without).
set -euo pipefail
REPS=3
VARIANTS="default launcher cds"
CONNS=4
COLD_S=30
STEADY_S=10
WORKLOAD=1
BASELINES=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) REPS="$2"; shift ;;
    --variants) VARIANTS="$2"; shift ;;
    --conns) CONNS="$2"; shift ;;
    --quick) REPS=1; COLD_S=10; STEADY_S=5 ;;
    --no-workload) WORKLOAD=0 ;;
    --no-baselines) BASELINES=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/chain-common.sh"

metric cores "$(nproc)"
metric loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"
metric reps "$REPS"; metric conns "$CONNS"; metric cold_s "$COLD_S"
start_targets
start_sshd

WINDOWS="0-1,0-5,0-$COLD_S"
since() { [[ "$1" =~ ^[0-9]+$ ]] && echo $(( $1 - $2 )) || echo nan; }

workload() { # prefix port: cold windows, then steady state on the same processes
  local pre=$1 port=$2
  [[ $WORKLOAD == 1 ]] || return 0
  $COLD rr "$port" "$COLD_S" "$CONNS" 64 "$WINDOWS" > "$WORK/rr-cold.txt"
  $COLD rr "$port" "$STEADY_S" "$CONNS" 64 "0-$STEADY_S" > "$WORK/rr-steady.txt"
  local w
  for w in 1 5 "$COLD_S"; do
    metric "${pre}_first${w}s_per_s" "$(kv "$WORK/rr-cold.txt" "rr_0_${w}_per_s")"
    metric "${pre}_first${w}s_p50_us" "$(kv "$WORK/rr-cold.txt" "rr_0_${w}_p50_us")"
    metric "${pre}_first${w}s_p99_us" "$(kv "$WORK/rr-cold.txt" "rr_0_${w}_p99_us")"
  done
  metric "${pre}_steady_per_s" "$(kv "$WORK/rr-steady.txt" "rr_0_${STEADY_S}_per_s")"
  metric "${pre}_steady_p50_us" "$(kv "$WORK/rr-steady.txt" "rr_0_${STEADY_S}_p50_us")"
  metric "${pre}_steady_p99_us" "$(kv "$WORK/rr-steady.txt" "rr_0_${STEADY_S}_p99_us")"
  metric "${pre}_rr_errors" "$(( $(kv "$WORK/rr-cold.txt" rr_errors) + $(kv "$WORK/rr-steady.txt" rr_errors) ))"
}

prime_cds() { # one run of each role, so the archives exist before the measured starts
  log "priming the CDS archives"
  local p cs
  p=$(free_port)
  start prime_relay "${HR[@]}" serve --bind=127.0.0.1 --port="$p" --auto-create
  wait_line "$WORK/prime_relay.log" 'Endpoint=' 60
  cs="$(grep -o 'Endpoint=[^ ]*' "$WORK/prime_relay.log" | head -1)"
  local pl
  pl=$(free_port)
  start prime_T "${HR[@]}" forward --status-interval=0 -x "$cs" -T "prime:bench/127.0.0.1:$P_ECHO"
  start prime_L "${HR[@]}" forward --status-interval=0 -x "$cs" -L "127.0.0.1:$pl/bench:prime"
  wait_line "$WORK/prime_T.log" ' online at ' 60
  wait_port "$pl"
  $COLD firstbyte "$pl" 30 > /dev/null
  $COLD rr "$pl" 3 "$CONNS" 64 0-3 > /dev/null
  stop prime_L; stop prime_T; stop prime_relay
  "${HR[@]}" --version > /dev/null
  ls "$HYBRIDRELAY_CACHE" >&2 || true
}

for v in $VARIANTS; do
  hr_cmd "$v"
  if [[ "$v" == cds* ]]; then prime_cds; fi
done
# repetitions interleave the settings, so a change of machine load hits every setting alike
for r in $(seq 1 "$REPS"); do
  for v in $VARIANTS; do
    hr_cmd "$v"
    pre="${v}_r$r"
    log "$v rep $r"
    t0=$(now_ms); "${HR[@]}" --version > /dev/null; t1=$(now_ms)
    metric "${pre}_version_ms" $(( t1 - t0 ))
    P_RELAY=$(free_port); P_L=$(free_port)
    t0=$(now_ms)
    start relay "${HR[@]}" serve --bind=127.0.0.1 --port="$P_RELAY" --auto-create
    wait_line "$WORK/relay.log" 'Endpoint=' 60
    metric "${pre}_serve_listening_ms" "$(line_ms "$WORK/relay.log" 'Local relay listening' "$t0")"
    CS="$(grep -o 'Endpoint=[^ ]*' "$WORK/relay.log" | head -1)"
    FWD=(forward --status-interval=0 -x "$CS")
    t0=$(now_ms)
    start fwdT "${HR[@]}" "${FWD[@]}" -T "echo:bench/127.0.0.1:$P_ECHO"
    start fwdL "${HR[@]}" "${FWD[@]}" -L "127.0.0.1:$P_L/bench:echo"
    $COLD firstbyte "$P_L" 60 > "$WORK/fb.txt" || log "$pre: no byte through the chain within 60 s"
    metric "${pre}_first_byte_ms" "$(since "$(kv "$WORK/fb.txt" first_byte_epoch_ms)" "$t0")"
    wait_line "$WORK/fwdT.log" ' online at ' 30 || true
    metric "${pre}_fwdT_online_ms" "$(line_ms "$WORK/fwdT.log" ' online at ' "$t0")"
    metric "${pre}_fwdL_listening_ms" "$(line_ms "$WORK/fwdL.log" 'Forwarding 127' "$t0")"
    workload "$pre" "$P_L"
    stop fwdL; stop fwdT
    # the same forward -T started alone against the relay, now running (as Azure Relay or a
    # long-running serve always is), and --version just before it: two JVM starts on an otherwise
    # quiet machine, compared the same way
    t0=$(now_ms); "${HR[@]}" --version > /dev/null; t1=$(now_ms)
    metric "${pre}_version_alone_ms" $(( t1 - t0 ))
    t0=$(now_ms)
    start fwdT "${HR[@]}" "${FWD[@]}" -T "echo:bench/127.0.0.1:$P_ECHO"
    wait_line "$WORK/fwdT.log" ' online at ' 30 || true
    metric "${pre}_fwdT_alone_online_ms" "$(line_ms "$WORK/fwdT.log" ' online at ' "$t0")"
    stop fwdT; stop relay
  done
done

# baselines, started the same way: a three-hop socat chain, and ssh -L
for r in $(seq 1 "$REPS"); do
  [[ $BASELINES == 1 ]] || break
  log "socat rep $r"
  P1=$(free_port); P2=$(free_port); P3=$(free_port)
  t0=$(now_ms)
  start socat3 socat TCP-LISTEN:"$P3",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_ECHO"
  start socat2 socat TCP-LISTEN:"$P2",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P3"
  start socat1 socat TCP-LISTEN:"$P1",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P2"
  $COLD firstbyte "$P1" 30 > "$WORK/fb.txt" || true
  metric "socat_r${r}_first_byte_ms" "$(since "$(kv "$WORK/fb.txt" first_byte_epoch_ms)" "$t0")"
  workload "socat_r$r" "$P1"
  stop socat1; stop socat2; stop socat3
  if [[ ${#SSH_L[@]} -gt 0 ]]; then
    log "ssh -L rep $r"
    PS=$(free_port)
    t0=$(now_ms)
    start sshL "${SSH_L[@]}" -L "127.0.0.1:$PS:127.0.0.1:$P_ECHO" root@127.0.0.1
    wait_port "$PS" 30
    t1=$(now_ms)
    metric "sshL_r${r}_listening_ms" $(( t1 - t0 ))
    $COLD firstbyte "$PS" 30 > "$WORK/fb.txt" || true
    metric "sshL_r${r}_first_byte_ms" "$(since "$(kv "$WORK/fb.txt" first_byte_epoch_ms)" "$t0")"
    workload "sshL_r$r" "$PS"
    stop sshL
  fi
done
metric loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"
write_json startup
python3 "$HERE/startup_report.py" "$RESULTS/startup-latest.json"
