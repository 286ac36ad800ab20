"""A run is its root plus its path: a scan of a second root never touches the main root's runs."""

from __future__ import annotations

import shutil

from sqlalchemy import select

from seqscan.extensions import db
from seqscan.models import SequencingRun
from tests.conftest import RUN, make_run, rows


def runs_by_root(app) -> dict[str, str]:
    return dict(rows(app, select(SequencingRun.root, SequencingRun.data_state).where(SequencingRun.name == RUN)))


def test_a_side_scan_of_a_copy_never_changes_the_main_roots_run(app, root, scan, tmp_path, operator):
    make_run(root)
    main = scan()
    side = tmp_path / "side"
    make_run(side)  # a copy of the same run under a second root
    copied = scan("--root", str(side))
    assert runs_by_root(app) == {str(root): "Complete", str(side): "Complete"}  # two runs
    twin = [w.message for w in copied.warnings if "the same run name is also recorded" in w.message]
    assert twin == [
        f"the same run name is also recorded at {root}/idt_exome/{RUN}: two runs, each judged under its own root"
    ]
    shutil.rmtree(side / "idt_exome" / RUN)
    assert scan("--root", str(side), ok=False).error.startswith("1 of 1 known runs are gone")  # side root emptied
    scan("--root", str(side), "--accept-vanished")
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
    scan("--root", str(side))
    make_run(root, name="Exome_24_009_240110_NB501009_0009_AHOTHERBGXY")
    done = scan()  # the main root does not hold the side run: it is not "gone" from here
    assert done.state == "Finished" and done.files_deleted == 0
    assert runs_by_root(app) == {str(side): "Complete"}
