"""The shape the code promises in the README: one writer of a scan record, layers that do not leak."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import seqscan.models  # noqa: F401  (the tables, for their column names)
from seqscan.extensions import db

PROJECT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((PROJECT / "seqscan").rglob("*.py")), PROJECT / "worker.py", PROJECT / "app.py"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _columns(table: str) -> set[str]:
    return {c.name for c in db.metadata.tables[table].c}


SCAN_COLUMNS = _columns("scan_run")
# Column names other tables have too (run.root, file.error): written on a name that says "scan" only.
SHARED = SCAN_COLUMNS & set().union(*(_columns(t) for t in db.metadata.tables if t != "scan_run"))


def _is_scan(node: ast.expr) -> bool:
    return "scan" in ast.unparse(node).lower()


def _is_other_name(node: ast.expr) -> bool:
    """A plain name (`previous`), not an object's own attribute (`self.log`, `self.result.files_seen`)."""
    return isinstance(node, ast.Name) and node.id != "self"


def _writes_scan_record(tree: ast.Module) -> list[int]:
    """Lines that write a ScanRun column or a ScanWarning row: `scan.<column> = …` (alone, in a tuple,
    `+=`), `.state` of anything, setattr(scan, …), `state=` passed to any call (ScanRun(…),
    .values(…)), update(ScanRun), insert(ScanRun), ScanRun(…) and ScanWarning(…)."""
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(t, ast.Attribute)
                    and t.attr in SCAN_COLUMNS
                    and (t.attr == "state" or _is_scan(t.value) or (t.attr not in SHARED and _is_other_name(t.value)))
                ):
                    lines.append(node.lineno)
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        on_scan = any(isinstance(a, ast.Name) and a.id == "ScanRun" for a in node.args)
        if (
            any(k.arg == "state" for k in node.keywords)
            or name in ("ScanRun", "ScanWarning")
            or (name in ("update", "insert") and on_scan)
            or (name == "setattr" and node.args and _is_scan(node.args[0]))
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_only_the_scan_records_owner_writes_a_scan_or_its_warnings():
    writers = {}
    for path in SOURCES:
        name = str(path.relative_to(PROJECT))
        lines = [] if name.startswith("seqscan/scans") else _writes_scan_record(_tree(path))
        if lines:
            writers[name] = lines
    assert writers == {}, writers


def test_the_check_finds_a_scan_written_elsewhere():
    sneaky = ast.parse(
        "scan.state, scan.error = ScanState.ERROR, 'x'\n"
        "update(ScanRun).values(state='Error')\n"
        "self.scan.dirs_walked = 3\n"
        "scan.files_new += 1\n"
        "db.session.add(ScanWarning(scan_id=1, message='m'))\n"
        "setattr(scan, PHASES[0].start_column, now)\n"
        "run.root, file.error = 'r', ''\n"  # other tables' columns of the same name
        "previous.runs_done = 0\n"
        "self.log = logging.getLogger()\n"
        "self.result.files_seen += 1\n"
        "self.job.state = 'x'\n"
    )
    assert _writes_scan_record(sneaky) == [1, 2, 3, 4, 5, 6, 8, 11]


def test_no_view_imports_the_scanner():
    for path in sorted((PROJECT / "seqscan" / "views").glob("*.py")):
        leaks = {name for name in _imports(_tree(path)) if name.startswith("seqscan.scanner")}
        assert not leaks, f"{path.name} imports {leaks}"


def test_the_api_imports_no_page_module():
    """The API and the pages share queries (seqscan.models, seqscan.attention) and one serialiser
    (seqscan.serialise), never each other."""
    imported = _imports(_tree(PROJECT / "seqscan" / "views" / "api.py"))
    assert not {i for i in imported if i.startswith("seqscan.views")}, imported
    assert "seqscan.serialise" in imported  # `from seqscan import serialise`


def test_the_bottom_of_the_scanner_knows_nothing_of_flask_or_the_database():
    for name in ("walk", "found", "lists", "runfolder", "runinfo", "samplesheet", "judge", "reconcile"):
        imported = _imports(_tree(PROJECT / "seqscan" / "scanner" / f"{name}.py"))
        leaks = {i for i in imported if i.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy")}
        leaks |= {i for i in imported if i.startswith(("seqscan.models", "seqscan.extensions", "seqscan.jobs"))}
        assert not leaks, f"scanner/{name}.py imports {leaks}"


def test_the_scanner_knows_nothing_of_locks_or_queues():
    for path in sorted((PROJECT / "seqscan" / "scanner").glob("*.py")):
        leaks = {i for i in _imports(_tree(path)) if i.startswith(("seqscan.jobs", "rq", "redis"))}
        assert not leaks, f"scanner/{path.name} imports {leaks}"


ROOT_SETTINGS = {"SCAN_ROOT", "LAYOUT", "ROOT_SENTINEL"}


def test_only_the_roots_owner_reads_the_root_settings():
    """A root (its path, layout and sentinel) is made in seqscan/roots.py; the rest asks it, so a
    second root is a change to the settings and to Root alone."""
    readers = {}
    for path in SOURCES:
        if path.relative_to(PROJECT).as_posix() in ("seqscan/roots.py", "seqscan/config.py"):
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and node.value in ROOT_SETTINGS:
                readers.setdefault(path.relative_to(PROJECT).as_posix(), []).append(node.lineno)
    assert readers == {}


def test_below_the_pipeline_the_scanner_is_a_library():
    """pipeline.py is the scanner's Flask-facing recipe: it alone reads settings and tells the scan
    record's owner what was found; the modules below it take values and a session, and return results."""
    for path in sorted((PROJECT / "seqscan" / "scanner").glob("*.py")):
        if path.name == "pipeline.py":
            continue
        imported = _imports(_tree(path))
        leaks = {i for i in imported if i.split(".")[0] in ("flask", "flask_sqlalchemy", "redis", "rq")}
        leaks |= {i for i in imported if i.startswith(("seqscan.scans", "seqscan.extensions"))}
        assert not leaks, f"scanner/{path.name} imports {leaks}"


def _names(tree: ast.Module) -> set[str]:
    """Every name and attribute a module uses."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
    }


def test_only_the_entry_points_build_the_app_and_no_task_does():
    builders = {
        str(p.relative_to(PROJECT))
        for p in SOURCES
        if {"create_app", "create_app_or_exit"} & (_imports(_tree(p)) | _names(_tree(p)))
        and p != PROJECT / "seqscan" / "__init__.py"
    }
    # app.py (the web app and the commands) and the worker; a task runs in the worker's app.
    assert builders == {"app.py", "seqscan/jobs/worker.py"}, builders


def test_worker_py_is_a_thin_entry_point():
    tree = _tree(PROJECT / "worker.py")
    assert len(tree.body) <= 5 and _imports(tree) <= {"sys", "seqscan.jobs.worker", "seqscan.jobs.worker.main"}


def test_nothing_sets_tz_for_the_whole_process():
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        assert "tzset" not in text and 'environ["TZ"]' not in text, path


def test_every_redis_key_is_named_in_the_keys_module():
    """A literal "seqscan:" (a key prefix) appears nowhere else in the code."""
    keys_module = PROJECT / "seqscan" / "jobs" / "keys.py"
    for path in SOURCES:
        if path == keys_module:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                key = re.match(r"seqscan:(\S|$)|seqscan-(schedule|scan)-", node.value)  # not "seqscan: words"
                assert not key, (path, node.value)


def test_the_readmes_code_layout_names_every_module():
    """README "How the code is laid out" matches the tree: every module of seqscan/ named (or its
    package described as one module per something), and none named that does not exist."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    block = text.split("## How the code is laid out", 1)[1].split("```", 2)[1]
    named, covered, package = set(), set(), ""
    for line in block.splitlines():
        if line.startswith("seqscan/"):
            first = line.split()[0]
            package = first if first.endswith("/") else ""
            named |= set(re.findall(r"seqscan/[\w/]+\.py", line))
            if package and " per " in line:
                covered.add(package)
        elif line.startswith("  ") and package:
            named |= {package + name for name in re.findall(r"\b\w+\.py\b", line)}
    modules = {p.relative_to(PROJECT).as_posix() for p in (PROJECT / "seqscan").rglob("*.py")}
    unnamed = {m for m in modules - named if not m.endswith("/__init__.py") and not any(map(m.startswith, covered))}
    assert unnamed == set(), f"modules the README's layout does not name: {sorted(unnamed)}"
    assert named - modules == set(), f"named in the README's layout but not in the tree: {sorted(named - modules)}"
