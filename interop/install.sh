#!/usr/bin/env bash
# Installs the interop packages. hyco-ws 1.0.5 lists Node built-ins (http, util, events, crypto) as
# npm dependencies, so it is unpacked from its registry tarball beside its real dependencies
# (ws 1.1.x, moment) instead of being installed with them.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --loglevel=error
if [ ! -f node_modules/hyco-ws/package.json ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack hyco-ws@1.0.5 --silent >/dev/null)
  mkdir -p node_modules/hyco-ws
  tar -xzf "$tmp"/hyco-ws-1.0.5.tgz -C node_modules/hyco-ws --strip-components=1
  rm -rf "$tmp"
fi
echo "interop packages installed"
