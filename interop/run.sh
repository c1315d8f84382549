#!/usr/bin/env bash
# Interoperability checks through the local relay (hybridrelay serve):
#  1. the official hyco-ws listener  <-  a plain ws sender   (text and binary messages, types kept)
#  2. the official hyco-ws listener  <-  our RelaySender      (4 MiB, SHA-256 compared)
#  3. our RelayListener              <-  a plain ws sender   (bytes echoed in order)
# Needs: relay-cli/target/hybridrelay.jar (mvn package), Node.js; runs interop/install.sh if needed.
set -euo pipefail
cd "$(dirname "$0")"
tag=interop
source ./common.sh
[ -d node_modules/hyco-ws ] || bash install.sh

start_relay
echo "interop: relay on port $port"

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
