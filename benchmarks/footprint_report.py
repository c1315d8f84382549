#!/usr/bin/env python3
"""Tables of benchmarks/footprint.sh results. Usage: footprint_report.py footprint-latest.json"""
import json
import re
import sys

d = json.load(open(sys.argv[1]))


def g(k):
    v = d.get(k)
    return float("nan") if v is None or isinstance(v, str) else v


def bulk_gib():
    m = re.match(r"(\d+)([KMG]?)$", str(d.get("bulk", "1G")))
    return int(m[1]) * {"": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30}[m[2]] / 2 ** 30 if m else float("nan")


def cpu_gib(v):  # CPU ms of all the setting's processes per GiB of bulk
    return g(v + "_bulk_cpu_ms") / bulk_gib()


def cpu_kconn(v):  # CPU ms per 1,000 short connections
    return g(v + "_short_cpu_ms") * 1000 / g("short_n") if not v.startswith("socat") else float("nan")


def f(x, fmt="%.1f"):
    return "n/a" if x != x else fmt % x


rows = []
for k in sorted(d):
    m = re.match(r"(.+)_(relay|fwdT|fwdL|socatB|sshL)_idle_rss_mib$", k)
    if m:
        rows.append((m[1], m[2]))
order = {"default": 0, "launcher": 1, "cds": 2, "socat": 8, "sshL": 9}


def base(v):  # variant name without its _nmt / _rN suffix
    return re.sub(r"_(nmt|r\d+)$", "", v)


rows.sort(key=lambda r: (order.get(base(r[0]), 5), base(r[0]), "_nmt" in r[0], r[0], r[1]))
phases = ["idle", "busy", "after"] + sorted({m[1] for k in d for m in [re.match(r".+_(idle\d+)_rss_mib$", k)] if m},
                                             key=lambda p: int(p[4:]))
print("RSS MiB (heap used / committed MiB, metaspace used MiB); load %s -> %s"
      % (d.get("loadavg_start"), d.get("loadavg_end")))
print("| setting | process | " + " | ".join(phases) + " | threads idle/after |")
print("|" + "---|" * (len(phases) + 3))
for v, r in rows:
    cells = []
    for p in phases:
        rss = g("%s_%s_%s_rss_mib" % (v, r, p))
        hu, hc, ms = (g("%s_%s_%s_%s" % (v, r, p, x)) for x in ("heap_used_mib", "heap_committed_mib",
                                                                  "metaspace_used_mib"))
        cells.append(f(rss) + ("" if hu != hu else " (%s/%s, %s)" % (f(hu), f(hc), f(ms))))
    th = "%s/%s" % (f(g("%s_%s_idle_threads" % (v, r)), "%.0f"), f(g("%s_%s_after_threads" % (v, r)), "%.0f"))
    print("| %s | %s | %s | %s |" % (v, r, " | ".join(cells), th))

print()
print("Load: %s iperf3 bulk and %s short connections; ratio to the default flags of the same repetition"
      % (d.get("bulk", "1G"), f(g("short_n"), "%.0f")))
print("| setting | bulk MiB/s | bulk / default | short conn/s | short / default | short errors "
      "| CPU ms per GiB | ÷ default | CPU ms per 1,000 conns | ÷ default |")
print("|---|---|---|---|---|---|---|---|---|---|")
for v in sorted({r[0] for r in rows}, key=lambda x: (order.get(base(x), 5), base(x), x)):
    rep = re.search(r"_(r\d+)$", v)
    dv = "default_" + rep[1] if rep else "default"  # the default of the same repetition
    bd, sd = g(dv + "_bulk_mibs"), g(dv + "_short_per_s")
    b, s = g(v + "_bulk_mibs"), g(v + "_short_per_s")
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        v, f(b), f(b / bd, "%.2f"), f(s), f(s / sd, "%.2f"), f(g(v + "_short_errors"), "%.0f"),
        f(cpu_gib(v), "%.0f"), f(cpu_gib(v) / cpu_gib(dv), "%.2f"),
        f(cpu_kconn(v), "%.0f"), f(cpu_kconn(v) / cpu_kconn(dv), "%.2f")))

reps = int(g("reps")) if g("reps") == g("reps") else 1
if reps > 1:
    def mean(xs):
        xs = [x for x in xs if x == x]
        return sum(xs) / len(xs) if xs else float("nan")

    def series(v, key):
        return [g("%s_%s" % (v if r == 1 else "%s_r%d" % (v, r), key)) for r in range(1, reps + 1)]

    print()
    print("Means of %d alternated repetitions; ratio of means to the default's mean; RSS of fwdT" % reps)
    last = "idle%d" % max([0] + [int(p[4:]) for p in phases if p.startswith("idle") and p[4:]])
    print("| setting | bulk MiB/s (each) | bulk / default | short conn/s (each) | short / default "
          "| CPU ms per GiB (each) | ÷ default | CPU ms per 1,000 conns (each) | ÷ default "
          "| idle RSS (each) | after | %s |" % last)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    bd, sd = mean(series("default", "bulk_mibs")), mean(series("default", "short_per_s"))

    def cseries(v, fn):
        return [fn(v if r == 1 else "%s_r%d" % (v, r)) for r in range(1, reps + 1)]

    cgd, ckd = mean(cseries("default", cpu_gib)), mean(cseries("default", cpu_kconn))
    for v in sorted({base(r[0]) for r in rows if "_nmt" not in r[0] and r[0] not in ("socat", "sshL")},
                    key=lambda x: (order.get(x, 5), x)):
        b, s = series(v, "bulk_mibs"), series(v, "short_per_s")
        cell = lambda xs: "%s (%s)" % (f(mean(xs)), ", ".join(f(x, "%.0f") for x in xs))
        cg, ck = cseries(v, cpu_gib), cseries(v, cpu_kconn)
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            v, cell(b), f(mean(b) / bd, "%.2f"), cell(s), f(mean(s) / sd, "%.2f"),
            cell(cg), f(mean(cg) / cgd, "%.2f"), cell(ck), f(mean(ck) / ckd, "%.2f"),
            cell(series(v, "fwdT_idle_rss_mib")), cell(series(v, "fwdT_after_rss_mib")),
            cell(series(v, "fwdT_%s_rss_mib" % last))))

nmt = sorted({(m[1], m[2]) for k in d for m in [re.match(r"(.+)_(relay|fwdT|fwdL)_(idle|after)_nmt_total_mib$", k)] if m})
if nmt:
    cats = ["total", "java_heap", "class", "thread", "code", "gc", "compiler", "internal", "other", "symbol",
            "shared_class_space", "native_memory_tracking", "arena_chunk"]
    print()
    print("NMT committed MiB (separate run with -XX:NativeMemoryTracking=summary; 'other' holds direct buffers)")
    print("| setting | process | phase | " + " | ".join(cats) + " |")
    print("|" + "---|" * (len(cats) + 3))
    for v, r in nmt:
        for p in ("idle", "after", "idle%d" % max([0] + [int(x[4:]) for x in phases if x.startswith("idle") and x != "idle"])):
            vals = [g("%s_%s_%s_nmt_%s_mib" % (v, r, p, c)) for c in cats]
            if vals[0] == vals[0]:
                print("| %s | %s | %s | %s |" % (v, r, p, " | ".join(f(x) for x in vals)))
