"""Prints the photo_vs_peer tables from the JSON lines the run left in one directory:
rust-JOB.jsonl and peer-JOB.jsonl (per-file medians, one thread), floor.jsonl (djpeg),
memory.jsonl (one process per photo) and batch.jsonl (photos/s per thread count), for the
main job (the first named).

Usage: python report.py DIR [JOB...]
"""

import json
import os
import statistics
import sys

# The targets for a 12-megapixel phone JPEG.
TARGET_MS = 25.0
TARGET_VS_PEER = 4.0
TARGET_VS_DECODE = 2.0
TARGET_RSS_MB = 150.0


def load(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def by_file(rows):
    return {r["file"]: r for r in rows if "file" in r}


def fmt(x, unit="", nd=1):
    return "-" if x is None else f"{x:.{nd}f}{unit}"


def table(header, rows):
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(  # noqa: E731
        str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print()


def verdict(ok):
    return "MET" if ok else "NOT MET"


def stage_keys(rows):
    keys = []
    for r in rows:
        for k in r:
            if k.endswith("_ms") and k not in ("total_ms", "total_min_ms") and k not in keys:
                keys.append(k)
    return keys


def job_section(d, job, floor):
    """Tables for one job; returns (median total, worst peer/rust, worst rust/djpeg)."""
    rust = by_file(load(d, f"rust-{job}.jsonl"))
    peer = by_file(load(d, f"peer-{job}.jsonl"))
    files = list(rust) or list(peer)
    if not files:
        print(f"{job}: no results\n")
        return None, None, None
    iters = next(iter(rust.values()), {}).get("iters", "?")
    print(f"=== {job} (Engine::{job} vs the peer's --job {job}): medians of {iters} runs "
          f"per file after a warm-up, one thread pinned to one core\n")
    rows, ratios_peer, ratios_floor, totals = [], [], [], []
    for f in files:
        r, p, fl = rust.get(f, {}), peer.get(f, {}), floor.get(f, {})
        rt, pt, ff = r.get("total_ms"), p.get("total_ms"), fl.get("full_ms")
        vs_peer = pt / rt if rt and pt else None
        vs_floor = rt / ff if rt and ff else None
        if rt:
            totals.append(rt)
        if vs_peer:
            ratios_peer.append(vs_peer)
        if vs_floor:
            ratios_floor.append(vs_floor)
        rows.append([os.path.basename(f), fmt(rt), fmt(pt), fmt(vs_peer, "x", 2),
                     fmt(ff), fmt(fl.get("quarter_ms")), fmt(vs_floor, "x", 2),
                     r.get("verdict", "-")])
    print("Time per photo (ms)")
    table(["file", "rust", "peer", "peer/rust", "djpeg full", "djpeg 1/4", "rust/djpeg full",
           "rust verdict"], rows)
    for name, src in (("rust", rust), ("peer", peer)):
        keys = stage_keys(src.values())
        if not keys:
            continue
        rows = [[os.path.basename(f)] + [fmt(src.get(f, {}).get(k)) for k in keys]
                for f in files]
        print(f"Stages, {name} (ms)")
        table(["file"] + [k[:-3] for k in keys], rows)
    med = statistics.median(totals) if totals else None
    return (med, min(ratios_peer) if ratios_peer else None,
            max(ratios_floor) if ratios_floor else None)


def main():
    d, jobs = sys.argv[1], sys.argv[2:] or ["check"]
    floor = by_file(load(d, "floor.jsonl"))
    memory, batch = by_file(load(d, "memory.jsonl")), load(d, "batch.jsonl")
    print("The peer does the same job in Python: OpenCV (libjpeg-turbo) + onnxruntime, the same "
          "MTCNN weights, one thread.")
    if floor:
        fl = next(iter(floor.values()))
        print(f"djpeg: {fl.get('version')}; its times include starting the process "
              f"({fmt(fl.get('spawn_ms'), ' ms', 2)} for a 16x16 JPEG).")
    print()
    results = {job: job_section(d, job, floor) for job in jobs}
    main_job = jobs[0]

    if memory:
        rows = [[os.path.basename(f), fmt(m.get("peak_rss_mib"))] for f, m in memory.items()]
        print(f"Peak RSS, rust {main_job}: one process per photo, one run (MiB, VmHWM)")
        table(["file", "rust"], rows)
    base = None
    if batch:
        base = next((b["photos_per_s"] for b in batch if b["threads"] == 1), None)
        rows = [[b["threads"], b["photos"], fmt(b["seconds"], " s", 2),
                 fmt(b["photos_per_s"], "", 2),
                 fmt(b["photos_per_s"] / base if base else None, "x", 2),
                 fmt(b.get("peak_rss_mib"))] for b in batch]
        print(f"Batch throughput, rust {main_job}: all files, one engine shared by the threads")
        table(["threads", "photos", "wall", "photos/s", "speed-up", "peak RSS MiB"], rows)

    for job in jobs:
        med, worst_peer, worst_floor = results[job]
        label = " (the main job)" if job == main_job else ""
        print(f"Targets (set for a 12 MP phone JPEG), {job}{label}:")
        if med is not None:
            print(f"  <= {TARGET_MS:.0f} ms median on one core: median over files "
                  f"{med:.1f} ms -> {verdict(med <= TARGET_MS)}")
        if worst_peer is not None:
            print(f"  >= {TARGET_VS_PEER:.0f}x faster than the peer: worst file "
                  f"{worst_peer:.2f}x -> {verdict(worst_peer >= TARGET_VS_PEER)}")
        if worst_floor is not None:
            print(f"  <= {TARGET_VS_DECODE:.0f}x the bare decode (djpeg full size): worst file "
                  f"{worst_floor:.2f}x -> {verdict(worst_floor <= TARGET_VS_DECODE)}")
        if job == main_job:
            peak = max((m["peak_rss_mib"] for m in memory.values() if m.get("peak_rss_mib")),
                       default=None)
            if peak is not None:
                print(f"  peak memory <= {TARGET_RSS_MB:.0f} MB: worst file {peak:.1f} MiB -> "
                      f"{verdict(peak * 1.048576 <= TARGET_RSS_MB)}")
            if len(batch) > 1 and base:
                top = max(batch, key=lambda b: b["threads"])
                gain = top["photos_per_s"] / base
                print(f"  batch scales with cores: {top['threads']} threads give {gain:.2f}x "
                      f"({gain / top['threads'] * 100:.0f}% of linear; other load on the "
                      f"machine lowers it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
