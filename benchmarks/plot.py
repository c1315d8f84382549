#!/usr/bin/python3
"""Plots the ratios of an e2e.sh run (and, if present, the codec JMH results) for the site.

Usage: /usr/bin/python3 benchmarks/plot.py  (Debian python3 with python3-matplotlib)
       [RESULTS_CSV] [OUTPUT_PNG] [CODEC_JMH_JSON]
Defaults: benchmarks/results/e2e-latest.csv, src-site/resources/images/performance.png,
benchmarks/results/jmh-codec.json (skipped when missing).

Left panel: every measure that has a baseline, as "how many times the baseline", with the target
drawn as a tick; bars are green when the target is met, red when not, grey for information only.
For lower-is-better measures (latency, memory) the ratio shown is baseline/value so that right is
always better. Right panel: frame codec throughput over Java-WebSocket's Draft_6455, per frame size,
for relay-core's RelayDraft (production) and the in-house codec prototype.
"""
import csv
import json
import math
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


SHORT = {
    "conn_rate_vs_proxy3": "Connections/s: chain vs 3-hop proxy chain",
    "conn_rate": "Connections/s: chain vs 1-hop proxy",
    "rtt_p50_vs_proxy3": "1-byte RTT p50: chain vs 3-hop proxy chain",
    "rtt_p50_vs_ssh": "1-byte RTT p50: chain vs ssh -L",
    "bulk_inproc": "Bulk in-process relay vs 1-hop proxy (JMH)",
    "bulk_wss_jdk_vs_ssh": "Bulk wss chain (JDK TLS) vs ssh -L",
    "bulk_wss_jdk_vs_ws": "Bulk wss chain (JDK TLS) vs ws chain",
    "bulk_wss_openssl_vs_ssh": "Bulk wss chain (relay BoringSSL) vs ssh -L",
    "bulk_wss_openssl_vs_ws": "Bulk wss chain (relay BoringSSL) vs ws chain",
    "bulk_wss_conscrypt_vs_ssh": "Bulk wss chain (forwarders Conscrypt) vs ssh -L",
    "bulk_wss_conscrypt_vs_ws": "Bulk wss chain (forwarders Conscrypt) vs ws chain",
    "bulk_wss_native_vs_ssh": "Bulk wss chain (both native) vs ssh -L",
    "bulk_wss_native_vs_ws": "Bulk wss chain (both native) vs ws chain",
    "bulk_chain_vs_socat": "Bulk ws chain vs socat chain",
    "bulk_chain_vs_ssh": "Bulk ws chain vs ssh -L",
    "bulk_chain_vs_proxy3": "Bulk ws chain vs 3-hop proxy chain",
    "bulk_chain_vs_proxy1": "Bulk ws chain vs 1-hop proxy",
    "bulk_proxy3_vs_proxy1": "Bulk 3-hop proxy chain vs 1-hop proxy",
    "bulk_proxy1_vs_direct": "Bulk 1-hop proxy vs direct",
    "conn_proxy3_vs_proxy1": "Connections/s: 3-hop proxy chain vs 1-hop",
    "conn_p99": "Connect+echo+close p99: chain vs 3-hop proxy chain",
    "rtt_p50": "1-byte RTT p50: chain vs 1-hop proxy",
    "rtt_p99": "1-byte RTT p99: chain vs 3-hop proxy chain",
    "rtt_proxy3_vs_proxy1": "1-byte RTT p50: 3-hop proxy chain vs 1-hop",
    "rtt_ssh_vs_proxy1": "1-byte RTT p50: ssh -L vs 1-hop proxy",
    "rtt_proxy_vs_direct": "1-byte RTT p50: 1-hop proxy vs direct",
}


def target_ratio(row):
    """The target expressed on the same 'right is better' ratio axis, or None."""
    t = row["target"]
    m = re.match(r"[≥>]\s*([\d.]+)×", t)
    if m:
        return float(m.group(1))
    m = re.match(r"≤\s*([\d.]+)×", t)
    if m:
        return 1.0 / float(m.group(1))
    return None


def main():
    csv_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "e2e-latest.csv")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "src-site", "resources", "images",
                                                             "performance.png")
    codec = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "results", "jmh-codec.json")
    rows = [r for r in csv.DictReader(open(csv_path)) if r["ratio"] not in ("", None)]
    labels, vals, colors, targets = [], [], [], []
    for r in rows:
        ratio = float(r["ratio"])
        if ratio <= 0 or math.isnan(ratio):
            continue
        shown = 1.0 / ratio if r["better"] == "lower" else ratio
        if r["key"] in ("idle_rss", "idle_rss_10k", "idle_relay_threads", "idle_listener_threads", "idle_open",
                        "rdv_p99"):
            continue  # absolute targets; in the table, not on a ratio axis
        labels.append(SHORT.get(r["key"], r["measure"][:60]))
        vals.append(shown)
        targets.append(target_ratio(r))
        colors.append("#9e9e9e" if r["status"] not in ("PASS", "FAIL") else ("#2e7d32" if r["status"] == "PASS" else "#c62828"))

    have_codec = os.path.exists(codec)
    fig, axes = plt.subplots(1, 2 if have_codec else 1, figsize=(15 if have_codec else 10, 8),
                             gridspec_kw={"width_ratios": [2, 1]} if have_codec else None)
    ax = axes[0] if have_codec else axes
    y = list(range(len(labels)))[::-1]
    ax.barh(y, vals, color=colors)
    for yi, t in zip(y, targets):
        if t:
            ax.plot([t, t], [yi - 0.4, yi + 0.4], color="black", linewidth=2)
    for yi, v in zip(y, vals):
        ax.text(v * 1.05, yi, "%.2f×" % v, va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xscale("log")
    ax.axvline(1.0, color="#555", linestyle=":", linewidth=1)
    ax.set_xlabel("× baseline, same run (right is better; black tick = target)")
    ax.set_title("Relay path vs baselines (loopback, 2 cores, shared machine)", fontsize=10)

    if have_codec:
        data = json.load(open(codec))
        score = {}
        for r in data:
            name = r["benchmark"].split(".")[-1]
            score[(name, int(r["params"]["size"]))] = r["primaryMetric"]["score"]
        sizes = sorted({s for (_, s) in score})
        pairs = [("Encode\nRelayDraft", "relayDraftEncode", "jwsEncode"),
                 ("Decode unm.\nRelayDraft", "relayDraftDecodeUnmasked", "jwsDecodeUnmasked"),
                 ("Encode\nprototype", "inhouseEncode", "jwsEncode"),
                 ("Decode m.\nprototype", "inhouseDecode", "jwsDecode"),
                 ("Decode unm.\nprototype", "inhouseDecodeUnmasked", "jwsDecodeUnmasked"),
                 ("Mask\nonly", "maskWordwise", "maskBytewise")]
        pairs = [p for p in pairs if any(k[0] == p[1] for k in score)]
        ax2 = axes[1]
        width = 0.8 / len(sizes)
        for i, s in enumerate(sizes):
            xs, ys = [], []
            for j, (lab, new, old) in enumerate(pairs):
                if (new, s) in score and (old, s) in score:
                    xs.append(j + i * width)
                    ys.append(score[(new, s)] / score[(old, s)])
            ax2.bar(xs, ys, width=width, label="%d KiB" % (s // 1024))
        ax2.set_xticks([j + width * (len(sizes) - 1) / 2 for j in range(len(pairs))])
        ax2.set_xticklabels([p[0] for p in pairs], fontsize=7)
        ax2.set_yscale("log")
        ax2.set_ylabel("ours / Java-WebSocket (frames/s)")
        ax2.set_title("relay-core RelayDraft and codec prototype vs Draft_6455", fontsize=10)
        ax2.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main()
