"""deploy/: the systemd units pass `systemd-analyze verify`, the nginx site passes `nginx -t`, and the
web unit's own command line serves the app under gunicorn, with the example environment file's
settings, to an operator who signs in, presses the button and sees a real worker finish the scan.

The units and the site name /opt/seqscan, its .venv and /etc paths: each test installs a copy in
tmp_path with those replaced by this checkout, the virtualenv running the tests and files of its own,
so that a command line pointing at no real file fails here too."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import csrf
from tests.queue_support import PROJECT, Lab, free_port

DEPLOY = PROJECT / "deploy"
UNITS = ("seqscan-web.service", "seqscan-worker@.service", "seqscan-scheduler.service")
ENV_FILE = "/etc/seqscan/seqscan.env"
WEB_BIND = "127.0.0.1:8000"
NGINX_TEMPS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")  # nginx's own folders, in tmp_path


def _program(name: str) -> str | None:
    """A program on PATH, or in /usr/sbin (where Debian puts nginx, off a plain user's PATH)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin")


def installed(text: str, env_file: Path) -> str:
    """A unit's or site's text as installed from this checkout: its .venv first (it is below /opt/seqscan)."""
    return (
        text.replace("/opt/seqscan/.venv", sys.prefix)
        .replace("/opt/seqscan", str(PROJECT))
        .replace(ENV_FILE, str(env_file))
    )


# --- systemd ---


def verify(tmp_path: Path, units: dict[str, str]) -> tuple[int, list[str]]:
    """Write the units into tmp_path and run `systemd-analyze verify` on them: its status, and its
    output lines that are about them (a line about some other unit of this machine is not ours)."""
    paths = []
    for name, text in units.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    done = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True, text=True, timeout=60)
    # systemd names a unit by its file name, a template's check by the instance it makes up (@i).
    ours = [name.removesuffix(".service").removesuffix("@") for name in units] + [str(tmp_path)]
    lines = (done.stdout + done.stderr).splitlines()
    return done.returncode, [line for line in lines if any(name in line for name in ours)]


def units(tmp_path: Path) -> dict[str, str]:
    env_file = tmp_path / "seqscan.env"
    shutil.copy(DEPLOY / "seqscan.env.example", env_file)
    return {name: installed((DEPLOY / name).read_text(), env_file) for name in UNITS}


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed (no systemd on this machine)"
)


@needs_systemd
def test_the_units_pass_systemd_analyze_verify(tmp_path):
    # verify also checks that each ExecStart names an executable file. It says nothing of the user
    # seqscan missing here (systemd 252 does not look users up), so nothing is filtered out.
    status, complaints = verify(tmp_path, units(tmp_path))
    assert complaints == []
    assert status == 0


@needs_systemd
@pytest.mark.parametrize(
    "broken, said",
    [
        (("Restart=on-failure", "Restrat=on-failure"), "Unknown key 'Restrat'"),
        (("/bin/python worker.py", "/bin/pyhton worker.py"), "is not executable"),
    ],
)
def test_the_check_finds_a_broken_unit(tmp_path, broken, said):
    """A misspelt directive is only a warning to systemd (status 0): the lines are what tell."""
    found = units(tmp_path)
    found["seqscan-worker@.service"] = found["seqscan-worker@.service"].replace(*broken)
    status, complaints = verify(tmp_path, found)
    assert any(said in line for line in complaints), complaints


# --- nginx ---


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    """`nginx -t` of the site inside a minimal nginx.conf of tmp_path's own, with a self-signed certificate."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=seqscan.test",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = site.replace("/etc/ssl/certs/seqscan.example.org.pem", str(tmp_path / "cert.pem"))
    site = site.replace("/etc/ssl/private/seqscan.example.org.key", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(installed(site, tmp_path / "unused.env"))
    (tmp_path / "temp").mkdir()
    temps = "".join(f"    {kind}_temp_path {tmp_path}/temp/{kind};\n" for kind in NGINX_TEMPS)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temps}    include {tmp_path}/site.conf;\n}}\n"
    )
    where = ["-c", f"{tmp_path}/nginx.conf", "-p", f"{tmp_path}/", "-e", f"{tmp_path}/error.log"]
    command = [_program("nginx"), "-t", *where]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


needs_nginx = pytest.mark.skipif(
    _program("nginx") is None, reason="nginx is not installed (make services installs Debian's nginx-light as root)"
)


@needs_nginx
def test_the_nginx_site_passes_nginx_t(tmp_path):
    site = (DEPLOY / "nginx-seqscan.conf").read_text()
    done = nginx_test(tmp_path, site)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert "[warn]" not in done.stderr
    static = re.search(r"alias (\S+);", (tmp_path / "site.conf").read_text()).group(1)
    assert (Path(static) / "seqscan.css").is_file(), static


@needs_nginx
def test_nginx_t_finds_a_broken_site(tmp_path):
    site = (DEPLOY / "nginx-seqscan.conf").read_text()
    site = site.replace("proxy_pass http://seqscan;", "proxy_pas http://seqscan;", 1)
    done = nginx_test(tmp_path, site)
    assert done.returncode != 0
    assert 'unknown directive "proxy_pas"' in done.stderr


# --- gunicorn, as the web unit starts it ---


def environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines as systemd's EnvironmentFile= reads the plain ones (no quotes: see the example)."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";")):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def exec_start(unit: str) -> list[str]:
    return shlex.split(re.search(r"^ExecStart=(.+)$", unit, re.MULTILINE).group(1))


def unit_worker_args(queue: str) -> list[str]:
    """What seqscan-worker@<queue> runs after its Python: `worker.py --queue <queue>`."""
    args = exec_start((DEPLOY / "seqscan-worker@.service").read_text())[1:]
    assert args[0] == "worker.py", args
    return [arg.replace("%i", queue) for arg in args]


class Browser:
    """An HTTP client that keeps its cookies and follows no redirects, sending what nginx adds to each
    request (the client's address, HTTPS): gunicorn is spoken to directly, as nginx speaks to it."""

    def __init__(self, base: str, client: str = "203.0.113.7") -> None:
        self.base, self.client = base, client
        # The session cookie is Secure (SESSION_COOKIE_SECURE=true): kept and sent over this plain
        # HTTP hop too, as nginx's HTTPS would.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http"))
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(policy)), _NoRedirects()
        )

    def request(self, path: str, form: dict[str, str] | None = None, client: str | None = None) -> tuple[int, str]:
        headers = {"X-Forwarded-For": client or self.client, "X-Forwarded-Proto": "https"}
        if form is not None:  # Flask-WTF asks an HTTPS POST for a Referer of this site (browsers send one)
            headers["Referer"] = "https://" + self.base.removeprefix("http://") + path
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data, headers), timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_until(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; gunicorn's log:\n{log.read_text()}")


def answers(browser: Browser, gunicorn: subprocess.Popen, log: Path) -> bool:
    assert gunicorn.poll() is None, f"gunicorn exited with status {gunicorn.returncode}:\n{log.read_text()}"
    try:
        return browser.request("/sign-in")[0] == 200
    except OSError:  # not listening yet
        return False


def test_gunicorn_serves_the_button_and_a_real_worker_finishes_the_scan(tmp_path):
    lab = Lab(tmp_path)
    gunicorn = None
    try:
        lab.runs(3)
        # The example environment file, with this test's database, Redis, queue, root and folders.
        example = environment_file(DEPLOY / "seqscan.env.example")
        (lab.root / example["SEQSCAN_ROOT_SENTINEL"]).touch()
        settings = {key.removeprefix("SEQSCAN_"): value for key, value in example.items()} | {
            key: value if isinstance(value, str) else json.dumps(value) for key, value in lab.settings.items()
        }
        (tmp_path / "seqscan.env").write_text("".join(f"SEQSCAN_{k}={v}\n" for k, v in settings.items()))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEQSCAN_")}
        env |= environment_file(tmp_path / "seqscan.env")
        assert env["SEQSCAN_PROXY_COUNT"] == "1" and env["SEQSCAN_SESSION_COOKIE_SECURE"] == "true"

        # The web unit's own command line, on a free port.
        unit = installed((DEPLOY / "seqscan-web.service").read_text(), tmp_path / "seqscan.env")
        port = free_port()
        command = [arg.replace(WEB_BIND, f"127.0.0.1:{port}") for arg in exec_start(unit)]
        assert f"127.0.0.1:{port}" in command and Path(command[0]).is_file(), command
        cwd = re.search(r"^WorkingDirectory=(.+)$", unit, re.MULTILINE).group(1)
        log = tmp_path / "gunicorn.log"
        with open(log, "w") as out:
            gunicorn = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        # The worker and the CLI get the same settings (Lab passes its settings as SEQSCAN_* variables);
        # the worker is started as seqscan-worker@<queue> starts it, its %i the queue's name.
        lab.settings = settings
        lab.start(*unit_worker_args(settings["SCAN_QUEUE"]))
        made = lab.run("flask", "users", "create", "olga", "--role", "operator", "--password", "olga-pw")
        assert made.returncode == 0, made.stderr

        browser = Browser(f"http://127.0.0.1:{port}")
        wait_until(lambda: answers(browser, gunicorn, log), 60, "gunicorn to answer", log)
        workers = Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children").read_text().split()
        assert len(workers) == 2, workers

        page = browser.request("/sign-in")[1]
        status, _ = browser.request("/sign-in", {"username": "olga", "password": "olga-pw", "csrf_token": csrf(page)})
        assert status == 302, log.read_text()
        status, page = browser.request("/scans")
        assert status == 200 and "Scan disk for sequencing data" in page
        assert browser.request("/scans", {"csrf_token": csrf(page)})[0] == 302
        status, page = browser.request("/scans")
        scan_id = int(re.search(r"Scan #(\d+) queued", page).group(1))

        def finished():
            scan = json.loads(browser.request(f"/api/scans/{scan_id}")[1])
            assert scan["state"] != "Error", scan
            return scan["state"] == "Finished" and scan

        scan = wait_until(finished, 60, f"scan {scan_id} to finish", log)
        assert scan["trigger"] == "manual" and scan["requested_by"] == "olga"
        assert len(json.loads(browser.request("/api/runs")[1])["runs"]) == 3

        # PROXY_COUNT=1: seqscan sees the address nginx forwards, and /metrics answers the network
        # the example allows, and no other.
        assert browser.request("/metrics", client="10.0.0.9")[0] == 200
        assert browser.request("/metrics", client="203.0.113.7")[0] == 403
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(30)
        lab.close()


def cookie_samesite(base: str) -> str:
    """The SameSite of the session cookie the sign-in page sets."""
    with urllib.request.urlopen(base + "/sign-in", timeout=30) as answer:
        return re.search(r"SameSite=(\w+)", " ".join(answer.headers.get_all("Set-Cookie") or [])).group(1)


def test_reload_boots_workers_that_run_the_code_as_it_is_now(tmp_path):
    """After a code change, the unit's ExecReload (SIGHUP) is enough for the web app: gunicorn's new
    workers import seqscan afresh, including seqscan.config, which gunicorn.conf.py's settings check reads."""
    copy = tmp_path / "project"  # a copy of the code, to change
    for name in ("seqscan", "templates", "static", "migrations"):
        shutil.copytree(PROJECT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("app.py", "gunicorn.conf.py"):
        shutil.copy(PROJECT / name, copy / name)
    lab = Lab(tmp_path)
    gunicorn = None
    try:
        unit = (DEPLOY / "seqscan-web.service").read_text().replace("/opt/seqscan/.venv", sys.prefix)
        unit = unit.replace("/opt/seqscan", str(copy))
        port = free_port()
        command = [arg.replace(WEB_BIND, f"127.0.0.1:{port}") for arg in exec_start(unit)]
        log = tmp_path / "gunicorn.log"
        with open(log, "w") as out:
            gunicorn = subprocess.Popen(command, cwd=copy, env=lab.env(), stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(Browser(base), gunicorn, log), 60, "gunicorn to answer", log)
        assert cookie_samesite(base) == "Lax"

        config = copy / "seqscan" / "config.py"
        config.write_text(
            config.read_text().replace('SESSION_COOKIE_SAMESITE = "Lax"', 'SESSION_COOKIE_SAMESITE = "Strict"')
        )
        reload = re.search(r"^ExecReload=(.+)$", unit, re.MULTILINE).group(1).replace("$MAINPID", str(gunicorn.pid))
        subprocess.run(shlex.split(reload), check=True, timeout=30)
        wait_until(lambda: cookie_samesite(base) == "Strict", 30, "a reloaded worker with the new code", log)
        assert gunicorn.poll() is None  # reloaded, not restarted
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(30)
        lab.close()
