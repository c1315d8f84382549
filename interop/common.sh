# Shared by the interoperability scripts: source it after setting `tag` (the prefix of every message).
# Defines $root, $jar, $work (removed on exit), pids (killed on exit), free_port, wait_for, and
# start_relay, which runs `hybridrelay serve` on $port with one rule "interop" and sets $conn.
interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$interop_dir/.." && pwd)
jar="$root/relay-cli/target/hybridrelay.jar"
[ -f "$jar" ] || { echo "$tag: $jar is missing; run mvn -B package -DskipTests first" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # file pattern
  for i in $(seq 1 60); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
  echo "$tag: timed out waiting for '$2' in $1"; cat "$1"; return 1
}

start_relay() { # [extra serve options...]; uses $port if set, else a free one
  port=${port:-$(free_port)}
  key=$(head -c 32 /dev/urandom | base64)
  java -jar "$jar" serve --port "$port" --rule "interop=$key" --auto-create "$@" \
    > "$work/relay.out" 2> "$work/relay.err" &
  pids+=($!)
  for i in $(seq 1 60); do grep -q '^Endpoint=' "$work/relay.out" 2>/dev/null && break; sleep 0.5; done
  conn=$(grep -m1 '^Endpoint=' "$work/relay.out" | tr -d '\r')
  [ -n "$conn" ] || { echo "$tag: relay did not start"; cat "$work/relay.err"; exit 1; }
}
