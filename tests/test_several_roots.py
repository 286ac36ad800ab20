"""Several roots in one installation: each with its layout, scanned apart (one scan per root), one
root down failing only its own scan, runs that move between paths or roots, and roots on queues of
their own scanned side by side by their own workers, never two scans on one queue."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from seqscan import create_app
from seqscan.enums import RunVerdict, ScanState, Trigger
from seqscan.extensions import db
from seqscan.jobs.scanqueue import enqueue_scans
from seqscan.layout import load_profile
from seqscan.layout.tree import expected_paths, write_files
from seqscan.models import FileEvent, RunMove, ScanRun, SequencingRun
from seqscan.settings_check import SettingError
from tests.conftest import OTHER, RUN, add_users, csrf, iem_sheet, make_run, sign_in
from tests.queue_support import Lab

BCLCONVERT = load_profile("bclconvert")
NOVASEQ_RUN = "240110_A01234_0002_AHNOVASEQXY"


def bclconvert_run(root, name: str = NOVASEQ_RUN, samples=("N1", "N2")) -> None:
    """A NovaSeq run folder with BCL Convert's output, written from the bclconvert profile."""
    files = {path: "data" for path in expected_paths(BCLCONVERT, name, samples)}
    files["SampleSheet.csv"] = iem_sheet(list(samples))
    files["CopyComplete.txt"] = ""
    write_files(root / name, files)


def three_roots(tmp_path) -> list[dict]:
    clinical, novaseq = tmp_path / "clinical", tmp_path / "novaseq"
    make_run(clinical)
    bclconvert_run(novaseq)
    (novaseq / ".seqscan_root").write_text("")
    archive = tmp_path / "archive"  # its disk is not mounted: the mount point is empty
    archive.mkdir()
    return [
        {"name": "clinical", "path": str(clinical), "layout": "tau"},
        {"name": "novaseq", "path": str(novaseq), "layout": "bclconvert", "sentinel": ".seqscan_root"},
        {"name": "archive", "path": str(archive), "layout": "tau", "sentinel": ".seqscan_root"},
    ]


def several_roots_lab(tmp_path, roots: list[dict]) -> Lab:
    lab = Lab(tmp_path)
    lab.settings |= {"SCAN_ROOT": None, "ROOTS": roots}
    lab.app = lab.make_app()
    return lab


# --- Settings ---


def test_roots_are_read_from_roots_tables_in_the_settings_file(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "seqscan.toml").write_text(
        '[[roots]]\nname = "clinical"\npath = "/data/clinical"\n\n'
        '[[roots]]\nname = "novaseq"\npath = "/data/novaseq/"\nlayout = "bclconvert"\nqueue = "nova"\n'
    )
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}, str(instance))
    with app.app_context():
        from seqscan import roots

        clinical, novaseq = roots.configured()
        assert (clinical.name, clinical.path, clinical.layout, clinical.queue) == (
            "clinical", "/data/clinical", "tau", app.config["SCAN_QUEUE"],
        )  # fmt: skip
        assert (novaseq.path, novaseq.layout, novaseq.queue) == ("/data/novaseq", "bclconvert", "nova")
        assert roots.queues() == [app.config["SCAN_QUEUE"], "nova"]
        assert roots.find("novaseq") == novaseq == roots.find("/data/novaseq")


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"ROOTS": [{"name": "a", "path": "/a"}], "SCAN_ROOT": "/b"}, "both [[roots]] (ROOTS) and SCAN_ROOT are set"),
        ({"ROOTS": [{"name": "a", "path": "/a"}], "ROOT_SENTINEL": ".x"}, "give each root its own sentinel"),
        ({"ROOTS": [{"name": "a", "path": "/a", "layuot": "tau"}]}, "layuot is no key of a root"),
        ({"ROOTS": [{"name": "a", "path": "/a"}, {"name": "a", "path": "/b"}]}, "is there twice"),
        ({"ROOTS": [{"name": "a", "path": "/a"}, {"name": "b", "path": "/a/"}]}, "is there twice"),
        ({"ROOTS": [{"path": "/a"}]}, "root 1: name is required"),
        ({"ROOTS": [{"name": "no spaces", "path": "/a"}]}, "a name of letters, digits"),
    ],
)
def test_roots_that_cannot_work_are_refused_at_start_naming_the_root(tmp_path, settings, says):
    with pytest.raises(SettingError, match="ROOTS|roots") as refused:
        create_app({"TESTING": True, **settings}, str(tmp_path / "instance"))
    assert says in str(refused.value)


def test_config_check_checks_every_root_and_names_the_failing_one(tmp_path):
    lab = several_roots_lab(tmp_path, three_roots(tmp_path))
    try:
        done = lab.run("flask", "config-check")
        assert done.returncode == 1, done.stdout
        assert "ok    scan root readable (clinical): " in done.stdout and "layout tau" in done.stdout
        assert "ok    scan root readable (novaseq): " in done.stdout and "layout bclconvert" in done.stdout
        assert "FAIL  scan root readable (archive): sentinel .seqscan_root missing" in done.stdout, done.stdout
    finally:
        lab.close()


# --- One scan per root, each with its layout; one root down is its own Error ---


def test_the_button_queues_one_scan_per_root_and_a_second_press_adds_none(app, tmp_path, lab_redis):
    app.config["SCAN_ROOT"], app.config["ROOTS"] = None, three_roots(tmp_path)
    add_users(app)
    client = sign_in(app.test_client(), "olga")
    page = client.get("/scans")
    assert "one scan per root: clinical, novaseq, archive" in page.text  # the button says what it does
    done = client.post("/scans", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    for name in ("clinical", "novaseq", "archive"):
        assert f"{name}: Scan #" in done.text
    with app.app_context():
        queued = db.session.scalars(select(ScanRun).order_by(ScanRun.id)).all()
        assert [(s.root, s.layout) for s in queued] == [(r["path"], r["layout"]) for r in app.config["ROOTS"]]
        again = enqueue_scans(Trigger.SCHEDULED, "scheduler")  # a firing while they wait
        assert [(scan.id, created) for scan, created in again] == [(s.id, False) for s in queued]
    # A root's own button (the Scans page filtered by the root) scans that root only.
    only = client.get("/scans?root=novaseq")
    assert "Scan novaseq for sequencing data" in only.text
    client.post("/scans", data={"csrf_token": csrf(only.text), "root": "novaseq"})
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(ScanRun)) == 3  # novaseq's is waiting


def test_every_root_is_scanned_with_its_own_layout_and_an_unmounted_one_fails_alone(tmp_path):
    lab = several_roots_lab(tmp_path, three_roots(tmp_path))
    try:
        lab.start("worker.py")
        with lab.app.app_context():
            ids = [scan.id for scan, _ in enqueue_scans(Trigger.MANUAL, "alice")]
        clinical, novaseq, archive = (lab.wait_end(i) for i in ids)
        assert clinical.state == novaseq.state == ScanState.FINISHED
        assert archive.state == ScanState.ERROR and "sentinel .seqscan_root missing" in archive.error
        with lab.app.app_context():
            runs = {r.name: r for r in db.session.scalars(select(SequencingRun))}
            assert set(runs) == {RUN, NOVASEQ_RUN}
            assert runs[RUN].root == clinical.root and runs[RUN].verdict == RunVerdict.COMPLETE
            # Read with bclconvert's layout: its Fastq/ files are expected, and there.
            assert runs[NOVASEQ_RUN].root == novaseq.root and runs[NOVASEQ_RUN].verdict == RunVerdict.COMPLETE
            # The sheet's [Reads] has one read (no RunInfo.xml here): R1 of each sample, and the sheet.
            assert runs[NOVASEQ_RUN].expected_count == runs[NOVASEQ_RUN].complete_count == 3
        add_users(lab.app)
        viewer = sign_in(lab.app.test_client(), "vic")
        home = viewer.get("/").text
        assert "<b>clinical</b>: " in home and "<b>archive</b>: " in home
        line = home[home.index('class="outcome per-root"') :].split("</p>")[0]
        assert "1 run changed" in line and "sentinel .seqscan_root missing" in line
        listed = viewer.get("/runs").text
        assert '<td title="' + str(tmp_path / "novaseq") + '">novaseq</td>' in listed
        assert NOVASEQ_RUN not in viewer.get("/runs?root=clinical").text
        assert NOVASEQ_RUN in viewer.get("/runs?root=novaseq").text
        assert viewer.get("/scans?root=archive").text.count('id="scan-') == 1
        (archived,) = viewer.get("/api/scans?root=archive").json["scans"]
        assert (archived["root_name"], archived["end_reason"]) == ("archive", "root_unreadable")
        assert viewer.get("/api/runs?root=novaseq").json["runs"][0]["root_name"] == "novaseq"
        assert viewer.get("/api/runs?root=nowhere").status_code == 400
        exported = lab.run("flask", "files", "export")
        assert exported.returncode == 0 and exported.stdout.splitlines()[0].endswith("\troot_name")
        assert {line.split("\t")[-1] for line in exported.stdout.splitlines()[1:]} == {"clinical", "novaseq"}
    finally:
        lab.close()


def test_flask_scan_scans_every_root_in_turn_or_the_one_named(tmp_path):
    lab = several_roots_lab(tmp_path, three_roots(tmp_path))
    try:
        every = lab.run("flask", "scan")
        assert every.returncode == 1, every.stderr  # one root failed
        assert "scan 1 of clinical started" in every.stdout and "scan 3 of archive started" in every.stdout
        assert "error of archive: " in every.stderr
        one = lab.run("flask", "scan", "--root", "novaseq")
        assert one.returncode == 0, one.stderr
        assert lab.scan(4).root == str(tmp_path / "novaseq") and lab.scan(4).layout == "bclconvert"
    finally:
        lab.close()


# --- Moved runs ---


def test_a_run_moved_within_its_root_is_one_run_with_its_history(app, root, scan, get_run):
    make_run(root, skip={"1_BAM/S2.hg38.bam"})  # one file missing: the history has an event
    scan()
    before = get_run()
    (root / "exomes").mkdir()
    (root / "idt_exome" / RUN).rename(root / "exomes" / RUN)
    moved = scan()
    after = get_run()
    assert after.id == before.id and after.path == f"exomes/{RUN}" and after.kit == "exomes"
    assert after.verdict == RunVerdict.INCOMPLETE and after.missing_count == 1  # judged where it is now
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(SequencingRun)) == 1
        (move,) = db.session.scalars(select(RunMove)).all()
        assert (move.run_pk, move.scan_id, move.from_path, move.to_path) == (
            before.id, moved.id, f"idt_exome/{RUN}", f"exomes/{RUN}",
        )  # fmt: skip
        assert db.session.scalars(select(FileEvent.run_pk)).all() == [before.id]  # its first scan's event, kept
        assert moved.files_deleted == 0 and "run folder moved from idt_exome/" in moved.warnings[0].message


def test_a_run_moved_to_another_root_links_the_new_record_to_the_deleted_one(app, tmp_path, scan, get_run, users):
    first, second = tmp_path / "root", tmp_path / "archive"
    app.config["SCAN_ROOT"] = None
    app.config["ROOTS"] = [{"name": "clinical", "path": str(first)}, {"name": "archive", "path": str(second)}]
    make_run(first)
    make_run(first, name=OTHER)
    scan("--root", "clinical")
    old = get_run()
    second.mkdir()
    (first / "idt_exome" / RUN).rename(second / RUN)
    scan("--root", "clinical", "--accept-vanished")  # 1 of its 2 runs gone: the guard asks
    assert get_run().verdict == RunVerdict.DELETED
    scan("--root", "archive")
    with app.app_context():
        old, new = db.session.scalars(select(SequencingRun).where(SequencingRun.name == RUN).order_by(SequencingRun.id))
        assert (old.root, new.root, new.moved_from_pk) == (str(first), str(second), old.id)
        assert old.verdict == RunVerdict.MOVED and not old.needs_attention
        (move,) = db.session.scalars(select(RunMove)).all()
        assert (move.run_pk, move.from_root, move.to_root) == (new.id, str(first), str(second))
        assert not any("also recorded at" in w for w in new.warnings.splitlines())  # no twin: the same run
    viewer = sign_in(app.test_client(), "vic")
    moved_from = viewer.get(f"/runs/{RUN}?root={second}").text
    assert "Moved from" in moved_from and f"{first}/idt_exome/{RUN}" in moved_from
    assert "Moved to" in viewer.get(f"/runs/{RUN}?root={first}").text


# --- Two queues, two workers ---


def test_roots_on_two_queues_scan_side_by_side_and_never_two_on_one_queue(tmp_path):
    clinical, novaseq = tmp_path / "clinical", tmp_path / "novaseq"
    for i in range(4):
        make_run(clinical, name=f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHTEST{i:03d}XY", samples=("S1",))
        bclconvert_run(novaseq, name=f"240110_A01234_{i:04d}_AHNOVA{i:03d}XY", samples=("N1",))
    lab = Lab(tmp_path)
    own = f"{lab.settings['SCAN_QUEUE']}-novaseq"
    lab.settings |= {"SCAN_ROOT": None, "PAUSE_PER_RUN_SECONDS": 0.4, "ROOTS": [
        {"name": "clinical", "path": str(clinical)},
        {"name": "novaseq", "path": str(novaseq), "layout": "bclconvert", "queue": own},
    ]}  # fmt: skip
    lab.app = lab.make_app()
    try:
        refused = lab.run("worker.py", "--queue", "nowhere")
        assert refused.returncode == 2 and "no root's scans go on queue nowhere" in refused.stdout + refused.stderr
        (tmp_path / "a-file").write_text("")  # a log below a file cannot be written: said in one line
        no_log = lab.run("worker.py", "--queue", own, WORKER_LOG=str(tmp_path / "a-file" / "worker.log"))
        assert no_log.returncode == 2 and "Traceback" not in no_log.stderr
        assert f"worker: cannot write its log {tmp_path}/a-file/worker.{own}.log: " in no_log.stderr
        lab.start("worker.py")
        lab.start("worker.py", "--queue", own)
        with lab.app.app_context():
            first = [scan.id for scan, _ in enqueue_scans(Trigger.MANUAL, "alice")]
        for scan_id in first:
            lab.wait_state(scan_id, ScanState.SCANNING_FILES, ScanState.CREATE_MODELS)
        with lab.app.app_context():  # pressed again while both run: each root's second scan waits
            second = [scan.id for scan, created in enqueue_scans(Trigger.MANUAL, "bob") if created]
        assert len(second) == 2
        ended = {i: lab.wait_end(i, timeout=90) for i in first + second}
        assert all(s.state == ScanState.FINISHED for s in ended.values()), [s.error for s in ended.values()]

        def span(scan_id):
            return ended[scan_id].scan_start, ended[scan_id].finished

        def overlap(a, b) -> bool:
            return span(a)[0] < span(b)[1] and span(b)[0] < span(a)[1]

        assert overlap(first[0], first[1])  # two queues: side by side
        assert not overlap(first[0], second[0]) and not overlap(first[1], second[1])  # one queue: one by one
        with lab.app.app_context():
            from seqscan.health import server_status

            queues = {q["name"]: q for q in server_status()["queues"]}
            assert queues[own]["roots"] == ["novaseq"] and queues[own]["owner"]
            assert queues[lab.settings["SCAN_QUEUE"]]["roots"] == ["clinical"]
    finally:
        lab.close()


def test_scans_of_one_root_do_not_prune_the_lists_another_roots_next_scan_re_uses(app, tmp_path, scan):
    first, second = tmp_path / "root", tmp_path / "other"
    app.config["SCAN_ROOT"], app.config["KEEP_SCAN_LISTS"] = None, 2
    app.config["ROOTS"] = [{"name": "clinical", "path": str(first)}, {"name": "other", "path": str(second)}]
    make_run(first)
    make_run(second, name=OTHER)
    kept = scan("--root", "clinical").id
    for _ in range(3):
        scan("--root", "other")
    scans_dir = tmp_path / "data" / "scans"
    assert str(kept) in os.listdir(scans_dir)  # clinical's newest finished scan keeps its lists
    again = scan("--root", "clinical")
    assert again.dirs_walked == 3  # so its next scan re-uses them: the root, the kit, the run folder
