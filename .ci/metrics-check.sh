#!/usr/bin/env bash
# Scrapes `hybridrelay serve` and `hybridrelay forward` started with --metrics-port after a little
# traffic, and checks each scrape with `promtool check metrics` (Debian package prometheus), plus
# /healthz and /readyz. Needs relay-cli/target/hybridrelay.jar, socat, curl, python3 and promtool.
# Quick (about 10 s) and idempotent: everything runs on free loopback ports and is stopped on exit.
set -euo pipefail
tag=metrics
source "$(dirname "$0")/../interop/common.sh"
for tool in promtool socat curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tag: $tool is missing" >&2; exit 2; }
done

relay_metrics=$(free_port)
start_relay --hc metrics-hc --metrics-port "$relay_metrics"

echo_port=$(free_port)
socat "TCP-LISTEN:$echo_port,bind=127.0.0.1,fork,reuseaddr" EXEC:cat &
pids+=($!)

local_port=$(free_port)
fwd_metrics=$(free_port)
java -jar "$jar" forward -x "$conn;EntityPath=metrics-hc" -T "metrics-hc:echo/127.0.0.1:$echo_port" \
  -L "$local_port/echo:metrics-hc" --status-interval 0 --metrics-port "$fwd_metrics" \
  > "$work/forward.out" 2> "$work/forward.err" &
pids+=($!)

ready=""
for i in $(seq 1 60); do
  if curl -fsS "http://127.0.0.1:$fwd_metrics/readyz" > "$work/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "$tag: the forwarder did not become ready"; cat "$work/forward.err"; exit 1; }
grep -qx '{"status":"ready"}' "$work/readyz"
curl -fsS "http://127.0.0.1:$relay_metrics/healthz" | grep -qx '{"status":"alive"}'
curl -fsS "http://127.0.0.1:$relay_metrics/readyz" | grep -qx '{"status":"ready"}'

for i in 1 2 3; do
  got=$(printf 'metrics %s\n' "$i" | socat -t 10 - "TCP:127.0.0.1:$local_port")
  [ "$got" = "metrics $i" ] || { echo "$tag: echo $i through the forwarders returned '$got'"; exit 1; }
done

for side in relay:$relay_metrics forward:$fwd_metrics; do
  name=${side%%:*}
  curl -fsS "http://127.0.0.1:${side##*:}/metrics" > "$work/$name.prom"
  promtool check metrics < "$work/$name.prom"
  echo "$tag: promtool accepts the $name scrape ($(grep -vc '^#' "$work/$name.prom") samples)"
done
grep -q '^hybridrelay_relay_connections_total 3\.0$' "$work/relay.prom" \
  || { echo "$tag: expected 3 relayed connections"; grep '^hybridrelay_relay_connections' "$work/relay.prom"; exit 1; }
grep -q '^hybridrelay_forward_connections_total{kind="local"} 3\.0$' "$work/forward.prom" \
  || { echo "$tag: expected 3 forwarded connections"; grep '^hybridrelay_forward_connections' "$work/forward.prom"; exit 1; }
echo "$tag: OK"
