"""Production-scale figures in one run: SQLite vs PostgreSQL, peak memory at two archive sizes,
serial vs pooled at a simulated network-disk latency, rescans, and Scanning Files against `find`.

    .venv/bin/python bench/scale_bench.py [--database postgresql://…] [--small 200] [--large 800]
                                          [--latency-runs 64] [--keep DIR]

Each measurement is bench/scan_bench.py in a process of its own (peak RSS is a process's high-water
mark), on trees written here first (BCL-like folders of one cycle and tile: they are pruned, never
walked). Ratios are what count; absolute times depend on the machine and what else runs on it.
--database names a PostgreSQL database of the bench's own (its seqscan tables are dropped first);
without it the PostgreSQL lines say so and are skipped.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from seqscan.config import NEVER_DESCEND  # noqa: E402
from seqscan.demo import make_demo_tree  # noqa: E402

SCAN_BENCH = [sys.executable, str(PROJECT / "bench" / "scan_bench.py")]
SAMPLES = 48


def tree(where: Path, runs: int) -> Path:
    root = where / f"tree-{runs}"
    if not root.exists():
        start = time.perf_counter()
        make_demo_tree(root, runs=runs, samples=SAMPLES, bcl_cycles=1, bcl_tiles=1)
        print(f"tree of {runs} runs x {SAMPLES} samples written in {time.perf_counter() - start:.0f} s", flush=True)
    return root


def scan_bench(root: Path, runs: int, *extra: str) -> str:
    args = [*SCAN_BENCH, "--runs", str(runs), "--samples", str(SAMPLES), "--keep", str(root), *extra]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    if not found:
        raise SystemExit(f"no {pattern!r} in:\n{text}")
    return float(found.group(1))


def figures(out: str) -> dict[str, float]:
    """What a scan_bench.py run says of the first scan and the rescans."""
    first = next(line for line in out.splitlines() if line.startswith("first scan"))
    return {
        "walk_s": number(r"Scanning Files\s+([\d.]+) s", first),
        "models_s": number(r"Create Models\s+([\d.]+) s", first),
        "rss_mb": number(r"peak RSS\s+([\d.]+) MB", first),
        "records_s": number(r"expected records / s\s+(\d+)", out),
        "unchanged": number(r"unchanged rescan / first scan\s+([\d.]+)", out),
        "touched": number(r"1%-touched rescan / first scan\s+([\d.]+)", out),
        "unchanged_s": number(r"unchanged rescan\s+total\s+([\d.]+) s", out),
    }


def pruned_find(root: Path) -> float:
    """`find -type f` pruning what the walk prunes (NEVER_DESCEND), best of three (warm cache)."""
    prune = " -o ".join(f"-name '{name}'" for name in NEVER_DESCEND)
    command = f"find '{root}' \\( {prune} \\) -prune -o -type f -print | wc -l"
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, shell=True, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL database of the bench's own (its seqscan tables are dropped)")
    parser.add_argument("--small", type=int, default=200, help="runs in the smaller archive")
    parser.add_argument("--large", type=int, default=800, help="runs in the larger archive (peak memory)")
    parser.add_argument(
        "--latency-runs", type=int, default=64, help="runs in the tree scanned at 1 ms latency (8 threads: 8 runs each)"
    )
    parser.add_argument("--keep", type=Path, help="write (or re-use) the trees here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="seqscan-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        small, large = tree(work, args.small), tree(work, args.large)
        latency_tree = tree(work, args.latency_runs)
        sqlite = figures(scan_bench(small, args.small))
        postgres = figures(scan_bench(small, args.small, "--database", args.database)) if args.database else None
        big = figures(scan_bench(large, args.large))
        latency = scan_bench(latency_tree, args.latency_runs, "--latency-ms", "1", "--threads", "8")
        find_s = pruned_find(small)

        print(
            f"\n== seqscan at scale, {time.strftime('%Y-%m-%d')}, {args.small} and {args.large} runs x {SAMPLES} samples"
        )
        print(
            f"first scan, SQLite       {sqlite['records_s']:8.0f} expected records/s   Create Models {sqlite['models_s']:.2f} s"
        )
        if postgres:
            ratio = postgres["records_s"] / sqlite["records_s"]
            print(f"first scan, PostgreSQL   {postgres['records_s']:8.0f} expected records/s   Create Models "
                  f"{postgres['models_s']:.2f} s   PostgreSQL / SQLite {ratio:.2f} (goal >= 1)")  # fmt: skip
        else:
            print("first scan, PostgreSQL   skipped: no --database given")
        growth = big["rss_mb"] / sqlite["rss_mb"]
        print(f"peak RSS of a first scan {sqlite['rss_mb']:6.1f} MB at {args.small} runs, {big['rss_mb']:6.1f} MB at "
              f"{args.large} runs: x{growth:.2f} (goal: within 10%, <= 300 MB)")  # fmt: skip
        for name, f in (("SQLite", sqlite), ("PostgreSQL", postgres), (f"SQLite, {args.large} runs", big)):
            if f:
                print(f"rescans, {name:<18} unchanged / first {f['unchanged']:.3f} ({f['unchanged_s']:.3f} s), "
                      f"1%-touched / first {f['touched']:.3f}")  # fmt: skip
        print(f"unchanged rescan of {args.large} runs  {big['unchanged_s']:.3f} s (goal <= 0.5 s)")
        print(f"Scanning Files / pruned find   {sqlite['walk_s'] / find_s:.2f}   ({sqlite['walk_s']:.3f} s / "
              f"{find_s:.3f} s; goal <= 1.5)")  # fmt: skip
        print(next(line for line in latency.splitlines() if line.startswith("pooled")), f"({args.latency_runs} runs)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
