"""The floor: bare decode with libjpeg-turbo's `djpeg` (Debian's libjpeg-turbo-progs) on the
same files, full size and at 1/4 scale (the scale the engine decodes at for detection).

Each run is a process: `djpeg [-scale 1/4] -outfile /dev/null FILE`, timed from spawn to
exit, so the figures include starting djpeg. That start is measured too, on a 16x16 JPEG,
and reported beside them (`spawn_ms`), not subtracted.

Usage: python floor.py [--iters N] [--djpeg PATH] FILE...   (one JSON line per file)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np


def tiny_jpeg():
    """A 16x16 grey JPEG: the cost of starting djpeg at all."""
    ok, buf = cv2.imencode(".jpg", np.full((16, 16, 3), 128, np.uint8))
    if not ok:
        raise RuntimeError("imencode failed")
    return buf.tobytes()


def time_runs(cmd, iters):
    """Median wall time (ms) of `iters` runs of cmd, after one untimed run."""
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times), min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=15)
    p.add_argument("--djpeg", default="djpeg")
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    version = subprocess.run([a.djpeg, "-version"], capture_output=True, text=True)
    version = (version.stderr or version.stdout).strip().splitlines()[0]
    with tempfile.NamedTemporaryFile(suffix=".jpg", delete=False) as tiny:
        tiny.write(tiny_jpeg())
    try:
        spawn, _ = time_runs([a.djpeg, "-outfile", os.devnull, tiny.name], a.iters)
    finally:
        os.unlink(tiny.name)
    for path in a.files:
        full, full_min = time_runs([a.djpeg, "-outfile", os.devnull, path], a.iters)
        quarter, quarter_min = time_runs(
            [a.djpeg, "-scale", "1/4", "-outfile", os.devnull, path], a.iters)
        print(json.dumps({
            "engine": "djpeg", "file": path, "iters": a.iters, "version": version,
            "full_ms": round(full, 2), "full_min_ms": round(full_min, 2),
            "quarter_ms": round(quarter, 2), "quarter_min_ms": round(quarter_min, 2),
            "spawn_ms": round(spawn, 2),
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
