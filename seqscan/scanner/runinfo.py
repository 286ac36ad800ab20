"""Run identity from the folder name and from RunInfo.xml / RunParameters.xml."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import NamedTuple

# YYMMDD or YYYYMMDD _ instrument _ run number _ flowcell (MiSeq: 000000000-XXXXX or _XXXXX). The
# instrument is any name without underscores that begins with a letter: ids (NB501009, ST-E00123)
# and the names labs give their instruments (MICHELLE, SL-HDF). A HiSeq flowcell's side (A or B)
# is sometimes written as a part of its own: 100914_HS3_05281_A_205MBABXX.
RUN_ID = re.compile(
    r"(?:^|_)(?P<date>\d{8}|\d{6})_(?P<instrument>[A-Za-z][A-Za-z0-9-]*)_(?P<number>\d{1,5})_"
    r"(?:(?P<side>[AB])_)?(?P<flowcell>(?:0{9}[-_][A-Z0-9]{5})|[A-Za-z0-9-]+)$"
)
# Instrument-id prefix → sequencer model; longest prefix wins (Illumina's instrument serial prefixes).
SEQUENCERS = {
    "NS": "NextSeq 500/550",
    "NB": "NextSeq 500/550",
    "NDX": "NextSeq 550Dx",
    "VH": "NextSeq 2000",
    "VL": "NextSeq 1000",
    "M": "MiSeq",
    "MN": "MiniSeq",
    "ML": "MiniSeq",
    "SH": "MiSeq i100",
    "D": "HiSeq 2500",
    "SN": "HiSeq 2000",
    "K": "HiSeq 4000",
    "J": "HiSeq 3000",
    "ST": "HiSeq X",
    "E": "HiSeq X",
    "A": "NovaSeq 6000",
    "LH": "NovaSeq X",
    "FS": "iSeq 100",
    "FFSP": "iSeq 100",
}
# RunParameters' control software or instrument type → model; the first whose words it holds wins.
# Two names cover several models (FAMILIES): there the id prefix or the software version tells.
APPLICATIONS = tuple(
    (re.compile(rf"\b{words}", re.IGNORECASE), model)
    for words, model in (
        ("novaseq ?x", "NovaSeq X"),
        ("novaseq", "NovaSeq 6000"),
        ("nextseq ?(1000/2000|1k2k)", "NextSeq 1000/2000"),
        ("nextseq ?2000", "NextSeq 2000"),
        ("nextseq ?1000", "NextSeq 1000"),
        ("nextseq ?550 ?dx", "NextSeq 550Dx"),
        ("nextseq", "NextSeq 500/550"),
        ("miniseq", "MiniSeq"),
        ("miseq ?i100", "MiSeq i100"),
        ("miseq", "MiSeq"),
        ("iseq", "iSeq 100"),
        ("hiseq ?x", "HiSeq X"),
        ("hiseq", "HiSeq"),
    )
)
FAMILIES = ("NextSeq 1000/2000", "HiSeq")
# What each model's family writes when the run is over: NovaSeq and NextSeq 1000/2000 copy the
# run off the instrument and say so with CopyComplete.txt; the others write RTAComplete.txt.
COPY_COMPLETE_MODELS = ("NovaSeq 6000", "NovaSeq X", "NextSeq 1000", "NextSeq 2000", "NextSeq 1000/2000")
DATE_FORMATS = ("%y%m%d", "%Y%m%d", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y")


class Read(NamedTuple):
    """One read of RunInfo.xml's <Reads>, in run order."""

    number: int
    cycles: int
    is_index: bool


@dataclass
class RunIdentity:
    run_id: str = ""
    date: date | None = None
    instrument: str = ""
    run_number: int | None = None
    flowcell: str = ""
    experiment: str = ""
    lane_count: int | None = None  # RunInfo.xml's <FlowcellLayout LaneCount=...>
    reads: tuple[Read, ...] = ()  # RunInfo.xml's <Reads>
    # RunParameters' instrument type or control software, and its version: beats the id prefix.
    application: str = ""
    application_version: str = ""

    def fill_from(self, other: RunIdentity) -> None:
        """Take other's values where this one has none."""
        for f in fields(self):
            if getattr(self, f.name) in ("", None, ()):
                setattr(self, f.name, getattr(other, f.name))


def parse_date(text: str) -> date | None:
    """A run date in any of the RunInfo formats: YYMMDD, YYYYMMDD, M/D/YYYY h:mm:ss AM, ISO 8601."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def parse_run_name(name: str) -> tuple[str, RunIdentity] | None:
    """(experiment prefix, identity) from a folder name such as Exome_20_022_200920_NB501009_0410_AHNLYFBGXG."""
    m = RUN_ID.search(name)
    if not m:
        return None
    flowcell = (m["side"] or "") + m["flowcell"]
    if flowcell.startswith("000000000_"):
        flowcell = flowcell.replace("_", "-", 1)
    prefix = name[: m.start()].rstrip("_")
    run_id = name[m.start() :].lstrip("_")
    return prefix, RunIdentity(
        run_id=run_id,
        date=parse_date(m["date"]),
        instrument=m["instrument"],
        run_number=int(m["number"]),
        flowcell=flowcell,
        experiment=prefix,
    )


def same_run(run_id: str, named: RunIdentity) -> bool:
    """True if an XML file's run id is this run's: the same id, or the same date and flowcell in a
    folder a lab renamed (Sanger's 180426_NV1_25723_A_H3W2VDSXX is 180426_A00508_0009_AH3W2VDSXX)."""
    if run_id == named.run_id:
        return True
    parsed = parse_run_name(run_id)
    return bool(parsed) and (parsed[1].date, parsed[1].flowcell) == (named.date, named.flowcell)


def _text(root: ET.Element, *paths: str) -> str:
    for path in paths:
        node = root.find(path)
        if node is not None and node.text and node.text.strip():
            return node.text.strip()
    return ""


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def parse_runinfo(data: bytes) -> RunIdentity:
    """Identity from RunInfo.xml; raises ET.ParseError on broken XML."""
    root = ET.fromstring(data)
    run = root.find("Run")
    if run is None:
        raise ET.ParseError("no <Run> element")
    layout = run.find("FlowcellLayout")
    reads = tuple(
        Read(_int(r.get("Number", "")) or n, _int(r.get("NumCycles", "")) or 0, r.get("IsIndexedRead", "N") == "Y")
        for n, r in enumerate(run.iterfind("Reads/Read"), 1)
    )
    return RunIdentity(
        run_id=run.get("Id", ""),
        date=parse_date(_text(run, "Date")),
        instrument=_text(run, "Instrument"),
        run_number=_int(run.get("Number", "")),
        flowcell=_text(run, "Flowcell"),
        lane_count=(_int(layout.get("LaneCount", "")) or None) if layout is not None else None,  # never 0
        reads=reads,
    )


def parse_runparameters(data: bytes) -> RunIdentity:
    """Identity from RunParameters.xml (any instrument's dialect); raises ET.ParseError on broken XML."""
    root = ET.fromstring(data)
    return RunIdentity(
        run_id=_text(root, "RunID", "Setup/RunID", "RunId"),
        date=parse_date(_text(root, "RunStartDate", "Setup/RunStartDate")),
        instrument=_text(root, "InstrumentID", "ScannerID", "Setup/ScannerID", "InstrumentSerialNumber"),
        run_number=_int(_text(root, "RunNumber", "ScanNumber", "Setup/ScanNumber")),
        flowcell=_text(root, "FlowCellSerial", "FlowCellRfidTag/SerialNumber", "RfidsInfo/FlowCellSerialBarcode"),
        experiment=_text(root, "ExperimentName", "Setup/ExperimentName"),
        application=_text(root, "InstrumentType", "ApplicationName", "Setup/ApplicationName", "Application"),
        application_version=_text(root, "ApplicationVersion", "Setup/ApplicationVersion"),
    )


def _by_prefix(instrument: str) -> str | None:
    """The model an instrument id's letters name; None for a name a lab gave it (MICHELLE: no digits)."""
    if not re.search(r"\d", instrument):
        return None
    letters = re.match(r"[A-Za-z]*", instrument).group(0).upper()
    for length in range(len(letters), 0, -1):
        if letters[:length] in SEQUENCERS:
            return SEQUENCERS[letters[:length]]
    return None


def sequencer_model(instrument: str, application: str = "", version: str = "") -> str | None:
    """The sequencer model: from RunParameters' instrument type / control software when it names
    one, else from the instrument id's prefix; None if neither says."""
    by_id = _by_prefix(instrument) if instrument else None
    for pattern, model in APPLICATIONS:
        if not pattern.search(application):
            continue
        if model not in FAMILIES:
            return model
        if model == "NextSeq 1000/2000":  # one software for two instruments: the id tells them apart
            return by_id if by_id in ("NextSeq 1000", "NextSeq 2000") else model
        # HiSeq Control Software: 1.x ran the HiSeq 2000, 2.x the HiSeq 2500 (and 2000s upgraded
        # to it), 3.x and later the HiSeq 3000/4000 and X, which the id tells apart.
        major = version.partition(".")[0]
        if major in ("1", "2"):
            return "HiSeq 2000" if major == "1" else "HiSeq 2500"
        return by_id if by_id in ("HiSeq 3000", "HiSeq 4000", "HiSeq X") else (by_id or "HiSeq")
    return by_id


def completion_family_marker(model: str | None) -> str:
    """The completion marker the model's family writes when a run is over (SPEC §1)."""
    return "CopyComplete.txt" if model in COPY_COMPLETE_MODELS else "RTAComplete.txt"


# RunCompletionStatus.xml's status when the run went as planned; anything else is a failed run.
COMPLETED = {"completedasplanned", "runcompleted", "completed", "success", "succeeded"}


def parse_completion_status(data: bytes) -> str:
    """The status RunCompletionStatus.xml gives ("CompletedAsPlanned", "ExceptionEndedEarly" …);
    raises ET.ParseError on broken XML."""
    root = ET.fromstring(data)
    return _text(root, "CompletionStatus", "RunStatus", "Status", ".//CompletionStatus", ".//RunStatus")


def run_failed(status: str) -> bool:
    return bool(status) and status.strip().lower() not in COMPLETED
