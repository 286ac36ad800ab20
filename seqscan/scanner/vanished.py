"""Runs and files gone from disk: which runs they are, the guard that refuses to believe a lost
mount (too many runs, or most of a run's files, gone at once), and marking runs Deleted or Skipped."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from seqscan.enums import PRESENT_STATES, DataState, ScanState
from seqscan.models import SequencingRun
from seqscan.scanner import store
from seqscan.scanner.bulk import insert_rows
from seqscan.scanner.guards import TooManyVanished, check_root
from seqscan.scanner.store import EVENT_COLUMNS, EVENTS, FILES

ACCEPT = "If they really were removed, accept on this scan's page or re-run with `flask scan --accept-vanished`."


class Vanished(NamedTuple):
    known: int  # runs under the root not already Deleted
    gone: list[SequencingRun]  # of those, the ones whose folder was not found
    skipped: list[tuple[SequencingRun, str]]  # not looked for: below a kit folder with a skip marker (why)
    unjudged: list[str]  # not found, but below an unreadable folder: not judged
    still_there: list[SequencingRun]  # not found as a run, but its folder is on disk: not judged


@dataclass(frozen=True)
class Guard:
    """When deletions are too many to believe (MAX_VANISHED_RUNS, MAX_VANISHED_FRACTION), for a root."""

    root: str
    sentinel: str | None  # ROOT_SENTINEL: the root is still there only with it
    max_runs: int
    max_fraction: float
    accept: bool  # the operator said they really were removed (`flask scan --accept-vanished`)
    accepted: Callable[[str | None, str], None]  # (run name or None, what): an accepted mass deletion


def _below(path: str, folder: str) -> bool:
    return folder == "." or path == folder or path.startswith(folder.rstrip("/") + "/")


def vanished_runs(
    session: Session, root: str, found: set[str], blind_spots: list[str], skipped_folders: dict[str, str]
) -> Vanished:
    """The runs under root that the database knows and this scan did not find (found: run paths)."""
    candidates = session.scalars(
        select(SequencingRun).where(SequencingRun.root == root, SequencingRun.data_state != DataState.DELETED)
    ).all()
    gone, skipped, unjudged, still_there = [], [], [], []
    for run in candidates:
        if run.path in found:
            continue
        kit = next((f for f in skipped_folders if _below(run.path, f)), None)
        if kit is not None:
            skipped.append((run, f"marker {skipped_folders[kit]} in {kit}/"))
        elif any(_below(run.path, b) for b in blind_spots):
            unjudged.append(run.name)
        elif os.path.isdir(f"{root}/{run.path}"):  # no longer found as a run, yet there: never Deleted
            still_there.append(run)
        else:
            gone.append(run)
    return Vanished(len(candidates), gone, skipped, unjudged, still_there)


def _too_many(guard: Guard, gone: int, known: int) -> bool:
    return gone > guard.max_fraction * known


def refuse_mass_deletion(guard: Guard, vanished: Vanished) -> None:
    """Too many known runs gone at once fails the scan, marking nothing Deleted, unless the operator
    accepts it (`flask scan --accept-vanished`)."""
    gone, known = len(vanished.gone), vanished.known
    if not (gone > guard.max_runs or _too_many(guard, gone, known)):
        return
    if guard.accept:
        guard.accepted(None, f"{gone} of {known} known runs gone from {guard.root}")
        return
    raise TooManyVanished(
        f"{gone} of {known} known runs are gone from {guard.root} — is the disk mounted? Nothing was marked "
        f"Deleted. {ACCEPT} Gone: {named(sorted(run.name for run in vanished.gone))}."
    )


def named(names: list[str], limit: int = 20) -> str:
    """The first limit names, and how many more."""
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def held_deletions(guard: Guard, run_name: str, synced) -> str | None:
    """Before a run's changes are written: if files were found gone, the root must still be there
    (else RootGone), and more than MAX_VANISHED_FRACTION of the run's files gone at once is held back
    (the reason is returned) unless accepted."""
    if not (synced.deleted_files or synced.vanished_files):
        return None
    check_root(guard.root, guard.sentinel, ScanState.CREATE_MODELS)
    gone, known = synced.deleted_files, synced.present_before
    if not _too_many(guard, gone, known):
        return None
    if guard.accept:
        guard.accepted(run_name, f"{gone} of {known} files gone at once")
        return None
    return f"{gone} of {known} files of run {run_name} are gone at once"


def refuse_held(held: list[str]) -> None:
    """After every run was looked at: any run's deletions held back fail the scan."""
    if not held:
        return
    more = f" (and {len(held) - 1} more runs)" if len(held) > 1 else ""
    raise TooManyVanished(f"{held[0]}{more} — is the disk mounted? Nothing of them was marked Deleted. {ACCEPT}")


def mark_skipped(session: Session, runs: list[tuple[SequencingRun, str]]) -> None:
    """Runs below a skip-marked kit folder: Skipped, their files as last seen. The fingerprint is
    forgotten so that the run is parsed again once the marker goes."""
    for run, reason in runs:
        run.skipped, run.data_state, run.skip_reason, run.fingerprint = True, DataState.SKIPPED, reason, ""
    session.commit()


def mark_deleted(session: Session, runs: list[SequencingRun], scan_id: int) -> int:
    """Mark runs gone from disk Deleted with their files, one transaction per run; returns files newly deleted."""
    files = 0
    for run in runs:
        present = [FILES.c.run_pk == run.id, FILES.c.data_state.in_([s.value for s in PRESENT_STATES])]
        now = datetime.now(UTC)
        events = [
            [run.id, path, file_type, scan_id, state.value, DataState.DELETED.value, now]
            for path, file_type, state in session.execute(
                select(FILES.c.path, FILES.c.file_type, FILES.c.data_state).where(*present)
            )
        ]
        insert_rows(session, EVENTS, EVENT_COLUMNS, events)
        store.reopen(session, run, {event[1] for event in events})
        result = session.execute(
            FILES.update().where(*present).values(data_state=DataState.DELETED, state_changed_scan_id=scan_id)
        )
        files += result.rowcount
        run.data_state, run.fingerprint, run.skipped = DataState.DELETED, "", False
        store.update_counts(run, store.stored_states(session, run.id))
        session.commit()
    return files
