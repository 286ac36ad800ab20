"""Scripts and Jobs: for each Non-existent file whose type has a command template, run the command
and keep what was run in the scan's folder. Off unless SCRIPTS_AND_JOBS is true.

A template is an argument list, split like a shell would (shlex) but run without one: each
placeholder is filled inside its own argument, so no value (a sample named `a$(touch x)b`) is ever
read as code. The values are also in the environment (SEQSCAN_PATH, SEQSCAN_SAMPLE, ...) for a
command that wants them there. {path} and {run_path} are absolute (so never read as an option) and
no command is run for one outside the scan root and SEQSCAN_SYMLINK_ROOTS."""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from seqscan.enums import DataState
from seqscan.models import Sample, SequencingFile, SequencingRun
from seqscan.scanner.confine import inside

log = logging.getLogger("seqscan.scan")


class Outside(Exception):
    """A command's path is not below the configured roots: it is not run."""


def render_command(template: str, values: dict[str, str]) -> list[str]:
    """The argument list: the template split into arguments first, then each one filled in."""
    return [arg.format(**values) for arg in shlex.split(template)]


def command_env(values: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **{f"SEQSCAN_{k.upper()}": v for k, v in values.items()}}


def run_scripts(
    session: Session,
    root: str,
    folder: Path,
    templates: dict[str, str],
    timeout: float,
    symlink_roots: tuple[str, ...],
    warn: Callable[[str, str, str], None],
) -> None:
    """Run the command of each Non-existent file under root with a template (SCRIPT_TEMPLATES), each
    in SCRIPT_TIMEOUT_SECONDS; folder: the scan's own. Each failure is told to warn(run name, path,
    message), and committed."""
    roots = [root, *symlink_roots]
    rows = session.execute(
        select(SequencingFile.id, SequencingFile.path, SequencingFile.file_type, SequencingRun, Sample.name)
        .join(SequencingRun, SequencingFile.run_pk == SequencingRun.id)
        .outerjoin(Sample, SequencingFile.sample_pk == Sample.id)
        .where(
            SequencingFile.data_state == DataState.NON_EXISTENT,
            SequencingFile.file_type.in_(list(templates)),
            SequencingRun.root == root,
        )
        .order_by(SequencingFile.id)
    ).all()
    scripts_dir = folder / "scripts"
    scripts_dir.mkdir(exist_ok=True)
    ok = failed = 0
    status: int | None
    for file_id, path, file_type, run, sample in rows:
        run_path = os.path.abspath(f"{root}/{run.path}")
        values = {"path": f"{run_path}/{path}", "run_path": run_path, "run": run.name}
        values |= {"sample": sample or "", "file_type": file_type}
        record = scripts_dir / f"{file_id}_{file_type}.json"  # what was run, for the lab to read
        try:
            # The layout keeps paths in their run folder; a symlinked folder can still lead out.
            if not (inside(values["path"], roots) and inside(run_path, roots)):
                raise Outside(f"{values['path']} is outside the scan root and SEQSCAN_SYMLINK_ROOTS")
            args = render_command(templates[file_type], values)
            record.write_text(json.dumps({"args": args, "cwd": run_path}, indent=1), encoding="utf-8")
            done = subprocess.run(
                args, cwd=run_path, env=command_env(values), capture_output=True, text=True, timeout=timeout
            )
            status, detail = done.returncode, (done.stderr or done.stdout).strip()[-500:]
        except Outside as e:
            status, detail = None, str(e)
        except (KeyError, IndexError, ValueError) as e:  # an unknown placeholder, unbalanced quotes
            status, detail = -1, f"bad template for {file_type}: {e!r}"
        except subprocess.TimeoutExpired:
            status, detail = -1, f"timed out after {timeout:.0f} s"
        except OSError as e:  # no such program
            status, detail = -1, str(e)
        if status == 0:
            ok += 1
            log.info("command %s succeeded", record.stem)
        else:
            failed += 1
            outcome = "not run" if status is None else f"failed (exit {status})"
            message = f"command {record.stem} for {path} {outcome}: {detail}"
            warn(run.name, path, message)
            log.warning("%s", message)
        session.commit()
    log.info("Scripts and Jobs: %d commands succeeded, %d failed", ok, failed)
