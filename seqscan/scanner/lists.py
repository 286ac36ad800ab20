"""The found-file lists a scan keeps in its own folder: one TSV per file type. Filesystem only."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from seqscan.scanner.found import DirListing, FoundFile, FoundRun, WalkResult, WalkWarning

RUNS = "runs.tsv"
WARNINGS = "warnings.tsv"
BLIND_SPOTS = "blind_spots.txt"
SKIPPED_FOLDERS = "skipped_folders.tsv"
UNLISTED = "unlisted.tsv"
DIRS = "dirs.tsv"
FOUND = "found"
DONE = "COMPLETE"  # written last: lists without it were cut short


class ListsMissing(FileNotFoundError):
    """A scan folder without complete lists."""


def _write(path: Path, lines: list[str]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)


def write_lists(folder: Path, result: WalkResult) -> None:
    """Write the walk's findings as plain-text lists (names with tabs or newlines never get here)."""
    found_dir = folder / FOUND
    found_dir.mkdir(parents=True, exist_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    by_type: dict[str, list[str]] = {}
    for run in result.runs:
        for f in run.files:
            line = f"{run.path}\t{f.path}"
            by_type.setdefault(f.file_type, []).append(line)
    for file_type, lines in by_type.items():
        _write(found_dir / f"{file_type}.tsv", lines)
    # The second column: the run's skip marker, or 0; the fourth its completion markers.
    _write(
        folder / RUNS,
        [f"{r.path}\t{r.skip_marker or 0}\t{r.fingerprint}\t{','.join(r.markers)}" for r in result.runs],
    )
    _write(folder / WARNINGS, [f"{w.path}\t{w.message}" for w in result.warnings])
    _write(folder / BLIND_SPOTS, result.blind_spots)
    _write(folder / SKIPPED_FOLDERS, [f"{path}\t{marker}" for path, marker in result.skipped_folders.items()])
    _write(folder / UNLISTED, [f"{r.path}\t{d}" for r in result.runs for d in r.unlisted])
    _write(
        folder / DIRS,
        [f"{r.path}\t{d.path}\t{d.mtime_ns}\t{'/'.join(d.subdirs)}\t{d.n_files}" for r in result.runs for d in r.dirs],
    )
    meta = (result.dirs_walked, result.files_seen, result.started_ns, result.options_key)
    _write(folder / DONE, ["\t".join(str(v) for v in meta)])


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def read_lists(folder: Path) -> WalkResult:
    """The WalkResult a previous scan wrote with write_lists."""
    if not (folder / DONE).exists():
        raise ListsMissing(f"no complete found-file lists in {folder}")
    dirs, files, started_ns, options_key = _lines(folder / DONE)[0].split("\t")
    result = WalkResult(
        dirs_walked=int(dirs), files_seen=int(files), started_ns=int(started_ns), options_key=options_key
    )
    runs: dict[str, FoundRun] = {}
    for line in _lines(folder / RUNS):
        path, marker, fingerprint, *completion = line.split("\t")
        # "1": lists of an older release, which kept no marker name; nor completion markers, which
        # it required of every run it found.
        marker = {"0": "", "1": "a skip marker"}.get(marker, marker)
        markers = tuple(completion[0].split(",")) if completion and completion[0] else ()
        runs[path] = FoundRun(path, marker, [], fingerprint, markers=markers if completion else ("CopyComplete.txt",))
    for list_file in sorted((folder / FOUND).glob("*.tsv")):
        file_type = list_file.stem
        for line in _lines(list_file):
            run_path, path = line.split("\t")
            runs[run_path].files.append(FoundFile(path, file_type))
    for line in _lines(folder / DIRS):
        run_path, rel, mtime_ns, subdirs, n_files = line.split("\t")
        subdir_names = tuple(subdirs.split("/")) if subdirs else ()
        runs[run_path].dirs.append(DirListing(rel, int(mtime_ns), subdir_names, int(n_files)))
    for line in _lines(folder / UNLISTED):
        run_path, rel = line.split("\t")
        runs[run_path].unlisted.append(rel)
    result.runs = list(runs.values())
    result.warnings = [WalkWarning(*line.split("\t", 1)) for line in _lines(folder / WARNINGS)]
    result.blind_spots = _lines(folder / BLIND_SPOTS)
    result.skipped_folders = dict(line.split("\t", 1) for line in _lines(folder / SKIPPED_FOLDERS))
    return result


def prune_scan_folders(scans_dir: Path, keep_ids: set[int]) -> None:
    """Delete the folders of scans not in keep_ids."""
    if not scans_dir.exists():
        return
    for child in scans_dir.iterdir():
        if child.is_dir() and child.name.isdigit() and int(child.name) not in keep_ids:
            shutil.rmtree(child, ignore_errors=True)
