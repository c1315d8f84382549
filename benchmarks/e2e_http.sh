# HTTP section of e2e.sh (sourced; uses its functions and variables): forward -H vs nginx proxy_pass.
# One backend (nginx serving static files) is reached two ways: nginx as a 1-hop reverse proxy
# (proxy_pass with a keep-alive upstream), and the relay's HTTP endpoint -> hybridrelay forward -H.
# Measures small GETs with keep-alive (ab -k, 16 concurrent, after an unmeasured warm-up of each
# path: HTTP_WARM seconds, so that the JVMs are past JIT compilation as in long-running use) and a
# 100 MiB download (curl, two unmeasured, then the median of 5), in the same run.
if [[ $HTTP == 1 ]]; then
  if ! command -v nginx >/dev/null || ! command -v ab >/dev/null || ! command -v curl >/dev/null \
     || [[ ! -f "$CLI_SRC" ]]; then
    log "HTTP section skipped: needs nginx, ab (apache2-utils), curl and relay-cli/target/hybridrelay.jar"
  else
    log "HTTP: small GET req/s (ab -k -c 16, ${HTTP_WARM}s warm-up, ${HTTP_T}s) and 100 MiB download, forward -H vs nginx proxy_pass"
    [[ -f "$WORK/hybridrelay.jar" ]] || cp "$CLI_SRC" "$WORK/hybridrelay.jar"
    NGX="$WORK/nginx"; mkdir -p "$NGX/tmp" "$WORK/www"
    printf 'hello from the backend\n' > "$WORK/www/small.txt"
    head -c 104857600 /dev/urandom > "$WORK/www/big.bin"
    P_WEB=$(free_port); P_NGX=$(free_port)
    {
      if [[ $(id -u) == 0 ]]; then echo "user root;"; fi
      cat <<EOF
worker_processes auto;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  upstream backend { server 127.0.0.1:$P_WEB; keepalive 64; }
  server { listen 127.0.0.1:$P_WEB; root $WORK/www; }
  server {
    listen 127.0.0.1:$P_NGX;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
    } > "$NGX/nginx.conf"
    start nginx nginx -c "$NGX/nginx.conf" -p "$NGX"
    # the chain's relay when it is `serve`; else a relay of its own
    if [[ "$(kv "$METRICS" relay_impl)" == cli ]]; then
      HTTP_CS="$CS"
    else
      P_RELAY_HTTP=$(free_port)
      start relay_http java "${JAVA_OPTS[@]}" -jar "$WORK/hybridrelay.jar" serve --bind=127.0.0.1 \
        --port="$P_RELAY_HTTP" --auto-create
      wait_line "$WORK/relay_http.log" 'Endpoint=' 60
      HTTP_CS="$(grep -o 'Endpoint=[^ ]*' "$WORK/relay_http.log" | head -1)"
    fi
    start fwdH java "${JAVA_OPTS[@]}" -jar "$WORK/hybridrelay.jar" forward -q --status-interval=0 -x "$HTTP_CS" \
      -H "web:http/127.0.0.1:$P_WEB"
    java -cp "$JAR" dev.hybridrelay.benchmarks.e2e.HttpToken "$HTTP_CS" web > "$WORK/http-token.txt"
    H_URL="$(sed -n 's/^URL=//p' "$WORK/http-token.txt")"
    H_AUTH="ServiceBusAuthorization: $(sed -n 's/^TOKEN=//p' "$WORK/http-token.txt")"
    wait_port "$P_NGX"
    for i in $(seq 1 150); do
      [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$H_AUTH" "$H_URL/small.txt")" == 200 ]] && break
      sleep 0.2
    done
    ab_rps() { # seconds url [header] -> requests/s; failed and non-2xx counts go to $WORK/ab-fail.txt
      local out="$WORK/ab.txt"
      if [[ $# -gt 2 ]]; then ab -q -k -c 16 -t "$1" -n 50000000 -H "$3" "$2" > "$out" 2>&1 || true
      else ab -q -k -c 16 -t "$1" -n 50000000 "$2" > "$out" 2>&1 || true; fi
      awk '/^Failed requests/{f=$3} /^Non-2xx/{n=$3} END{print f+n}' "$out" >> "$WORK/ab-fail.txt"
      awk '/^Requests per second/{print $4}' "$out"
    }
    dl_mibs() { # url [header] -> MiB/s, the median of 5
      local r=() i
      for i in 1 2 3 4 5; do
        if [[ $# -gt 1 ]]; then r+=("$(curl -s -o /dev/null -w '%{speed_download}' -H "$2" "$1")")
        else r+=("$(curl -s -o /dev/null -w '%{speed_download}' "$1")"); fi
      done
      printf '%s\n' "${r[@]}" | sort -g | sed -n 3p | awk '{printf "%.1f", $1/1048576}'
    }
    ab_rps "$HTTP_WARM" "http://127.0.0.1:$P_NGX/small.txt" > /dev/null
    ab_rps "$HTTP_WARM" "$H_URL/small.txt" "$H_AUTH" > /dev/null
    for i in 1 2; do
      curl -s -o /dev/null "http://127.0.0.1:$P_NGX/big.bin"
      curl -s -o /dev/null -H "$H_AUTH" "$H_URL/big.bin"
    done
    : > "$WORK/ab-fail.txt"
    metric http_nginx_rps "$(ab_rps "$HTTP_T" "http://127.0.0.1:$P_NGX/small.txt")"
    metric http_relay_rps "$(ab_rps "$HTTP_T" "$H_URL/small.txt" "$H_AUTH")"
    metric http_errors "$(awk '{s+=$1} END{print s+0}' "$WORK/ab-fail.txt")"
    metric http_nginx_dl_mibs "$(dl_mibs "http://127.0.0.1:$P_NGX/big.bin")"
    metric http_relay_dl_mibs "$(dl_mibs "$H_URL/big.bin" "$H_AUTH")"
    metric http_fwd_rss_mib "$(rss_mib "$PID_fwdH")"
    rm -f "$WORK/www/big.bin"
  fi
fi
