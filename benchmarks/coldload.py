#!/usr/bin/env python3
"""Fixed request/response workload for the cold-start and footprint harness sections.

A client with no warm-up of its own (plain sockets, one selector thread), so what warms up is only
the path under test.

  coldload.py firstbyte PORT TIMEOUT_S
      Retries connect + a 1-byte echo until it succeeds; prints first_byte_epoch_ms=<wall clock ms>.
  coldload.py rr PORT SECONDS CONNS SIZE [WINDOWS]
      CONNS persistent connections, each sending SIZE bytes and waiting for the echo, in a loop, for
      SECONDS. Prints, for each window "a-b" (seconds since the start; default 0-1,0-5,0-30 and the
      last 10 s as steady state), rr_<a>_<b>_per_s, rr_<a>_<b>_p50_us and rr_<a>_<b>_p99_us, and
      rr_errors.
  coldload.py short PORT COUNT PARALLEL
      COUNT short connections (connect, 64-byte echo, close), PARALLEL at a time; prints short_n,
      short_errors, short_per_s.
"""
import selectors
import socket
import sys
import time


def firstbyte(port, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"x")
                if s.recv(1) == b"x":
                    print("first_byte_epoch_ms=%d" % int(time.time() * 1000))
                    return 0
        except OSError:
            pass
        time.sleep(0.005)
    print("first_byte_epoch_ms=nan")
    return 1


def pct(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def rr(port, seconds, conns, size, windows):
    payload = b"r" * size
    sel = selectors.DefaultSelector()
    state = {}
    errors = 0
    t0 = time.perf_counter()
    samples = []  # (t_done_since_start, latency_us)
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        state[s] = [0, time.perf_counter()]
        s.send(payload)
        sel.register(s, selectors.EVENT_READ)
    end = t0 + seconds
    while state:
        now = time.perf_counter()
        if now >= end:
            break
        for key, _ in sel.select(timeout=min(1.0, end - now)):
            s = key.fileobj
            st = state[s]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                errors += 1
                sel.unregister(s)
                s.close()
                del state[s]
                continue
            st[0] += len(data)
            if st[0] >= size:
                t = time.perf_counter()
                samples.append((t - t0, (t - st[1]) * 1e6))
                st[0] = 0
                st[1] = t
                try:
                    s.send(payload)
                except OSError:
                    errors += 1
    for s in list(state):
        s.close()
    for a, b in windows:
        lat = sorted(l for (t, l) in samples if a <= t < b)
        span = min(b, seconds) - a
        print("rr_%g_%g_per_s=%.1f" % (a, b, len(lat) / span if span > 0 else float("nan")))
        print("rr_%g_%g_p50_us=%.0f" % (a, b, pct(lat, 0.50)))
        print("rr_%g_%g_p99_us=%.0f" % (a, b, pct(lat, 0.99)))
    print("rr_errors=%d" % errors)


def short(port, count, parallel):
    sel = selectors.DefaultSelector()
    started = done = errors = 0
    t0 = time.perf_counter()

    def launch():
        nonlocal started, errors
        started += 1
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.sendall(b"s" * 64)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, [0, time.perf_counter()])
        except OSError:
            errors += 1

    while started < count and len(sel.get_map()) < parallel:
        launch()
    while sel.get_map():
        for key, _ in sel.select(timeout=30):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            key.data[0] += len(data)
            if not data or key.data[0] >= 64:
                if key.data[0] < 64:
                    errors += 1
                sel.unregister(s)
                s.close()
                done += 1
                if started < count:
                    launch()
        if time.perf_counter() - t0 > 600:
            break
    el = time.perf_counter() - t0
    print("short_n=%d" % done)
    print("short_errors=%d" % errors)
    print("short_per_s=%.1f" % (done / el))


def main(argv):
    cmd = argv[1]
    if cmd == "firstbyte":
        return firstbyte(int(argv[2]), float(argv[3]))
    if cmd == "rr":
        seconds = float(argv[3])
        if len(argv) > 6:
            windows = [tuple(float(x) for x in w.split("-")) for w in argv[6].split(",")]
        else:
            windows = [(0, 1), (0, 5), (0, 30), (seconds - 10, seconds)]
        rr(int(argv[2]), seconds, int(argv[4]), int(argv[5]), windows)
        return 0
    if cmd == "short":
        short(int(argv[2]), int(argv[3]), int(argv[4]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
