"""A lost mount is not a deletion: the checks that stop a scan before it writes Deleted for data that
is only out of sight — too many runs gone at once, most of a run's files gone at once, a root that
left (renamed, unmounted, its sentinel gone) while the scan ran."""

from __future__ import annotations

import os

from flask import current_app

from seqscan import scans
from seqscan.extensions import db
from seqscan.models import ScanRun, ScanWarning
from seqscan.scanner.walk import RootUnreadable

ACCEPT = "Re-run with `flask scan --accept-vanished` if they really were removed."


class TooManyVanished(RuntimeError):
    """So many known runs or files are gone at once that the disk is more likely missing than they are."""


class RootGone(RootUnreadable):
    """The scan root stopped being there during the scan."""


def _sentinel_missing(root: str, sentinel: str | None) -> str | None:
    if sentinel and not os.path.exists(os.path.join(root, sentinel)):
        return f"sentinel {sentinel} missing in {root}"
    return None


def check_sentinel(root: str, sentinel: str | None) -> None:
    """Before the walk: a mount point without its disk looks like an empty folder."""
    if why := _sentinel_missing(root, sentinel):
        raise RootUnreadable(f"{why}: root not mounted?")


def check_root(root: str, sentinel: str | None, phase: str) -> None:
    """The root is still the folder the scan started on: readable, with its sentinel."""
    try:
        os.listdir(root)
        why = _sentinel_missing(root, sentinel)
    except OSError as e:
        why = f"cannot read {root}: {e.strerror or e}"
    if why:
        raise RootGone(
            f"the scan root went away during {phase}: {why}. Nothing was marked Deleted; every earlier "
            "verdict stands until a scan sees the disk again."
        )


def _too_many(gone: int, known: int) -> bool:
    return gone > float(current_app.config["MAX_VANISHED_FRACTION"]) * known


def refuse_mass_deletion(scan: ScanRun, vanished, accept: bool) -> None:
    """Too many known runs gone at once fails the scan, marking nothing Deleted, unless the operator
    accepts it (`flask scan --accept-vanished`)."""
    gone, known = len(vanished.gone), vanished.known
    if not (gone > int(current_app.config["MAX_VANISHED_RUNS"]) or _too_many(gone, known)):
        return
    if accept:
        _accept(scan, None, f"{gone} of {known} known runs gone from {scan.root}")
        return
    raise TooManyVanished(
        f"{gone} of {known} known runs are gone from {scan.root} — is the disk mounted? Nothing was marked "
        f"Deleted. {ACCEPT}"
    )


def held_deletions(scan: ScanRun, sentinel: str | None, run_name: str, synced, accept: bool) -> str | None:
    """Before a run's changes are written: if files were found gone, the root must still be there
    (else RootGone), and more than MAX_VANISHED_FRACTION of the run's files gone at once is held back
    (the reason is returned) unless accepted."""
    if not (synced.deleted_files or synced.vanished_files):
        return None
    check_root(scan.root, sentinel, scan.state)
    gone, known = synced.deleted_files, synced.present_before
    if not _too_many(gone, known):
        return None
    if accept:
        _accept(scan, run_name, f"{gone} of {known} files gone at once")
        return None
    return f"{gone} of {known} files of run {run_name} are gone at once"


def refuse_held(held: list[str]) -> None:
    """After every run was looked at: any run's deletions held back fail the scan."""
    if not held:
        return
    more = f" (and {len(held) - 1} more runs)" if len(held) > 1 else ""
    raise TooManyVanished(f"{held[0]}{more} — is the disk mounted? Nothing of them was marked Deleted. {ACCEPT}")


def _accept(scan: ScanRun, run_name: str | None, what: str) -> None:
    who = f" by {scan.requested_by}" if scan.requested_by else ""
    db.session.add(
        ScanWarning(scan_id=scan.id, run_name=run_name, path="", message=f"{what}: accepted as Deleted{who}")
    )
    scans.record_action(
        scan.requested_by, f"accepted {what}{' in ' + run_name if run_name else ''} as Deleted", scan.id
    )
