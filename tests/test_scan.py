"""What a scan records, judged the way a lab would: by run and file states after real scans."""

import os
import shutil
from pathlib import Path

from sqlalchemy import select

from seqscan import scans
from seqscan.extensions import db
from seqscan.models import SampleSheet, ScanRun, SequencingRun
from tests.conftest import RUN, count, iem_sheet, make_run

R1 = "0_fastq/S1_R1.fastq.gz"
R2 = "0_fastq/S1_R2.fastq.gz"


def test_run_is_found_by_rtacomplete_under_sequencing_stats(root, scan, get_run):
    make_run(root)
    result = scan()
    assert result.state == "Finished" and result.runs_count == 1
    assert get_run().kit == "idt_exome"


def test_run_is_found_by_rtacomplete_or_copycomplete_at_its_root(root, scan, get_run):
    make_run(root, marker="RTAComplete.txt")
    make_run(root, name="Haem_24_002_240109_M02027_0002_000000000-ABCDE", kit="idt_haem", marker="CopyComplete.txt")
    assert scan().runs_count == 2
    assert get_run("Haem_24_002_240109_M02027_0002_000000000-ABCDE").sequencer_model == "MiSeq"


def test_folder_without_completion_marker_is_not_a_run_yet(root, scan, get_run):
    make_run(root, marker="not_a_marker.txt")
    assert scan().runs_count == 0 and get_run() is None


def test_complete_run_has_every_expected_file_complete(root, scan, files, get_run):
    make_run(root)
    scan()
    states = files()
    assert len(states) == 2 * 9 + 2 and set(states.values()) == {"Complete"}
    run = get_run()
    assert (run.expected_count, run.complete_count, run.missing_count) == (20, 20, 0)
    assert run.date.isoformat() == "2024-01-08" and run.sequencer_model == "NextSeq 500/550"


def test_missing_r2_is_non_existent_while_r1_is_complete(root, scan, files):
    make_run(root, skip={R2})
    result = scan()
    assert files()[R1] == "Complete" and files()[R2] == "Non-existent"
    assert result.root_files_missing == 1


def test_sample_on_disk_but_not_in_the_sheet_is_unexpected(root, scan, files):
    run_dir = make_run(root)
    (run_dir / "0_fastq/STRAY_R1.fastq.gz").write_text("x")
    scan()
    assert files()["0_fastq/STRAY_R1.fastq.gz"] == "Unexpected"


def test_file_deleted_between_scans_becomes_deleted(root, scan, files):
    run_dir = make_run(root)
    assert scan().files_deleted == 0
    (run_dir / R2).unlink()
    second = scan()
    assert files()[R2] == "Deleted" and files()[R1] == "Complete"
    assert second.files_deleted == 1 and second.root_files_missing == 1


def test_deleted_file_that_comes_back_is_complete_again(root, scan, files):
    run_dir = make_run(root)
    scan()
    content = (run_dir / R2).read_text()
    (run_dir / R2).unlink()
    scan()
    (run_dir / R2).write_text(content)
    scan()
    assert files()[R2] == "Complete"


def test_run_folder_deleted_becomes_deleted_with_its_files(root, scan, files, get_run):
    run_dir = make_run(root)
    for i in range(2, 7):  # 1 of 6 runs gone: a deletion, not a lost mount
        make_run(root, name=f"Exome_24_00{i}_240110_NB501009_000{i}_AHOTHERBGXY", samples=("S1",))
    scan()
    shutil.rmtree(run_dir)
    second = scan()
    assert get_run().data_state == "Deleted"
    assert set(files().values()) == {"Deleted"}
    assert get_run("Exome_24_002_240110_NB501009_0002_AHOTHERBGXY").data_state == "Complete"
    assert second.files_deleted == 20 and second.runs_count == 5
    assert any("gone from disk" in w.message for w in second.warnings)


def test_top_level_skip_marker_prunes_everything_below(root, scan, get_run):
    make_run(root)
    (root / "idt_exome" / ".variantgrid_skip_flowcell").touch()
    assert scan().runs_count == 0
    assert get_run() is None


def test_top_level_skip_marker_added_later_skips_its_runs_and_keeps_their_files(root, scan, get_run, files):
    make_run(root, skip={R2})
    scan()
    before = files()
    (root / "idt_exome" / ".variantgrid_skip_flowcell").touch()
    scan()
    run = get_run()
    assert (run.data_state, run.verdict) == ("Skipped", "skipped") and files() == before  # files as last seen
    assert run.verdict_text == "Skipped: marker .variantgrid_skip_flowcell in idt_exome/"
    (root / "idt_exome" / ".variantgrid_skip_flowcell").unlink()
    scan()
    assert get_run().verdict_text == "Incomplete: 1 missing" and not get_run().skipped


def test_run_level_skip_marker_records_run_skipped_without_expected_files(root, scan, files, get_run):
    run_dir = make_run(root)
    (run_dir / ".variantgrid_skip_flowcell").touch()
    scan()
    run = get_run()
    assert run.data_state == "Skipped" and run.skipped
    assert run.verdict_text == "Skipped: marker .variantgrid_skip_flowcell in the run folder"
    assert files() == {}


def test_run_skipped_later_keeps_its_records_and_is_unskipped_when_marker_goes(root, scan, files, get_run):
    run_dir = make_run(root, skip={R2})
    scan()
    before = files()
    (run_dir / ".variantgrid_skip_flowcell").touch()
    (run_dir / R1).unlink()  # changes while skipped are not judged
    scan()
    assert get_run().data_state == "Skipped" and files() == before
    (run_dir / ".variantgrid_skip_flowcell").unlink()
    scan()
    assert get_run().data_state == "Complete" and not get_run().skipped
    assert files()[R1] == "Deleted" and files()[R2] == "Non-existent"


def test_edited_sheet_makes_a_new_current_version(app, root, scan, files):
    run_dir = make_run(root)
    scan()
    (run_dir / "SampleSheet.csv").write_text(iem_sheet(["S1", "S2", "S3"]))
    scan()
    with app.app_context():
        sheets = db.session.scalars(select(SampleSheet).order_by(SampleSheet.id)).all()
        assert [s.is_current for s in sheets] == [False, True]
        assert [len(s.samples) for s in sheets] == [2, 3]
    assert files()["0_fastq/S3_R1.fastq.gz"] == "Non-existent"


def test_sample_removed_from_sheet_drops_its_never_found_expectations(root, scan, files):
    run_dir = make_run(root, skip={"0_fastq/S2_R2.fastq.gz"})
    scan()
    (run_dir / "SampleSheet.csv").write_text(iem_sheet(["S1"]))
    scan()
    assert "0_fastq/S2_R2.fastq.gz" not in files()
    assert files()["0_fastq/S2_R1.fastq.gz"] == "Unexpected"  # still on disk: still visible


def test_all_three_sheet_formats_give_expected_files(root, scan, files):
    legacy = "FCID,Lane,SampleID,SampleRef,Index,Description,Control,Recipe,Operator,SampleProject\nFC,1,S1,hg38,ACGT,,N,,,P\nFC,1,S2,hg38,CCGT,,N,,,P\n"
    v2 = "[Header]\nFileFormatVersion,2\n[BCLConvert_Data]\nLane,Sample_ID,Index,Index2\n1,S1,ACGT,TTTT\n1,S2,CCGT,GGGG\n"
    names = []
    for i, sheet in enumerate([legacy, iem_sheet(["S1", "S2"]), v2]):
        name = f"Exome_24_00{i}_24010{i}_NB501009_000{i}_AHTEST{i}BGXY"
        make_run(root, name=name, sheet=sheet)
        names.append(name)
    result = scan()
    assert result.warnings_count == 0
    for name in names:
        assert list(files(name).values()).count("Complete") == 20


def test_empty_root_is_a_finished_scan_with_zero_runs_a_warning_and_no_success(app, root, scan):
    result = scan()
    assert (result.state, result.runs_count, result.files_found) == ("Finished", 0, 0)
    assert [w.message for w in result.warnings] == [f"0 runs found in {root}"]
    with app.app_context():
        assert scans.last_success() is None  # an empty (unmounted?) root is no successful scan
    make_run(root)
    found = scan()
    with app.app_context():
        assert scans.last_success().id == found.id


def test_unchanged_rescan_reparses_nothing_and_changed_run_is_reparsed(root, scan, get_run):
    make_run(root)
    other = make_run(root, name="Exome_24_002_240110_NB501009_0002_AHOTHERBGXY")
    assert scan().runs_reparsed == 2
    seen_before = get_run().last_seen_at
    second = scan()
    assert second.runs_reparsed == 0 and second.runs_count == 2 and second.root_files_missing == 0
    assert get_run().last_seen_at > seen_before
    (other / "0_fastq/tmp").write_text("rewritten, longer content")
    (other / "0_fastq/tmp").replace(other / "0_fastq/S1_R1.fastq.gz")  # how pipelines replace output
    assert scan().runs_reparsed == 1


def test_in_place_rewrite_is_seen_by_a_full_scan_only(root, scan, app):
    run_dir = make_run(root)
    scan()
    with (run_dir / "1_BAM/S1.hg38.bam").open("a") as f:
        f.write("appended in place: no folder mtime changes")
    assert scan().runs_reparsed == 0
    assert scan("--full").runs_reparsed == 1


def test_unchanged_run_carries_its_warnings_onto_each_scan(root, scan):
    make_run(root, sheet="not,a,sheet\n")
    assert scan().warnings_count == 1
    assert scan().warnings_count == 1


def test_reuse_prev_scan_id_reuses_the_lists_of_a_successful_scan(root, scan, get_run):
    run_dir = make_run(root)
    first = scan()
    shutil.rmtree(run_dir)  # the disk changed, but the re-used lists did not
    reused = scan("--reuse-prev-scan-id", str(first.id))
    assert reused.state == "Finished" and reused.reused_scan_id == first.id
    assert reused.scan_start is None and reused.runs_count == 1
    assert get_run().data_state == "Complete"


def scan_rows(app) -> int:
    return count(app, ScanRun)


def refused(app, runner, *args: str) -> str:
    """Run `flask scan ARGS`, which must refuse (exit 2) before recording a scan; its message."""
    before = scan_rows(app)
    result = runner.invoke(args=["scan", *args])
    assert result.exit_code == 2, result.output
    assert scan_rows(app) == before
    return result.output


def test_reuse_with_another_root_is_refused_before_a_scan_is_recorded(app, runner, root, scan, tmp_path):
    make_run(root)
    first = scan()
    other = tmp_path / "other"
    other.mkdir()
    said = refused(app, runner, "--root", str(other), "--reuse-prev-scan-id", str(first.id))
    assert f"no scan started: scan {first.id} scanned {root}, not {other}: its lists do not apply" in said


def test_reuse_of_an_unknown_or_listless_scan_is_refused_before_a_scan_is_recorded(app, runner, root, scan):
    assert "no scan started: no scan 99 to re-use" in refused(app, runner, "--reuse-prev-scan-id", "99")
    app.config["ROOT_SENTINEL"] = ".seqscan_root"  # fails before Scanning Files: no lists
    failed = scan(ok=False)
    app.config["ROOT_SENTINEL"] = None
    said = refused(app, runner, "--reuse-prev-scan-id", str(failed.id))
    assert f"scan {failed.id} has no complete found-file lists to re-use" in said


def test_reuse_redoes_a_scan_that_failed_in_create_models(app, root, scan, get_run, files, monkeypatch):
    """What --reuse-prev-scan-id exists for: the walk was done, recording it failed; redo the rest."""
    run_dir = make_run(root)
    from seqscan.scanner import pipeline

    def broken(*args):
        raise RuntimeError("database hiccup")

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_touch_unchanged", broken)
        failed = scan(ok=False)
    assert failed.state == "Error" and failed.create_models_start and "database hiccup" in failed.error
    (run_dir / "0_fastq/S9_R1.fastq.gz").write_text("new")  # not in the re-used lists: never seen
    redone = scan("--reuse-prev-scan-id", str(failed.id))
    assert redone.state == "Finished" and redone.scan_start is None and redone.runs_count == 1
    assert f"re-using the lists of scan {failed.id}" in redone.log
    assert get_run().data_state == "Complete" and "0_fastq/S9_R1.fastq.gz" not in files()


def test_a_root_that_does_not_exist_is_refused_before_a_scan_is_recorded(app, runner, root):
    said = refused(app, runner, "--root", str(root / "does-not-exist"))
    assert f"no scan started: scan root {root / 'does-not-exist'} does not exist or is not a folder" in said


def test_each_scan_keeps_its_own_log(app, root, scan):
    make_run(root, sheet="garbage\n")
    result = scan()
    log = (Path(app.config["DATA_DIR"]) / "scans" / str(result.id) / "scan.log").read_text()
    assert "Scanning Files" in log and "cannot be parsed" in log and f"scan {result.id} finished" in log


def test_lists_are_kept_for_the_last_n_scans_and_each_runs_files_stored_once(app, root, scan, monkeypatch):
    run_dir = make_run(root)
    app.config["KEEP_SCAN_LISTS"] = 2
    monkeypatch.setattr("seqscan.scanner.lists.STORE_GRACE_S", 0)  # no scan of another queue is writing
    ids = [scan().id for _ in range(3)]
    scans_dir = Path(app.config["DATA_DIR"]) / "scans"
    assert sorted(os.listdir(scans_dir)) == sorted([str(i) for i in ids[1:]] + ["files"])

    def stored() -> dict[str, list[str]]:
        return {p.stem: p.read_text().splitlines() for p in (scans_dir / "files").glob("*/*.tsv")}

    (before,) = stored().values()  # one run, unchanged: its files stored once, named by every scan
    types = {line.split("\t")[1] for line in before}
    assert {"fastq_r1", "fastq_r2", "bam", "sample_sheet", "vcf_joint"} <= types
    (run_dir / "1_BAM" / "S1.hg38.bam").unlink()
    scan()
    assert len(stored()) == 2  # the changed run's files stored anew; the earlier ones still named
    scan()
    (after,) = stored().values()  # no kept scan names the earlier files: pruned
    assert len(after) == len(before) - 1


def test_a_crash_while_recording_a_run_leaves_none_of_it_written(app, root, scan, monkeypatch, get_run, files):
    from seqscan.scanner import store

    make_run(root)
    make_run(root, name="Exome_24_002_240110_NB501009_0002_AHOTHERBGXY")
    real = store.update_counts

    def crash_on_first_run(run: SequencingRun, *args):
        if run.name == RUN:  # after the run's files were written, before its commit
            raise RuntimeError("simulated crash mid-run")
        real(run, *args)

    monkeypatch.setattr(store, "update_counts", crash_on_first_run)
    result = scan()
    assert result.state == "Finished"
    assert get_run() is None and files() == {}
    assert get_run("Exome_24_002_240110_NB501009_0002_AHOTHERBGXY").complete_count == 20
    assert any("simulated crash" in w.message for w in result.warnings)
    monkeypatch.setattr(store, "update_counts", real)
    scan()
    assert get_run().complete_count == 20


def test_unchanged_rescan_lists_no_output_folder_again(root, scan, files):
    run_dir = make_run(root)
    first = scan()
    second = scan()
    assert (first.dirs_walked, second.dirs_walked) == (13, 3)  # root, kit and run; not the 10 output folders
    assert second.files_seen == first.files_seen
    (run_dir / "0_fastq/S1_R2.fastq.gz").unlink()
    third = scan()
    assert third.dirs_walked == second.dirs_walked + 1 and files()["0_fastq/S1_R2.fastq.gz"] == "Deleted"


def test_folder_changed_just_before_the_last_listing_is_listed_again(app, root, scan, files):
    run_dir = make_run(root)
    fastq = run_dir / "0_fastq"
    scan()
    # A change that leaves the folder mtime as it was (coarse mtimes on NFS, clock skew):
    before = fastq.stat()
    (fastq / "LATE_R1.fastq.gz").write_text("x")
    os.utime(fastq, ns=(before.st_atime_ns, before.st_mtime_ns))
    app.config["MTIME_MARGIN_SECONDS"] = 60  # the default: this folder is too fresh to trust
    scan()
    assert files()["0_fastq/LATE_R1.fastq.gz"] == "Unexpected"


def test_listings_are_not_reused_once_the_walk_options_change(app, root, scan):
    make_run(root)
    first = scan()
    app.config["NEVER_DESCEND"] = [*app.config["NEVER_DESCEND"], "scratch"]
    assert scan().dirs_walked == first.dirs_walked  # every output folder listed again
    assert scan().dirs_walked == 3  # and trusted again under the new options


def test_an_unchanged_rescan_reads_no_stored_files_and_a_changed_folder_is_the_one_listed_again(
    app, root, scan, monkeypatch
):
    from seqscan.scanner import lists

    names = [f"Exome_24_00{i}_240108_NB501009_000{i}_AHTEST{i}BGXY" for i in range(1, 4)]
    runs = [make_run(root, name=name) for name in names]
    first = scan()
    read: list[str] = []
    loader = lists._loader
    monkeypatch.setattr(lists, "_loader", lambda path: lambda: read.append(path.stem) or loader(path)())
    store = Path(app.config["DATA_DIR"]) / "scans" / "files"
    stored_before = sorted(store.glob("*/*.tsv"))
    second = scan()
    assert read == [] and sorted(store.glob("*/*.tsv")) == stored_before  # nothing of the runs' files read or written
    assert second.dirs_walked == 2 + len(runs)  # the root, the kit folder and each run folder: no output folder
    assert second.files_found == first.files_found  # counted from the lists, not from reading the files
    (runs[1] / "1_BAM" / "S3.hg38.bam").write_text("data")  # one folder of one run changes
    third = scan()
    assert third.dirs_walked == second.dirs_walked + 1  # that folder alone is listed again
    # That run's files alone are read: as stored before (the walk, for its unchanged folders) and as
    # stored now (Create Models parses it); no other run's.
    assert len(read) == len(set(read)) == 2
    assert third.files_new == 1


def test_the_lists_of_the_release_before_the_store_are_still_read(app, root, scan, files):
    """found/<type>.tsv and dirs.tsv without names, as the earlier release wrote them: re-used by
    --reuse-prev-scan-id, and a rescan lists every output folder again (once) to make its digests."""
    make_run(root)
    first = scan()
    folder = Path(app.config["DATA_DIR"]) / "scans" / str(first.id)
    store = folder.parent / "files"
    rows = []
    for line in (folder / "runs.tsv").read_text().splitlines():
        path, marker, fingerprint, markers, key, _ = line.split("\t")
        rows.append(f"{path}\t{marker}\t{fingerprint}\t{markers}")
        for stored in (store / key[:2] / f"{key}.tsv").read_text().splitlines():
            name, file_type = stored.split("\t")
            (folder / "found").mkdir(exist_ok=True)
            with open(folder / "found" / f"{file_type}.tsv", "a") as out:
                out.write(f"{path}\t{name}\n")
    (folder / "runs.tsv").write_text("".join(f"{r}\n" for r in rows))
    dirs = (folder / "dirs.tsv").read_text().splitlines()
    (folder / "dirs.tsv").write_text("".join("\t".join(d.split("\t")[:5]) + "\n" for d in dirs))
    shutil.rmtree(store)
    before = files()
    reused = scan("--reuse-prev-scan-id", str(first.id))
    assert reused.files_found == first.files_found and files() == before
    assert scan().dirs_walked == first.dirs_walked  # every output folder listed again, once
