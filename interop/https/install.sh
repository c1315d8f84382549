#!/usr/bin/env bash
# Installs hyco-https 1.4.5 for the HTTP interop checks. Like hyco-ws, it lists Node built-ins (crypto,
# events, https, util) as npm dependencies, so it is unpacked from its registry tarball beside its real
# dependencies (ws 6, moment) instead of being installed with them. Separate from ../install.sh because
# hyco-ws needs ws 1.x.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --loglevel=error
if [ ! -f node_modules/hyco-https/package.json ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack hyco-https@1.4.5 --silent >/dev/null)
  mkdir -p node_modules/hyco-https
  tar -xzf "$tmp"/hyco-https-1.4.5.tgz -C node_modules/hyco-https --strip-components=1
  rm -rf "$tmp"
fi
echo "interop (https) packages installed"
