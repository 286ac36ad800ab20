"""Parse an Illumina SampleSheet.csv: legacy HiSeq (no sections), IEM v1 ([Data]), v2 ([BCLConvert_Data])."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field

SECTION = re.compile(r"^\[(.+)\]$")
MAX_SAMPLES = 10_000  # per sheet, unless the caller says otherwise (SEQSCAN_MAX_SAMPLES_PER_SHEET)
# Lines a sheet may have besides its sample rows ([Header], [Reads], [Settings], comments …).
OTHER_LINES = 1_000
DATA_SECTIONS = ("data", "bclconvert_data")
# Column names as they appear in the three formats, lower-cased.
COLUMNS = {
    "sample_id": ("sample_id", "sampleid"),
    "name": ("sample_name", "samplename"),
    "project": ("sample_project", "sampleproject", "project"),
    "lane": ("lane",),
    "index": ("index",),
    "index2": ("index2",),
}


class SampleSheetError(ValueError):
    """A sample sheet that cannot be read, with the reason."""


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


def _decode(data: bytes) -> str:
    # Excel's "Unicode text" export: UTF-16 with a byte-order mark (its NUL bytes are not binary).
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise SampleSheetError(f"starts as UTF-16 but does not decode: {e.reason}") from None
    if b"\x00" in data:
        raise SampleSheetError("binary data (NUL bytes): not a CSV sample sheet")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older Windows-made sheets; every byte decodes


def _rows(text: str) -> list[list[str]]:
    try:
        raw = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        raise SampleSheetError(f"not valid CSV: {e}") from None
    rows = []
    for row in raw:
        cells = [c.strip() for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells and not cells[0].startswith("#"):
            rows.append(cells)
    return rows


def _sections(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current = None
    for row in rows:
        if len(row) == 1 and (m := SECTION.match(row[0])):
            current = sections.setdefault(m.group(1).strip().lower(), [])
        elif current is not None:
            current.append(row)
    return sections


def _too_many(count: int, what: str, limit: int) -> SampleSheetError:
    return SampleSheetError(
        f"{count:,} {what}: more than the {limit:,} samples a sheet may list (SEQSCAN_MAX_SAMPLES_PER_SHEET)"
    )


def _samples(header: list[str], rows: list[list[str]], warnings: list[str], limit: int) -> list[SampleRow]:
    if len(rows) > limit:
        raise _too_many(len(rows), "sample rows", limit)
    lower = [h.lower() for h in header]
    col = {key: next((lower.index(n) for n in names if n in lower), None) for key, names in COLUMNS.items()}
    if col["sample_id"] is None:
        raise SampleSheetError(f"data header has no Sample_ID column: {','.join(header)}")
    numbers: dict[str, int] = {}
    samples = []
    for line, row in enumerate(rows, start=2):
        padded = row + [""] * (len(header) - len(row))

        def cell(key: str, padded: list[str] = padded) -> str:
            i = col[key]
            return padded[i] if i is not None and i < len(padded) else ""

        sample_id = cell("sample_id")
        name = cell("name") or sample_id
        if not sample_id:
            warnings.append(f"data row {line} has no sample id; row ignored")
            continue
        if "/" in name or "\\" in name or name in (".", "..") or "/" in sample_id:
            warnings.append(f"data row {line}: sample {name!r} contains a path separator; row ignored")
            continue
        index, index2 = cell("index"), cell("index2")
        if not index2 and "-" in index:  # legacy sheets write dual indexes as ACGT-TGCA
            index, _, index2 = index.partition("-")
        number = numbers.setdefault(sample_id, len(numbers) + 1)
        samples.append(SampleRow(sample_id, name, cell("project"), cell("lane"), index, index2, number))
    if not samples:
        warnings.append("sample sheet lists no samples")
    return samples


def parse_samplesheet(data: bytes, max_samples: int = MAX_SAMPLES) -> SampleSheet:
    """Parse the bytes of a sample sheet, or raise SampleSheetError saying why not.

    A sheet listing more than max_samples samples is refused, before its rows are built when its
    line count already says so: one huge sheet must not take the memory of the machine.
    """
    digest = hashlib.sha256(data).hexdigest()
    text = _decode(data)
    if (lines := text.count("\n")) > max_samples + OTHER_LINES:
        raise _too_many(lines, "lines", max_samples)
    rows = _rows(text)
    if not rows:
        raise SampleSheetError("sample sheet is empty")
    warnings: list[str] = []
    if rows[0][0].lower() == "fcid":
        return SampleSheet("legacy", digest, _samples(rows[0], rows[1:], warnings, max_samples), warnings=warnings)
    sections = _sections(rows)
    name = next((s for s in DATA_SECTIONS if s in sections), None)
    if name is None:
        raise SampleSheetError("no [Data] or [BCLConvert_Data] section and no legacy FCID header")
    data_rows = sections[name]
    if not data_rows:
        raise SampleSheetError(f"[{name}] section has no header row")
    header = {r[0].lower(): (r[1] if len(r) > 1 else "") for r in sections.get("header", [])}
    version = "v2" if name == "bclconvert_data" or header.get("fileformatversion") == "2" else "v1"
    experiment = header.get("experiment name") or header.get("runname") or ""
    samples = _samples(data_rows[0], data_rows[1:], warnings, max_samples)
    settings = {r[0].lower(): (r[1] if len(r) > 1 else "") for r in sections.get("bclconvert_settings", [])}
    no_lane_splitting = settings.get("nolanesplitting", "").strip().lower() in ("true", "1", "yes")
    return SampleSheet(version, digest, samples, experiment, warnings, no_lane_splitting)
