import re
from pathlib import Path

import pytest

from seqscan.layout import ProfileError, builtin_names, load_profile, parse_profile
from seqscan.layout.tree import expected_paths, write_files
from seqscan.scanner.samplesheet import SampleRow
from tests.conftest import RUN, iem_sheet, make_run


@pytest.fixture
def lab_layout(app, tmp_path):
    """Point LAYOUT at a lab's own profile file with this text; returns its path."""

    def use(text: str) -> Path:
        path = tmp_path / "lab.toml"
        path.write_text(text)
        app.config["LAYOUT"] = str(path)
        return path

    return use


SAMPLES = [SampleRow("ID1", "S1", "", "1", "", "", 1), SampleRow("ID2", "S2", "", "2", "", "", 2)]


def test_builtin_profiles_are_tau_and_one_per_converter():
    assert builtin_names() == ["bcl2fastq", "bclconvert", "dragen-onboard", "tau"]


def test_tau_profile_expects_nine_files_per_sample_and_the_run_files():
    expected = load_profile("tau").expected("RUN", SAMPLES)
    assert len(expected) == 2 * 9 + 2
    assert expected["0_goi/RUN_S1.txt"].file_type == "goi"
    assert expected["2_variants/RUN.gatk.hg38.vcf.gz"].sample_id is None


def test_bclconvert_profile_names_files_by_sample_id_with_sample_number_and_lane():
    expected = load_profile("bclconvert").expected("RUN", SAMPLES)
    assert "Fastq/ID2_S2_L002_R2_001.fastq.gz" in expected  # BCL Convert: Sample_ID, not Sample_Name


def test_classify_knows_types_ignores_instrument_files_and_flags_the_rest():
    tau = load_profile("tau")
    assert tau.classify("0_fastq/anything_R2.fastq.gz") == "fastq_r2"
    assert tau.classify("4_QC/sequencing_stats/RunInfo.xml") is None
    assert tau.classify("0_fastq/notes.txt") == "unknown"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[sample_files]\nbam = '{sample}.{colour}.bam'\n", "unknown placeholder"),
        ("[run_files]\nx = '{sample}.txt'\n", "unknown placeholder"),
        ("description = 'nothing'\n", "defines no"),
        ("[sample_files\n", "not valid TOML"),
        ("[sample_files]\nbam = '{sample}/x.bam'\n", "only allowed in file names"),
    ],
)
def test_a_broken_profile_says_what_is_wrong(text, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile("lab", text)


def test_a_lab_profile_file_changes_expectations_without_code(lab_layout, root, scan, files):
    profile = lab_layout(
        'output_dirs = ["0_fastq"]\nmetadata_dirs = ["4_QC/sequencing_stats"]\n'
        '[sample_files]\nfastq_r1 = "0_fastq/{sample}_R1.fastq.gz"\n'
    )
    make_run(root)
    result = scan()
    assert result.layout == str(profile)  # the file it was read with
    assert files() == {
        "0_fastq/S1_R1.fastq.gz": "Complete",
        "0_fastq/S2_R1.fastq.gz": "Complete",
        "0_fastq/S1_R2.fastq.gz": "Unexpected",
        "0_fastq/S2_R2.fastq.gz": "Unexpected",
    }


def test_changing_the_layout_reparses_unchanged_runs_and_deletes_nothing(lab_layout, root, scan, files):
    make_run(root)
    scan()
    lab_layout('metadata_dirs = ["4_QC/sequencing_stats"]\n[sample_files]\nbam = "1_BAM/{sample}.hg38.bam"\n')
    # The new layout lists no folder: the old one's files are out of its sight, but on disk. The BAMs it
    # asks for are Complete where they are; the other records are no longer its business and go.
    changed = scan()
    assert changed.state == "Finished" and changed.runs_reparsed == 1 and changed.files_deleted == 0
    assert set(files().values()) == {"Complete"} and all(p.startswith("1_BAM/") for p in files())


def test_an_unknown_layout_fails_the_scan_with_a_clear_error(app, root, scan):
    app.config["LAYOUT"] = "nope"
    make_run(root)
    failed = scan(ok=False)
    assert "neither a built-in profile" in failed.error


def test_bclconvert_runs_are_judged_by_their_own_profile(app, root, scan, files):
    app.config["LAYOUT"] = "bclconvert"
    run_dir = root / "novaseq" / RUN
    (run_dir / "Fastq").mkdir(parents=True)
    (run_dir / "CopyComplete.txt").touch()
    (run_dir / "SampleSheet.csv").write_text(
        "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,Index\n1,A,ACGT\n2,B,CCGT\n"
    )
    for name in ("A_S1_L001_R1_001.fastq.gz", "A_S1_L001_R2_001.fastq.gz", "B_S2_L002_R1_001.fastq.gz"):
        (run_dir / "Fastq" / name).write_text("x")
    scan()
    assert files()["Fastq/B_S2_L002_R2_001.fastq.gz"] == "Non-existent"
    assert list(files().values()).count("Complete") == 4  # three FASTQs and the sheet


@pytest.mark.parametrize(
    "layout, hostile",
    [
        ("bclconvert", SampleRow("okid", "ok", "", "1/../../../../../outside/PWNED", "", "", 1)),  # issue 15's row
        ("bclconvert", SampleRow("sub", "ok", "", "1/x", "", "", 1)),  # a folder the profile does not have
        ("[sample_files]\nraw = 'raw/{sample}'\n", SampleRow("dots", "..", "", "1", "", "", 1)),
        ("tau", SampleRow("up", "x/../../../../etc/passwd", "", "1", "", "", 1)),
        ("tau", SampleRow("abs", "/etc/passwd", "", "1", "", "", 1)),
    ],
)
def test_no_expected_path_leaves_the_run_folder_whatever_the_sample_says(layout, hostile):
    """The parser refuses such rows; the layout must hold even for values that bypass it (older sheet versions)."""
    import posixpath

    warnings: list[str] = []
    profile = parse_profile("lab", layout) if layout.startswith("[") else load_profile(layout)
    expected = profile.expected("RUN", [SAMPLES[0], hostile, SAMPLES[1]], warnings=warnings)
    for path in expected:
        assert posixpath.normpath(path) == path and not path.startswith(("/", "../")), path
    assert {e.sample_id for e in expected.values()} - {None} == {"ID1", "ID2"}  # the others are still expected
    [warning] = warnings
    assert f"sample {hostile.sample_id!r}" in warning and "run folder" in warning and "skipped" in warning


def test_a_hostile_sample_recorded_by_an_older_sheet_is_skipped_with_a_warning_not_a_failed_scan(
    app, root, scan, files, get_run
):
    from seqscan.extensions import db
    from seqscan.models import Sample

    make_run(root)
    scan()
    with app.app_context():  # as an older seqscan, before its parser checked lanes, would have recorded it
        db.session.query(Sample).filter_by(sample_id="S2").update({"name": "../../../../escape", "lane": "1/../.."})
        db.session.commit()
    (root / "idt_exome" / RUN / "0_fastq" / "new.txt").write_text("x")  # the run changed: it is parsed again
    done = scan("--full")
    assert done.state == "Finished"
    assert any(w.run_name == RUN and "sample 'S2'" in w.message and "skipped" in w.message for w in done.warnings)
    assert not [p for p in files() if ".." in p or p.startswith("/")]
    assert files()["0_fastq/S1_R1.fastq.gz"] == "Complete"


@pytest.mark.parametrize("pattern", ["../elsewhere/{sample}.bam", "/data/{sample}.bam", "1_BAM/../../{sample}.bam"])
def test_a_profile_path_outside_the_run_folder_is_refused(pattern):
    with pytest.raises(ProfileError, match="not a path inside the run folder"):
        parse_profile("lab", f"[sample_files]\nbam = '{pattern}'\n")


# Written out here, not derived from the profile: the tests' run folders are written from the tau
# profile, so this list is what keeps a wrong profile from agreeing with itself.
TAU_PATHS = [
    "0_fastq/S1_R1.fastq.gz",
    "0_fastq/S1_R2.fastq.gz",
    "0_goi/RUN_S1.txt",
    "1_BAM/S1.hg38.bam",
    "1_BAM/S1.hg38.bam.bai",
    "2_variants/gatk_per_sample/S1.hg38.vcf.gz",
    "4_QC/exec_stats/S1_qc_summary.txt",
    "4_QC/exec_stats/S1_stats.tsv",
    "4_QC/bam_stats/samples/S1.per_gene_coverage.tsv.gz",
    "SampleSheet.csv",
    "2_variants/RUN.gatk.hg38.vcf.gz",
]


def test_the_tau_profile_asks_for_the_lab_pipelines_files_and_states_its_disk_facts():
    tau = load_profile("tau")
    assert list(expected_paths(tau, "RUN", ["S1"])) == TAU_PATHS
    assert tau.metadata_dirs == ["", "4_QC/sequencing_stats"] and tau.sample_sheet == "SampleSheet.csv"
    assert tau.bgzf_suffixes == (".gz", ".bam") and tau.joint_file_types == ["vcf_joint"]
    bcl = load_profile("bclconvert")
    assert bcl.metadata_dirs == [""] and bcl.joint_file_types == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('metdata_dirs = [""]\n[run_files]\nsheet = "S.csv"\n', "unknown key(s) metdata_dirs"),
        ('joint_file_types = ["vcf"]\n[run_files]\nsheet = "S.csv"\n', "joint_file_types names no run file: vcf"),
        ('metadata_dirs = ["../up"]\n[run_files]\nsheet = "S.csv"\n', "metadata_dirs: '../up' is not a folder"),
        ('[run_files]\nsample_sheet = "{run}.csv"\n', "sample_sheet: '{run}.csv' must be one fixed path"),
    ],
)
def test_a_profile_with_a_wrong_disk_fact_is_refused_saying_which(text, said):
    with pytest.raises(ProfileError, match=re.escape(said)):
        parse_profile("lab", text)


def test_a_lab_profile_names_its_own_sheet_and_metadata_folder(lab_layout, root, scan, files):
    lab_layout(
        'output_dirs = ["fq", "meta"]\nmetadata_dirs = ["", "meta"]\nignore = ["meta/RTAComplete.txt"]\n'
        '[sample_files]\nfq = "fq/{sample}.fq.gz"\n[run_files]\nsample_sheet = "meta/samples.csv"\n'
    )
    run_dir = root / "k" / "240108_NB501009_0001_AHTESTBGXY"
    write_files(run_dir, {"meta/samples.csv": iem_sheet(["A1"]), "meta/RTAComplete.txt": "", "fq/A1.fq.gz": "x"})
    done = scan()
    assert done.runs_count == 1 and files("240108_NB501009_0001_AHTESTBGXY") == {
        "fq/A1.fq.gz": "Complete",
        "meta/samples.csv": "Complete",
    }
