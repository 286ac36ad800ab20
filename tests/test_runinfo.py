from datetime import date

import pytest

from seqscan.layout import load_profile
from seqscan.scanner.runfolder import read_run_folder
from seqscan.scanner.runinfo import parse_date, parse_run_name, parse_runinfo, sequencer_model

TAU = load_profile("tau")  # its XML may sit in the run folder or in 4_QC/sequencing_stats

RUNINFO = """<?xml version="1.0"?>
<RunInfo Version="2"><Run Id="{run_id}" Number="410"><Flowcell>HNLYFBGXG</Flowcell>
<Instrument>NB501009</Instrument><Date>{date}</Date></Run></RunInfo>"""


def test_run_name_splits_experiment_prefix_from_the_illumina_run_id():
    prefix, ident = parse_run_name("Exome_20_022_200920_NB501009_0410_AHNLYFBGXG")
    assert prefix == "Exome_20_022"
    assert (ident.run_id, ident.date, ident.instrument, ident.run_number, ident.flowcell) == (
        "200920_NB501009_0410_AHNLYFBGXG",
        date(2020, 9, 20),
        "NB501009",
        410,
        "AHNLYFBGXG",
    )


def test_miseq_flowcell_written_with_underscore_is_normalised():
    _, ident = parse_run_name("Haem_20_999_201231_M02027_0112_000000000_JFT79")
    assert (ident.instrument, ident.flowcell, ident.date) == ("M02027", "000000000-JFT79", date(2020, 12, 31))


def test_eight_digit_dates_and_names_without_prefix_parse():
    prefix, ident = parse_run_name("20231005_LH00123_0042_B22FJ3LT3")
    assert prefix == "" and ident.date == date(2023, 10, 5) and ident.instrument == "LH00123"


def test_a_name_without_run_id_gives_none():
    assert parse_run_name("my_scratch_folder") is None


@pytest.mark.parametrize("text", ["200920", "20200920", "9/20/2020 4:51:18 PM", "2020-09-20T11:18:31Z"])
def test_all_runinfo_date_formats_parse(text):
    assert parse_date(text) == date(2020, 9, 20)


@pytest.mark.parametrize(
    "instrument, model",
    [
        ("NB501009", "NextSeq 500/550"),
        ("NS500123", "NextSeq 500/550"),
        ("M02027", "MiSeq"),
        ("D00123", "HiSeq 2500"),
        ("SN1101", "HiSeq 2000"),
        ("K00123", "HiSeq 4000"),
        ("ST-E00123", "HiSeq X"),
        ("A00123", "NovaSeq 6000"),
        ("LH00123", "NovaSeq X"),
        ("VH00123", "NextSeq 2000"),
        ("FS10000123", "iSeq 100"),
        ("ZZ123", None),
    ],
)
def test_sequencer_model_follows_from_instrument_prefix(instrument, model):
    assert sequencer_model(instrument) == model


def test_runinfo_xml_gives_identity():
    ident = parse_runinfo(RUNINFO.format(run_id="x", date="9/20/2020 4:51:18 PM").encode())
    assert (ident.instrument, ident.run_number, ident.flowcell, ident.date) == (
        "NB501009",
        410,
        "HNLYFBGXG",
        date(2020, 9, 20),
    )


@pytest.mark.parametrize(
    "where, filename", [("", "RunInfo.xml"), ("", "runinfo.xml"), ("4_QC/sequencing_stats", "RunInfo.xml")]
)
def test_run_xml_is_read_from_the_root_or_sequencing_stats_in_any_casing(tmp_path, where, filename):
    run_dir = tmp_path / "Exome_20_022_200920_NB501009_0410_AHNLYFBGXG"
    (run_dir / where).mkdir(parents=True)
    (run_dir / where / filename).write_text(RUNINFO.format(run_id="200920_NB501009_0410_AHNLYFBGXG", date="200920"))
    folder = read_run_folder(str(run_dir), TAU)
    assert folder.identity.flowcell == "HNLYFBGXG"  # from the XML, not the name's AHNLYFBGXG
    assert folder.sequencer_model == "NextSeq 500/550"


def test_xml_copied_from_another_run_is_ignored_with_a_warning(tmp_path):
    run_dir = tmp_path / "Exome_20_022_200920_NB501009_0410_AHNLYFBGXG"
    run_dir.mkdir()
    (run_dir / "RunInfo.xml").write_text(RUNINFO.format(run_id="151120_AHISEQTEST", date="151016"))
    folder = read_run_folder(str(run_dir), TAU)
    assert folder.identity.date == date(2020, 9, 20)
    assert any("describes run 151120_AHISEQTEST" in w for w in folder.warnings)


def test_broken_xml_and_unknown_instrument_are_warnings_not_errors(tmp_path):
    run_dir = tmp_path / "Exome_20_022_200920_QQ501009_0410_AHNLYFBGXG"
    run_dir.mkdir()
    (run_dir / "RunParameters.xml").write_text("<RunParameters><oops")
    folder = read_run_folder(str(run_dir), TAU)
    assert folder.identity.instrument == "QQ501009"
    assert any("RunParameters.xml unreadable" in w for w in folder.warnings)
    assert any("unknown sequencer" in w for w in folder.warnings)
