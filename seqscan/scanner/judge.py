"""The data_state rule: what one file record becomes, from what is expected, what the disk says and
what the record said before. A pure function; tests/test_judge.py holds its table."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from seqscan.enums import PRESENT_STATES, DataState


class Expect(Enum):
    REQUIRED = "required"  # the layout expects it of this run (from the sample sheet)
    KNOWN = "known"  # a run file the layout knows but does not require (another caller's joint VCF)
    NONE = "none"  # nothing in the layout asks for it


class Disk(Enum):
    PRESENT = "present"
    ABSENT = "absent"
    UNREADABLE = "unreadable"  # its folder could not be listed: whether it is there is unknown
    UNLISTED = "unlisted"  # on disk, but where the layout lists no files (the root's layout changed)


class Verdict(NamedTuple):
    state: DataState
    message: str


KEEP = "keep"  # the record stays as it is
DROP = "drop"  # the record goes: nothing asks for it, and it never existed or the layout no longer lists it


EMPTY = "empty file"


def judge(
    expect: Expect, disk: Disk, previous: DataState | None, problem: str = "", size: int | None = None
) -> Verdict | str:
    """The new state of one file (a Verdict), or KEEP, or DROP.

    problem: why a present file is unusable (unreadable, not a regular file, an unparseable sheet,
    truncated); for an UNREADABLE folder, which folder. size: of a present file, in bytes.
    """
    if disk is Disk.UNLISTED:
        # Never Deleted for a change of layout: a file the new layout requires is judged as present;
        # any other record is no longer the layout's business and goes.
        if expect is not Expect.REQUIRED:
            return DROP
        disk = Disk.PRESENT
    if disk is Disk.PRESENT:
        if problem:
            return Verdict(DataState.ERROR, problem)
        if expect is Expect.NONE:
            return Verdict(DataState.UNEXPECTED, "")
        # An expected file with nothing in it is no data: a failed copy or a placeholder.
        return Verdict(DataState.ERROR, EMPTY) if size == 0 else Verdict(DataState.COMPLETE, "")
    if disk is Disk.UNREADABLE:
        # Unknowable, not gone: an unreadable folder must not read as deleted data.
        return Verdict(DataState.ERROR, problem) if expect is Expect.REQUIRED else KEEP
    was_there = previous in PRESENT_STATES or previous == DataState.DELETED
    if expect is Expect.REQUIRED:
        return Verdict(DataState.DELETED if was_there else DataState.NON_EXISTENT, "")
    if previous in PRESENT_STATES:
        return Verdict(DataState.DELETED, "")
    return DROP if previous == DataState.NON_EXISTENT else KEEP
