"""Write a realistic demo run tree (tau layout) for `make run`, the tests' smoke checks and the benchmark."""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from seqscan.scanner.runfolder import BGZF_EOF

KITS = (("idt_exome", "Exome", "NB501009"), ("idt_haem", "Haem", "M02027"), ("idt_cardiac", "Cardiac", "VH00123"))
SAMPLE_FILES = (
    "0_fastq/{s}_R1.fastq.gz",
    "0_fastq/{s}_R2.fastq.gz",
    "0_goi/{run}_{s}.txt",
    "1_BAM/{s}.hg38.bam",
    "1_BAM/{s}.hg38.bam.bai",
    "2_variants/gatk_per_sample/{s}.hg38.vcf.gz",
    "4_QC/exec_stats/{s}_qc_summary.txt",
    "4_QC/exec_stats/{s}_stats.tsv",
    "4_QC/bam_stats/samples/{s}.per_gene_coverage.tsv.gz",
)
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


def _touch(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith((".gz", ".bam")):
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


def _date_outputs(run_dir: Path, day: date) -> None:
    """Give the run's files and output folders its run date, as a real run folder has."""
    stamp = datetime(day.year, day.month, day.day, 18, tzinfo=UTC).timestamp()
    for top in ("0_fastq", "0_goi", "1_BAM", "2_variants", "4_QC", "SampleSheet.csv"):
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
) -> list[str]:
    """Write `runs` run folders under root; returns their paths relative to root."""
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
        _touch(run_dir / "SampleSheet.csv", _sheet(name, names, i % 3))
        stats = run_dir / "4_QC" / "sequencing_stats"
        _touch(stats / "RunInfo.xml", _runinfo(run_id, instrument, i + 1, flowcell, yymmdd))
        _touch(stats / "RTAComplete.txt", f"{day} 10:00:00\n")
        _touch(run_dir / "RTAComplete.txt")
        for s in names:
            for pattern in SAMPLE_FILES:
                if rng.random() >= missing:
                    _touch(run_dir / pattern.format(s=s, run=name), "demo\n")
        _touch(run_dir / "2_variants" / f"{name}.gatk.hg38.vcf.gz", "demo\n")
        _bcl_tree(run_dir, bcl_cycles, bcl_tiles)  # the scanner must never descend into it
        _date_outputs(run_dir, day)
        made.append(f"{kit}/{name}")
    if runs:
        _touch(root / made[-1] / SKIP_MARKER)  # one run the lab asked to skip
    in_progress = root / KITS[0][0] / "Exome_99_999_991231_NB501009_9999_AHZZZZZZZZ"
    _touch(in_progress / "SampleSheet.csv", _sheet("in_progress", ["WAITING-01"], 1))  # no marker yet
    return made
