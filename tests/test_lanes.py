"""BCL Convert FASTQs per lane: from the sheet's Lane column, else RunInfo.xml's LaneCount, else the
lanes on disk; no lane at all under NoLaneSplitting. Never a lane 0."""

from __future__ import annotations

from pathlib import Path

import pytest

NAME = "240108_VH00123_0001_AAAHTESTM5"
SAMPLES = ("S1", "S2")


def v2_sheet(lanes: dict[str, str] | None = None, no_lane_splitting: bool = False) -> str:
    settings = "[BCLConvert_Settings]\nNoLaneSplitting,true\n" if no_lane_splitting else ""
    if lanes:
        rows = "".join(f"{lanes[s]},{s},ACGT,TTGG\n" for s in SAMPLES)
        data = "[BCLConvert_Data]\nLane,Sample_ID,index,index2\n" + rows
    else:
        data = "[BCLConvert_Data]\nSample_ID,index,index2\n" + "".join(f"{s},ACGT,TTGG\n" for s in SAMPLES)
    return f"[Header]\nFileFormatVersion,2\nRunName,LANES\n{settings}{data}"


def runinfo(lane_count: int) -> str:
    return (
        f'<?xml version="1.0"?>\n<RunInfo Version="6"><Run Id="{NAME}" Number="1"><Flowcell>AAAHTESTM5</Flowcell>'
        f'<Instrument>VH00123</Instrument><Date>240108</Date><FlowcellLayout LaneCount="{lane_count}" '
        'SurfaceCount="2" SwathCount="6" TileCount="16"/></Run></RunInfo>\n'
    )


def bcl_run(root: Path, sheet: str, fastqs: list[str], lane_count: int | None = None) -> Path:
    run_dir = root / "nextseq" / NAME
    (run_dir / "Fastq").mkdir(parents=True)
    (run_dir / "RTAComplete.txt").write_text("done")
    (run_dir / "SampleSheet.csv").write_text(sheet)
    if lane_count:
        (run_dir / "RunInfo.xml").write_text(runinfo(lane_count))
    for name in fastqs:
        (run_dir / "Fastq" / name).write_text("@r\nACGT\n+\nIIII\n")
    return run_dir


def per_lane(lanes) -> list[str]:
    return [f"{s}_S{n}_L00{lane}_R{r}_001.fastq.gz" for n, s in enumerate(SAMPLES, 1) for lane in lanes for r in (1, 2)]


@pytest.fixture
def bclconvert(app):
    app.config["LAYOUT"] = "bclconvert"


def fastq_states(files) -> dict[str, str]:
    return {p.removeprefix("Fastq/"): s for p, s in files(NAME).items() if p.startswith("Fastq/")}


def test_without_a_lane_column_every_lane_of_runinfo_is_expected(bclconvert, root, scan, files):
    bcl_run(root, v2_sheet(), per_lane([1, 2, 3]), lane_count=4)  # lane 4 never written
    scan()
    states = fastq_states(files)
    assert {n for n, s in states.items() if s == "Complete"} == set(per_lane([1, 2, 3]))
    assert {n for n, s in states.items() if s == "Non-existent"} == set(per_lane([4]))
    assert not any("_L00_" in n or "_L000_" in n for n in states) and "Unexpected" not in states.values()


def test_without_runinfo_the_lanes_on_disk_are_accepted(bclconvert, root, scan, files):
    fastqs = per_lane([1, 2])
    fastqs.remove("S2_S2_L002_R2_001.fastq.gz")  # judged on its own: missing where its R1 is found
    bcl_run(root, v2_sheet(), fastqs)
    scan()
    states = fastq_states(files)
    assert states["S2_S2_L002_R2_001.fastq.gz"] == "Non-existent"
    assert {n for n, s in states.items() if s == "Complete"} == set(fastqs)


def test_no_lane_splitting_expects_names_without_a_lane(bclconvert, root, scan, files):
    names = [f"{s}_S{n}_R{r}_001.fastq.gz" for n, s in enumerate(SAMPLES, 1) for r in (1, 2)]
    bcl_run(root, v2_sheet(no_lane_splitting=True), names, lane_count=2)
    scan()
    assert fastq_states(files) == dict.fromkeys(names, "Complete")


def test_the_lane_column_names_each_samples_lane(bclconvert, root, scan, files):
    bcl_run(
        root, v2_sheet(lanes={"S1": "1", "S2": "2"}), ["S1_S1_L001_R1_001.fastq.gz", "S1_S1_L001_R2_001.fastq.gz"], 2
    )
    scan()
    states = fastq_states(files)
    assert states["S1_S1_L001_R1_001.fastq.gz"] == "Complete"
    assert states["S2_S2_L002_R1_001.fastq.gz"] == "Non-existent" and "S2_S2_L001_R1_001.fastq.gz" not in states
