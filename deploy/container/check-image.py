#!/usr/bin/env python3
"""Checks the image tarball Jib built (relay-cli/target/jib-image.tar) without a container runtime.

usage: check-image.py IMAGE.tar [--run]

Reads the image configuration and checks: not root (User 65532:65532), the entry point runs the CLI's
main class, the declared ports. With --run (needs root for chroot), unpacks the layers into a scratch
root file system and runs the entry point there as UID/GID 65532 with "--version" and "serve --help",
then starts "serve" in it and connects to its port: the Java runtime, the class path and the main
class of the image work as a non-root user. /proc is mounted into the scratch root, as a container
runtime would (the JVM finds its libraries through /proc/self/exe).
"""
import gzip
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time


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
            proc = os.path.join(root, "proc")
            os.makedirs(proc, exist_ok=True)
            subprocess.run(["mount", "-t", "proc", "proc", proc], check=True)
            try:
                prefix = ["chroot", "--userspec=65532:65532", root, "/usr/bin/env", "-C", c.get("WorkingDir") or "/"]
                for args in (["--version"], ["serve", "--help"]):
                    p = subprocess.run(prefix + entrypoint + args, env=env, capture_output=True, text=True,
                                       timeout=120)
                    first = (p.stdout or p.stderr).strip().splitlines()[:1]
                    print("  run as 65532:65532: %s -> exit %d: %s" % (" ".join(args), p.returncode, first))
                    if p.returncode != 0:
                        fail("the image's entry point failed: " + p.stderr[-2000:])
                serve_and_connect(prefix + entrypoint, env)
            finally:
                subprocess.run(["umount", proc])
        finally:
            shutil.rmtree(root, ignore_errors=True)


def serve_and_connect(command, env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    p = subprocess.Popen(command + ["serve", "--port", str(port), "--hide-keys"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                fail("serve in the image exited with %s before listening" % p.wait())
            if line.startswith("Local relay listening on"):
                break
        else:
            fail("serve in the image did not start listening within 120 s")
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            reply = s.recv(200).decode("latin-1").splitlines()[:1]
        print("  serve in the image, port %d: %s" % (port, reply))
        if not reply or not reply[0].startswith("HTTP/1."):
            fail("serve in the image did not answer HTTP")
    finally:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    main()
