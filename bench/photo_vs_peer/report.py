"""Prints the photo_vs_peer tables from the JSON lines the run left in one directory:
rust.jsonl (per-file medians, one thread), peer.jsonl, floor.jsonl (djpeg), memory.jsonl
(one process per photo) and batch.jsonl (photos/s per thread count).

Usage: python report.py DIR
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


def main():
    d = sys.argv[1]
    rust, peer, floor = by_file(load(d, "rust.jsonl")), by_file(load(d, "peer.jsonl")), by_file(
        load(d, "floor.jsonl"))
    memory, batch = by_file(load(d, "memory.jsonl")), load(d, "batch.jsonl")
    files = list(rust) or list(peer)
    if not files:
        print("no results")
        return 1
    any_rust = next(iter(rust.values()), {})
    job = any_rust.get("job", "?")
    iters = any_rust.get("iters", "?")
    print(f"Rust job: {job}; peer job: decode, detect, crop, resize, check, encode "
          f"(quality search), check of the output.")
    print(f"Medians of {iters} runs per file after a warm-up, one thread pinned to one core.\n")

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
                     fmt(ff), fmt(fl.get("quarter_ms")), fmt(vs_floor, "x", 2)])
    print("Time per photo (ms)")
    table(["file", "rust", "peer", "peer/rust", "djpeg full", "djpeg 1/4", "rust/djpeg full"],
          rows)
    spawn = next((fl.get("spawn_ms") for fl in floor.values()), None)
    if floor:
        print(f"djpeg: {next(iter(floor.values())).get('version')}; its times include "
              f"starting the process ({fmt(spawn, ' ms', 2)} for a 16x16 JPEG).\n")

    rows = []
    for f in files:
        r, p = rust.get(f, {}), peer.get(f, {})
        rows.append([os.path.basename(f), fmt(r.get("decode_ms")), fmt(r.get("detect_ms")),
                     fmt(r.get("rest_ms")), fmt(p.get("decode_ms")), fmt(p.get("detect_ms")),
                     fmt(p.get("crop_check_ms")), fmt(p.get("encode_ms")),
                     fmt(p.get("recheck_ms"))])
    print("Stages (ms)")
    table(["file", "rust decode", "detect", "rest", "peer decode", "detect", "crop+check",
           "encode", "recheck"], rows)

    rows = []
    for f in files:
        m, p = memory.get(f, {}), peer.get(f, {})
        rows.append([os.path.basename(f), fmt(m.get("peak_rss_mib")),
                     fmt(p.get("peak_rss_mib"))])
    if memory:
        print("Peak RSS (MiB, VmHWM / ru_maxrss; rust: one process per photo, "
              "peer: the whole Python process after all runs)")
        table(["file", "rust", "peer"], rows)

    if batch:
        base = next((b["photos_per_s"] for b in batch if b["threads"] == 1), None)
        rows = [[b["threads"], b["photos"], fmt(b["seconds"], " s", 2),
                 fmt(b["photos_per_s"], "", 2),
                 fmt(b["photos_per_s"] / base if base else None, "x", 2),
                 fmt(b.get("peak_rss_mib"))] for b in batch]
        print("Batch throughput (rust, all files, one detector shared by the threads)")
        table(["threads", "photos", "wall", "photos/s", "speed-up", "peak RSS MiB"], rows)

    print(f"Targets ({job}):")
    med = statistics.median(totals) if totals else None
    worst_peer = min(ratios_peer) if ratios_peer else None
    worst_floor = max(ratios_floor) if ratios_floor else None
    peak = max((m["peak_rss_mib"] for m in memory.values() if m.get("peak_rss_mib")),
               default=None)
    if med is not None:
        print(f"  <= {TARGET_MS:.0f} ms median on one core: median over files "
              f"{med:.1f} ms -> {verdict(med <= TARGET_MS)}")
    if worst_peer is not None:
        print(f"  >= {TARGET_VS_PEER:.0f}x faster than the peer: worst file "
              f"{worst_peer:.2f}x -> {verdict(worst_peer >= TARGET_VS_PEER)}")
    if worst_floor is not None:
        print(f"  <= {TARGET_VS_DECODE:.0f}x the bare decode (djpeg full size): worst file "
              f"{worst_floor:.2f}x -> {verdict(worst_floor <= TARGET_VS_DECODE)}")
    if peak is not None:
        print(f"  peak memory <= {TARGET_RSS_MB:.0f} MB: worst file {peak:.1f} MiB -> "
              f"{verdict(peak * 1.048576 <= TARGET_RSS_MB)}")
    if len(batch) > 1 and base:
        top = max(batch, key=lambda b: b["threads"])
        eff = top["photos_per_s"] / base / top["threads"]
        print(f"  batch scales with cores: {top['threads']} threads give "
              f"{top['photos_per_s'] / base:.2f}x ({eff * 100:.0f}% of linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
