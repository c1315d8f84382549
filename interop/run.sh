#!/usr/bin/env bash
# Interoperability checks through the local relay (hybridrelay serve):
#  1. the official hyco-ws listener  <-  a plain ws sender   (text and binary messages, types kept)
#  2. the official hyco-ws listener  <-  our RelaySender      (4 MiB, SHA-256 compared)
#  3. our RelayListener              <-  a plain ws sender   (bytes echoed in order)
# Needs: relay-cli/target/hybridrelay.jar (mvn package), Node.js; runs interop/install.sh if needed.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
jar="$root/relay-cli/target/hybridrelay.jar"
[ -f "$jar" ] || { echo "interop: $jar is missing; run mvn -B install -DskipTests first" >&2; exit 2; }
[ -d node_modules/hyco-ws ] || bash install.sh

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
key=$(head -c 32 /dev/urandom | base64)
java -jar "$jar" serve --port "$port" --rule "interop=$key" --auto-create > "$work/relay.out" 2> "$work/relay.err" &
pids+=($!)
for i in $(seq 1 60); do grep -q '^Endpoint=' "$work/relay.out" 2>/dev/null && break; sleep 0.5; done
conn=$(grep -m1 '^Endpoint=' "$work/relay.out" | tr -d '\r')
[ -n "$conn" ] || { echo "interop: relay did not start"; cat "$work/relay.err"; exit 1; }
echo "interop: relay on port $port"

wait_for() { # file pattern
  for i in $(seq 1 60); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
  echo "interop: timed out waiting for '$2' in $1"; cat "$1"; return 1
}

node hyco-listener.js "$conn" hyco-echo > "$work/hyco.out" 2>&1 &
pids+=($!)
wait_for "$work/hyco.out" LISTENING

echo "--- 1. hyco-ws listener <- ws sender"
node ws-sender.js "$conn" hyco-echo 20

echo "--- 2. hyco-ws listener <- Hybrid Relay for Java sender"
cp="$jar"   # the shaded CLI jar holds relay-core and its dependencies
java -cp "$cp" JavaSender.java "$conn" hyco-echo $((4 << 20))

echo "--- 3. Hybrid Relay for Java listener <- ws sender"
java -cp "$cp" JavaEchoListener.java "$conn" java-echo > "$work/java.out" 2>&1 &
pids+=($!)
wait_for "$work/java.out" LISTENING
node ws-sender.js "$conn" java-echo 20 --stream

echo "interop: 3 of 3 checks passed"
