#!/usr/bin/env python3
"""Turns the key=value metrics written by e2e.sh into the results table (stdout), CSV and JSON.

Usage: e2e_report.py METRICS_FILE|SAVED_RUN.json RESULTS_DIR STAMP
Writes RESULTS_DIR/e2e-<mode>-<STAMP>.{csv,json} and RESULTS_DIR/e2e-latest.{csv,json}.
"""
import csv
import json
import math
import os
import shutil
import sys


def load(path):
    if path.endswith(".json"):  # re-render a saved run: e2e_report.py results/e2e-latest.json ...
        return dict(json.load(open(path))["metrics"])
    m = {}
    for line in open(path):
        line = line.strip()
        if "=" in line:
            k, v = line.split("=", 1)
            m[k] = v
    return m


def num(m, k):
    try:
        v = float(m.get(k, "nan"))
        return v
    except ValueError:
        return float("nan")


def main():
    metrics_path, out_dir, stamp = sys.argv[1:4]
    m = load(metrics_path)
    rows = []

    def row(key, measure, value, unit, base_name, base, target, ok, better="higher"):
        ratio = value / base if base and not math.isnan(base) and not math.isnan(value) and base != 0 else float("nan")
        rows.append({
            "key": key, "measure": measure, "value": value, "unit": unit,
            "baseline": base_name, "baseline_value": base, "ratio": ratio,
            "target": target, "better": better,
            "status": "n/a" if ok is None else (
                "not measured" if math.isnan(value) or ("×" in target and math.isnan(ratio))
                else ("PASS" if ok(value, base, ratio) else "FAIL")),
        })

    if m.get("chain") == "cli":
        relay = "serve" if m.get("relay_impl", "cli") == "cli" else "LocalRelayServer (library)"
        chain = "hybridrelay forward -L → %s → forward -T" % relay
    else:
        chain = "forward-L → relay → forward-T (library, ChainNode)"
    ssh = "ssh -L via sshd (%s)" % m.get("ssh_cipher", "default cipher")
    proxy1 = "1-hop Java TCP proxy"
    proxy3 = "3-hop Java TCP proxy chain (3 processes)"
    # ---- the targets (every one printed, met or not), each with the baseline it is judged against
    row("conn_rate_vs_proxy3", "New connections/s through the chain (connect, 1-byte echo, close; 8 clients)",
        num(m, "chain_conn_per_s"), "conn/s", proxy3, num(m, "proxy3_conn_per_s"), "≥ 0.8×",
        lambda v, b, r: r >= 0.8)
    row("conn_rate", "New connections/s through the chain (connect, 1-byte echo, close; 8 clients)",
        num(m, "chain_conn_per_s"), "conn/s", proxy1, num(m, "proxy_conn_per_s"),
        "≥ 0.5×", lambda v, b, r: r >= 0.5)
    row("rdv_p99", "Rendezvous p99 (sender connect start → accepted, relay process)", num(m, "rdv_p99_us"), "µs",
        "TCP connect+echo+close p99 via 1-hop proxy", num(m, "proxy_conn_p99_us"), "≤ 5000 µs",
        lambda v, b, r: v <= 5000, better="lower")
    row("rtt_p50_vs_proxy3", "1-byte round trip p50 through the chain", num(m, "chain_rtt_p50_us"), "µs",
        proxy3, num(m, "proxy3_rtt_p50_us"), "≤ 1.2×", lambda v, b, r: r <= 1.2, better="lower")
    if "sshL_rtt_p50_us" in m:
        row("rtt_p50_vs_ssh", "1-byte round trip p50 through the chain", num(m, "chain_rtt_p50_us"), "µs",
            ssh, num(m, "sshL_rtt_p50_us"), "≤ 1.5×", lambda v, b, r: r <= 1.5, better="lower")
    row("bulk_inproc", "Bulk in-process RelaySender→LocalRelayServer→RelayListener (JMH, 16 MiB in 64 KiB writes)",
        num(m, "jmh_bulk_RELAY_mibs"), "MiB/s", "1-hop Java TCP proxy (JMH)", num(m, "jmh_bulk_TCP_PROXY_mibs"),
        "≥ 0.8×", lambda v, b, r: r >= 0.8)
    # wss: one pair of rows per TLS variant measured (relay engine / forwarder engine)
    ws_runs = [x for x in (num(m, "iperf_chain_mibs"), num(m, "iperf_chain2_mibs")) if not math.isnan(x)]
    ws_mean = sum(ws_runs) / len(ws_runs) if ws_runs else float("nan")
    engines = {"jdk": "JDK TLS in relay and forwarders",
               "openssl": "relay netty-tcnative (BoringSSL), forwarders JDK",
               "conscrypt": "relay JDK, forwarders Conscrypt",
               "native": "relay netty-tcnative (BoringSSL), forwarders Conscrypt"}
    for v in ("jdk", "openssl", "conscrypt", "native"):
        k = "iperf_wss_%s_mibs" % v
        if k not in m:
            continue
        if "iperf_sshL_mibs" in m:
            row("bulk_wss_%s_vs_ssh" % v, "Bulk iperf3 through the chain over wss (%s)" % engines[v], num(m, k),
                "MiB/s", ssh, num(m, "iperf_sshL_mibs"), "≥ 1.0×", lambda v, b, r: r >= 1.0)
        row("bulk_wss_%s_vs_ws" % v, "Bulk iperf3 through the chain over wss (%s)" % engines[v], num(m, k),
            "MiB/s", "the same chain over ws (mean of %d runs around the wss runs)" % len(ws_runs), ws_mean,
            "≥ 0.6×", lambda v, b, r: r >= 0.6)
    row("bulk_chain_vs_socat", "Bulk iperf3 through " + chain + " (ws)", num(m, "iperf_chain_mibs"), "MiB/s",
        "socat chain, 3 processes", num(m, "iperf_socat3_mibs"), "≥ 1.0×", lambda v, b, r: r >= 1.0)
    if "iperf_sshL_mibs" in m:
        row("bulk_chain_vs_ssh", "Bulk iperf3 through the chain (ws)", num(m, "iperf_chain_mibs"), "MiB/s",
            ssh, num(m, "iperf_sshL_mibs"), "≥ 1.0×", lambda v, b, r: r >= 1.0)
    n_targets = len(rows)
    # ---- information: the same measures against the other baselines, and the baselines themselves
    row("bulk_chain_vs_proxy3", "Bulk iperf3 through the chain (info)", num(m, "iperf_chain_mibs"), "MiB/s",
        proxy3, num(m, "iperf_proxy3_mibs"), "info", None)
    row("bulk_chain_vs_proxy1", "Bulk iperf3 through the chain (info)", num(m, "iperf_chain_mibs"), "MiB/s",
        proxy1, num(m, "iperf_proxy1_mibs"), "info", None)
    row("bulk_proxy3_vs_proxy1", "Bulk iperf3 through the 3-hop proxy chain (info)", num(m, "iperf_proxy3_mibs"),
        "MiB/s", proxy1, num(m, "iperf_proxy1_mibs"), "info", None)
    row("bulk_proxy1_vs_direct", "Bulk iperf3 through the 1-hop proxy (info)", num(m, "iperf_proxy1_mibs"), "MiB/s",
        "direct loopback", num(m, "iperf_direct_mibs"), "info", None)
    row("conn_proxy3_vs_proxy1", "New connections/s through the 3-hop proxy chain (info)",
        num(m, "proxy3_conn_per_s"), "conn/s", proxy1, num(m, "proxy_conn_per_s"), "info", None)
    row("conn_p99", "Connect+echo+close p99 through the chain (info)", num(m, "chain_conn_p99_us"), "µs",
        proxy3, num(m, "proxy3_conn_p99_us"), "info", None, better="lower")
    row("rtt_p50", "1-byte round trip p50 through the chain (info)", num(m, "chain_rtt_p50_us"), "µs",
        proxy1, num(m, "proxy_rtt_p50_us"), "info (was ≤ 1.5×)", None, better="lower")
    row("rtt_p99", "1-byte round trip p99 through the chain (info)", num(m, "chain_rtt_p99_us"), "µs",
        proxy3, num(m, "proxy3_rtt_p99_us"), "info", None, better="lower")
    row("rtt_proxy3_vs_proxy1", "1-byte round trip p50 via the 3-hop proxy chain (info)", num(m, "proxy3_rtt_p50_us"),
        "µs", proxy1, num(m, "proxy_rtt_p50_us"), "info", None, better="lower")
    if "sshL_rtt_p50_us" in m:
        row("rtt_ssh_vs_proxy1", "1-byte round trip p50 via ssh -L (info)", num(m, "sshL_rtt_p50_us"), "µs",
            proxy1, num(m, "proxy_rtt_p50_us"), "info", None, better="lower")
    row("rtt_proxy_vs_direct", "1-byte round trip p50 via 1-hop proxy (info)", num(m, "proxy_rtt_p50_us"), "µs",
        "direct loopback", num(m, "direct_rtt_p50_us"), "info", None, better="lower")
    # idle
    n = int(num(m, "idle_n")) if not math.isnan(num(m, "idle_n")) else 0
    n_req = n
    if not math.isnan(num(m, "idle_open")):
        n = int(num(m, "idle_open"))  # what was actually held open while RSS and threads were read
    rss = num(m, "relay_rss_idle_mib") + num(m, "listener_rss_idle_mib")
    rss0 = num(m, "relay_rss_before_mib") + num(m, "listener_rss_before_mib")
    row("idle_rss", "RSS relay + listener with %d idle tunnelled connections" % n, rss, "MiB",
        "same processes before", rss0, "≤ 1024 MiB", lambda v, b, r: v <= 1024, better="lower")
    opened_n = num(m, "idle_open")
    if opened_n and not math.isnan(opened_n) and opened_n < 10000 and not math.isnan(rss):
        # linear extrapolation of the per-connection cost to the 10,000-connection target
        ext = rss0 + (rss - rss0) * 10000.0 / opened_n
        row("idle_rss_10k", "RSS relay + listener extrapolated to 10,000 connections (from %d)" % opened_n, ext,
            "MiB", "same processes before", rss0, "≤ 1024 MiB", lambda v, b, r: v <= 1024, better="lower")
    thr = num(m, "relay_threads_idle")
    thr0 = num(m, "relay_threads_before")
    row("idle_relay_threads", "Relay threads with %d idle connections" % n, thr, "threads",
        "relay before", thr0, "no thread per connection (Δ < N/100)",
        lambda v, b, r: (v - b) < max(10, n / 100), better="lower")
    lthr = num(m, "listener_threads_idle")
    row("idle_listener_threads", "Listener (forward -T) threads with %d idle connections (info)" % n, lthr,
        "threads", "listener before", num(m, "listener_threads_before"), "info", None, better="lower")
    opened = num(m, "idle_open")
    note = " — stopped by the machine thread budget" if m.get("idle_thread_budget_hit") == "true" else ""
    row("idle_open", "Idle connections established (of %d)%s" % (n_req, note), opened, "conns", "requested",
        float(n_req),
        "= 1.0× and all probes alive", lambda v, b, r: r >= 1.0 and num(m, "idle_alive") == num(m, "idle_probed"))
    # pump
    row("pump_alloc", "Bounded SPSC pipe, 16 KiB writes, allocation (JMH -prof gc)",
        num(m, "jmh_pipe_alloc_b_per_op"), "B/op", "—", float("nan"), "0 B/op (< 1)",
        lambda v, b, r: v < 1.0, better="lower")
    row("copy_alloc", "Stream copy loop, 16 KiB buffer, allocation (JMH -prof gc)",
        num(m, "jmh_streamCopy_alloc_b_per_op"), "B/op", "—", float("nan"), "0 B/op (< 1)",
        lambda v, b, r: v < 1.0, better="lower")

    # HTTP: forward -H vs nginx proxy_pass to the same backend (e2e_http.sh)
    http_rows = []
    if "http_relay_rps" in m or "http_nginx_rps" in m:
        first = len(rows)
        row("http_rps", "Small GETs/s with keep-alive: relay HTTP endpoint → forward -H → backend (ab -k -c 16)",
            num(m, "http_relay_rps"), "req/s", "nginx proxy_pass, 1 hop", num(m, "http_nginx_rps"), "≥ 0.5×",
            lambda v, b, r: r >= 0.5 and num(m, "http_errors") == 0)
        row("http_download", "100 MiB download through relay → forward -H (curl, median of 5)",
            num(m, "http_relay_dl_mibs"), "MiB/s", "nginx proxy_pass, 1 hop", num(m, "http_nginx_dl_mibs"),
            "≥ 0.8×", lambda v, b, r: r >= 0.8)
        if "http_relay_cpu_us" in m:
            row("http_cpu", "CPU per small GET: relay + forward -H + backend (user + system, info)",
                num(m, "http_relay_cpu_us"), "µs", "nginx proxy_pass + the same backend", num(m, "http_nginx_cpu_us"),
                "info", None, better="lower")
            row("http_cpu_relay", "CPU per small GET: the relay alone (info)", num(m, "http_relay_only_cpu_us"), "µs",
                "nginx proxy_pass + the same backend", num(m, "http_nginx_cpu_us"), "info", None, better="lower")
            row("http_cpu_fwd", "CPU per small GET: forward -H alone (info)", num(m, "http_fwd_cpu_us"), "µs",
                "nginx proxy_pass + the same backend", num(m, "http_nginx_cpu_us"), "info", None, better="lower")
        row("http_fwd_rss", "forward -H RSS after the HTTP runs (info)", num(m, "http_fwd_rss_mib"), "MiB", "—",
            float("nan"), "info", None, better="lower")
        http_rows = rows[first:]
    if m.get("sections") == "http":
        rows[:] = http_rows

    def fmt(x):
        if isinstance(x, float):
            if math.isnan(x):
                return "—"
            return "%.2f" % x if abs(x) < 100 else "%.0f" % x
        return str(x)

    hdr = ["measure", "ours", "unit", "baseline", "baseline value", "ratio", "target", "met?"]
    shown = {"PASS": "met", "FAIL": "NOT MET", "n/a": "info", "not measured": "not measured"}
    print()
    print("Hybrid Relay e2e (%s mode, %s cores, load avg %s → %s, chain=%s, relay=%s)" % (
        m.get("mode"), m.get("cores"), m.get("loadavg_start"), m.get("loadavg_end"), m.get("chain"),
        m.get("relay_impl", m.get("chain"))))

    def line(r):
        print("| " + " | ".join([r["measure"], fmt(r["value"]), r["unit"], r["baseline"],
                                 fmt(r["baseline_value"]), fmt(r["ratio"]), r["target"], shown[r["status"]]]) + " |")
    if m.get("sections") != "http":
        met = sum(1 for r in rows[:n_targets] if r["status"] == "PASS")
        print("Targets (ratios in this run): %d of %d met" % (met, n_targets))
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for i, r in enumerate(rows):
        if i == n_targets and m.get("sections") != "http":
            print()
            print("Other measures of the same run (targets of the first round, and information)")
            print("| " + " | ".join(hdr) + " |")
            print("|" + "---|" * len(hdr))
        line(r)
    print()
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "e2e-%s%s-%s" % (m.get("mode", "run"), "-http" if m.get("sections") == "http" else "",
                                                   stamp))
    with open(base + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["key", "measure", "value", "unit", "baseline", "baseline_value",
                                          "ratio", "target", "better", "status"])
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
    with open(base + ".json", "w") as f:
        json.dump({"stamp": stamp, "metrics": m,
                   "rows": [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                            for r in rows]}, f, indent=2, ensure_ascii=False)
    latest = "e2e-http-latest" if m.get("sections") == "http" else "e2e-latest"
    shutil.copyfile(base + ".csv", os.path.join(out_dir, latest + ".csv"))
    shutil.copyfile(base + ".json", os.path.join(out_dir, latest + ".json"))


if __name__ == "__main__":
    main()
