"""The reality check: a peer system's own test tree (shared/fixtures), scanned read-only."""

import pytest
from sqlalchemy import select

from seqscan.extensions import db
from seqscan.models import SequencingFile
from tests.conftest import FIXTURES

EXOME = "Exome_20_022_200920_NB501009_0410_AHNLYFBGXG"
HAEM = "Haem_20_999_201231_M02027_0112_000000000_JFT79"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures not beside the repository")


@pytest.fixture
def fixture_scan(scan):
    return scan("--root", str(FIXTURES), "--layout", "tau")


def test_fixture_tree_scan_finds_both_runs_and_finishes(fixture_scan, get_run):
    assert fixture_scan.state == "Finished" and fixture_scan.runs_count == 2
    assert get_run(EXOME).kit == "idt_exome" and get_run(HAEM).kit == "idt_haem"
    assert get_run(HAEM).flowcell == "000000000-JFT79" and get_run(HAEM).sequencer_model == "MiSeq"


def test_fixture_exome_has_every_expected_file_and_sample3_is_unexpected(fixture_scan, files, app):
    states = files(EXOME)
    expected = {p: s for p, s in states.items() if "hiseq_sample3" not in p and "_stats.txt" not in p}
    assert len(expected) == 2 * 9 + 2 and "Non-existent" not in expected.values()
    # The peer's placeholders (FASTQ, BAM, BAI) are empty files: there, but no data.
    empty = {p for p in expected if p.startswith(("0_fastq/", "1_BAM/"))}
    assert {p: s for p, s in expected.items() if p in empty} == dict.fromkeys(empty, "Error") and len(empty) == 8
    assert set(expected.values()) - {"Error"} == {"Complete"}  # bgzipped VCFs with their EOF block, plain gzip
    with app.app_context():
        messages = db.session.scalars(select(SequencingFile.message).where(SequencingFile.data_state == "Error"))
        assert set(messages) == {"empty file"}
    assert {p for p, s in states.items() if s == "Unexpected" and "hiseq_sample3" in p} == {
        "0_fastq/hiseq_sample3_R1.fastq.gz",
        "0_fastq/hiseq_sample3_R2.fastq.gz",
        "1_BAM/hiseq_sample3.hg38.bam",
        "1_BAM/hiseq_sample3.hg38.bam.bai",
    }


def test_fixture_haem_reports_exactly_what_is_missing(fixture_scan, files):
    states = files(HAEM)
    missing = {p for p, s in states.items() if s == "Non-existent"}
    assert missing == {
        "0_fastq/fake_sample_2_R2.fastq.gz",  # R1 is there; R2 is judged on its own
        "1_BAM/fake_sample_2.hg38.bam.bai",
        "2_variants/gatk_per_sample/fake_sample_1.hg38.vcf.gz",
        "2_variants/gatk_per_sample/fake_sample_2.hg38.vcf.gz",
    }
    assert states["0_fastq/fake_sample_2_R1.fastq.gz"] == "Error"  # there but empty; R2 is judged on its own
    joint = {p: s for p, s in states.items() if p.startswith(f"2_variants/{HAEM}")}
    assert len(joint) == 3 and set(joint.values()) == {"Complete"}  # gatk, freebayes, vardict
    assert fixture_scan.root_files_missing == 4


def test_fixture_xml_from_other_runs_is_flagged_not_trusted(fixture_scan, get_run):
    assert get_run(HAEM).date.isoformat() == "2020-12-31"
    assert sum("describes run 151120_AHISEQTEST" in w.message for w in fixture_scan.warnings) == 2
