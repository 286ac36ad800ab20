"""One typed loader, one file every process reads (issue 16, section 1): instance/seqscan.toml after
the defaults and before the SEQSCAN_* variables; an unknown key refused with the closest known one."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from seqscan import config, create_app
from seqscan.extensions import db
from seqscan.models import ScanRun
from seqscan.settings_check import SettingError
from tests.conftest import TEST_REDIS_URL, csrf, make_run
from tests.test_settings import BIN, PROJECT, lab_env, project_copy, run

KEYS = sorted(key for key in vars(config) if key.isupper())
FLASK = [str(BIN / "flask"), "--app", "app"]


def seqscan_toml(project: Path, text: str) -> Path:
    path = project / "instance" / "seqscan.toml"
    path.write_text(text)
    return path


def started(command: str, project: Path, env: dict[str, str]):
    argv = [*FLASK, "config-check"] if command == "flask config-check" else [sys.executable, "worker.py", "--burst"]
    return run(argv, env, cwd=project)


@pytest.mark.parametrize("command", ["flask config-check", "worker.py"])
def test_an_unknown_seqscan_environment_variable_stops_the_process_with_exit_2_naming_the_closest_setting(
    tmp_path, command
):
    project = project_copy(tmp_path)
    done = started(command, project, lab_env(tmp_path, SCNA_DISKS="false"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        "seqscan: refusing to start: unknown setting SEQSCAN_SCNA_DISKS (did you mean SEQSCAN_SCAN_DISKS?)"
    )


@pytest.mark.parametrize("command", ["flask config-check", "worker.py"])
def test_an_unknown_key_in_seqscan_toml_stops_the_process_with_exit_2_naming_the_closest_setting(tmp_path, command):
    project = project_copy(tmp_path)
    path = seqscan_toml(project, "# the lab's settings\nSCAN_DISKS = true\nMAX_DETPH = 4\n")
    done = started(command, project, lab_env(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == (
        f"seqscan: refusing to start: unknown setting MAX_DETPH in {path} (did you mean MAX_DEPTH?)"
    )


def test_a_key_in_lower_case_is_unknown_and_the_message_gives_it_in_upper_case(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "seqscan.toml").write_text("scan_disks = false\n")
    with pytest.raises(SettingError, match=r"unknown setting scan_disks in .* \(did you mean SCAN_DISKS\?\)"):
        create_app({}, instance_path=str(tmp_path / "instance"))


def test_a_seqscan_toml_that_is_not_toml_is_refused_with_its_line(tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "seqscan.toml").write_text("SCAN_DISKS = false\nMAX_DEPTH = = 4\n")
    with pytest.raises(SettingError, match=r"seqscan.toml is not valid TOML: .*line 2"):
        create_app({}, instance_path=str(tmp_path / "instance"))


def test_the_test_suites_own_seqscan_test_variables_are_not_settings_and_not_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQSCAN_TEST_SOMETHING_ELSE", "x")
    app = create_app({"DATA_DIR": str(tmp_path)}, instance_path=str(tmp_path / "i"))
    assert "TEST_SOMETHING_ELSE" not in app.config


def test_a_value_in_seqscan_toml_is_used_typed_and_an_environment_variable_overrides_it(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "seqscan.toml").write_text(
        'SCAN_ROOT = "/tau/data/clinical_hg38"\nMAX_DEPTH = 4\nSCAN_DISKS = false\n'
        'SCHEDULE = ["0 5 * * *"]\n\n[SCRIPT_TEMPLATES]\nbam = "requeue {path}"\n'
    )
    monkeypatch.setenv("SEQSCAN_MAX_DEPTH", "5")
    app = create_app({"DATA_DIR": str(tmp_path)}, instance_path=str(instance))
    assert app.config["SCAN_ROOT"] == "/tau/data/clinical_hg38"
    assert app.config["SCAN_DISKS"] is False and app.config["SCHEDULE"] == ["0 5 * * *"]
    assert app.config["SCRIPT_TEMPLATES"] == {"bam": "requeue {path}"}
    assert app.config["MAX_DEPTH"] == 5
    sources = app.config["SETTINGS_SOURCES"]
    assert (sources["SCAN_ROOT"], sources["MAX_DEPTH"], sources["DATA_DIR"], sources["TIMEZONE"]) == (
        "file", "environment", "test", "default",
    )  # fmt: skip


def test_a_bad_value_in_seqscan_toml_is_named_as_the_file_writes_it(tmp_path):
    (tmp_path / "instance").mkdir()
    path = tmp_path / "instance" / "seqscan.toml"
    path.write_text('MAX_DEPTH = "deep"\n')
    with pytest.raises(SettingError) as refused:
        create_app({}, instance_path=str(tmp_path / "instance"))
    assert str(refused.value) == f'MAX_DEPTH = "deep" in {path}: expected a whole number, at least 1'


def test_config_check_prints_each_setting_in_toml_notation_with_where_it_came_from(tmp_path):
    project = project_copy(tmp_path)
    seqscan_toml(project, 'SCAN_DISKS = false\nSKIP_MARKERS = [".skip", "x"]\n')
    done = run([*FLASK, "config-check"], lab_env(tmp_path, MAX_DEPTH="5"), cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    settings = [line for line in done.stdout.splitlines() if re.match(r"[A-Z_]+ = ", line)]
    lines = {line.split(" = ")[0]: line for line in settings}
    assert re.fullmatch(r'SKIP_MARKERS = \[".skip", "x"\] +# file', lines["SKIP_MARKERS"]), lines["SKIP_MARKERS"]
    assert re.fullmatch(r"SCAN_DISKS = false +# file", lines["SCAN_DISKS"])
    assert re.fullmatch(r"MAX_DEPTH = 5 +# environment", lines["MAX_DEPTH"])
    assert re.fullmatch(r'SCHEDULE = \["0 6 \* \* \*", "0 19 \* \* \*"\] +# default', lines["SCHEDULE"])
    assert re.fullmatch(r'SCAN_ROOT = ".*/root" +# environment', lines["SCAN_ROOT"])
    assert re.search(r"^# ROOT_SENTINEL is unset +# default$", done.stdout, re.M), done.stdout
    assert "scanning is switched off (SCAN_DISKS = false)" in done.stdout
    # Every setting is shown, and the lines of those set are TOML that reads back.
    unset = set(re.findall(r"^# ([A-Z_]+) is (?:unset|set \(not shown\))", done.stdout, re.M))
    assert set(tomllib.loads("\n".join(settings))) | unset == set(KEYS)
    for check in ("scan root readable", "database reachable", "Redis reachable", "schedule valid"):
        assert f"ok    {check}" in done.stdout, done.stdout


def test_config_check_hides_secrets(tmp_path):
    project = project_copy(tmp_path)
    seqscan_toml(project, 'SECRET_KEY = "s3cret-key"\nSMTP_URL = "smtp://u:hunter2@mail.example:25"\n')
    done = run([*FLASK, "config-check"], lab_env(tmp_path), cwd=project)
    assert "s3cret-key" not in done.stdout and "hunter2" not in done.stdout, done.stdout
    assert 'SMTP_URL = "smtp://u:***@mail.example:25"' in done.stdout
    assert re.search(r"^# SECRET_KEY is set \(not shown\) +# file$", done.stdout, re.M), done.stdout


@pytest.fixture
def scan_disks_off_in_the_environment(monkeypatch):
    monkeypatch.setenv("SEQSCAN_SCAN_DISKS", "False")  # as written in a systemd unit, not JSON


def test_scan_disks_false_from_the_environment_switches_scanning_off(
    scan_disks_off_in_the_environment, app, operator, runner, lab_redis
):
    assert app.config["SCAN_DISKS"] is False
    done = runner.invoke(args=["schedule", "register"])
    assert "0 scheduled scans registered (none: disk scanning is switched off" in done.output, done.output
    page = operator.get("/scans")
    pressed = operator.post("/scans", data={"csrf_token": csrf(page.text)}, follow_redirects=True)
    assert "No scan started: disk scanning is switched off" in pressed.text
    assert runner.invoke(args=["scans", "enqueue"]).exit_code != 0
    with app.app_context():
        assert db.session.scalars(select(ScanRun)).all() == []
    assert lab_redis.keys("rq:job:*") == []


def test_one_cron_string_in_the_environment_is_one_scheduled_slot(tmp_path):
    env = lab_env(tmp_path, SCHEDULE="0 6 * * *")
    done = run([*FLASK, "schedule", "register"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 scheduled scans registered"), done.stdout
    shown = run([*FLASK, "schedule", "show"], env)
    assert len(shown.stdout.strip().splitlines()) == 1 and "(0 6 * * * in UTC)" in shown.stdout, shown.stdout
    Redis.from_url(TEST_REDIS_URL).flushdb()


def make_run_settings_step() -> list[list[str]]:
    """The `flask settings set` commands of the Makefile's run target, as arguments after `flask --app app`."""
    makefile = (PROJECT / "Makefile").read_text()
    steps = re.findall(r"\$\(FLASK\) (settings set [^;\n]*)", makefile)
    assert len(steps) == 2, steps
    return [step.replace('"$(CURDIR)/$(DEMO_ROOT)"', "DEMO").split() for step in steps]


def test_a_flask_scan_or_worker_started_by_hand_after_make_run_scans_the_demo_root_in_seqscan_toml(tmp_path):
    project = project_copy(tmp_path)
    demo = tmp_path / "demo-root"
    make_run(demo)
    env = lab_env(tmp_path)
    del env["SEQSCAN_SCAN_ROOT"]
    for step in make_run_settings_step():
        done = run([*FLASK, *[str(demo) if a == "DEMO" else a for a in step]], env, cwd=project)
        assert done.returncode == 0, done.stderr
    written = tomllib.loads((project / "instance" / "seqscan.toml").read_text())
    assert written == {"SCAN_ROOT": str(demo), "PAUSE_PER_RUN_SECONDS": 0.3}
    scanned = run([*FLASK, "scan"], env, cwd=project)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    assert f"root={demo}" in scanned.stdout and "runs 1" in scanned.stdout, scanned.stdout
    # A worker started by hand (the README's troubleshooting) reads the same file: it scans the demo
    # root (it refused every scan with "no scan root is configured" while the root lived in make's shell).
    queued = run([*FLASK, "scans", "enqueue"], env, cwd=project)
    assert queued.returncode == 0, queued.stdout + queued.stderr
    worked = run([sys.executable, "worker.py", "--burst"], env, cwd=project, timeout=120)
    assert worked.returncode == 0, worked.stdout + worked.stderr
    shown = run([*FLASK, "scans", "show", "2"], env, cwd=project)
    assert "scan 2: Finished" in shown.stdout and f"root={demo}" in shown.stdout, shown.stdout + shown.stderr


def settings_app(tmp_path: Path, text: str | None = None):
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if text is not None:
        (instance / "seqscan.toml").write_text(text)
    app = create_app({"DATA_DIR": str(tmp_path)}, instance_path=str(instance))
    return app, instance / "seqscan.toml"


def test_settings_set_writes_one_key_typed_and_keeps_the_rest_of_the_file(tmp_path):
    before = '# our lab\nMAX_DEPTH = 4  # deep kits\nSCAN_ROOT = "/old"\n\n[SCRIPT_TEMPLATES]\nbam = "x {path}"\n'
    app, path = settings_app(tmp_path, before)
    runner = app.test_cli_runner()
    odd = 'C:\\runs "new"\tß'
    assert runner.invoke(args=["settings", "set", "SCAN_ROOT", odd]).exit_code == 0
    assert runner.invoke(args=["settings", "set", "SCAN_DISKS", "false"]).exit_code == 0
    assert runner.invoke(args=["settings", "set", "SCHEDULE", "0 7 * * *"]).exit_code == 0
    text = path.read_text()
    assert text.startswith("# our lab\nMAX_DEPTH = 4  # deep kits\n") and '[SCRIPT_TEMPLATES]\nbam = "x {path}"' in text
    assert tomllib.loads(text) == {
        "MAX_DEPTH": 4, "SCAN_ROOT": odd, "SCAN_DISKS": False, "SCHEDULE": ["0 7 * * *"],
        "SCRIPT_TEMPLATES": {"bam": "x {path}"},
    }  # fmt: skip


def test_settings_set_if_unset_leaves_a_key_set_in_the_file_or_the_environment_alone(monkeypatch, tmp_path):
    app, path = settings_app(tmp_path, 'SCAN_ROOT = "/lab/runs"\n')
    monkeypatch.setenv("SEQSCAN_PAUSE_PER_RUN_SECONDS", "0")
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["settings", "set", "--if-unset", "SCAN_ROOT", "/demo"])
    assert kept.exit_code == 0 and "SCAN_ROOT is set in" in kept.output, kept.output
    kept = runner.invoke(args=["settings", "set", "--if-unset", "PAUSE_PER_RUN_SECONDS", "0.3"])
    assert kept.exit_code == 0 and "environment (SEQSCAN_PAUSE_PER_RUN_SECONDS)" in kept.output, kept.output
    assert path.read_text() == 'SCAN_ROOT = "/lab/runs"\n'


def test_settings_set_refuses_an_unknown_key_or_a_bad_value_and_leaves_the_file_as_it_was(tmp_path):
    app, path = settings_app(tmp_path, "MAX_DEPTH = 4\n")
    runner = app.test_cli_runner()
    typo = runner.invoke(args=["settings", "set", "SCAN_DISK", "false"])
    assert typo.exit_code == 2 and "unknown setting SCAN_DISK (did you mean SCAN_DISKS?)" in typo.output, typo.output
    bad = runner.invoke(args=["settings", "set", "MAX_DEPTH", "deep"])
    assert bad.exit_code == 2 and "expected a whole number, at least 1" in bad.output, bad.output
    assert path.read_text() == "MAX_DEPTH = 4\n"


def readme_settings() -> set[str]:
    """The SEQSCAN_* names in the first column of the README's configuration tables."""
    names = set()
    for line in (PROJECT / "README.md").read_text().splitlines():
        if line.startswith("| `SEQSCAN_"):
            names |= set(re.findall(r"`SEQSCAN_([A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_readmes_configuration_tables_document_every_setting_and_no_other():
    assert readme_settings() == set(KEYS), (set(KEYS) - readme_settings(), readme_settings() - set(KEYS))


def test_seqscan_cfg_is_still_read_after_seqscan_toml_with_a_deprecation_warning_logged_once(
    monkeypatch, tmp_path, caplog
):
    monkeypatch.setattr("seqscan.settings_load._warned_cfg", False)
    (tmp_path / "seqscan.cfg").write_text("MAX_DEPTH = 6\nSCAN_DISKS = False\n")
    (tmp_path / "seqscan.toml").write_text('MAX_DEPTH = 4\nTIMEZONE = "Europe/London"\n')
    monkeypatch.setenv("SEQSCAN_SCAN_DISKS", "true")
    for _ in range(2):
        app = create_app({"DATA_DIR": str(tmp_path)}, instance_path=str(tmp_path))
    assert (app.config["MAX_DEPTH"], app.config["TIMEZONE"], app.config["SCAN_DISKS"]) == (6, "Europe/London", True)
    assert app.config["SETTINGS_SOURCES"]["MAX_DEPTH"] == "seqscan.cfg"
    warnings = [r.getMessage() for r in caplog.records if "seqscan.cfg is deprecated" in r.getMessage()]
    assert len(warnings) == 1 and "move its settings to" in warnings[0], warnings


def test_settings_get_prints_the_effective_value_and_nothing_when_unset(monkeypatch, tmp_path):
    app, _ = settings_app(tmp_path, 'SCAN_ROOT = "/lab/runs"\nSCAN_DISKS = false\n')
    runner = app.test_cli_runner()
    assert runner.invoke(args=["settings", "get", "SCAN_ROOT"]).output == "/lab/runs\n"
    assert runner.invoke(args=["settings", "get", "SCAN_DISKS"]).output == "false\n"
    assert runner.invoke(args=["settings", "get", "ROOT_SENTINEL"]).output == ""
    assert runner.invoke(args=["settings", "get", "SCAN_ROTO"]).exit_code == 2
