"""History never rewrites itself: a scan's changes read the same after later scans, and who did what is kept."""

from __future__ import annotations

import os

from sqlalchemy import select

from seqscan.extensions import db
from tests.conftest import RUN, make_run

NAMES = [f"Exome_24_{i:03d}_240108_NB501009_{i:04d}_AHHIST{i:03d}XY" for i in range(5)]


def test_a_scans_deletions_stay_listed_after_a_later_scan_reverses_them(app, root, scan, operator):
    for name in NAMES:
        make_run(root, name=name, samples=("S1", "S2"))
    scan()
    gone = []
    for name in NAMES:  # 39 files deleted across the runs
        for path in sorted((root / "idt_exome" / name).rglob("*.*"))[:8]:
            if path.name not in ("SampleSheet.csv", "RTAComplete.txt") and len(gone) < 39:
                gone.append((path, path.read_bytes()))
                path.unlink()
    second = scan("--accept-vanished")  # 8 of a run's 20 files at once: more than the vanish limit
    assert second.files_deleted == 39
    for path, data in gone[:38]:  # a copy put back, all but one
        path.write_bytes(data)
        os.utime(path.parent)  # as the copy would
    scan()
    page = operator.get(f"/scans/{second.id}").text
    assert "39 deleted" in page
    listed = page.split("<summary>39 deleted</summary>")[1].split("</details>")[0]
    assert listed.count('class="badge st-deleted">Deleted') == 39  # the list agrees with its count


def test_a_run_page_shows_each_files_history(app, root, scan, operator):
    run_dir = make_run(root)
    for i in range(5):  # enough runs that one file going is a deletion, not a lost mount
        make_run(root, name=NAMES[i], samples=("S1",))
    first = scan()
    bam = run_dir / "1_BAM" / "S1.hg38.bam"
    data = bam.read_bytes()
    bam.unlink()
    deleted = scan()
    bam.write_bytes(data)
    back = scan()
    page = operator.get(f"/runs/{RUN}").text
    history = page.split("History of its files")[1].split("</table>")[0]
    assert history.count("1_BAM/S1.hg38.bam") == 2
    assert f"#{deleted.id}" in history and f"#{back.id}" in history and f"#{first.id}" not in history
    assert 'st-complete">Complete</span> → <span class="badge st-deleted">Deleted' in history
    assert 'st-deleted">Deleted</span> → <span class="badge st-complete">Complete' in history


def test_operator_actions_are_kept(app, root, scan, tmp_path, monkeypatch):
    from seqscan.models import OperatorAction

    monkeypatch.setenv("USER", "olga")
    make_run(root)
    first = scan()
    (root / "idt_exome" / RUN).rename(tmp_path / "moved-away")
    accepted = scan("--accept-vanished")
    with app.app_context():
        actions = [
            (a.who, a.action, a.scan_id) for a in db.session.scalars(select(OperatorAction).order_by(OperatorAction.id))
        ]
    assert actions == [
        ("olga", f"requested a scan of {root} (command line)", first.id),
        ("olga", f"requested a scan of {root} (command line, accepting runs gone from disk as Deleted)", accepted.id),
        ("olga", f"accepted 1 of 1 known runs gone from {root} as Deleted", accepted.id),
    ]
