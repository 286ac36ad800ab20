"""A run is its root plus its path: a scan of a second root never touches the main root's runs."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from seqscan.extensions import db
from seqscan.models import SequencingRun
from tests.conftest import RUN, make_run, rows
from tests.test_lanes import NAME as BCL_RUN
from tests.test_lanes import bcl_run, per_lane, v2_sheet


def runs_by_root(app) -> dict[str, str]:
    return dict(rows(app, select(SequencingRun.root, SequencingRun.data_state).where(SequencingRun.name == RUN)))


def test_a_side_scan_of_a_copy_never_changes_the_main_roots_run(app, root, scan, tmp_path, operator):
    make_run(root)
    main = scan()
    side = tmp_path / "side"
    make_run(side)  # a copy of the same run under a second root
    copied = scan("--root", str(side), "--layout", "tau")
    assert runs_by_root(app) == {str(root): "Complete", str(side): "Complete"}  # two runs
    twin = [w.message for w in copied.warnings if "the same run name is also recorded" in w.message]
    assert twin == [
        f"the same run name is also recorded at {root}/idt_exome/{RUN}: two runs, each judged under its own root"
    ]
    shutil.rmtree(side / "idt_exome" / RUN)
    assert scan("--root", str(side), "--layout", "tau", ok=False).error.startswith(
        "1 of 1 known runs are gone"
    )  # side root emptied
    scan("--root", str(side), "--layout", "tau", "--accept-vanished")
    assert runs_by_root(app) == {str(root): "Complete", str(side): "Deleted"}
    with app.app_context():
        kept = db.session.scalar(select(SequencingRun).where(SequencingRun.root == str(root)))
        assert kept.last_seen_scan_id == main.id  # no side scan wrote to it
    chooser = operator.get(f"/runs/{RUN}")
    assert chooser.status_code == 300 and str(root) in chooser.text and str(side) in chooser.text
    one = operator.get(f"/runs/{RUN}?root={root}")
    assert one.status_code == 200 and f"{root}/idt_exome/{RUN}" in one.text
    assert operator.get(f"/api/runs/{RUN}").status_code == 300
    assert operator.get(f"/api/runs/{RUN}?root={side}").json["verdict"] == "deleted"


def test_a_main_scan_does_not_touch_the_side_roots_runs(app, root, scan, tmp_path):
    side = tmp_path / "side"
    make_run(side)
    scan("--root", str(side), "--layout", "tau")
    make_run(root, name="Exome_24_009_240110_NB501009_0009_AHOTHERBGXY")
    done = scan()  # the main root does not hold the side run: it is not "gone" from here
    assert done.state == "Finished" and done.files_deleted == 0
    assert runs_by_root(app) == {str(side): "Complete"}


def test_a_root_is_read_with_its_own_layout_and_a_layout_change_deletes_nothing(app, root, scan, files, tmp_path):
    app.config["LAYOUT"] = "bclconvert"
    bcl_run(root, v2_sheet(), per_lane([1]))
    first = scan()
    assert first.layout == "bclconvert" and set(files(BCL_RUN).values()) == {"Complete"}
    spelt_otherwise = tmp_path / "via-a-link"
    spelt_otherwise.symlink_to(root)
    again = scan("--root", str(spelt_otherwise))  # no --layout: the configured root's own
    assert (again.root, again.layout, again.files_deleted) == (str(root), "bclconvert", 0)
    app.config["LAYOUT"] = "tau"  # the lab edits the setting: the runs are read again, nothing Deleted
    changed = scan()
    assert changed.state == "Finished" and changed.files_deleted == 0 and changed.runs_reparsed == 1
    assert "Deleted" not in files(BCL_RUN).values() and files(BCL_RUN)["SampleSheet.csv"] == "Complete"
    app.config["LAYOUT"] = "bclconvert"
    back = scan()
    assert back.files_deleted == 0 and set(files(BCL_RUN).values()) == {"Complete"}


def test_a_folder_that_is_no_longer_a_run_but_is_there_is_not_deleted(app, root, scan, get_run):
    run_dir = make_run(root)
    scan()
    (run_dir / "4_QC/sequencing_stats/RTAComplete.txt").unlink()  # no completion marker: not found as a run
    done = scan()
    assert done.state == "Finished" and done.files_deleted == 0 and get_run().data_state == "Complete"
    assert any("still on disk but no longer found as a run" in w.message for w in done.warnings)


def test_the_layout_of_a_root_is_named_once(app, runner, root, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    said = runner.invoke(args=["scan", "--root", str(other)])
    assert said.exit_code == 2 and f"{other} is not a configured root" in said.output and "--layout" in said.output
    said = runner.invoke(args=["scan", "--root", str(root), "--layout", "bclconvert"])
    assert said.exit_code == 2 and "is a configured root read with layout tau" in said.output
    said = runner.invoke(args=["scan", "--root", str(other), "--layout", "nope"])
    assert said.exit_code == 2 and "neither a built-in profile" in said.output
