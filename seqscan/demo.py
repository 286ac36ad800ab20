"""Write a realistic demo run tree for `make run`, the tests' smoke checks and the benchmark: its run
folders hold what the layout profile (tau by default) asks for, a few files left out."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from seqscan.layout import Profile, load_profile
from seqscan.layout.tree import expected_paths, marker_path
from seqscan.scanner.runfolder import BGZF_EOF

KITS = (("idt_exome", "Exome", "NB501009"), ("idt_haem", "Haem", "M02027"), ("idt_cardiac", "Cardiac", "VH00123"))
SKIP_MARKER = ".variantgrid_skip_flowcell"


def _sheet(run: str, samples: list[str], style: int) -> str:
    if style == 0:  # legacy HiSeq
        rows = [f"FLOWCELL,1,{s},hg38,ACGTAC{i:02d},demo,N,,demo,Demo" for i, s in enumerate(samples)]
        return (
            "FCID,Lane,SampleID,SampleRef,Index,Description,Control,Recipe,Operator,SampleProject\r\n"
            + "\r\n".join(rows)
            + "\r\n"
        )
    if style == 1:  # IEM v1
        rows = [f"{s},{s},,,N7{i:02d},ACGTAC{i:02d},S5{i:02d},TGCATG{i:02d},Demo," for i, s in enumerate(samples)]
        return (
            f"[Header]\r\nIEMFileVersion,4\r\nExperiment Name,{run[:12]}\r\n\r\n[Reads]\r\n151\r\n151\r\n\r\n"
            "[Data]\r\nSample_ID,Sample_Name,Sample_Plate,Sample_Well,I7_Index_ID,index,I5_Index_ID,index2,Sample_Project,Description\r\n"
            + "\r\n".join(rows)
            + "\r\n"
        )
    rows = [f"1,{s},ACGTAC{i:02d},TGCATG{i:02d}" for i, s in enumerate(samples)]
    return (
        f"[Header]\nFileFormatVersion,2\nRunName,{run[:12]}\n\n[BCLConvert_Settings]\nSoftwareVersion,3.9.3\n\n"
        "[BCLConvert_Data]\nLane,Sample_ID,Index,Index2\n" + "\n".join(rows) + "\n"
    )


def _runinfo(run_id: str, instrument: str, number: int, flowcell: str, yymmdd: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<RunInfo Version="2">\n  <Run Id="{run_id}" Number="{number}">\n'
        f"    <Flowcell>{flowcell}</Flowcell>\n    <Instrument>{instrument}</Instrument>\n"
        f"    <Date>{yymmdd}</Date>\n  </Run>\n</RunInfo>\n"
    )


def _touch(path: Path, text: str = "", bgzf: tuple[str, ...] = (".gz", ".bam")) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(bgzf):
        path.write_bytes(BGZF_EOF)  # a whole BGZF file holding nothing: not empty, not truncated
    else:
        path.write_text(text)


def _bcl_tree(run_dir: Path, cycles: int, tiles: int, lanes: int = 4) -> None:
    """Instrument output shaped like a MiSeq/HiSeq run: one .bcl per lane, cycle and tile."""
    basecalls = run_dir / "Data" / "Intensities" / "BaseCalls"
    for lane in range(1, lanes + 1):
        for cycle in range(1, cycles + 1):
            folder = basecalls / f"L00{lane}" / f"C{cycle}.1"
            folder.mkdir(parents=True, exist_ok=True)
            for tile in range(1, tiles + 1):
                (folder / f"s_{lane}_{1100 + tile}.bcl").touch()
    _touch(run_dir / "InterOp" / "QMetricsOut.bin")


def _date_outputs(run_dir: Path, day: date, profile: Profile) -> None:
    """Give the run's files and output folders its run date, as a real run folder has; a run dated
    after today (a tree of many runs, three days apart) gets a day ago: a folder modified in the
    future is listed again on every scan (its mtime cannot be trusted), which no real tree does."""
    stamp = datetime(day.year, day.month, day.day, 18, tzinfo=UTC).timestamp()
    stamp = min(stamp, time.time() - 86400)
    for top in (*profile.output_dirs, profile.sample_sheet):
        path = run_dir / top
        if path.is_dir():
            for folder, _, names in os.walk(path, topdown=False):  # files first, then their folder
                for name in names:
                    os.utime(os.path.join(folder, name), (stamp, stamp))
                os.utime(folder, (stamp, stamp))
        elif path.exists():
            os.utime(path, (stamp, stamp))


def make_demo_tree(
    root: Path,
    runs: int = 12,
    samples: int = 8,
    bcl_cycles: int = 20,
    bcl_tiles: int = 2,
    missing: float = 0.01,
    seed: int = 1,
    layout: str = "tau",
) -> list[str]:
    """Write `runs` run folders under root; returns their paths relative to root."""
    profile = load_profile(layout)
    rng = random.Random(seed)
    start = date(2024, 1, 8)
    made = []
    for i in range(runs):
        kit, prefix, instrument = KITS[i % len(KITS)]
        day = start + timedelta(days=3 * i)
        yymmdd = day.strftime("%y%m%d")
        flowcell = f"000000000-D{i:04d}" if instrument.startswith("M") else f"AH{i:05d}BGXY"
        run_id = f"{yymmdd}_{instrument}_{i + 1:04d}_{flowcell}"
        name = f"{prefix}_{day:%y}_{i + 1:03d}_{run_id}"
        run_dir = root / kit / name
        names = [f"{prefix.upper()}{i + 1:03d}-{j + 1:02d}" for j in range(samples)]
        _touch(run_dir / profile.sample_sheet, _sheet(name, names, i % 3))
        marker = run_dir / marker_path(profile)
        _touch(marker.parent / "RunInfo.xml", _runinfo(run_id, instrument, i + 1, flowcell, yymmdd))
        _touch(marker, f"{day} 10:00:00\n")
        _touch(run_dir / "RTAComplete.txt")
        for path, expected in expected_paths(profile, name, names, lanes=[1]).items():
            # A few sample files left out (missing data to find); the run's own files always there.
            if path != profile.sample_sheet and (expected.sample_id is None or rng.random() >= missing):
                _touch(run_dir / path, "demo\n", profile.bgzf_suffixes)
        _bcl_tree(run_dir, bcl_cycles, bcl_tiles)  # the scanner must never descend into it
        _date_outputs(run_dir, day, profile)
        made.append(f"{kit}/{name}")
    if runs:
        _touch(root / made[-1] / SKIP_MARKER)  # one run the lab asked to skip
    # A run still being sequenced, started after the others: its RunInfo.xml, no completion marker yet.
    day = start + timedelta(days=3 * runs)
    run_id = f"{day:%y%m%d}_NB501009_{runs + 1:04d}_AHZZZZZBGXY"
    in_progress = root / KITS[0][0] / f"Exome_{day:%y}_{runs + 1:03d}_{run_id}"
    _touch(in_progress / "SampleSheet.csv", _sheet("in_progress", ["WAITING-01"], 1))
    run_info = _runinfo(run_id, "NB501009", runs + 1, "AHZZZZZBGXY", f"{day:%y%m%d}")
    _touch((in_progress / marker_path(profile)).parent / "RunInfo.xml", run_info)
    return made
