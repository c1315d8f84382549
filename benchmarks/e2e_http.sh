# HTTP section of e2e.sh (sourced; uses its functions and variables): forward -H vs nginx proxy_pass.
# One backend (nginx serving static files) is reached two ways: nginx as a 1-hop reverse proxy
# (proxy_pass with a keep-alive upstream), and the relay's HTTP endpoint -> hybridrelay forward -H.
# Measures small GETs with keep-alive (ab -k, 16 concurrent) and a 100 MiB download (curl), in the
# same run, after an unmeasured warm-up of each path so that the JVMs are past JIT compilation as in
# long-running use: at least HTTP_WARM seconds of GETs, continued in 5 s rounds until two rounds of
# the relay path agree within 10% (at most 4 x HTTP_WARM; on a loaded machine compilation takes
# much longer than HTTP_WARM), and downloads until two agree within 10% (at most 8). The measured
# runs alternate between the two paths (GETs: two rounds of HTTP_T/2 each, the mean; downloads:
# five of each, the median), so that a change of the machine's load hits both alike.
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
    dl_one() { # url [header] -> bytes/s of one download
      if [[ $# -gt 1 ]]; then curl -s -o /dev/null -w '%{speed_download}' -H "$2" "$1"
      else curl -s -o /dev/null -w '%{speed_download}' "$1"; fi
    }
    median_mibs() { sort -g | sed -n 3p | awk '{printf "%.1f", $1/1048576}'; }
    close10() { awk -v a="$1" -v b="$2" 'BEGIN{exit !(a > 0 && b > 0 && (a > b ? a / b : b / a) <= 1.1)}'; }
    # Downloads warm up first, then GETs, so that the GET rounds follow the GET warm-up directly: after
    # the 100 MiB downloads the relay path's GETs ran at about 0.7x their warm-up rate (8,636 and
    # 8,828 req/s warm, 6,190 measured) and took 278 us of CPU per request against 181 in this
    # order (2026-12-03, one run each), likely the JIT recompiling for what the large bodies did.
    curl -s -o /dev/null "http://127.0.0.1:$P_NGX/big.bin"
    prev=0
    for i in 1 2 3 4 5 6 7 8; do
      cur="$(dl_one "$H_URL/big.bin" "$H_AUTH")"
      if (( i >= 2 )) && close10 "$prev" "$cur"; then break; fi
      prev=$cur
    done
    log "HTTP: download warm-up of the relay path: $i downloads"
    ab_rps "$HTTP_WARM" "http://127.0.0.1:$P_NGX/small.txt" > /dev/null
    ab_rps "$HTTP_WARM" "$H_URL/small.txt" "$H_AUTH" > /dev/null
    prev=0; warm=$HTTP_WARM
    while (( warm < 4 * HTTP_WARM )); do
      cur="$(ab_rps 5 "$H_URL/small.txt" "$H_AUTH")"; warm=$((warm + 5))
      if close10 "$prev" "$cur"; then break; fi
      prev=$cur
    done
    log "HTTP: GET warm-up of the relay path ${warm}s (last rounds $prev, $cur req/s)"
    # CPU time per request of each path's processes (user + system from /proc/PID/stat), which a busy
    # machine changes much less than requests/s: nginx (proxy and backend) for the nginx path; the
    # relay, forward -H and nginx (as the backend) for the relay path. ab, the client, is the same.
    NGX_PIDS=("$PID_nginx" $(pgrep -P "$PID_nginx" || true))
    RELAY_PID="${PID_relay_http:-$PID_relay}"
    : > "$WORK/http-cpu.txt"
    measured() { # nginx|relay seconds url [header] -> requests/s; appends "path ticks... requests" to http-cpu.txt
      local which=$1 r0 f0 g0 r1 f1 g1 rps n
      shift
      r0=$(cpu_ticks "$RELAY_PID"); f0=$(cpu_ticks "$PID_fwdH"); g0=$(cpu_ticks "${NGX_PIDS[@]}")
      rps="$(ab_rps "$@")"
      r1=$(cpu_ticks "$RELAY_PID"); f1=$(cpu_ticks "$PID_fwdH"); g1=$(cpu_ticks "${NGX_PIDS[@]}")
      n="$(awk '/^Complete requests/{print $3}' "$WORK/ab.txt")"
      echo "$which $((r1 - r0)) $((f1 - f0)) $((g1 - g0)) ${n:-0}" >> "$WORK/http-cpu.txt"
      echo "$rps"
    }
    : > "$WORK/ab-fail.txt"
    half=$(( (HTTP_T + 1) / 2 ))
    n1="$(measured nginx "$half" "http://127.0.0.1:$P_NGX/small.txt")"; r1="$(measured relay "$half" "$H_URL/small.txt" "$H_AUTH")"
    n2="$(measured nginx "$half" "http://127.0.0.1:$P_NGX/small.txt")"; r2="$(measured relay "$half" "$H_URL/small.txt" "$H_AUTH")"
    # µs of CPU per request: relay path total, relay alone, forward -H alone, its backend; nginx path
    read -r c_hr c_relay c_fwd c_back c_ngx < <(awk -v hz="$(getconf CLK_TCK)" '
      $1 == "relay" { r += $2; f += $3; b += $4; nr += $5 }
      $1 == "nginx" { g += $4; ng += $5 }
      END { u = 1e6 / hz; printf "%.1f %.1f %.1f %.1f %.1f\n", nr ? (r + f + b) * u / nr : 0, nr ? r * u / nr : 0,
            nr ? f * u / nr : 0, nr ? b * u / nr : 0, ng ? g * u / ng : 0 }' "$WORK/http-cpu.txt")
    metric http_relay_cpu_us "$c_hr"
    metric http_relay_only_cpu_us "$c_relay"
    metric http_fwd_cpu_us "$c_fwd"
    metric http_backend_cpu_us "$c_back"
    metric http_nginx_cpu_us "$c_ngx"
    metric http_nginx_rps "$(awk -v a="$n1" -v b="$n2" 'BEGIN{printf "%.0f", (a + b) / 2}')"
    metric http_relay_rps "$(awk -v a="$r1" -v b="$r2" 'BEGIN{printf "%.0f", (a + b) / 2}')"
    metric http_errors "$(awk '{s+=$1} END{print s+0}' "$WORK/ab-fail.txt")"
    : > "$WORK/dl-nginx.txt"; : > "$WORK/dl-relay.txt"
    for i in 1 2 3 4 5; do
      dl_one "http://127.0.0.1:$P_NGX/big.bin" >> "$WORK/dl-nginx.txt"; echo >> "$WORK/dl-nginx.txt"
      dl_one "$H_URL/big.bin" "$H_AUTH" >> "$WORK/dl-relay.txt"; echo >> "$WORK/dl-relay.txt"
    done
    metric http_nginx_dl_mibs "$(median_mibs < "$WORK/dl-nginx.txt")"
    metric http_relay_dl_mibs "$(median_mibs < "$WORK/dl-relay.txt")"
    metric http_fwd_rss_mib "$(rss_mib "$PID_fwdH")"
    rm -f "$WORK/www/big.bin"
  fi
fi
