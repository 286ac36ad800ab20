"""The found-file lists a scan keeps in its own folder. Filesystem only.

A scan's folder holds its runs (runs.tsv), their output folders' listings (dirs.tsv), warnings and
blind spots. Each run's found files are stored once, in a file named by a digest of its content in
the store beside the scan folders (scans/files/), and runs.tsv names it: a rescan that finds a run
unchanged names the same file again, so it neither reads nor writes that run's files. The lists of
an earlier release (one TSV per file type in found/) are still read.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from pathlib import Path

from seqscan.scanner.found import NEVER_REUSE, DirListing, FoundFile, FoundRun, StoredFiles, WalkResult, WalkWarning

STORE = "files"  # beside the scan folders: each run's found files, by content
STORE_GRACE_S = 3600  # a stored file unused this long by any kept scan's lists may go (a scan writing now uses it)
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


def store_of(folder: Path) -> Path:
    """The file store of a scan folder (scans/<id>): scans/files."""
    return folder.parent / STORE


def _stored(store: Path, key: str) -> Path:
    return store / key[:2] / f"{key}.tsv"


def _store_files(store: Path, files) -> tuple[str, int]:
    """(key, count) of a run's files in the store: a file the store has (an unchanged run's) is
    named again and its use noted, not written; new content is written once, atomically."""
    if isinstance(files, StoredFiles) and files.key and not files.read:
        path = _stored(store, files.key)
        os.utime(path)  # in use: not pruned while a scan that names it may still be written
        return files.key, len(files)
    text = "".join(f"{f.path}\t{f.file_type}\n" for f in files)
    key = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    path = _stored(store, key)
    if path.exists():
        os.utime(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # the walk's threads too
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return key, len(files)


def spill(store: Path, run: FoundRun) -> None:
    """Store a run's files as soon as it is walked, keeping only their name in memory: a scan of a
    large archive holds one run's files at a time, not the archive's."""
    if isinstance(run.files, StoredFiles) and run.files.key:
        return
    key, count = _store_files(store, run.files)
    run.files = StoredFiles(count, _loader(_stored(store, key)), key)


def write_lists(folder: Path, result: WalkResult) -> None:
    """Write the walk's findings as plain-text lists (names with tabs or newlines never get here)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    store = store_of(folder)
    lines = []
    for r in result.runs:
        key, count = _store_files(store, r.files)
        # The second column: the run's skip marker, or 0; the fourth its completion markers; then its
        # stored files and how many.
        lines.append(f"{r.path}\t{r.skip_marker or 0}\t{r.fingerprint}\t{','.join(r.markers)}\t{key}\t{count}")
    _write(folder / RUNS, lines)
    _write(folder / WARNINGS, [f"{w.path}\t{w.message}" for w in result.warnings])
    _write(folder / BLIND_SPOTS, result.blind_spots)
    _write(folder / SKIPPED_FOLDERS, [f"{path}\t{marker}" for path, marker in result.skipped_folders.items()])
    _write(folder / UNLISTED, [f"{r.path}\t{d}" for r in result.runs for d in r.unlisted])
    _write(
        folder / DIRS,
        [
            f"{r.path}\t{d.path}\t{d.mtime_ns}\t{'/'.join(d.subdirs)}\t{d.n_files}\t{d.names}"
            for r in result.runs
            for d in r.dirs
        ],
    )
    meta = (result.dirs_walked, result.files_seen, result.started_ns, result.options_key)
    _write(folder / DONE, ["\t".join(str(v) for v in meta)])


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def _loader(path: Path):
    def load() -> list[FoundFile]:
        return [FoundFile(*line.split("\t")) for line in _lines(path)]

    return load


def read_lists(folder: Path) -> WalkResult:
    """The WalkResult a previous scan wrote with write_lists."""
    if not (folder / DONE).exists():
        raise ListsMissing(f"no complete found-file lists in {folder}")
    dirs, files, started_ns, options_key = _lines(folder / DONE)[0].split("\t")
    result = WalkResult(
        dirs_walked=int(dirs), files_seen=int(files), started_ns=int(started_ns), options_key=options_key
    )
    runs: dict[str, FoundRun] = {}
    store = store_of(folder)
    for line in _lines(folder / RUNS):
        path, marker, fingerprint, *completion = line.split("\t")
        # "1": lists of an older release, which kept no marker name; nor completion markers, which
        # it required of every run it found.
        marker = {"0": "", "1": "a skip marker"}.get(marker, marker)
        markers = tuple(completion[0].split(",")) if completion and completion[0] else ()
        run = FoundRun(path, marker, [], fingerprint, markers=markers if completion else ("CopyComplete.txt",))
        if len(completion) == 3:  # its files in the store
            key, count = completion[1], int(completion[2])
            stored = _stored(store, key)
            if not stored.exists():
                raise ListsMissing(f"the stored files of run {path} ({stored}) are gone")
            run.files = StoredFiles(count, _loader(stored), key)
        runs[path] = run
    for list_file in sorted((folder / FOUND).glob("*.tsv")):  # an earlier release's lists
        file_type = list_file.stem
        for line in _lines(list_file):
            run_path, path = line.split("\t")
            runs[run_path].files.append(FoundFile(path, file_type))
    for line in _lines(folder / DIRS):
        run_path, rel, mtime_ns, subdirs, n_files, *names = line.split("\t")
        subdir_names = tuple(subdirs.split("/")) if subdirs else ()
        # An earlier release's listing has no digest of its names: listed again once, to make one.
        mtime = int(mtime_ns) if names else NEVER_REUSE
        runs[run_path].dirs.append(DirListing(rel, mtime, subdir_names, int(n_files), names[0] if names else ""))
    for line in _lines(folder / UNLISTED):
        run_path, rel = line.split("\t")
        runs[run_path].unlisted.append(rel)
    result.runs = list(runs.values())
    result.warnings = [WalkWarning(*line.split("\t", 1)) for line in _lines(folder / WARNINGS)]
    result.blind_spots = _lines(folder / BLIND_SPOTS)
    result.skipped_folders = dict(line.split("\t", 1) for line in _lines(folder / SKIPPED_FOLDERS))
    return result


def prune_scan_folders(scans_dir: Path, keep_ids: set[int]) -> None:
    """Delete the folders of scans not in keep_ids, then the stored files no kept scan names (and
    none used in the last STORE_GRACE_S: a scan of another queue may be writing its lists now)."""
    if not scans_dir.exists():
        return
    for child in scans_dir.iterdir():
        if child.is_dir() and child.name.isdigit() and int(child.name) not in keep_ids:
            shutil.rmtree(child, ignore_errors=True)
    store = scans_dir / STORE
    if not store.is_dir():
        return
    named = set()
    for child in scans_dir.iterdir():
        if child.is_dir() and child.name.isdigit():
            named.update(line.split("\t")[4] for line in _lines(child / RUNS) if line.count("\t") >= 5)
    cutoff = time.time() - STORE_GRACE_S
    for path in store.glob("*/*.tsv"):
        try:
            if path.stem not in named and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # gone meanwhile (another prune)
            pass
