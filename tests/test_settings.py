"""Every setting is checked at start; a value seqscan cannot use stops every entry point with one
line naming it (issue 15, item 7)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seqscan import config, create_app, settings_check
from seqscan.settings_check import SettingError
from tests.conftest import TEST_REDIS_URL
from tests.queue_support import free_port

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the virtualenv's bin: its flask and gunicorn scripts


def app_with(monkeypatch, tmp_path, **env: str):
    """create_app with SEQSCAN_<KEY>=value for each of env, as a lab would set them."""
    for key, value in env.items():
        monkeypatch.setenv(f"SEQSCAN_{key}", value)
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'seqscan.sqlite'}",
            "DATA_DIR": str(tmp_path),
        },
        instance_path=str(tmp_path / "instance"),
    )


def lab_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a seqscan process of this test's own: its database, Redis, queue and root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEQSCAN_")}
    (tmp_path / "root").mkdir(exist_ok=True)
    base = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'seqscan.sqlite'}",
        "DATA_DIR": str(tmp_path / "data"),
        "SCAN_ROOT": str(tmp_path / "root"),
        "REDIS_URL": TEST_REDIS_URL,
        "SCAN_QUEUE": f"test-settings-{os.getpid()}-{free_port()}",
        "WORKER_LOG": str(tmp_path / "worker.log"),
        "UPGRADE_ON_START": "true",  # a fresh database, made by the first process
    }
    env.update({f"SEQSCAN_{key}": value for key, value in {**base, **settings}.items()})
    return env


def run(command: list[str], env: dict[str, str], cwd: Path = PROJECT, timeout: float = 60):
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(
    "key, value, shown, expected",
    [
        ("SIGN_IN_LIMIT_PER_ADDRESS", "twenty per minute", "'twenty per minute'", "Flask-Limiter's notation"),
        ("SIGN_IN_LIMIT_PER_USER", "10", "10", "Flask-Limiter's notation"),
        ("TIMEZONE", "Mars/Olympus_Mons", "'Mars/Olympus_Mons'", "a time zone of the tz database"),
        ("TIMEZONE", "Australia", "'Australia'", "a time zone of the tz database"),
        ("METRICS_ALLOW", "not-an-ip", "'not-an-ip'", "IP addresses or networks"),
        ("SCHEDULE_GRACE_MINUTES", "abc", "'abc'", "a number, 0 or more"),
        ("MAX_DEPTH", "abc", "'abc'", "a whole number, at least 1"),
        ("MAX_DEPTH", "0", "0", "a whole number, at least 1"),
        ("SCAN_THREADS", "0", "0", "a whole number, at least 1"),
        ("PROXY_COUNT", "abc", "'abc'", "a whole number, at least 0"),
        ("PROXY_COUNT", "-1", "-1", "a whole number, at least 0"),
        ("ENABLED", "flase", "'flase'", "true or false"),
        ("SCAN_DISKS", "2", "2", "true or false"),
        (
            "SESSION_COOKIE_SECURE",
            "sometimes",
            "'sometimes'",
            "true or false (true/false, yes/no, on/off, 1/0, in any case), or unset",
        ),
        ("SCHEDULE", '["0 25 * * *"]', "['0 25 * * *']", "cron strings"),
        ("MAX_VANISHED_FRACTION", "1.5", "1.5", "a number from 0 to 1"),
        ("HEARTBEAT_SECONDS", "0", "0", "a number above 0"),
        ("HOME_POLL_SECONDS", "0", "0", "a number above 0"),  # a page asking again at once, for ever
        ("SCRIPT_TEMPLATES", "run.sh", "'run.sh'", "a JSON object"),
        ("REDIS_URL", "localhost:6379", "'localhost:6379'", "a Redis URL"),
        ("SKIP_MARKERS", "[1, 2]", "[1, 2]", "a JSON list of text values"),
    ],
)
def test_a_value_seqscan_cannot_use_is_refused_at_start_naming_the_key_the_value_and_what_is_expected(
    monkeypatch, tmp_path, key, value, shown, expected
):
    with pytest.raises(SettingError) as refused:
        app_with(monkeypatch, tmp_path, **{key: value})
    message = str(refused.value)
    assert f"SEQSCAN_{key}={shown}" in message and expected in message, message
    assert "\n" not in message


def test_booleans_are_true_false_yes_no_on_off_1_0_in_any_case(monkeypatch, tmp_path):
    spellings = {
        "false": False, "False": False, "NO": False, "off": False, "0": False,
        "true": True, "True": True, "Yes": True, "ON": True, "1": True,
    }  # fmt: skip
    for written, meant in spellings.items():
        app = app_with(monkeypatch, tmp_path, ENABLED=written, SESSION_COOKIE_SECURE=written)
        assert app.config["ENABLED"] is meant, written
        assert app.config["SESSION_COOKIE_SECURE"] is meant, written


def test_numbers_and_lists_arrive_typed_however_they_were_written(monkeypatch, tmp_path):
    app = app_with(
        monkeypatch,
        tmp_path,
        HEARTBEAT_SECONDS="2",
        MAX_DEPTH="4",
        SCHEDULE="0 7 * * *",  # one cron string (cron itself has commas: never split)
        METRICS_ALLOW="10.0.0.0/8, ::1",
        TIMEZONE="Australia/Adelaide",
    )
    assert app.config["HEARTBEAT_SECONDS"] == 2.0 and isinstance(app.config["HEARTBEAT_SECONDS"], float)
    assert app.config["MAX_DEPTH"] == 4
    assert app.config["SCHEDULE"] == ["0 7 * * *"]
    assert app.config["METRICS_ALLOW"] == ["10.0.0.0/8", "::1"]


def test_every_rule_of_its_own_belongs_to_a_setting_that_exists():
    settings = {key for key in vars(config) if key.isupper()}
    assert set(settings_check.OWN) <= settings


@pytest.mark.parametrize(
    "command, key, value",
    [
        (["config-check"], "PROXY_COUNT", "abc"),
        (["config-check"], "ENABLED", "flase"),
        (["scheduler"], "TIMEZONE", "Mars/Olympus_Mons"),
    ],
)
def test_a_flask_command_with_a_bad_setting_exits_with_one_line_and_no_traceback(tmp_path, command, key, value):
    done = run([str(BIN / "flask"), "--app", "app", *command], lab_env(tmp_path, **{key: value}))
    assert done.returncode == 2, done.stdout
    assert f"refusing to start: SEQSCAN_{key}='{value}': expected" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_worker_py_with_a_bad_setting_exits_with_one_line_and_no_traceback(tmp_path):
    done = run([sys.executable, "worker.py", "--burst"], lab_env(tmp_path, MAX_DEPTH="abc"))
    assert done.returncode == 2, done.stderr
    assert "refusing to start: SEQSCAN_MAX_DEPTH='abc': expected a whole number, at least 1" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_gunicorn_with_a_bad_setting_stops_at_once_with_the_reason_and_no_traceback(tmp_path):
    command = [str(BIN / "gunicorn"), "-w", "2", "--no-control-socket", "-b", f"127.0.0.1:{free_port()}", "app:app"]
    done = run(command, lab_env(tmp_path, METRICS_ALLOW="not-an-ip"), timeout=30)
    assert done.returncode == 2
    assert done.stderr.count("refusing to start: SEQSCAN_METRICS_ALLOW='not-an-ip': expected") >= 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def project_copy(tmp_path: Path) -> Path:
    """This project at tmp_path/project (code linked, entry points copied), with an instance folder of its own."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("seqscan", "templates", "static", "migrations"):
        (copy / name).symlink_to(PROJECT / name)
    for name in ("app.py", "worker.py"):  # copied: Python would find the real project through a linked script
        shutil.copy(PROJECT / name, copy / name)
    (copy / "instance").mkdir(mode=0o700)
    return copy


def unwritable(folder: Path):
    """Make folder unwritable even for root (the immutable flag), else by its mode."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o500)
    return lambda: folder.chmod(0o700)


@pytest.mark.parametrize("command", [["flask", "scans", "list"], ["worker.py", "--burst"]])
def test_an_instance_folder_this_user_cannot_write_is_refused_naming_the_folder(tmp_path, command):
    copy = project_copy(tmp_path)
    env = lab_env(tmp_path)
    del env["SEQSCAN_DATABASE_URL"], env["SEQSCAN_DATA_DIR"]  # the defaults: both in the instance folder
    argv = [str(BIN / "flask"), "--app", "app", *command[1:]] if command[0] == "flask" else [sys.executable, *command]
    restore = unwritable(copy / "instance")
    try:
        done = run(argv, env, cwd=copy)
    finally:
        restore()
    assert done.returncode == 2
    assert f"refusing to start: the instance folder {copy / 'instance'} cannot be written" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert list((copy / "instance").iterdir()) == []


def test_config_check_with_the_database_unreachable_prints_fail_database_reachable_and_exits_1(tmp_path):
    nowhere = f"postgresql://seqscan@127.0.0.1:{free_port()}/seqscan"  # a free port: no server there
    done = run([str(BIN / "flask"), "--app", "app", "config-check"], lab_env(tmp_path, DATABASE_URL=nowhere))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("FAIL  database reachable: ")]
    assert len(failed) == 1 and "Connection refused" in failed[0], done.stdout
    assert "ok    Redis reachable" in done.stdout and "ok    scan root readable" in done.stdout
