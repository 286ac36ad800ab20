"""Files written in place: `cp` and `rsync --inplace` finish a file without touching its folder's
mtime, so a run's fingerprint cannot see them. Files judged Error for their content (empty,
truncated) are few: each is stat'ed again on every scan, and its run is parsed again when its size
or mtime moved."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seqscan.enums import DataState
from seqscan.models import SequencingFile, SequencingRun
from seqscan.scanner.judge import EMPTY
from seqscan.scanner.runfolder import TRUNCATED

CONTENT_ERRORS = (EMPTY, TRUNCATED)


def _moved(path: str, size: int | None, mtime: datetime | None) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return True  # gone or unreadable now: the run's own parse says which
    now = datetime.fromtimestamp(st.st_mtime_ns / 1e9, UTC)
    return st.st_size != size or mtime is None or abs((now - mtime).total_seconds()) > 1e-3


def rewritten_in_place(session: Session, root: str, run_paths: list[str]) -> set[str]:
    """Of these unchanged runs under root, those holding a content-Error file whose size or mtime moved."""
    moved: set[str] = set()
    for i in range(0, len(run_paths), 500):
        rows = session.execute(
            select(SequencingRun.path, SequencingFile.path, SequencingFile.size, SequencingFile.mtime)
            .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
            .where(
                SequencingRun.root == root,
                SequencingRun.path.in_(run_paths[i : i + 500]),
                SequencingFile.data_state == DataState.ERROR,
                SequencingFile.message.in_(CONTENT_ERRORS),
            )
        )
        for run_path, path, size, mtime in rows:
            if run_path not in moved and _moved(f"{root}/{run_path}/{path}", size, mtime):
                moved.add(run_path)
    return moved
