#!/usr/bin/env bash
# Interoperability of the command-line pair `hybridrelay connect` / `hybridrelay listen` with the
# official hyco-ws package, through the local relay (hybridrelay serve):
#  1. a hyco-ws sender                  ->  hybridrelay listen --echo   (8 MiB, SHA-256 compared)
#  2. hybridrelay connect (stdin/stdout) ->  a hyco-ws echo listener     (8 MiB, SHA-256 compared)
# Needs: relay-cli/target/hybridrelay.jar (mvn package), Node.js; runs interop/install.sh if needed.
set -euo pipefail
cd "$(dirname "$0")"
tag=connect-listen
source ./common.sh
[ -d node_modules/hyco-ws ] || bash install.sh

start_relay
echo "connect-listen: relay on port $port"

echo "--- 1. hybridrelay listen --echo <- hyco-ws sender"
java -jar "$jar" listen -x "$conn" --hc cli-echo --echo > "$work/listen.out" 2> "$work/listen.err" &
pids+=($!)
wait_for "$work/listen.err" "Listening on hybrid connection 'cli-echo'"
node hyco-sender.js "$conn" cli-echo $((8 << 20))
wait_for "$work/listen.err" "ended: echoed $((8 << 20)) bytes"
[ ! -s "$work/listen.out" ] || { echo "connect-listen: FAILED: listen --echo wrote to standard output"; exit 1; }

echo "--- 2. hybridrelay connect -> hyco-ws echo listener"
node hyco-listener.js "$conn" hyco-cli > "$work/hyco.out" 2>&1 &
pids+=($!)
wait_for "$work/hyco.out" LISTENING
head -c $((8 << 20)) /dev/urandom > "$work/data.bin"
rc=0
timeout 120 java -jar "$jar" connect -x "$conn" --hc hyco-cli --timeout 30s < "$work/data.bin" > "$work/back.bin" \
  2> "$work/connect.err" || rc=$?
if [ "$rc" -ne 0 ]; then echo "connect-listen: FAILED: connect exited $rc"; cat "$work/connect.err"; exit 1; fi
want=$(sha256sum < "$work/data.bin" | cut -c1-64)
got=$(sha256sum < "$work/back.bin" | cut -c1-64)
if [ "$want" != "$got" ]; then
  echo "connect-listen: FAILED: $(stat -c %s "$work/back.bin") bytes back, sha256 $got want $want"; exit 1
fi
echo "connect: OK $((8 << 20)) bytes echoed by the hyco-ws listener, sha256 ${got:0:16}..., exit 0"

echo "connect-listen: 2 of 2 checks passed"
