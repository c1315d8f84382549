#!/usr/bin/env bash
# Interoperability through a TLS-terminating nginx in front of `hybridrelay serve`, with the nginx
# configuration from deploy/nginx/hybridrelay.conf (port, certificate and upstream replaced):
#  1. the official hyco-ws listener  <-  our RelaySender   (8 MiB, SHA-256 compared), both over wss via nginx
#  2. the official hyco-ws listener  <-  a plain ws sender (text and binary messages, types kept)
#  3. our RelayListener              <-  a plain ws sender (bytes echoed in order)
# The certificate is self-signed for localhost; Node trusts it through NODE_EXTRA_CA_CERTS, Java
# through a trust store. Needs: relay-cli/target/hybridrelay.jar, Node.js, nginx, openssl.
set -euo pipefail
cd "$(dirname "$0")"
tag=interop
source ./common.sh
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "interop: nginx is not installed" >&2; exit 2; }
[ -d node_modules/hyco-ws ] || bash install.sh
chmod 755 "$work"

rport=$(free_port)
fport=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/relay.key" \
  -out "$work/relay.crt" -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
chmod 644 "$work/relay.key" "$work/relay.crt"
keytool -importcert -noprompt -alias relay -file "$work/relay.crt" -keystore "$work/trust.p12" \
  -storetype PKCS12 -storepass changeit >/dev/null 2>&1

site="$root/deploy/nginx/hybridrelay.conf"
for line in "listen 443 ssl;" "/etc/ssl/hybridrelay/relay.crt" "/etc/ssl/hybridrelay/relay.key" \
    "proxy_pass http://127.0.0.1:9090;"; do
  grep -qF "$line" "$site" || { echo "interop: $site no longer contains '$line'; update this script" >&2; exit 1; }
done
sed -e "s|listen 443 ssl;|listen 127.0.0.1:$fport ssl;|" \
    -e "s|/etc/ssl/hybridrelay/relay.crt|$work/relay.crt|" -e "s|/etc/ssl/hybridrelay/relay.key|$work/relay.key|" \
    -e "s|proxy_pass http://127.0.0.1:9090;|proxy_pass http://127.0.0.1:$rport;|" "$site" > "$work/site.conf"
mkdir -p "$work/tmp" && chmod 777 "$work/tmp"
cat > "$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log info;
events { worker_connections 1024; }
http {
  access_log $work/nginx-access.log;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  include $work/site.conf;
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" > "$work/nginx.out" 2>&1 &
pids+=($!)

port=$rport start_relay --advertised-port "$fport" --advertised-scheme wss --trusted-proxy 127.0.0.1/32
case "$conn" in
  *"sb://localhost:$fport/"*UseDevelopmentEmulator*|*UseDevelopmentEmulator*) echo "interop: the connection string should use wss"; exit 1;;
  *"sb://localhost:$fport/"*) ;;
  *) echo "interop: the connection string does not name nginx's port $fport: $conn"; exit 1;;
esac
echo "interop: relay on port $rport behind nginx (TLS) on port $fport"

export NODE_EXTRA_CA_CERTS="$work/relay.crt"
trust=(-Djavax.net.ssl.trustStore="$work/trust.p12" -Djavax.net.ssl.trustStorePassword=changeit
       -Djavax.net.ssl.trustStoreType=PKCS12)
node hyco-listener.js "$conn" hyco-echo > "$work/hyco.out" 2>&1 &
pids+=($!)
wait_for "$work/hyco.out" LISTENING

echo "--- 1. hyco-ws listener <- Hybrid Relay for Java sender, through nginx"
java "${trust[@]}" -cp "$jar" JavaSender.java "$conn" hyco-echo $((8 << 20))

echo "--- 2. hyco-ws listener <- ws sender, through nginx"
node ws-sender.js "$conn" hyco-echo 20

echo "--- 3. Hybrid Relay for Java listener <- ws sender, through nginx"
java "${trust[@]}" -cp "$jar" JavaEchoListener.java "$conn" java-echo > "$work/java.out" 2>&1 &
pids+=($!)
wait_for "$work/java.out" LISTENING
node ws-sender.js "$conn" java-echo 20 --stream

echo "interop: 3 of 3 checks through nginx passed"
