#!/usr/bin/env bash
# Checks the systemd units of this folder with systemd-analyze verify, offline: in a scratch root
# holding the units, the launcher at the path ExecStart names, and the host's system units (for
# sysinit.target and the other default dependencies). Any message counts as a failure, because
# verify reports unknown keys and unparsable values as warnings with exit code 0.
# Also prints systemd-analyze security's exposure score of each unit (information only).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/opt/hybridrelay/bin" "$root/usr/lib/systemd"
cp -r /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$here"/*.service "$root/etc/systemd/system/"
install -m 0755 "$repo/relay-cli/src/main/bin/hybridrelay" "$root/opt/hybridrelay/bin/hybridrelay"
status=0
for unit in hybridrelay-serve.service hybridrelay-forward@example.service; do
  out="$(systemd-analyze verify --root="$root" "/etc/systemd/system/$unit" 2>&1)" || status=1
  if [[ -n "$out" ]]; then
    printf '%s\n' "$out" >&2
    status=1
  fi
  score="$(systemd-analyze security --offline=yes --root="$root" "/etc/systemd/system/$unit" 2>/dev/null \
    | grep 'Overall exposure level' || true)"
  echo "$unit: systemd-analyze verify: $([[ $status == 0 ]] && echo clean || echo FAILED); ${score#→ }"
done
exit "$status"
