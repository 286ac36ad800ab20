"""The settings one scan runs with, read once from the app's config when it starts (by pipeline.py)
and handed down as plain values: no module below the pipeline reads the config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seqscan.layout import Profile
from seqscan.scanner.disk import Disk
from seqscan.scanner.walk import WalkOptions


@dataclass(frozen=True)
class ScanOptions:
    walk: WalkOptions
    sentinel: str | None  # the root's sentinel: the root is there only with it
    max_vanished_runs: int
    max_vanished_fraction: float
    pause_per_run_s: float  # to watch a scan of a small tree (demo, tests)
    check_bgzf: bool  # CHECK_BGZF_EOF
    max_samples: int  # MAX_SAMPLES_PER_SHEET
    max_sheet_bytes: int
    scripts: bool  # SCRIPTS_AND_JOBS
    script_templates: dict[str, str]
    script_timeout_s: float
    symlink_roots: tuple[str, ...]
    disk: Disk  # how folders are listed and files stat'ed (the scan's own, counting its calls)


def scan_options(
    config: Mapping[str, Any], profile: Profile, sentinel: str | None, disk: Disk | None = None
) -> ScanOptions:
    """The options of a scan of a root read with profile, whose sentinel file (if any) is sentinel.

    disk: how folders are listed and files stat'ed; the benchmark and the tests give one that is slow
    (a simulated network disk) or that refuses a folder. None: a Disk of the scan's own, as it is."""
    symlink_roots = tuple(config["SYMLINK_ROOTS"])
    return ScanOptions(
        walk=WalkOptions(
            profile=profile,
            skip_markers=tuple(config["SKIP_MARKERS"]),
            completion_markers=tuple(config["COMPLETION_MARKERS"]),
            never_descend=frozenset(config["NEVER_DESCEND"]),
            max_depth=int(config["MAX_DEPTH"]),
            mtime_margin_ns=int(float(config["MTIME_MARGIN_SECONDS"]) * 10**9),
            pause_per_run_s=float(config["PAUSE_PER_RUN_SECONDS"]),
            symlink_roots=symlink_roots,
            threads=int(config["SCAN_THREADS"]),
        ),
        sentinel=sentinel,
        max_vanished_runs=int(config["MAX_VANISHED_RUNS"]),
        max_vanished_fraction=float(config["MAX_VANISHED_FRACTION"]),
        pause_per_run_s=float(config["PAUSE_PER_RUN_SECONDS"]),
        check_bgzf=bool(config["CHECK_BGZF_EOF"]),
        max_samples=int(config["MAX_SAMPLES_PER_SHEET"]),
        max_sheet_bytes=int(config["MAX_SHEET_BYTES"]),
        scripts=bool(config["SCRIPTS_AND_JOBS"]),
        script_templates=dict(config["SCRIPT_TEMPLATES"] or {}),
        script_timeout_s=float(config["SCRIPT_TIMEOUT_SECONDS"]),
        symlink_roots=symlink_roots,
        disk=Disk() if disk is None else disk,
    )
