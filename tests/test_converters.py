"""Real Illumina output (SPEC §1, "Converters, as they write", "Reads", "Instruments and dates",
"Runs in progress"): each rule with run folders built here and the expected paths written out by
hand from Illumina's documentation of bcl2fastq and BCL Convert, never derived from the profiles."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from seqscan.layout import load_profile
from seqscan.layout.tree import write_files
from seqscan.scanner.reads import NO_READS, fastq_reads
from seqscan.scanner.runinfo import Read, parse_run_name, sequencer_model
from seqscan.scanner.samplesheet import parse_samplesheet

FASTQ = "@r\nACGT\n+\nIIII\n"
PAIRED = (Read(1, 151, False), Read(2, 8, True), Read(3, 8, True), Read(4, 151, False))


def runinfo(run_id: str, reads=PAIRED, lanes: int = 1, date_text: str = "") -> str:
    date_part, instrument, number, flowcell = run_id.split("_", 3)
    reads_xml = "".join(
        f'<Read Number="{r.number}" NumCycles="{r.cycles}" IsIndexedRead="{"Y" if r.is_index else "N"}"/>'
        for r in reads
    )
    return (
        f'<?xml version="1.0"?>\n<RunInfo Version="6"><Run Id="{run_id}" Number="{int(number)}">'
        f"<Flowcell>{flowcell}</Flowcell><Instrument>{instrument}</Instrument><Date>{date_text or date_part}</Date>"
        f"<Reads>{reads_xml}</Reads>"
        f'<FlowcellLayout LaneCount="{lanes}" SurfaceCount="2" SwathCount="2" TileCount="14"/></Run></RunInfo>\n'
    )


def v2_sheet(rows: list[str], header: str = "Sample_ID,index,index2", settings: str = "") -> str:
    return (
        "[Header]\nFileFormatVersion,2\nRunName,TEST\n[Reads]\nRead1Cycles,151\nRead2Cycles,151\n"
        f"[BCLConvert_Settings]\n{settings}[BCLConvert_Data]\n{header}\n" + "".join(f"{r}\n" for r in rows)
    )


def v1_sheet(rows: list[str], header: str = "Sample_ID,Sample_Name,index,index2,Sample_Project") -> str:
    return "[Header]\nIEMFileVersion,4\n[Reads]\n151\n151\n[Data]\n" + header + "\n" + "".join(f"{r}\n" for r in rows)


def fastqs(folder: str, *names: str) -> dict[str, str]:
    return {f"{folder}/{n}" if folder else n: FASTQ for n in names}


@pytest.fixture
def layout(app):
    def use(name: str) -> None:
        app.config["LAYOUT"] = name

    return use


def states(files, run: str) -> dict[str, str]:
    return {p: s for p, s in files(run).items() if p != "SampleSheet.csv"}


# --- 1. Converter layouts as data ---------------------------------------------------------------

NEXTSEQ = "240110_NB551234_0042_AHTESTBGXY"


def test_bcl2fastq_writes_project_and_sample_id_folders_and_names_by_sample_name(layout, root, scan, files):
    layout("bcl2fastq")
    sheet = v1_sheet(
        ["ID1,Alice,ACGTACGT,TTGGCCAA,ProjA", "ID2,ID2,CCGGTTAA,AATTCCGG,ProjA", "ID3,,GGTTAACC,CCAAGGTT,"]
    )
    written = {
        # Sample_Name differs from Sample_ID: <Project>/<Sample_ID>/<Sample_Name>_S1_…
        **fastqs("Fastq/ProjA/ID1", "Alice_S1_L001_R1_001.fastq.gz", "Alice_S1_L001_R2_001.fastq.gz"),
        # the same: no Sample_ID folder
        **fastqs("Fastq/ProjA", "ID2_S2_L001_R1_001.fastq.gz", "ID2_S2_L001_R2_001.fastq.gz"),
        # no project, no name: flat, named by Sample_ID
        **fastqs("Fastq", "ID3_S3_L001_R1_001.fastq.gz", "ID3_S3_L001_R2_001.fastq.gz"),
        **fastqs("Fastq", *(f"Undetermined_S0_L001_R{r}_001.fastq.gz" for r in (1, 2))),
    }
    write_files(
        root / "nextseq" / NEXTSEQ,
        {"RTAComplete.txt": "", "RunInfo.xml": runinfo(NEXTSEQ), "SampleSheet.csv": sheet, **written},
    )
    done = scan()
    assert states(files, NEXTSEQ) == dict.fromkeys(written, "Complete")
    assert done.runs_count == 1


def test_bcl_convert_names_files_by_sample_id_in_a_project_folder_or_flat(layout, root, scan, files):
    layout("bclconvert")
    sheet = v2_sheet(
        ["S-1,Name1,ProjA,ACGT,TTGG", "S-2,Name2,ProjA,CCGG,AATT"],
        header="Sample_ID,Sample_Name,Sample_Project,index,index2",
    )
    in_project = {
        **fastqs("Fastq/ProjA", *(f"S-{n}_S{n}_L001_R{r}_001.fastq.gz" for n in (1, 2) for r in (1, 2))),
        **fastqs("Fastq", *(f"Undetermined_S0_L001_R{r}_001.fastq.gz" for r in (1, 2))),
    }
    flat_run = "240111_NB551234_0043_AHTESTBGXZ"
    flat = {
        **fastqs("Fastq", *(f"S-{n}_S{n}_L001_R{r}_001.fastq.gz" for n in (1, 2) for r in (1, 2))),
        **fastqs("Fastq", *(f"Undetermined_S0_L001_R{r}_001.fastq.gz" for r in (1, 2))),
    }
    for name, written in ((NEXTSEQ, in_project), (flat_run, flat)):
        common = {"RTAComplete.txt": "", "RunInfo.xml": runinfo(name), "SampleSheet.csv": sheet}
        write_files(root / "nextseq" / name, common | written)
    scan()
    assert states(files, NEXTSEQ) == dict.fromkeys(in_project, "Complete")
    assert states(files, flat_run) == dict.fromkeys(flat, "Complete")  # --bcl-sampleproject-subdirectories off


NOVASEQ_X = "20240531_LH00130_0061_A22CC55LT4"


def novaseq_x_run(root: Path, analyses: dict[str, dict[str, str]], sheet: str) -> Path:
    """A NovaSeq X run folder with onboard analysis: the sheet only in each analysis' folder."""
    files = {"RTAComplete.txt": "", "CopyComplete.txt": "", "RunInfo.xml": runinfo(NOVASEQ_X, lanes=2)}
    for n, written in analyses.items():
        files[f"Analysis/{n}/Data/BCLConvert/SampleSheet.csv"] = sheet
        files[f"Analysis/{n}/Data/BCLConvert/fastq/Reports/Demultiplex_Stats.csv"] = "Lane,SampleID\n"
        files[f"Analysis/{n}/Data/Secondary_Analysis_Complete.txt"] = ""
        files.update(written)
    write_files(root / "novaseqx" / NOVASEQ_X, files)
    return root / "novaseqx" / NOVASEQ_X


def test_onboard_analysis_is_judged_in_its_newest_analysis_folder_with_its_own_sheet(layout, root, scan, files):
    layout("dragen-onboard")
    sheet = v2_sheet(["1,LIB1,ACGT,TTGG", "2,LIB1,ACGT,TTGG", "1,LIB2,CCGG,AATT"], header="Lane,Sample_ID,index,index2")
    fq = "Analysis/2/Data/BCLConvert/fastq"
    newest = fastqs(
        fq,
        # LIB1 is on two lanes: one sample, one number
        *(f"LIB1_S1_L00{lane}_R{r}_001.fastq.gz" for lane in (1, 2) for r in (1, 2)),
        *(f"LIB2_S2_L001_R{r}_001.fastq.gz" for r in (1, 2)),
        *(f"Undetermined_S0_L00{lane}_R{r}_001.fastq.gz" for lane in (1, 2) for r in (1, 2)),
    )
    older = fastqs("Analysis/1/Data/BCLConvert/fastq", "LIB1_S1_L001_R1_001.fastq.gz", "OLD_S9_L001_R1_001.fastq.gz")
    novaseq_x_run(root, {"1": older, "2": newest}, sheet)
    done = scan()
    got = files(NOVASEQ_X)
    assert got == dict.fromkeys([*newest, "Analysis/2/Data/BCLConvert/SampleSheet.csv"], "Complete")
    assert done.runs_count == 1 and not [w for w in done.warnings if "SampleSheet" in w.message]


def test_the_older_onboard_folder_data_fastq_is_read_where_the_run_has_it(layout, root, scan, files):
    layout("dragen-onboard")
    name = "20240110_VH00123_0007_AAAHTESTM5"  # NextSeq 2000, older software: Analysis/<n>/Data/fastq/
    written = {
        "CopyComplete.txt": "",
        "RTAComplete.txt": "",
        "RunInfo.xml": runinfo(name),
        "Analysis/1/Data/SampleSheet.csv": v2_sheet(["A1,ACGT,TTGG"]),
        **fastqs("Analysis/1/Data/fastq", "A1_S1_L001_R1_001.fastq.gz", "A1_S1_L001_R2_001.fastq.gz"),
    }
    write_files(root / "nextseq2k" / name, written)
    scan()
    assert set(files(name).values()) == {"Complete"} and len(files(name)) == 3


# --- 2. Undetermined and sample numbers ---------------------------------------------------------


def test_undetermined_fastqs_are_the_runs_own_files_never_unexpected(layout, root, scan, files):
    layout("bclconvert")
    written = fastqs(
        "Fastq",
        *(f"A_S1_L00{lane}_R{r}_001.fastq.gz" for lane in (1, 2) for r in (1, 2)),
        "Undetermined_S0_L001_R1_001.fastq.gz",
        "Undetermined_S0_L001_R2_001.fastq.gz",
        "Undetermined_S0_L002_R1_001.fastq.gz",  # its R2 was never copied
    )
    common = {"RTAComplete.txt": "", "RunInfo.xml": runinfo(NEXTSEQ, lanes=2)}
    write_files(root / "nextseq" / NEXTSEQ, common | {"SampleSheet.csv": v2_sheet(["A,ACGT,TTGG"])} | written)
    scan()
    got = states(files, NEXTSEQ)
    assert "Unexpected" not in got.values()
    assert got["Fastq/Undetermined_S0_L002_R2_001.fastq.gz"] == "Non-existent"
    assert {p for p, s in got.items() if s == "Complete"} == set(written)


def test_a_sample_on_several_lanes_and_index_rows_is_one_sample_number():
    sheet = parse_samplesheet(
        b"[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,index\n"
        b"1,A,AAAA\n1,B,CCCC\n2,A,AAAA\n2,A,GGGG\n3,C,TTTT\n"
    )
    assert [(s.sample_id, s.lane, s.number) for s in sheet.samples] == [
        ("A", "1", 1),
        ("B", "1", 2),
        ("A", "2", 1),
        ("A", "2", 1),
        ("C", "3", 3),
    ]


# --- 3. Reads from the run itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("reads", "converter", "override", "index_fastqs", "expected"),
    [
        (PAIRED, "bclconvert", "", False, ["R1", "R2"]),
        ((Read(1, 75, False), Read(2, 8, True)), "bclconvert", "", False, ["R1"]),  # single-end
        ((Read(1, 75, False), Read(2, 8, True)), "bcl2fastq", "", True, ["R1"]),  # bcl2fastq: a command-line option
        (PAIRED, "bclconvert", "", True, ["R1", "I1", "I2", "R2"]),  # CreateFastqForIndexReads
        (PAIRED, "bclconvert", "U8Y143;I8;I8;U8Y143", False, ["R1", "R2"]),  # UMIs go to the read names
        (PAIRED, "bclconvert", "Y151;I8U9;I8;Y151", False, ["R1", "R2"]),  # a UMI in an index read
        (PAIRED, "bclconvert", "Y151;I8;U10;Y151", True, ["R1", "I1", "I2", "R2"]),  # UMI-only index read: I2
        (PAIRED, "bclconvert", "Y151;I8;N8;N151", False, ["R1"]),  # a read of only N cycles: no FASTQ
        (PAIRED, "bclconvert", "Y151;I8;I8;U10", False, ["R1"]),  # a read of only UMI cycles: in the read names
    ],
)
def test_which_reads_get_a_fastq(reads, converter, override, index_fastqs, expected):
    labels, warning = fastq_reads(reads, converter, override, index_fastqs)
    assert sorted(labels) == sorted(expected) and warning == ""


def test_without_runinfo_the_sheets_reads_decide_and_without_both_r1_r2_with_a_warning():
    assert fastq_reads((), "bclconvert", sheet_reads=1) == (["R1"], "")
    assert fastq_reads((), "bclconvert") == (["R1", "R2"], NO_READS)


def test_a_single_end_run_expects_r1_only(layout, root, scan, files):
    layout("bclconvert")
    single = (Read(1, 75, False), Read(2, 8, True))
    written = fastqs("Fastq", "A_S1_L001_R1_001.fastq.gz", "Undetermined_S0_L001_R1_001.fastq.gz")
    common = {"RTAComplete.txt": "", "RunInfo.xml": runinfo(NEXTSEQ, reads=single)}
    write_files(root / "nextseq" / NEXTSEQ, common | {"SampleSheet.csv": v2_sheet(["A,ACGT,"])} | written)
    scan()
    assert states(files, NEXTSEQ) == dict.fromkeys(written, "Complete")


# --- 4. Instruments and dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "instrument", "flowcell", "run_date"),
    [
        ("171023_ST-E00266_0255_AHJ3JTCCXY", "ST-E00266", "AHJ3JTCCXY", date(2017, 10, 23)),
        ("160607_E00514_0021_BHLGKJCCXX", "E00514", "BHLGKJCCXX", date(2016, 6, 7)),
        ("190816_MICHELLE_0016_BHMNNTDMXX", "MICHELLE", "BHMNNTDMXX", date(2019, 8, 16)),
        ("200316_SL-HDF_0312_AHH2CLBBXY", "SL-HDF", "AHH2CLBBXY", date(2020, 3, 16)),
        ("Exome_20_022_200920_NB501009_0410_AHNLYFBGXG", "NB501009", "AHNLYFBGXG", date(2020, 9, 20)),
    ],
)
def test_any_instrument_name_without_underscores_gives_run_id_flowcell_and_date(name, instrument, flowcell, run_date):
    parsed = parse_run_name(name)
    assert parsed is not None
    _, ident = parsed
    assert (ident.instrument, ident.flowcell, ident.date) == (instrument, flowcell, run_date)


@pytest.mark.parametrize(
    ("instrument", "application", "version", "model"),
    [
        ("SN7001234", "HiSeq Control Software", "2.2.68", "HiSeq 2500"),  # the software beats the SN prefix
        ("SN1101", "HiSeq Control Software", "1.5.15.1", "HiSeq 2000"),
        ("ST-E00266", "HiSeq Control Software", "HD 3.4.0.38", "HiSeq X"),
        ("K00123", "HiSeq Control Software", "3.3.76", "HiSeq 4000"),
        ("ML-P2-01", "MiniSeq Control Software", "", "MiniSeq"),
        ("ML-P2-01", "", "", "MiniSeq"),
        ("MN00123", "", "", "MiniSeq"),
        ("M02027", "MiSeq Control Software", "", "MiSeq"),
        ("LH00130", "NovaSeqXPlus", "", "NovaSeq X"),
        ("A00123", "NovaSeq Control Software", "", "NovaSeq 6000"),
        ("VL00123", "NextSeq 1000/2000 Control Software", "", "NextSeq 1000"),
        ("VH00123", "NextSeq 1000/2000 Control Software", "", "NextSeq 2000"),
        ("FS10000123", "iSeq Control Software", "", "iSeq 100"),
        ("E00514", "", "", "HiSeq X"),
        ("MICHELLE", "NextSeq Control Software", "", "NextSeq 500/550"),  # a custom name: the software says
        ("MICHELLE", "", "", None),
    ],
)
def test_the_instrument_type_comes_from_runparameters_before_the_id_prefix(instrument, application, version, model):
    assert sequencer_model(instrument, application, version) == model


def test_the_run_date_is_the_run_ids_not_runinfos_utc_timestamp(layout, root, scan, get_run):
    layout("bclconvert")
    write_files(
        root / "novaseqx" / NOVASEQ_X,
        {
            "CopyComplete.txt": "",
            "RunInfo.xml": runinfo(NOVASEQ_X, date_text="2024-06-01T04:25:08Z"),
            "SampleSheet.csv": v2_sheet(["A,ACGT,TTGG"]),
        },
    )
    scan()
    run = get_run(NOVASEQ_X)
    assert run.date == date(2024, 5, 31) and run.sequencer_model == "NovaSeq X"


# --- 5. Runs in progress, failed runs ------------------------------------------------------------


def test_a_run_being_sequenced_is_listed_never_judged_and_judged_once_its_marker_is_there(
    layout, root, scan, files, get_run
):
    layout("bclconvert")
    run_dir = root / "novaseqx" / NOVASEQ_X
    write_files(run_dir, {"RunInfo.xml": runinfo(NOVASEQ_X), "SampleSheet.csv": v2_sheet(["A,ACGT,TTGG"])})
    first = scan()
    run = get_run(NOVASEQ_X)
    assert first.runs_count == 1 and run.verdict == "sequencing" and run.verdict_text == "Sequencing since 2024-05-31"
    assert files(NOVASEQ_X) == {} and not run.needs_attention
    (run_dir / "RTAComplete.txt").write_text("")  # NovaSeq X: done sequencing, still copying
    scan()
    assert get_run(NOVASEQ_X).verdict == "sequencing"
    (run_dir / "CopyComplete.txt").write_text("")
    scan()
    run = get_run(NOVASEQ_X)
    assert run.verdict == "incomplete" and files(NOVASEQ_X)["Fastq/A_S1_L001_R1_001.fastq.gz"] == "Non-existent"


@pytest.mark.parametrize(
    ("status_xml", "verdict"),
    [
        (
            "<RunCompletionStatus><CompletionStatus>CompletedAsPlanned</CompletionStatus></RunCompletionStatus>",
            "complete",
        ),
        (
            "<RunCompletionStatus><CompletionStatus>UserEndedEarly</CompletionStatus></RunCompletionStatus>",
            "run failed",
        ),
        ("<RunCompletionStatus><RunStatus>RunErrored</RunStatus></RunCompletionStatus>", "run failed"),
    ],
)
def test_run_completion_status_can_make_the_verdict_run_failed(layout, root, scan, get_run, status_xml, verdict):
    layout("bclconvert")
    write_files(
        root / "nextseq" / NEXTSEQ,
        {
            "RTAComplete.txt": "",
            "RunInfo.xml": runinfo(NEXTSEQ, reads=(Read(1, 75, False),)),
            "RunCompletionStatus.xml": f'<?xml version="1.0"?>\n{status_xml}\n',
            "SampleSheet.csv": v2_sheet(["A,ACGT,"]),
            **fastqs("Fastq", "A_S1_L001_R1_001.fastq.gz"),
        },
    )
    scan()
    run = get_run(NEXTSEQ)
    assert run.verdict == verdict
    if verdict == "run failed":
        assert run.verdict_text.startswith("Run failed: ") and run.needs_attention


# --- 6. Runs without a sheet, 7. sample counts --------------------------------------------------


def test_a_run_without_a_sheet_is_no_sample_sheet_not_reparsed_and_judged_once_one_appears(
    layout, root, scan, files, get_run
):
    layout("bclconvert")
    run_dir = root / "nextseq" / NEXTSEQ
    write_files(run_dir, {"RTAComplete.txt": "", "RunInfo.xml": runinfo(NEXTSEQ)})
    first = scan()
    run = get_run(NEXTSEQ)
    assert first.state == "Finished" and run.verdict == "no sample sheet" and run.data_state == "Complete"
    assert files(NEXTSEQ) == {"SampleSheet.csv": "Non-existent"}  # and nothing else is expected
    assert any("no SampleSheet.csv" in w.message for w in first.warnings)
    again = scan()
    assert again.runs_reparsed == 0  # fingerprinted like any run
    write_files(run_dir, {"SampleSheet.csv": v2_sheet(["A,ACGT,TTGG"]), **fastqs("Fastq", "A_S1_L001_R1_001.fastq.gz")})
    scan()
    assert (
        get_run(NEXTSEQ).verdict == "incomplete" and files(NEXTSEQ)["Fastq/A_S1_L001_R2_001.fastq.gz"] == "Non-existent"
    )


def test_the_runs_list_counts_samples_not_sheet_rows(layout, root, scan, get_run, runner, viewer):
    layout("bclconvert")
    rows = [f"{lane},S{n},ACGT{n:04d},TTGG" for lane in (1, 2) for n in range(1, 6)]
    write_files(
        root / "nextseq" / NEXTSEQ,
        {
            "RTAComplete.txt": "",
            "RunInfo.xml": runinfo(NEXTSEQ, lanes=2),
            "SampleSheet.csv": v2_sheet(rows, "Lane,Sample_ID,index,index2"),
        },
    )
    scan()
    assert get_run(NEXTSEQ).sample_count == 5
    listing = runner.invoke(args=["runs", "list"])
    assert listing.exit_code == 0
    [line] = [line for line in listing.output.splitlines() if NEXTSEQ in line]
    assert " 5 " in f" {line} " and " 10 " not in f" {line} "
    [api_run] = [r for r in viewer.get("/api/runs").json["runs"] if r["name"] == NEXTSEQ]
    assert api_run["samples"] == 5
    assert "<td>5</td>" in viewer.get("/runs").text


def test_every_builtin_converter_profile_loads_and_classifies_its_own_sheet():
    for name in ("bcl2fastq", "bclconvert", "dragen-onboard"):
        profile = load_profile(name)
        assert profile.converter in ("bcl2fastq", "bclconvert")
        assert profile.classify("SampleSheet.csv") == "sample_sheet"


def test_completion_markers_count_in_any_casing(layout, root, scan, get_run):
    layout("bclconvert")  # a copy tool's lower-case copycomplete.txt, as Clinical Genomics' cg writes it
    write_files(
        root / "novaseqx" / NOVASEQ_X,
        {
            "RTAComplete.txt": "",
            "copycomplete.txt": "",
            "RunInfo.xml": runinfo(NOVASEQ_X),
            "SampleSheet.csv": v2_sheet(["A,ACGT,TTGG"]),
        },
    )
    scan()
    assert get_run(NOVASEQ_X).verdict == "incomplete"  # done and judged: its FASTQs are missing
