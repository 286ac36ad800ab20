"""Scripts and Jobs: for each Non-existent file whose type has a command template, write a script
into the scan's folder and run it. Off unless SCRIPTS_AND_JOBS is true."""

from __future__ import annotations

import logging
import shlex
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from seqscan.enums import DataState
from seqscan.extensions import db
from seqscan.models import Sample, ScanRun, ScanWarning, SequencingFile, SequencingRun

log = logging.getLogger("seqscan.scan")


def render_script(template: str, values: dict[str, str]) -> str:
    """The script text; every value is shell-quoted, so file names cannot inject commands."""
    quoted = {k: shlex.quote(v) for k, v in values.items()}
    return f"#!/usr/bin/env bash\nset -euo pipefail\n{template.format(**quoted)}\n"


def run_scripts(scan: ScanRun, folder: Path) -> None:
    templates: dict[str, str] = current_app.config["SCRIPT_TEMPLATES"] or {}
    timeout = float(current_app.config["SCRIPT_TIMEOUT_SECONDS"])
    rows = db.session.execute(
        select(SequencingFile.id, SequencingFile.path, SequencingFile.file_type, SequencingRun, Sample.name)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .outerjoin(Sample, SequencingFile.sample_pk == Sample.id)
        .where(
            SequencingFile.data_state == DataState.NON_EXISTENT,
            SequencingFile.file_type.in_(list(templates)),
            SequencingRun.root == scan.root,
        )
        .order_by(SequencingFile.id)
    ).all()
    scripts_dir = folder / "scripts"
    scripts_dir.mkdir(exist_ok=True)
    ok = failed = 0
    for file_id, path, file_type, run, sample in rows:
        run_path = f"{scan.root}/{run.path}"
        values = {"path": f"{run_path}/{path}", "run_path": run_path, "run": run.name}
        values |= {"sample": sample or "", "file_type": file_type}
        script = scripts_dir / f"{file_id}_{file_type}.sh"
        try:
            script.write_text(render_script(templates[file_type], values), encoding="utf-8")
            done = subprocess.run(["bash", str(script)], cwd=run_path, capture_output=True, text=True, timeout=timeout)
            status, detail = done.returncode, (done.stderr or done.stdout).strip()[-500:]
        except (KeyError, IndexError, ValueError) as e:  # a template naming an unknown placeholder
            status, detail = -1, f"bad template for {file_type}: {e!r}"
        except subprocess.TimeoutExpired:
            status, detail = -1, f"timed out after {timeout:.0f} s"
        except OSError as e:
            status, detail = -1, str(e)
        if status == 0:
            ok += 1
            log.info("script %s succeeded", script.name)
        else:
            failed += 1
            message = f"script {script.name} for {path} failed (exit {status}): {detail}"
            db.session.add(ScanWarning(scan_id=scan.id, run_name=run.name, path=path, message=message))
            log.warning("%s", message)
        db.session.commit()
    scan.warnings_count += failed
    log.info("Scripts and Jobs: %d scripts succeeded, %d failed", ok, failed)
