"""Build run folders from the corpus's real metadata files, with FASTQs where and as the converters
write them, and score a scan of them.

The FASTQ names and folders come from Illumina's documentation (bcl2fastq2 guide, BCL Convert
guide, onboard analysis output folders), implemented here on their own: nothing below imports
seqscan's layout or sheet code, so a wrong rule in seqscan cannot agree with itself here.

    python -m tests.corpus.build OUT_DIR   # writes the trees, one root per converter
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).parent / "runs"
EXPECTED = tomllib.loads((Path(__file__).parent / "expected.toml").read_text())
# One root per converter, each scanned with its own layout profile.
CONVERTERS = ("bcl2fastq", "bclconvert", "dragen-onboard")
# Onboard analysis runs on these instruments only (their ids' prefixes).
ONBOARD = ("LH", "VH", "VL")
FASTQ = b"@r1\nACGT\n+\nIIII\n"


@dataclass
class Row:
    sample_id: str
    name: str
    project: str
    lane: str


@dataclass
class Sheet:
    rows: list[Row]
    settings: dict[str, str] = field(default_factory=dict)
    reads: int = 0  # non-index reads in [Reads]


def read_sheet(data: bytes, lanes: int = 0) -> Sheet | None:
    """The rows a converter reads from a sheet: [BCLConvert_Data], [Data], or a headerless legacy CSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    lines = [row[: max((i + 1 for i, c in enumerate(row) if c), default=0)] for row in lines]
    sections: dict[str, list[list[str]]] = {}
    current = "legacy" if lines and lines[0] and lines[0][0].lower() == "fcid" else ""
    for row in lines:
        if len(row) == 1 and row[0].startswith("[") and row[0].endswith("]"):
            current = row[0][1:-1].lower()
            continue
        if row and not row[0].startswith("#"):
            sections.setdefault(current, []).append(row)
    table = next((sections[s] for s in ("bclconvert_data", "data", "legacy") if s in sections), None)
    if not table:
        return None
    header = [h.lower() for h in table[0]]

    def column(*names: str) -> int | None:
        return next((header.index(n) for n in names if n in header), None)

    cols = {
        "id": column("sample_id", "sampleid"),
        "name": column("sample_name", "samplename"),
        "project": column("sample_project", "sampleproject", "project"),
        "lane": column("lane"),
    }
    if cols["id"] is None:
        return None

    def cell(row: list[str], key: str) -> str:
        i = cols[key]
        return row[i] if i is not None and i < len(row) else ""

    rows = [Row(cell(r, "id"), cell(r, "name"), cell(r, "project"), cell(r, "lane")) for r in table[1:]]
    if lanes:  # a row for a lane the flowcell does not have: no converter writes it
        rows = [r for r in rows if not r.lane.isdigit() or int(r.lane) <= lanes]
    settings = {
        r[0].lower(): r[1] if len(r) > 1 else ""
        for s in ("settings", "bclconvert_settings")
        for r in sections.get(s, [])
    }
    reads = sum(
        1
        for r in sections.get("reads", [])
        if (len(r) == 1 and r[0].isdigit()) or (len(r) == 2 and r[0].lower() in ("read1cycles", "read2cycles"))
    )
    return Sheet([r for r in rows if r.sample_id], settings, reads)


def run_reads(runinfo: bytes | None, sheet: Sheet | None, converter: str) -> list[str]:
    """The R (and I) files of a run: one R file per non-index read of RunInfo.xml, numbered in run
    order; under BCL Convert a read OverrideCycles masks whole (only N) gets none, and index reads get
    I files only with CreateFastqForIndexReads."""
    kinds: list[str] = []
    if runinfo:
        for read in ET.fromstring(runinfo).iterfind("Run/Reads/Read"):
            kinds.append("I" if read.get("IsIndexedRead") == "Y" else "Y")
    elif sheet and sheet.reads:
        kinds = ["Y"] * sheet.reads
    else:
        kinds = ["Y", "Y"]
    settings = sheet.settings if sheet else {}
    if converter != "bcl2fastq" and (override := settings.get("overridecycles", "")):
        segments = override.split(";")
        if len(segments) == len(kinds):
            for i, segment in enumerate(segments):
                letters = {c for c in segment.upper() if c.isalpha()}
                if letters <= {"N"}:
                    kinds[i] = "N"
    index_fastqs = converter != "bcl2fastq" and settings.get("createfastqforindexreads", "") in ("1", "true")
    labels, r, i = [], 0, 0
    for kind in kinds:
        if kind == "Y":
            r += 1
            labels.append(f"R{r}")
        elif kind == "I":
            i += 1
            if index_fastqs:
                labels.append(f"I{i}")
    return labels


def lane_count(runinfo: bytes | None) -> int:
    if not runinfo:
        return 0
    layout = ET.fromstring(runinfo).find("Run/FlowcellLayout")
    return int(layout.get("LaneCount", "0")) if layout is not None else 0


def fastq_paths(sheet: Sheet, reads: list[str], lanes: int, converter: str, projects: bool) -> list[str]:
    """Every FASTQ the converter writes, relative to its output folder: samples and Undetermined.

    bcl2fastq names a file by Sample_Name (Sample_ID without one), in <Sample_Project>/ when set and
    <Sample_ID>/ below it when the name differs from the id. BCL Convert names it by Sample_ID, in
    <Sample_Project>/ with --bcl-sampleproject-subdirectories (projects=True), flat by default. S<n>:
    a sample's order of first appearance; a sample on several lanes or rows keeps its number. Without
    a Lane column a sample is in every lane. NoLaneSplitting (BCL Convert): no _L00<n> part."""
    numbers: dict[str, int] = {}
    no_lanes = converter != "bcl2fastq" and sheet.settings.get("nolanesplitting", "").lower() in ("true", "1")
    all_lanes = [str(n) for n in range(1, (lanes or 1) + 1)]
    paths: dict[str, None] = {}
    used_lanes: set[str] = set()
    for row in sheet.rows:
        number = numbers.setdefault(row.sample_id, len(numbers) + 1)
        if converter == "bcl2fastq":
            name = row.name or row.sample_id
            folder = "/".join(
                p for p in (row.project, row.sample_id if row.name and row.name != row.sample_id else "") if p
            )
        else:
            name, folder = row.sample_id, row.project if projects else ""
        for lane in [row.lane] if row.lane else all_lanes:
            used_lanes.add(lane)
            for read in reads:
                lane_part = "" if no_lanes else f"_L{int(lane):03d}"
                base = f"{name}_S{number}{lane_part}_{read}_001.fastq.gz"
                paths[f"{folder}/{base}" if folder else base] = None
    for lane in sorted(used_lanes, key=int):
        for read in reads:
            lane_part = "" if no_lanes else f"_L{int(lane):03d}"
            paths[f"Undetermined_S0{lane_part}_{read}_001.fastq.gz"] = None
    return list(paths)


@dataclass
class Built:
    name: str
    fastqs: list[str]  # relative to the run folder
    expected: dict
    samples: int = 0  # distinct Sample_IDs of the sheet the converter read


def build_run(name: str, out_root: Path, converter: str, index: int) -> Built | None:
    """One corpus run, finished and converted by converter, under out_root; None if that converter
    does not apply (onboard analysis only on the instruments that have it)."""
    want = EXPECTED[name]
    source = CORPUS / name
    instrument = name.split("_")[1]
    if converter == "dragen-onboard" and not instrument.startswith(ONBOARD):
        return None
    run_dir = out_root / name
    for path in source.rglob("*"):
        rel = path.relative_to(source)
        if path.name == "SOURCES" or path.is_dir():
            continue
        target = run_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(path.readlink())
        else:
            shutil.copyfile(path, target)
    # A finished run, copied off its instrument: the sources kept the XML, not always the markers.
    names = {p.name.lower() for p in run_dir.iterdir()}
    for marker in ("RTAComplete.txt", "CopyComplete.txt"):
        if marker.lower() not in names:
            (run_dir / marker).write_bytes(b"")
    sheet_rel = want.get(f"{converter}_sheet") or want["sheet"]
    sheet_bytes = (source / sheet_rel).read_bytes() if sheet_rel else None
    sheet_at = "Analysis/1/Data/BCLConvert/SampleSheet.csv" if converter == "dragen-onboard" else "SampleSheet.csv"
    if sheet_bytes is not None and (sheet_rel, sheet_at) != ("SampleSheet.csv", "SampleSheet.csv"):
        root_sheet = run_dir / "SampleSheet.csv"
        if root_sheet.is_symlink() or root_sheet.exists():
            root_sheet.unlink()
        (run_dir / sheet_at).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / sheet_at).write_bytes(sheet_bytes)
    runinfo_path = next((p for p in (run_dir / "RunInfo.xml", run_dir / "runinfo.xml") if p.exists()), None)
    runinfo = runinfo_path.read_bytes() if runinfo_path else None
    sheet = read_sheet(sheet_bytes, lane_count(runinfo)) if sheet_bytes else None
    fastqs: list[str] = []
    if sheet:
        kind = "bcl2fastq" if converter == "bcl2fastq" else "bclconvert"
        output = "Analysis/1/Data/BCLConvert/fastq" if converter == "dragen-onboard" else "Fastq"
        projects = converter == "bclconvert" and index % 2 == 1  # both of BCL Convert's ways, run by run
        reads = run_reads(runinfo, sheet, kind)
        fastqs = [f"{output}/{p}" for p in fastq_paths(sheet, reads, lane_count(runinfo), kind, projects)]
        for rel in fastqs:
            (run_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (run_dir / rel).write_bytes(FASTQ)
    return Built(name, fastqs, want, len({r.sample_id for r in sheet.rows}) if sheet else 0)


def build(out: Path) -> dict[str, list[Built]]:
    """Every corpus run under out/<converter>/<kit>/: {converter: the runs built}."""
    built: dict[str, list[Built]] = {}
    for converter in CONVERTERS:
        root = out / converter / "runs"
        root.mkdir(parents=True, exist_ok=True)
        built[converter] = [
            b for i, name in enumerate(sorted(EXPECTED)) if (b := build_run(name, root, converter, i)) is not None
        ]
    return built


if __name__ == "__main__":
    for converter, runs in build(Path(sys.argv[1])).items():
        print(f"{converter}: {len(runs)} runs, {sum(len(r.fastqs) for r in runs)} FASTQs")
