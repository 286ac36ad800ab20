"""Run identity from the folder name and from RunInfo.xml / RunParameters.xml."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields
from datetime import date, datetime

# YYMMDD or YYYYMMDD _ instrument _ run number _ flowcell (MiSeq: 000000000-XXXXX or _XXXXX).
RUN_ID = re.compile(
    r"(?:^|_)(?P<date>\d{8}|\d{6})_(?P<instrument>[A-Za-z]{1,2}\d+)_(?P<number>\d{1,5})_"
    r"(?P<flowcell>(?:0{9}[-_][A-Z0-9]{5})|[A-Za-z0-9-]+)$"
)
# Instrument-id prefix → sequencer model; longest prefix wins.
SEQUENCERS = {
    "NS": "NextSeq 500/550",
    "NB": "NextSeq 500/550",
    "VH": "NextSeq 2000",
    "VL": "NextSeq 1000",
    "M": "MiSeq",
    "MN": "MiniSeq",
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
DATE_FORMATS = ("%y%m%d", "%Y%m%d", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y")


@dataclass
class RunIdentity:
    run_id: str = ""
    date: date | None = None
    instrument: str = ""
    run_number: int | None = None
    flowcell: str = ""
    experiment: str = ""
    lane_count: int | None = None  # RunInfo.xml's <FlowcellLayout LaneCount=...>

    def fill_from(self, other: RunIdentity) -> None:
        """Take other's values where this one has none."""
        for f in fields(self):
            if getattr(self, f.name) in ("", None):
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
    flowcell = m["flowcell"]
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
    return RunIdentity(
        run_id=run.get("Id", ""),
        date=parse_date(_text(run, "Date")),
        instrument=_text(run, "Instrument"),
        run_number=_int(run.get("Number", "")),
        flowcell=_text(run, "Flowcell"),
        lane_count=(_int(layout.get("LaneCount", "")) or None) if layout is not None else None,  # never 0
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
    )


def sequencer_model(instrument: str) -> str | None:
    """The sequencer model for an instrument id, or None if the prefix is unknown."""
    letters = re.match(r"[A-Za-z]*", instrument).group(0).upper()
    for length in range(len(letters), 0, -1):
        if letters[:length] in SEQUENCERS:
            return SEQUENCERS[letters[:length]]
    return None
