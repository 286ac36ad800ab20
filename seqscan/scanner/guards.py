"""A lost mount is not a deletion: the root checks that stop a scan before it writes Deleted for data
that is only out of sight — a root that left (renamed, unmounted, its sentinel gone) while the scan
ran. The guard against too many runs or files gone at once is in vanished.py."""

from __future__ import annotations

import os

from seqscan.scanner.disk import DIRECT, Disk
from seqscan.scanner.walk import RootUnreadable


class TooManyVanished(RuntimeError):
    """So many known runs or files are gone at once that the disk is more likely missing than they are."""


class RootGone(RootUnreadable):
    """The scan root stopped being there during the scan."""


def _sentinel_missing(root: str, sentinel: str | None, disk: Disk = DIRECT) -> str | None:
    if sentinel and not disk.exists(os.path.join(root, sentinel)):
        return f"sentinel {sentinel} missing in {root}"
    return None


def check_sentinel(root: str, sentinel: str | None) -> None:
    """Before the walk: a mount point without its disk looks like an empty folder (sentinel: ROOT_SENTINEL)."""
    if why := _sentinel_missing(root, sentinel):
        raise RootUnreadable(f"{why}: root not mounted?")


def check_root(root: str, sentinel: str | None, phase: str, disk: Disk = DIRECT) -> None:
    """The root is still the folder the scan started on: readable, with its sentinel."""
    try:
        disk.listdir(root)
        why = _sentinel_missing(root, sentinel, disk)
    except OSError as e:
        why = f"cannot read {root}: {e.strerror or e}"
    if why:
        raise RootGone(
            f"the scan root went away during {phase}: {why}. Nothing was marked Deleted; every earlier "
            "verdict stands until a scan sees the disk again."
        )
