#!/usr/bin/env python3
"""Summarises a JFR recording: top self frames and threads of jdk.ExecutionSample, and allocation
by first non-JDK frame from jdk.ObjectAllocationSample.

Usage: benchmarks/jfr_top.py RECORDING.jfr   (needs the JDK's `jfr` tool on PATH)
"""
import json, collections, re, subprocess, sys
f = sys.argv[1]
out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ExecutionSample", f], capture_output=True, text=True).stdout
ev = json.loads(out)["recording"]["events"]
top = collections.Counter(); incl = collections.Counter(); threads = collections.Counter()
def fr(x):
    m = x["method"]; return m["type"]["name"].split("/")[-1] + "." + m["name"]
for e in ev:
    st = e["values"]["stackTrace"]
    if not st: continue
    fs = st["frames"]
    top[fr(fs[0])] += 1
    seen = set()
    for x in fs:
        n = fr(x)
        if n not in seen: incl[n] += 1; seen.add(n)
    threads[re.sub(r"\d+", "N", e["values"]["sampledThread"]["javaName"] or "?")] += 1
N = len(ev) or 1
print("samples", N)
print("-- self"); [print("%5.1f%% %s" % (100 * c / N, k)) for k, c in top.most_common(8)]
print("-- threads"); [print("%5.1f%% %s" % (100 * c / N, k)) for k, c in threads.most_common(6)]
out = subprocess.run(["jfr", "print", "--json", "--events", "jdk.ObjectAllocationSample", f], capture_output=True, text=True).stdout
ev = json.loads(out)["recording"]["events"]
w = collections.Counter()
for e in ev:
    st = e["values"]["stackTrace"]
    if not st: continue
    key = None
    for x in st["frames"][:12]:
        n = x["method"]["type"]["name"]
        if not n.startswith(("java/", "jdk/", "sun/")):
            key = fr(x); break
    w[key] += e["values"]["weight"]
T = sum(w.values()) or 1
print("-- allocation (first non-JDK frame), total sampled weight %.0f MB" % (T / 1e6))
[print("%5.1f%% %s" % (100 * v / T, k)) for k, v in w.most_common(6)]
