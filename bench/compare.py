"""Before and after in one command: bench/scan_bench.py as of BASE (a git revision) and as this
checkout has it, on one tree, taking turns, ROUNDS times each; then each ratio side by side.

    .venv/bin/python bench/compare.py BASE [--rounds 2] [scan_bench.py's options, e.g. --runs 50]

BASE is checked out into a temporary git worktree (removed at the end); both run with this
checkout's .venv. Taking turns spreads the machine's noise over both; the median of each is shown,
and after / before of the medians: within a few percent of 1.0 is noise on a shared VM.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# The ratio lines scan_bench.py ends with: a label, then the number.
METRICS = (
    "Scanning Files / find",
    "unchanged rescan / first scan",
    "1%-touched rescan / first scan",
    "expected records / s",
    "peak RSS",
)


def ratios(output: str) -> dict[str, float]:
    found = {}
    for label in METRICS:
        match = re.search(rf"^{re.escape(label)}\s+([\d.]+)", output, re.M)
        if match:
            found[label] = float(match.group(1))
    return found


def bench(checkout: Path, tree: Path, options: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(checkout / "bench" / "scan_bench.py"), "--keep", str(tree), *options],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"scan_bench.py of {checkout} failed:\n{done.stdout}\n{done.stderr}")
    return ratios(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the git revision to compare against (e.g. HEAD~3, a commit)")
    parser.add_argument("--rounds", type=int, default=2)
    args, options = parser.parse_known_args()
    work = Path(tempfile.mkdtemp(prefix="seqscan-compare-"))
    base = work / "base"
    subprocess.run(["git", "-C", str(PROJECT), "worktree", "add", "--detach", str(base), args.base], check=True)
    try:
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(args.rounds):
            for name, checkout in (("before", base), ("after", PROJECT)):
                runs[name].append(bench(checkout, work / "tree", options))
                print(f"round {i + 1} {name}: {runs[name][-1]}", flush=True)
        print(f"\n{'':32} {'before (' + args.base + ')':>18} {'after':>10} {'after / before':>15}")
        for label in METRICS:
            before = statistics.median(r[label] for r in runs["before"] if label in r)
            after = statistics.median(r[label] for r in runs["after"] if label in r)
            print(f"{label:32} {before:18.3f} {after:10.3f} {after / before:15.3f}")
    finally:
        subprocess.run(["git", "-C", str(PROJECT), "worktree", "remove", "--force", str(base)], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
