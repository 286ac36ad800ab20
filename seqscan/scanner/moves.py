"""Run folders that moved: a run is its run id and flowcell, wherever its folder sits.

Within one scan of a root, a known run whose folder is gone and a new folder of the same run id and
flowcell are one run that moved: its record follows the folder (its path, name and kit change; its
history, sheets and files stay its own), and the move is kept in the run's history (RunMove). A new
run record whose run id and flowcell are those of a Deleted run (under another root, or gone in an
earlier scan) links to it: the new record says where it came from, and the old one is Moved, no
longer Deleted. That link is the one write a scan makes outside its own root.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from seqscan.enums import DataState
from seqscan.models import RunMove, SequencingRun
from seqscan.scanner.found import FoundRun
from seqscan.scanner.runinfo import parse_run_name, same_run


def _identity(name: str) -> tuple[str, str] | None:
    """(run id, flowcell) a folder's name gives, or None when it names no run."""
    parsed = parse_run_name(name)
    return (parsed[1].run_id, parsed[1].flowcell) if parsed else None


def is_same_run(run: SequencingRun, folder_name: str) -> bool:
    """Whether a folder of that name holds this recorded run (same flowcell, and the same run id or
    the same date and flowcell in a folder a lab renamed)."""
    identity = parse_run_name(folder_name)
    if identity is None or not run.run_id or not run.flowcell:
        return False
    return identity[1].flowcell == run.flowcell and same_run(run.run_id, identity[1])


def pair_moves(gone: list[SequencingRun], new: list[FoundRun]) -> list[tuple[SequencingRun, FoundRun]]:
    """Each run gone from disk with the new folder that holds it: only where exactly one new folder
    holds it and it is the only gone run that folder could be (two copies are not one move)."""
    candidates: dict[int, list[FoundRun]] = defaultdict(list)
    claimed: dict[str, int] = defaultdict(int)
    for run in gone:
        for found in new:
            if is_same_run(run, found.name):
                candidates[run.id].append(found)
                claimed[found.path] += 1
    return [
        (run, candidates[run.id][0])
        for run in gone
        if len(candidates[run.id]) == 1 and claimed[candidates[run.id][0].path] == 1
    ]


def move(session: Session, run: SequencingRun, found: FoundRun, root: str, scan_id: int) -> None:
    """The run's record follows its folder to found's path (parsed again: its fingerprint is forgotten)."""
    session.add(RunMove(run_pk=run.id, scan_id=scan_id, from_root=run.root, from_path=run.path, to_root=root,
                        to_path=found.path))  # fmt: skip
    run.path, run.name, run.kit, run.fingerprint = found.path, found.name, found.kit, ""


def link_to_deleted(session: Session, run: SequencingRun, scan_id: int) -> SequencingRun | None:
    """For a run recorded for the first time: the Deleted run it is (same run id and flowcell), now
    Moved and linked from it; None when there is none, or more than one to choose from."""
    if not run.run_id or not run.flowcell:
        return None
    earlier = session.scalars(
        select(SequencingRun).where(
            SequencingRun.flowcell == run.flowcell,
            SequencingRun.data_state == DataState.DELETED,
            SequencingRun.moved_away.is_(False),
            SequencingRun.id != run.id,
        )
    ).all()
    earlier = [old for old in earlier if old.run_id == run.run_id]
    if len(earlier) != 1:
        return None
    old = earlier[0]
    old.moved_away, run.moved_from_pk = True, old.id
    session.add(RunMove(run_pk=run.id, scan_id=scan_id, from_root=old.root, from_path=old.path, to_root=run.root,
                        to_path=run.path))  # fmt: skip
    return old
