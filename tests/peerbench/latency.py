#!/usr/bin/env python3
"""Re-analyses peerbench probe latency with a small tolerance for updates that arrive
*before* probe.py logged its flip.

peerbench (bench.py) matches a flip only with client records at or after probe.py's
timestamp, which is taken after XSync. Tandem's update for a one-tile change sometimes
reaches the viewer 0.1-4 ms before probe.py gets to read the clock. The harness then either
counts a miss or matches the *next* flip of the same square about 1 s later. This script
accepts a covering record from --early-ms before the timestamp and counts it as 0 ms. It
prints p50/p95, misses and how many matches were early, per row, phase and repeat.

  <scratch>/venv/bin/python tests/peerbench/latency.py <scratch>/results/<runid> [--early-ms 5]

It needs the run's probe log: tests/peerbench/run.sh copies run/probe.log into the results
directory after each run. Without that copy, --probe-log must name it, and run/probe.log only
holds the latest run that had the probe on.
"""
import argparse, glob, json, os, statistics, sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--early-ms", type=float, default=5.0)
    ap.add_argument("--probe-log", default=None)
    a = ap.parse_args()
    res = os.path.abspath(a.results)
    scratch = os.path.dirname(os.path.dirname(res))
    sys.path.insert(0, scratch)
    import bench  # the harness copy that produced the results
    plog = a.probe_log or os.path.join(res, "probe.log")
    probe = []
    with open(plog) as f:
        for line in f:
            t, i = line.split()
            probe.append((float(t), int(i)))
    tol = a.early_ms / 1000.0
    win = bench.PERIOD * len(bench.POSITIONS)

    def covers(rec, idx):
        if rec.get("kind") == "probe":
            return rec["probe"] == idx
        return "r" in rec and any(bench.hits_probe(q, idx) for q in rec["r"])

    files = sorted(glob.glob(os.path.join(res, "*.json")), key=os.path.getmtime)
    print("%-40s %-6s %8s %8s %5s %5s" % ("row", "phase", "p50 ms", "p95 ms", "miss", "early"))
    for jf in files:
        r = json.load(open(jf))
        recs = bench.load_client_logs(os.path.join(res, "raw", r["tag"] + ".client.jsonl"))
        for ph in r["phases"]:
            t0, t1 = ph["t0"], ph["t1"]
            lat, miss, early = [], 0, 0
            for tt, idx in probe:
                if not (t0 <= tt < t1 - win):
                    continue
                found = None
                for rec in recs:
                    if rec["t"] < tt - tol:
                        continue
                    if rec["t"] >= tt + win:
                        break
                    if covers(rec, idx):
                        found = rec["t"]
                        break
                if found is None:
                    miss += 1
                    continue
                early += found < tt
                lat.append(max(0.0, 1000.0 * (found - tt)))
            if not lat and not miss:
                continue
            lat.sort()
            p50 = statistics.median(lat) if lat else float("nan")
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else float("nan")
            print("%-40s %-6s %8.1f %8.1f %5d %5d" % (r["tag"], ph["phase"], p50, p95, miss, early))


if __name__ == "__main__":
    main()
