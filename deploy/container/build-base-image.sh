#!/usr/bin/env bash
# Builds the container base image for the hybridrelay image from Debian packages alone, without a
# Docker daemon or a container registry: a Debian 12 (bookworm) root file system with the Java 17
# runtime (openjdk-17-jre-headless) and CA certificates, made by mmdebstrap, wrapped as a one-layer
# image tarball in the format of "docker save", which Jib reads with from.image=tar://FILE.
#
#   deploy/container/build-base-image.sh [OUTPUT.tar]     default: target/base-image/debian12-jre17.tar
#
# Needs root (or user namespaces) for mmdebstrap and a Debian package mirror; installs mmdebstrap
# with apt-get when it is missing. The image holds no user of its own: the hybridrelay image runs
# as UID/GID 65532, which needs no /etc/passwd entry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/target/base-image/debian12-jre17.tar}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if ! command -v mmdebstrap >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi
mkdir -p "$(dirname "$out")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# essential: the Essential: yes set (bash, coreutils, dpkg...) plus the runtime; no apt, no docs.
mmdebstrap --quiet --mode=auto --variant=essential \
  --include=openjdk-17-jre-headless,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook='mkdir -p "$1"/usr/share/man/man1' \
  --customize-hook='chroot "$1" /usr/bin/java -version' \
  --customize-hook='rm -rf "$1"/var/cache/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
  bookworm "$work/layer.tar" "$mirror"
python3 "$here/docker_save_tar.py" "$work/layer.tar" "$out" "hybridrelay-base:debian12-jre17"
ls -l "$out"
