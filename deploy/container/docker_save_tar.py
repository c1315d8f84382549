#!/usr/bin/env python3
"""Wraps a root file system tarball as a one-layer image tarball in the format "docker save" writes.

usage: docker_save_tar.py ROOTFS.tar OUTPUT.tar REPO:TAG

The result loads with "docker load" and serves Jib as a base image (from.image=tar://OUTPUT.tar).
The image configuration sets PATH, LANG and JAVA_HOME for Debian's openjdk-17-jre-headless.
"""
import hashlib
import io
import json
import sys
import tarfile
import time


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def add_bytes(tar, name, data, mtime):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rootfs, out, tag = sys.argv[1:]
    diff_id = sha256(rootfs)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64",
            ],
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created": created, "created_by": "mmdebstrap bookworm openjdk-17-jre-headless"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_name = diff_id + "/layer.tar"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": [layer_name]}]
    mtime = int(time.time())
    with tarfile.open(out, "w") as tar:
        add_bytes(tar, config_name, config_bytes, mtime)
        tar.add(rootfs, arcname=layer_name)
        add_bytes(tar, "manifest.json", json.dumps(manifest).encode(), mtime)


if __name__ == "__main__":
    main()
