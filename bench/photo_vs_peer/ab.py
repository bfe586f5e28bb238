#!/usr/bin/env python3
"""A/B of two builds of the engine on the same files, the way the session notes measure a
change: the builds alternate, file by file, round by round, each run pinned to the same core,
so that the machine's drift hits both alike. Prints the median over rounds and files of each
stage median that `photo_timing` reports, and whether the two builds wrote the same files.

usage: bench/photo_vs_peer/ab.py [--rounds N] [--iters N] [--core C] A_BIN B_BIN FILE...

A_BIN and B_BIN are two builds of crates/gradphoto-photo/examples/photo_timing, e.g. the
base from a worktree (`git worktree add /tmp/base <commit>`, copy models/, `cargo build
--release -p gradphoto-photo --example photo_timing` there) and this checkout's.
"""
import argparse
import json
import statistics
import subprocess

KEYS = ["total_ms", "decode_ms", "detect_ms", "detect.resize_ms", "detect.pnet_ms",
        "detect.rnet_ms", "detect.onet_ms", "encode_ms", "check_output_ms", "rest_ms"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--iters", type=int, default=9)
    p.add_argument("--core", default="1")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("files", nargs="+")
    args = p.parse_args()
    builds = {"A": args.a, "B": args.b}
    results = {name: {k: [] for k in KEYS} for name in builds}
    outputs = {}  # file -> build -> the hashes of its output file, over all rounds
    for _ in range(args.rounds):
        for f in args.files:
            for name, binary in builds.items():
                out = subprocess.run(
                    ["taskset", "-c", args.core, binary, "--job", "standardize",
                     "--iters", str(args.iters), f],
                    capture_output=True, text=True, check=True).stdout
                d = json.loads(out.strip().splitlines()[-1])
                outputs.setdefault(f, {}).setdefault(name, set()).add(d.get("out_hash"))
                for k in KEYS:
                    results[name][k].append(d.get(k, 0.0))
    for name in builds:
        cells = " ".join("%s=%.2f" % (k.replace("_ms", ""), statistics.median(results[name][k]))
                         for k in KEYS)
        print(f"{name}  {cells}")
    if any(None in hashes for h in outputs.values() for hashes in h.values()):
        print("outputs: not compared (a build without out_hash, or a refused photo)")
        return
    # Identical: each build wrote one file per input, every round, and the same one.
    differ = [f for f, h in outputs.items() if len(h["A"]) != 1 or h["A"] != h["B"]]
    print("outputs: " + ("identical" if not differ else "DIFFER on " + ", ".join(differ)))


if __name__ == "__main__":
    main()
