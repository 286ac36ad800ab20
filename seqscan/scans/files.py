"""A scan's own folder: its found-file lists, its log while it runs, its scripts."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from seqscan.models import ScanRun


def folder(scan_id: int) -> Path:
    """The scan's own folder: its found-file lists, its log while it runs, its scripts."""
    return Path(current_app.config["DATA_DIR"]) / "scans" / str(scan_id)


def log_tail(scan: ScanRun, lines: int = 60) -> str:
    """The last lines of the scan's log: kept with the scan once it ended, in its folder while it runs."""
    text = scan.log
    if not text:
        try:
            text = (folder(scan.id) / "scan.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
    return "\n".join(text.splitlines()[-lines:])
