"""The shape the code promises in the README: one writer of a scan's state, layers that do not leak."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((PROJECT / "seqscan").rglob("*.py")), PROJECT / "worker.py", PROJECT / "app.py"]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _writes_state(tree: ast.Module) -> list[int]:
    """Lines that assign a `.state` attribute or pass `state=` to a call (ScanRun(...), .values(...))."""
    lines = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and t.attr == "state":
                    lines.append(node.lineno)
        if isinstance(node, ast.Call) and any(k.arg == "state" for k in node.keywords):
            lines.append(node.lineno)
    return lines


def _imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_exactly_one_module_writes_a_scans_state():
    writers = {str(p.relative_to(PROJECT)): lines for p in SOURCES if (lines := _writes_state(_tree(p)))}
    assert list(writers) == ["seqscan/scans.py"], writers


def test_the_check_finds_a_state_written_elsewhere():
    sneaky = ast.parse("scan.state, scan.error = ScanState.ERROR, 'x'\nupdate(ScanRun).values(state='Error')")
    assert _writes_state(sneaky) == [1, 2]


def test_no_view_imports_the_scanner():
    for path in sorted((PROJECT / "seqscan" / "views").glob("*.py")):
        leaks = {name for name in _imports(_tree(path)) if name.startswith("seqscan.scanner")}
        assert not leaks, f"{path.name} imports {leaks}"


def test_the_bottom_of_the_scanner_knows_nothing_of_flask_or_the_database():
    for name in ("walk", "found", "lists", "runfolder", "runinfo", "samplesheet", "judge"):
        imported = _imports(_tree(PROJECT / "seqscan" / "scanner" / f"{name}.py"))
        leaks = {i for i in imported if i.split(".")[0] in ("flask", "sqlalchemy", "flask_sqlalchemy")}
        leaks |= {i for i in imported if i.startswith(("seqscan.models", "seqscan.extensions", "seqscan.jobs"))}
        assert not leaks, f"scanner/{name}.py imports {leaks}"


def test_the_scanner_knows_nothing_of_locks_or_queues():
    for path in sorted((PROJECT / "seqscan" / "scanner").glob("*.py")):
        leaks = {i for i in _imports(_tree(path)) if i.startswith(("seqscan.jobs", "rq", "redis"))}
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
