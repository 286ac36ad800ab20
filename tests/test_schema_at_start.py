"""Schema upgrades happen in `flask init-db` (or at start when SEQSCAN_UPGRADE_ON_START asks), not in
every process as it starts: one that finds the schema behind says which command to run and exits 2."""

from __future__ import annotations

import sys

import pytest

from tests.test_settings import BIN, lab_env, run

FLASK = [str(BIN / "flask"), "--app", "app"]


@pytest.mark.parametrize(
    "command", [[*FLASK, "scans", "list"], [sys.executable, "worker.py", "--burst"]], ids=["a command", "the worker"]
)
def test_a_process_finding_the_schema_behind_names_the_command_and_exits_2(tmp_path, command):
    env = lab_env(tmp_path, UPGRADE_ON_START="false")  # a fresh database: no schema yet
    done = run(command, env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "the database schema is not the newest: run `flask --app app init-db`" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert run([*FLASK, "init-db"], env).returncode == 0  # the command it named
    assert run(command, env).returncode == 0


def test_upgrade_on_start_upgrades_instead(tmp_path):
    done = run([*FLASK, "scans", "list"], lab_env(tmp_path, UPGRADE_ON_START="true"))
    assert done.returncode == 0, done.stderr
