"""Which reads of a run get a FASTQ (R1, R2 … I1, I2), as the converter decides. Pure: no disk."""

from __future__ import annotations

import re
from collections.abc import Sequence

from seqscan.scanner.runinfo import Read

# One read's part of OverrideCycles: runs of Y (sequence), I (index), U (UMI), N (skipped) cycles.
SEGMENT = re.compile(r"(?:[YIUN]\d*)+", re.IGNORECASE)
NO_READS = "no RunInfo.xml and no [Reads] in the sample sheet: R1 and R2 FASTQs expected"


def fastq_reads(
    run_reads: Sequence[Read],
    converter: str,
    override_cycles: str = "",
    index_fastqs: bool = False,
    sheet_reads: int = 0,
) -> tuple[list[str], str]:
    """(the read labels with a FASTQ, in file-name order; a warning or "").

    The reads are RunInfo.xml's; without it, the sheet's [Reads]; without both, R1 and R2 with a
    warning. Each non-index read is an R file, numbered in run order (a single-end run: R1 only).
    Under BCL Convert, OverrideCycles can change that: a read of only N cycles has no FASTQ, UMI
    cycles (U) go to the read names (a read of only UMI cycles in a read's place has no file of its
    own; in an index's place it is an index read), and index reads get I files only with
    CreateFastqForIndexReads.
    """
    kinds = ["I" if r.is_index else "Y" for r in run_reads]
    warning = ""
    if not kinds:
        if sheet_reads:
            kinds = ["Y"] * sheet_reads
        elif converter == "bclconvert" and override_cycles:
            kinds = [_kind(s, "Y") for s in override_cycles.split(";")]
        else:
            return ["R1", "R2"], NO_READS
    if converter == "bclconvert" and override_cycles:
        segments = override_cycles.split(";")
        if len(segments) == len(kinds) and all(SEGMENT.fullmatch(s) for s in segments):
            kinds = [_kind(segment, kind) for segment, kind in zip(segments, kinds, strict=True)]
        else:
            warning = (
                f"OverrideCycles {override_cycles!r} does not fit the run's {len(kinds)} reads; "
                "FASTQs expected as RunInfo.xml's reads"
            )
    labels, r, i = [], 0, 0
    for kind in kinds:
        if kind == "Y":
            r += 1
            labels.append(f"R{r}")
        elif kind == "I":
            i += 1
            if index_fastqs and converter == "bclconvert":
                labels.append(f"I{i}")
    return labels, warning


def _kind(segment: str, place: str) -> str:
    """What a read becomes given its OverrideCycles segment: Y (an R file), I (index), N (nothing).

    place: what RunInfo.xml says the read is (Y or I), which decides a read of only UMI cycles."""
    letters = {c for c in segment.upper() if c.isalpha()}
    if "I" in letters:
        return "I"
    if "Y" in letters:
        return "Y"
    if "U" in letters and place == "I":  # a UMI read in an index's place: an I file when asked for
        return "I"
    return "N"  # only skipped or UMI cycles: written to no file of its own
