"""The secret key and the SQLite file are the owner's only; the key is written whole, never used empty."""

from __future__ import annotations

import stat
from types import SimpleNamespace

from sqlalchemy import text

from seqscan.auth import _secret_key
from seqscan.extensions import db


def test_the_secret_key_is_made_whole_and_private_and_an_empty_one_is_never_used(tmp_path):
    (tmp_path / "secret_key").write_text("")  # what an interrupted start of an older release left
    first = _secret_key(SimpleNamespace(config={}, instance_path=str(tmp_path)))
    again = _secret_key(SimpleNamespace(config={}, instance_path=str(tmp_path)))
    assert len(first) == 64 and first == again
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no drafts left behind


def test_the_sqlite_file_is_readable_by_its_owner_only(app, tmp_path):
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        if db.engine.dialect.name != "sqlite":
            return
    assert stat.S_IMODE((tmp_path / "seqscan.sqlite").stat().st_mode) == 0o600
