#!/usr/bin/env python3
"""Checks the image tarball Jib built (relay-cli/target/jib-image.tar) without a container runtime.

usage: check-image.py IMAGE.tar [--run]

Reads the image configuration and checks: not root (User 65532:65532), the entry point runs the CLI's
main class, the declared ports. With --run (needs root for chroot), unpacks the layers into a scratch
root file system and runs the entry point there as UID/GID 65532 with "--version" and "serve --help",
which shows that the Java runtime, the class path and the main class of the image work.
"""
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile


def fail(msg):
    print("check-image: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path, run = sys.argv[1], "--run" in sys.argv[2:]
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))[0]
        config = json.load(tar.extractfile(manifest["Config"]))
        c = config["config"]
        entrypoint, cmd = c.get("Entrypoint") or [], c.get("Cmd") or []
        print("image %s: user %s, entrypoint %s, cmd %s, ports %s, %d layers" % (
            manifest.get("RepoTags"), c.get("User"), " ".join(entrypoint), cmd,
            sorted((c.get("ExposedPorts") or {}).keys()), len(manifest["Layers"])))
        if c.get("User") != "65532:65532":
            fail("the image must run as 65532:65532, not %r" % c.get("User"))
        if not entrypoint or entrypoint[0] != "java" or "dev.hybridrelay.cli.Main" not in entrypoint:
            fail("the entry point must start the CLI's main class: %r" % entrypoint)
        for port in ("9090/tcp", "9091/tcp"):
            if port not in (c.get("ExposedPorts") or {}):
                fail("port %s is not declared" % port)
        if not run:
            return
        root = tempfile.mkdtemp(prefix="hybridrelay-image-")
        try:
            for layer in manifest["Layers"]:
                data = tar.extractfile(layer).read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                with tarfile.open(fileobj=io.BytesIO(data)) as lt:
                    lt.extractall(root, filter="fully_trusted") if sys.version_info >= (3, 12) else lt.extractall(root)
            env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
            for kv in c.get("Env") or []:
                k, _, v = kv.partition("=")
                env[k] = v
            os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
            os.chmod(os.path.join(root, "tmp"), 0o1777)
            for args in (["--version"], ["serve", "--help"]):
                argv = ["chroot", "--userspec=65532:65532", root, "/usr/bin/env", "-C", c.get("WorkingDir") or "/"]
                argv += entrypoint + args
                p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
                first = (p.stdout or p.stderr).strip().splitlines()[:1]
                print("  run as 65532:65532: %s -> exit %d: %s" % (" ".join(args), p.returncode, first))
                if p.returncode != 0:
                    fail("the image's entry point failed: " + p.stderr[-2000:])
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
