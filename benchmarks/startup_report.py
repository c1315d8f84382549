#!/usr/bin/env python3
"""Table of benchmarks/startup.sh results: medians over the repetitions; ratios to the same tool's
steady state (and Online to --version) are medians of per-repetition ratios, ratios to socat are
ratios of the medians of the same run. Usage: startup_report.py startup-latest.json"""
import json
import re
import statistics
import sys

d = json.load(open(sys.argv[1]))
tools, vals = [], {}
for k, v in d.items():
    m = re.match(r"(.+)_r(\d+)_(.+)$", k)
    if not m or v is None or isinstance(v, str):
        continue
    t, metric = m[1], m[3]
    if t not in tools:
        tools.append(t)
    vals.setdefault((t, metric), []).append(v)


def med(t, metric):
    x = vals.get((t, metric))
    return statistics.median(x) if x else float("nan")


def ratio(t, a, b, bt=None):
    """Median over the repetitions of a/b, each pair from the same repetition (bt: b from that tool)."""
    xs, ys = vals.get((t, a), []), vals.get((bt or t, b), [])
    r = [x / y for x, y in zip(xs, ys) if y]
    return statistics.median(r) if r else float("nan")


def f(x, fmt="%.0f"):
    return "n/a" if x != x else fmt % x


order = [t for t in ("default", "launcher", "cds", "socat", "sshL") if t in tools] + \
        [t for t in tools if t not in ("default", "launcher", "cds", "socat", "sshL")]
socat_steady = med("socat", "steady_per_s")
cold_s = int(d.get("cold_s") or 30)
print("Cold start, medians of %d repetitions, %d connections x 64-byte echo (%d cores, load %s -> %s)"
      % (int(d.get("reps") or 1), int(d.get("conns") or 0), int(d.get("cores") or 0),
         d.get("loadavg_start"), d.get("loadavg_end")))
hdr = ["tool", "--version ms", "serve listening ms", "fwd -T online ms", "online / --version",
       "relay running: --version ms", "fwd -T alone online ms", "alone online / --version",
       "fwd -L listening ms", "first byte ms", "1 s / steady", "5 s / steady",
       "%d s / steady" % cold_s, "1 s / socat", "5 s / socat", "steady req/s", "steady / socat",
       "first 5 s p50/p99 us", "steady p50/p99 us"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for t in order:
    st = med(t, "steady_per_s")
    ver, onl = med(t, "version_ms"), med(t, "fwdT_online_ms")
    listening = med(t, "listening_ms")
    row = [t, f(ver), f(med(t, "serve_listening_ms")), f(onl if onl == onl else listening),
           f(ratio(t, "fwdT_online_ms", "version_ms"), "%.2f"),
           f(med(t, "version_alone_ms")), f(med(t, "fwdT_alone_online_ms")),
           f(ratio(t, "fwdT_alone_online_ms", "version_alone_ms"), "%.2f"),
           f(med(t, "fwdL_listening_ms")),
           f(med(t, "first_byte_ms")),
           f(ratio(t, "first1s_per_s", "steady_per_s"), "%.2f"),
           f(ratio(t, "first5s_per_s", "steady_per_s"), "%.2f"),
           f(ratio(t, "first%ds_per_s" % cold_s, "steady_per_s"), "%.2f"),
           f(med(t, "first1s_per_s") / socat_steady, "%.2f"),
           f(med(t, "first5s_per_s") / socat_steady, "%.2f"), f(st), f(st / socat_steady, "%.2f"),
           "%s/%s" % (f(med(t, "first5s_p50_us")), f(med(t, "first5s_p99_us"))),
           "%s/%s" % (f(med(t, "steady_p50_us")), f(med(t, "steady_p99_us")))]
    print("| " + " | ".join(row) + " |")
