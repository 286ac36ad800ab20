"""Parse an Illumina SampleSheet.csv: legacy HiSeq (no sections), IEM v1 ([Data]), v2 ([BCLConvert_Data])."""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field

from seqscan.scanner.sheettext import SampleSheetError, TooManyLines, sheet_rows, without_stray_nuls

__all__ = ["MAX_SAMPLES", "SampleRow", "SampleSheet", "SampleSheetError", "parse_samplesheet"]

SECTION = re.compile(r"^\[(.+)\]$")
MAX_SAMPLES = 10_000  # per sheet, unless the caller says otherwise (SEQSCAN_MAX_SAMPLES_PER_SHEET)
# Lines a sheet may have besides its sample rows ([Header], [Reads], [Settings], comments …).
OTHER_LINES = 1_000
DATA_SECTIONS = ("data", "bclconvert_data")  # the first one present is the sheet's samples
KEY_VALUE_SECTIONS = ("header", "settings", "bclconvert_settings")
# A Lane value: a whole number (0 and past RunInfo's lane count are refused on their own).
LANE = re.compile(r"[0-9]{1,3}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (category Cc)
# Column names as they appear in the three formats, lower-cased.
COLUMNS = {
    "sample_id": ("sample_id", "sampleid"),
    "name": ("sample_name", "samplename"),
    "project": ("sample_project", "sampleproject", "project"),
    "lane": ("lane",),
    "index": ("index",),
    "index2": ("index2",),
}


@dataclass(frozen=True)
class SampleRow:
    sample_id: str
    name: str
    project: str
    lane: str
    index: str
    index2: str
    number: int  # 1-based order of first appearance of the sample id (the S<n> of bcl2fastq)


@dataclass
class SampleSheet:
    format: str  # "legacy", "v1" or "v2"
    sha256: str
    samples: list[SampleRow]
    experiment: str = ""
    warnings: list[str] = field(default_factory=list)
    # [BCLConvert_Settings] NoLaneSplitting,true: FASTQ names carry no _L00<lane> part.
    no_lane_splitting: bool = False
    # Settings ([BCLConvert_Settings] or v1 [Settings]) that decide which FASTQs BCL Convert writes.
    override_cycles: str = ""  # e.g. "U8Y143;I8;I8;U8Y143"
    index_fastqs: bool = False  # CreateFastqForIndexReads,1: I1/I2 FASTQs are written too
    # How many non-index reads the [Reads] section lists (0: it does not say).
    reads: int = 0


class _Table:
    """A data section as it is read: its header row, then of each row only the cells seqscan uses."""

    def __init__(self) -> None:
        self.header: list[str] | None = None
        self.col: dict[str, int | None] = {}
        self.rows: list[tuple[str, ...]] = []

    def add(self, row: list[str]) -> None:
        if self.header is None:
            self.header = row
            lower = [h.lower() for h in row]
            self.col = {
                key: next((lower.index(n) for n in names if n in lower), None) for key, names in COLUMNS.items()
            }
            return
        self.rows.append(tuple(row[i] if i is not None and i < len(row) else "" for i in self.col.values()))

    def field(self, key: str) -> str:
        """The column's name as the sheet writes it (Lane, Sample_ID, SampleProject ...)."""
        return self.header[self.col[key]]


def _too_many(count: int, what: str, limit: int) -> SampleSheetError:
    return SampleSheetError(
        f"{count:,} {what}: more than the {limit:,} samples a sheet may list (SEQSCAN_MAX_SAMPLES_PER_SHEET)"
    )


def _unsafe(value: str) -> str:
    """Why a value cannot fill a path placeholder, or "" if it can."""
    if "/" in value or "\\" in value:
        return "contains a path separator"
    if ".." in value:
        return "contains '..'"
    if CONTROL.search(value):
        return "contains a control character"
    if value.startswith("-"):
        return "starts with '-' (a command would read it as an option)"
    return ""


def _bad_field(table: _Table, value: dict[str, str], lane_count: int | None) -> str:
    """What is wrong with the first of a row's path-filling values that is wrong, or ""."""
    for key in ("sample_id", "name", "project"):
        if value[key] and (why := _unsafe(value[key])):
            return f"{table.field(key)} {value[key]!r} {why}"
    lane = value["lane"]
    if lane and not (LANE.fullmatch(lane) and int(lane) >= 1):
        return f"{table.field('lane')} {lane!r} is not a lane number (a whole number from 1)"
    if lane and lane_count and int(lane) > lane_count:
        return (
            f"{table.field('lane')} {lane!r} is not on this flowcell: the flowcell has {lane_count} lanes (RunInfo.xml)"
        )
    return ""


def _samples(table: _Table, warnings: list[str], limit: int, lane_count: int | None) -> list[SampleRow]:
    if len(table.rows) > limit:
        raise _too_many(len(table.rows), "sample rows", limit)
    if table.col["sample_id"] is None:
        raise SampleSheetError(f"data header has no Sample_ID column: {','.join(table.header)}")
    numbers: dict[str, int] = {}
    samples = []
    for line, cells in enumerate(table.rows, start=2):
        value = dict(zip(COLUMNS, cells, strict=True))
        sample_id = value["sample_id"]
        if not sample_id:
            warnings.append(f"data row {line} has no sample id; row ignored")
            continue
        # Every value that fills a path placeholder: a bad one would name a file outside the run folder.
        if problem := _bad_field(table, value, lane_count):
            warnings.append(f"data row {line} (sample {sample_id!r}): {problem}; row ignored")
            continue
        index, index2 = value["index"], value["index2"]
        if not index2 and "-" in index:  # legacy sheets write dual indexes as ACGT-TGCA
            index, _, index2 = index.partition("-")
        number = numbers.setdefault(sample_id, len(numbers) + 1)
        samples.append(
            SampleRow(sample_id, value["name"] or sample_id, value["project"], value["lane"], index, index2, number)
        )
    if not samples:
        warnings.append("sample sheet lists no samples")
    return samples


def parse_samplesheet(data: bytes, max_samples: int = MAX_SAMPLES, lane_count: int | None = None) -> SampleSheet:
    """Parse the bytes of a sample sheet, or raise SampleSheetError saying why not.

    A sheet of more than max_samples samples (or more lines than those and OTHER_LINES) is refused
    as its rows are read: one huge sheet must not take the memory of the machine. lane_count
    (RunInfo.xml's, when known): a row naming a lane past it is ignored with a warning.
    """
    try:
        return _parse(data, max_samples, lane_count)
    except TooManyLines as e:
        raise _too_many(e.count, "lines", max_samples) from None


def _parse(data: bytes, max_samples: int, lane_count: int | None) -> SampleSheet:
    digest = hashlib.sha256(data).hexdigest()
    data, had_nuls = without_stray_nuls(data)
    rows = sheet_rows(data, max_samples + OTHER_LINES)
    first = next(rows, None)
    if first is None:
        raise SampleSheetError("sample sheet is empty")
    warnings: list[str] = ["NUL bytes inside its cells ignored"] if had_nuls else []
    if first[0].lower() == "fcid":
        table = _Table()
        for row in itertools.chain([first], rows):
            table.add(row)
        return SampleSheet("legacy", digest, _samples(table, warnings, max_samples, lane_count), warnings=warnings)
    tables: dict[str, _Table] = {}
    values: dict[str, dict[str, str]] = {}  # key,value sections: [Header], [BCLConvert_Settings]
    reads: list[list[str]] = []  # the [Reads] section's rows
    current = None
    for row in itertools.chain([first], rows):
        if len(row) == 1 and (m := SECTION.match(row[0])):
            current = m.group(1).strip().lower()
            if current in DATA_SECTIONS:
                tables.setdefault(current, _Table())
        elif current in DATA_SECTIONS:
            tables[current].add(row)
        elif current == "reads":
            reads.append(row)
        elif current in KEY_VALUE_SECTIONS:
            values.setdefault(current, {})[row[0].strip().lower()] = row[1].strip() if len(row) > 1 else ""
    name = next((s for s in DATA_SECTIONS if s in tables), None)
    if name is None:
        raise SampleSheetError("no [Data] or [BCLConvert_Data] section and no legacy FCID header")
    if tables[name].header is None:
        raise SampleSheetError(f"[{name}] section has no header row")
    header = values.get("header", {})
    version = "v2" if name == "bclconvert_data" or header.get("fileformatversion") == "2" else "v1"
    experiment = header.get("experiment name") or header.get("runname") or ""
    samples = _samples(tables[name], warnings, max_samples, lane_count)
    settings = values.get("settings", {}) | values.get("bclconvert_settings", {})
    return SampleSheet(
        version,
        digest,
        samples,
        experiment,
        warnings,
        no_lane_splitting=_true(settings.get("nolanesplitting", "")),
        override_cycles=settings.get("overridecycles", "").replace(" ", ""),
        index_fastqs=_true(settings.get("createfastqforindexreads", "")),
        reads=_non_index_reads(reads),
    )


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def _non_index_reads(rows: list[list[str]]) -> int:
    """Non-index reads in [Reads]: v1 lists one cycle count a line, v2 writes Read1Cycles,151
    (and Index1Cycles,8 for index reads)."""
    cells = [[c.strip().lower() for c in row if c.strip()] for row in rows]
    v1 = [row for row in cells if len(row) == 1 and row[0].isdigit()]
    v2 = [row for row in cells if len(row) == 2 and re.fullmatch(r"read\dcycles", row[0])]
    return len(v1) + len(v2)
