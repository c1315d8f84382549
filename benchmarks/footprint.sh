#!/usr/bin/env bash
# Footprint section of the performance harness (issue "footprint on edge devices"), loopback only.
#
# For each JVM setting (VARIANTS): starts `serve`, one `forward -T` (hybrid connections "bulk" ->
# iperf3 and "echo" -> an echo server) and one `forward -L` (two local ports to them), and samples
# each process's RSS (/proc/PID/status VmRSS) and, with jstat, heap used/committed and metaspace:
#   idle      listener online, one echo through the chain, 5 s settled
#   busy      in the middle of 1 GiB of iperf3 bulk traffic through the chain
#   after     right after the 1 GiB and 10,000 short connections (coldload.py short, 8 at a time)
#   idle10..idle60  10, 20, ... 60 s of idling after that
# plus the bulk rate (MiB/s) and the short-connection rate (conn/s) for the "within 10 % of the
# default flags" comparison, and the CPU time (user + system, all processes of the setting, from
# /proc/PID/stat) the bulk transfer and the short connections took (per GiB, per 1,000 connections).
# socat (one hop) and `ssh -L` get the same bulk + short load and the same samples. With --nmt LIST, each variant of LIST runs once more with -XX:NativeMemoryTracking=summary and
# the jcmd VM.native_memory summary (heap, class/metaspace, threads, code, GC, direct buffers under
# "Other") is recorded at idle and after (NMT's own cost makes those RSS figures unfit for the goal).
# Writes benchmarks/results/footprint-latest.json (and a timestamped copy); prints a table.
#
# Usage: benchmarks/footprint.sh [--variants "default launcher"] [--nmt "default launcher"] [--short N]
#                                [--bulk BYTES]
#                                [--idle-max S] [--no-baselines] [--reps N]
# --reps N runs the variants N times, alternated (default launcher default launcher ...); the first
# repetition's figures keep the plain names (default_...), later ones are named VARIANT_rN_...; the
# report gives the mean rates of the repetitions and their ratio to the default's mean.
# Settings (VARIANTS): see hr_cmd in benchmarks/chain-common.sh.
set -euo pipefail
VARIANTS="default launcher"
NMT=0
SHORT_N=10000
BULK=1G
IDLE_MAX=60
BASELINES=1
REPS=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --variants) VARIANTS="$2"; shift ;;
    --nmt) NMT=1; NMT_VARIANTS="$2"; shift ;;
    --short) SHORT_N="$2"; shift ;;
    --bulk) BULK="$2"; shift ;;
    --idle-max) IDLE_MAX="$2"; shift ;;
    --no-baselines) BASELINES=0 ;;
    --reps) REPS="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$(dirname "${BASH_SOURCE[0]}")/chain-common.sh"
command -v iperf3 > /dev/null || { echo "footprint.sh needs iperf3" >&2; exit 1; }

metric cores "$(nproc)"
metric loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"
metric short_n "$SHORT_N"; metric bulk "$BULK"; metric reps "$REPS"
start_targets
start_sshd

sample() { # prefix phase role pid [nmt]
  local pre=$1 ph=$2 role=$3 pid=$4 j
  metric "${pre}_${role}_${ph}_rss_mib" "$(awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$pid/status")"
  metric "${pre}_${role}_${ph}_threads" "$(awk '/^Threads/{print $2}' "/proc/$pid/status")"
  if [[ "$(cat "/proc/$pid/comm")" == java ]]; then
    j="$(jstat -gc "$pid" 2>/dev/null | tail -1)" || true
    if [[ -n "$j" ]]; then
      # S0C S1C S0U S1U EC EU OC OU MC MU ... (KiB)
      read -r s0c s1c s0u s1u ec eu oc ou mc mu _ <<< "$j"
      metric "${pre}_${role}_${ph}_heap_used_mib" "$(echo "$s0u $s1u $eu $ou" | awk '{printf "%.1f", ($1+$2+$3+$4)/1024}')"
      metric "${pre}_${role}_${ph}_heap_committed_mib" "$(echo "$s0c $s1c $ec $oc" | awk '{printf "%.1f", ($1+$2+$3+$4)/1024}')"
      metric "${pre}_${role}_${ph}_metaspace_used_mib" "$(echo "$mu" | awk '{printf "%.1f", $1/1024}')"
    fi
    if [[ "${5:-}" == nmt ]]; then
      jcmd "$pid" VM.native_memory summary > "$WORK/nmt.txt" 2>/dev/null || true
      python3 - "$WORK/nmt.txt" "${pre}_${role}_${ph}" >> "$METRICS" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"Total: reserved=\d+KB, committed=(\d+)KB", text)
if m: print("%s_nmt_total_mib=%.1f" % (sys.argv[2], int(m[1]) / 1024))
for cat in ("Java Heap", "Class", "Thread", "Code", "GC", "Compiler", "Internal", "Other", "Symbol",
            "Native Memory Tracking", "Shared class space", "Arena Chunk", "Metaspace"):
    m = re.search(r"-\s+%s \(reserved=\d+KB, committed=(\d+)KB" % re.escape(cat), text)
    if m:
        print("%s_nmt_%s_mib=%.1f" % (sys.argv[2], cat.lower().replace(" ", "_"), int(m[1]) / 1024))
PY
    fi
  fi
}

cpu_ms() { # CPU time (user + system) of the processes of ROLES so far, in ms, from /proc/PID/stat
  local r pids=()
  for r in $ROLES; do
    local v="PID_$r"
    pids+=("$(jvm_pid "${!v}")")
  done
  echo $(( $(cpu_ticks "${pids[@]}") * 1000 / $(getconf CLK_TCK) ))
}

sample_all() { # prefix phase [nmt]
  local r
  for r in $ROLES; do
    local v="PID_$r"
    sample "$1" "$2" "$r" "$(jvm_pid "${!v}")" "${3:-}"
  done
}

load_and_idle() { # prefix bulk_port echo_port [nmt]
  local pre=$1 pb=$2 pe=$3 n=${4:-}
  sleep 5
  sample_all "$pre" idle "$n"
  local c0 c1 c2
  c0=$(cpu_ms)
  iperf3 -c 127.0.0.1 -p "$pb" -n "$BULK" -J > "$WORK/iperf.json" 2>&1 &
  local ip=$!
  sleep 2
  sample_all "$pre" busy "$n"
  wait "$ip" || true
  c1=$(cpu_ms)
  metric "${pre}_bulk_mibs" "$(python3 -c 'import json,sys;d=json.load(open(sys.argv[1]));print("%.1f"%(d["end"]["sum_received"]["bits_per_second"]/8/1048576))' "$WORK/iperf.json" 2>/dev/null || echo nan)"
  $COLD short "$pe" "$SHORT_N" 8 > "$WORK/short.txt"
  metric "${pre}_short_per_s" "$(kv "$WORK/short.txt" short_per_s)"
  metric "${pre}_short_errors" "$(kv "$WORK/short.txt" short_errors)"
  c2=$(cpu_ms)
  # CPU of all the setting's processes for the work, which a busy machine changes much less than rates
  metric "${pre}_bulk_cpu_ms" "$(( c1 - c0 ))"
  metric "${pre}_short_cpu_ms" "$(( c2 - c1 ))"
  sample_all "$pre" after "$n"
  local s
  for s in $(seq 10 10 "$IDLE_MAX"); do
    sleep 10
    sample_all "$pre" "idle$s" "$n"
  done
}

run_variant() { # name [nmt] [repetition]
  local v=$1 n=${2:-} pre=$1
  [[ -n "$n" ]] && pre="${v}_nmt"
  [[ "${3:-1}" != 1 ]] && pre="${v}_r$3"
  hr_cmd "$v"
  if [[ -n "$n" ]]; then HR=(env "HYBRIDRELAY_OPTS=${HYBRIDRELAY_OPTS:-} -XX:NativeMemoryTracking=summary" "${HR[@]}"); fi
  if [[ "$v" == default ]] && [[ -n "$n" ]]; then
    HR=(env HYBRIDRELAY_DEFAULTS=0 HYBRIDRELAY_CDS=0 HYBRIDRELAY_OPTS=-XX:NativeMemoryTracking=summary "$LAUNCHER")
  fi
  log "variant $pre"
  local pr pb pe
  pr=$(free_port); pb=$(free_port); pe=$(free_port)
  start relay "${HR[@]}" serve --bind=127.0.0.1 --port="$pr" --auto-create
  wait_line "$WORK/relay.log" 'Endpoint=' 60
  local cs
  cs="$(grep -o 'Endpoint=[^ ]*' "$WORK/relay.log" | head -1)"
  local fwd=(forward -q --status-interval=0 -x "$cs")
  start fwdT "${HR[@]}" "${fwd[@]}" -T "bulk:bench/127.0.0.1:$P_IPERF" -T "echo:bench/127.0.0.1:$P_ECHO"
  start fwdL "${HR[@]}" "${fwd[@]}" -L "127.0.0.1:$pb/bench:bulk" -L "127.0.0.1:$pe/bench:echo"
  wait_port "$pe"; wait_port "$pb"
  $COLD firstbyte "$pe" 60 > /dev/null
  ROLES="relay fwdT fwdL"
  load_and_idle "$pre" "$pb" "$pe" "$n"
  stop fwdL; stop fwdT; stop relay
}

PRIMED=0
for rep in $(seq 1 "$REPS"); do
for v in $VARIANTS; do
  if [[ "$v" == cds* ]] && [[ $PRIMED == 0 ]]; then
    PRIMED=1
    # create the archives first (one short run of each role), as a user's first run does
    hr_cmd cds
    p=$(free_port)
    start prime "${HR[@]}" serve --bind=127.0.0.1 --port="$p" --auto-create
    wait_line "$WORK/prime.log" 'Endpoint=' 60; cs="$(grep -o 'Endpoint=[^ ]*' "$WORK/prime.log" | head -1)"
    start primeT "${HR[@]}" forward --status-interval=0 -x "$cs" -T "x:bench/127.0.0.1:$P_ECHO"
    wait_line "$WORK/primeT.log" ' online at ' 60
    stop primeT; stop prime
  fi
  metric "load_${v}_r${rep}" "$(cut -d' ' -f1 /proc/loadavg)"
  run_variant "$v" "" "$rep"
done
done
if [[ $NMT == 1 ]]; then
  for v in $NMT_VARIANTS; do run_variant "$v" nmt; done
fi

# baselines: socat (one hop per direction, as a forwarder) and ssh -L carry the same load
if [[ $BASELINES == 0 ]]; then SSH_L=(); fi
if [[ $BASELINES == 1 ]]; then
log "baseline socat"
pb=$(free_port); pe=$(free_port)
start socatB socat TCP-LISTEN:"$pb",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_IPERF"
start socatE socat TCP-LISTEN:"$pe",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$P_ECHO"
wait_port "$pb"; wait_port "$pe"
ROLES="socatB"
# socat forks a process per connection and waits out its -t 0.5 s after each close: 10,000 short
# connections took about 15 minutes; 200 show its footprint as well
SHORT_SAVED=$SHORT_N; SHORT_N=$(( SHORT_N < 200 ? SHORT_N : 200 ))
load_and_idle socat "$pb" "$pe"
SHORT_N=$SHORT_SAVED
stop socatB; stop socatE
fi
if [[ ${#SSH_L[@]} -gt 0 ]]; then
  log "baseline ssh -L"
  pb=$(free_port); pe=$(free_port)
  start sshL "${SSH_L[@]}" -L "127.0.0.1:$pb:127.0.0.1:$P_IPERF" -L "127.0.0.1:$pe:127.0.0.1:$P_ECHO" root@127.0.0.1
  wait_port "$pb" 30; wait_port "$pe" 30
  ROLES="sshL"
  load_and_idle sshL "$pb" "$pe"
  stop sshL
fi
metric loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"
write_json footprint
python3 "$HERE/footprint_report.py" "$RESULTS/footprint-latest.json"
