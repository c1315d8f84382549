#!/usr/bin/env bash
# HTTP request-mode interoperability checks through the local relay (hybridrelay serve):
#  1. the official hyco-https listener (createRelayedServer)  <-  a plain Node http client
#     (small GET, uploads of 10 and 200,000 bytes, a chunked upload, downloads of 1,000 and 300,000 bytes)
#  2. our RelayRequestHandler listener                         <-  the same Node http client
#  3. our RelayRequestHandler listener                         <-  curl (GET, 200,000-byte upload and download)
# Needs: relay-cli/target/hybridrelay.jar (mvn package), Node.js, curl; runs ./install.sh if needed.
set -euo pipefail
cd "$(dirname "$0")"
tag=interop-https
source ../common.sh
[ -f node_modules/hyco-https/package.json ] || bash install.sh

start_relay
echo "interop-https: relay on port $port"

node hyco-https-listener.js "$conn" hyco-http > "$work/hyco.out" 2>&1 &
pids+=($!)
wait_for "$work/hyco.out" LISTENING

echo "--- 1. hyco-https listener <- Node http client"
node http-client.js "$conn" hyco-http

echo "--- 2. Hybrid Relay for Java request handler <- Node http client"
java -cp "$jar" JavaHttpListener.java "$conn" java-http > "$work/java.out" 2>&1 &
pids+=($!)
wait_for "$work/java.out" LISTENING
node http-client.js "$conn" java-http

echo "--- 3. Hybrid Relay for Java request handler <- curl"
token=$(node -e 'const c=require("./common");const p=c.parseConnectionString(process.argv[1]);console.log(c.createToken(p.host,"java-http",p.keyName,p.key))' "$conn")
base="http://localhost:$port/java-http"
got=$(curl -sS --max-time 60 -H "ServiceBusAuthorization: $token" -H "X-Custom: from-curl" -D "$work/h1" "$base/hi?x=1")
[ "$got" = "hello GET /java-http/hi?x=1" ] && grep -qi '^x-echo: from-curl' "$work/h1" \
  || { echo "interop-https: curl GET failed: $got"; cat "$work/h1"; exit 1; }
echo "curl: ok small GET"
head -c 200000 /dev/urandom > "$work/up.bin"
want="$(sha256sum "$work/up.bin" | cut -d' ' -f1):200000"
got=$(curl -sS --max-time 60 -H "ServiceBusAuthorization: $token" --data-binary @"$work/up.bin" "$base/sha256")
[ "$got" = "$want" ] || { echo "interop-https: curl upload failed: $got (want $want)"; exit 1; }
echo "curl: ok upload of 200000 bytes"
curl -sS --max-time 60 -H "ServiceBusAuthorization: $token" -o "$work/down.bin" "$base/bytes/300000"
want=$(node -e 'const c=require("./common");console.log(require("crypto").createHash("sha256").update(c.pattern(300000)).digest("hex"))')
[ "$(sha256sum "$work/down.bin" | cut -d' ' -f1)" = "$want" ] || { echo "interop-https: curl download differs"; exit 1; }
echo "curl: ok download of 300000 bytes"

echo "interop-https: 3 of 3 checks passed"
