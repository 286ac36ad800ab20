"""The data_state rule as a table: (what is expected, what the disk says, the state before) -> verdict."""

from __future__ import annotations

import pytest

from seqscan.enums import DataState
from seqscan.scanner.judge import DROP, KEEP, Disk, Expect, Verdict, judge

C, N, D, S, E, U = (
    DataState.COMPLETE,
    DataState.NON_EXISTENT,
    DataState.DELETED,
    DataState.SKIPPED,
    DataState.ERROR,
    DataState.UNEXPECTED,
)
REQ, KNOWN, NONE = Expect.REQUIRED, Expect.KNOWN, Expect.NONE
HERE, GONE, BLIND, UNLISTED = Disk.PRESENT, Disk.ABSENT, Disk.UNREADABLE, Disk.UNLISTED

TABLE = [
    # expect, disk, previous, problem, verdict
    # On disk and readable: Complete if the layout knows it, Unexpected if nothing asks for it.
    (REQ, HERE, None, "", Verdict(C, "")),
    (REQ, HERE, N, "", Verdict(C, "")),  # a missing file arrived
    (REQ, HERE, D, "", Verdict(C, "")),  # a deleted file came back
    (REQ, HERE, E, "", Verdict(C, "")),  # an unreadable file became readable: the old message goes
    (KNOWN, HERE, None, "", Verdict(C, "")),  # another caller's joint VCF: known, not required
    (NONE, HERE, None, "", Verdict(U, "")),
    (NONE, HERE, C, "", Verdict(U, "")),  # the sheet no longer names its sample
    # Expected but empty: no data (a failed copy, a placeholder); an empty unexpected file is just there.
    (REQ, HERE, None, "", Verdict(E, "empty file"), 0),
    (KNOWN, HERE, C, "", Verdict(E, "empty file"), 0),
    (NONE, HERE, None, "", Verdict(U, ""), 0),
    (REQ, HERE, E, "", Verdict(C, ""), 1),  # an empty file that got its data
    # On disk but unusable: Error with the reason, whatever is expected.
    (REQ, HERE, C, "broken symlink", Verdict(E, "broken symlink")),
    (NONE, HERE, None, "not a regular file", Verdict(E, "not a regular file")),
    (KNOWN, HERE, C, "SampleSheet.csv cannot be parsed", Verdict(E, "SampleSheet.csv cannot be parsed")),
    # Required but not on disk: missing if it never was there, Deleted if it was.
    (REQ, GONE, None, "", Verdict(N, "")),
    (REQ, GONE, N, "", Verdict(N, "")),
    (REQ, GONE, S, "", Verdict(N, "")),  # a run un-skipped: never seen, so missing
    (REQ, GONE, C, "", Verdict(D, "")),
    (REQ, GONE, U, "", Verdict(D, "")),
    (REQ, GONE, E, "", Verdict(D, "")),  # an unreadable file that is now gone
    (REQ, GONE, D, "", Verdict(D, "")),  # stays Deleted, never "missing" again
    # Not required and not on disk: a present one is Deleted, a never-seen one is forgotten.
    (NONE, GONE, C, "", Verdict(D, "")),
    (NONE, GONE, U, "", Verdict(D, "")),
    (NONE, GONE, E, "", Verdict(D, "")),
    (NONE, GONE, N, "", DROP),  # the sheet stopped asking for a file that never existed
    (NONE, GONE, D, "", KEEP),  # deleted stays deleted, as history
    (NONE, GONE, S, "", KEEP),
    # Its folder could not be listed: unknowable, never Deleted.
    (REQ, BLIND, None, "cannot read folder 1_BAM", Verdict(E, "cannot read folder 1_BAM")),
    (REQ, BLIND, C, "cannot read folder 1_BAM", Verdict(E, "cannot read folder 1_BAM")),
    (NONE, BLIND, C, "cannot read folder 1_BAM", KEEP),
    (NONE, BLIND, U, "cannot read folder 1_BAM", KEEP),
    (KNOWN, BLIND, C, "cannot read folder 2_variants", KEEP),
    # On disk where the root's (changed) layout lists no files: never Deleted for the change.
    (REQ, UNLISTED, C, "", Verdict(C, "")),  # the new layout asks for it where it is
    (REQ, UNLISTED, C, "", Verdict(E, "empty file"), 0),
    (NONE, UNLISTED, C, "", DROP),  # no longer the layout's business: the record goes, not Deleted
    (NONE, UNLISTED, U, "", DROP),
]


@pytest.mark.parametrize(("expect", "disk", "previous", "problem", "verdict", "size"), [(*r, 100)[:6] for r in TABLE])
def test_judge(expect, disk, previous, problem, verdict, size):
    assert judge(expect, disk, previous, problem, size if disk in (HERE, UNLISTED) else None) == verdict


def test_the_table_covers_every_expectation_disk_and_previous_state():
    seen = {(e, d) for e, d, *_ in TABLE}
    assert seen >= {(e, d) for e in (REQ, NONE) for d in Disk}
    assert {p for _, _, p, *_ in TABLE} == {None, *DataState}
