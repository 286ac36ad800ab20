"""Parse one run folder: its sample sheet and its identity (XML first, folder name as fallback)."""

from __future__ import annotations

import os
import stat
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import NamedTuple

from seqscan.layout import Profile
from seqscan.scanner.disk import DIRECT, Disk
from seqscan.scanner.runinfo import (
    RunIdentity,
    completion_family_marker,
    parse_completion_status,
    parse_run_name,
    parse_runinfo,
    parse_runparameters,
    run_failed,
    same_run,
    sequencer_model,
)
from seqscan.scanner.samplesheet import MAX_SAMPLES, SampleSheet, SampleSheetError, parse_samplesheet

MAX_BYTES = 16 * 2**20  # per sheet or XML file, unless the caller says otherwise (SEQSCAN_MAX_SHEET_BYTES)


@dataclass
class RunFolder:
    name: str
    identity: RunIdentity
    sequencer_model: str | None
    sheet: SampleSheet | None
    sheet_error: str = ""
    warnings: list[str] = field(default_factory=list)
    # Files refused unread (too large): each makes the run Error, like an unreadable sheet.
    errors: list[str] = field(default_factory=list)
    sheet_path: str = ""  # where the sheet was read (or was looked for first), in the run folder
    no_sheet: bool = False  # no sheet at any of the layout's places
    completion_status: str = ""  # RunCompletionStatus.xml's status, if it has one

    @property
    def run_failed(self) -> bool:
        return run_failed(self.completion_status)

    def sequencing(self, markers: tuple[str, ...], has_output: bool) -> bool:
        """Still being sequenced (or copied): its instrument family's completion marker is not there.
        CopyComplete.txt (or a lab's own marker) is written last and always means done; RTAComplete.txt
        alone means done except on instruments that copy the run off afterwards (NovaSeq, NextSeq
        1000/2000), where it means done only once the run's sample files are there (has_output): a
        converter or pipeline only runs on a finished run."""
        if set(markers) - {"RTAComplete.txt"}:
            return False
        if not markers:
            return True
        return completion_family_marker(self.sequencer_model) != "RTAComplete.txt" and not has_output


class TooLarge(Exception):
    """A sheet or XML file larger than seqscan reads; the message gives its size and the limit."""


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n:,} bytes"


def _read(path: str, limit: int) -> bytes:
    """The file's bytes; TooLarge, before any is read, if it is larger than limit."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = f.read(limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:  # the second: a file that grew while it was read
        raise TooLarge(
            f"it is {_size(max(size, len(data)))}, more than the {_size(limit)} allowed (SEQSCAN_MAX_SHEET_BYTES)"
        )
    return data


def _find(run_dir: str, wanted: str, metadata_dirs: list[str], disk: Disk) -> str | None:
    """The first file named `wanted` (any casing) in the layout's metadata folders ("" the run folder)."""
    for sub in metadata_dirs:
        folder = os.path.join(run_dir, sub)
        try:
            names = disk.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.lower() == wanted.lower():
                return os.path.join(folder, name)
    return None


def _identity_from_xml(
    run_dir: str,
    layout: Profile,
    named: RunIdentity | None,
    warnings: list[str],
    errors: list[str],
    max_bytes: int,
    disk: Disk,
) -> RunIdentity:
    identity = RunIdentity()
    for filename, parse in (("RunInfo.xml", parse_runinfo), ("RunParameters.xml", parse_runparameters)):
        path = _find(run_dir, filename, layout.metadata_dirs, disk)
        if path is None:
            continue
        rel = os.path.relpath(path, run_dir)
        try:
            found = parse(_read(path, max_bytes))
        except TooLarge as e:
            errors.append(f"{rel} cannot be read: {e}")
            continue
        except (OSError, ET.ParseError) as e:
            warnings.append(f"{rel} unreadable, ignored: {e}")
            continue
        if named and found.run_id and not same_run(found.run_id, named):
            # Copied from another run: trusting it would mislabel this one.
            warnings.append(f"{rel} describes run {found.run_id}, not {named.run_id}; ignored")
            continue
        identity.fill_from(found)
    return identity


def read_sheet(
    run_dir: str,
    sheet_name: str,
    max_samples: int = MAX_SAMPLES,
    lane_count: int | None = None,
    max_bytes: int = MAX_BYTES,
) -> tuple[SampleSheet | None, str]:
    """(sheet, "") or (None, the reason it could not be read); sheet_name: its path in the run folder."""
    path = os.path.join(run_dir, sheet_name)
    try:
        return parse_samplesheet(_read(path, max_bytes), max_samples, lane_count), ""
    except TooLarge as e:
        return None, f"{sheet_name} cannot be read: {e}"
    except FileNotFoundError:
        return None, f"no {sheet_name}: expected files cannot be worked out"
    except OSError as e:
        return None, f"{sheet_name} cannot be read: {e.strerror or e}"
    except SampleSheetError as e:
        return None, f"{sheet_name} cannot be parsed: {e}"


def read_run_folder(
    run_dir: str,
    layout: Profile,
    max_samples: int = MAX_SAMPLES,
    max_bytes: int = MAX_BYTES,
    analysis: str = "1",
    disk: Disk = DIRECT,
) -> RunFolder:
    """Everything seqscan needs from one run folder; problems become warnings or errors, never exceptions.

    analysis: the analysis folder judged, where the layout keeps a sheet in one (onboard analysis)."""
    name = os.path.basename(run_dir.rstrip("/"))
    warnings: list[str] = []
    errors: list[str] = []
    from_name = parse_run_name(name)
    named = from_name[1] if from_name else None
    if named is None:
        warnings.append("folder name holds no Illumina run id (YYMMDD_INSTRUMENT_NNNN_FLOWCELL)")
    identity = _identity_from_xml(run_dir, layout, named, warnings, errors, max_bytes, disk)
    if named:
        # The run id's date is the one every Illumina tool shows; RunInfo's is a UTC timestamp.
        identity.date = named.date or identity.date
        identity.fill_from(named)
    model = sequencer_model(identity.instrument, identity.application, identity.application_version)
    if identity.instrument and model is None:
        warnings.append(f"unknown sequencer for instrument id {identity.instrument}")
    candidates = [path.format(analysis=analysis) for path in layout.sample_sheets]
    there = [p for p in candidates if disk.lexists(os.path.join(run_dir, p))]
    no_sheet = not there
    sheet_path = there[0] if there else candidates[0]
    sheet, error = read_sheet(run_dir, sheet_path, max_samples, identity.lane_count, max_bytes)
    if no_sheet:  # a warning, not an error: the run's verdict is "no sample sheet"
        warnings.append(error)
    if sheet:
        warnings.extend(f"{sheet_path}: {w}" for w in sheet.warnings)
        identity.experiment = identity.experiment or sheet.experiment
    folder = RunFolder(name, identity, model, sheet, "" if no_sheet else error, warnings, errors, sheet_path, no_sheet)
    folder.completion_status = _completion_status(run_dir, layout, warnings, max_bytes, disk)
    return folder


def _completion_status(run_dir: str, layout: Profile, warnings: list[str], max_bytes: int, disk: Disk) -> str:
    path = _find(run_dir, "RunCompletionStatus.xml", layout.metadata_dirs, disk)
    if path is None:
        return ""
    try:
        return parse_completion_status(_read(path, max_bytes))[:64]
    except (OSError, TooLarge, ET.ParseError) as e:
        warnings.append(f"{os.path.relpath(path, run_dir)} unreadable, ignored: {e}")
        return ""


class FileStat(NamedTuple):
    size: int | None
    mtime_ns: int | None
    error: str  # set when the file is there but cannot be read


def stat_files(run_dir: str, paths: list[str], disk: Disk = DIRECT) -> tuple[dict[str, FileStat], list[str]]:
    """Stats of a run's listed files, and the paths that vanished since they were listed."""
    stats: dict[str, FileStat] = {}
    vanished: list[str] = []
    for path in paths:
        full = f"{run_dir}/{path}"
        try:
            st = disk.stat(full)
        except FileNotFoundError:
            if disk.islink(full):
                stats[path] = FileStat(None, None, "broken symlink")
            else:
                vanished.append(path)
            continue
        except OSError as e:
            stats[path] = FileStat(None, None, f"cannot stat: {e.strerror or e}")
            continue
        error = "" if stat.S_ISREG(st.st_mode) else "not a regular file"
        stats[path] = FileStat(st.st_size, st.st_mtime_ns, error)
    return stats, vanished


# The 28-byte empty block that ends every complete BGZF file (BAM, bgzipped VCF / FASTQ / TSV).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
TRUNCATED = "truncated: no BGZF end-of-file block"


def bgzf_truncated(path: str, size: int | None = None) -> bool:
    """True if the file is BGZF (gzip with the "BC" extra field) but does not end with the BGZF
    end-of-file block: a copy that stopped half-way. Plain gzip and other files are left alone.

    Two small reads at known offsets (size: from the stat already made), no buffered file object:
    a first scan checks tens of thousands of files."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # unreadable: stat_files has said so already
        return False
    try:
        head = os.pread(fd, 18, 0)
        if len(head) < 18 or head[:4] != b"\x1f\x8b\x08\x04" or head[12:14] != b"BC":
            return False
        size = os.fstat(fd).st_size if size is None else size
        return size < len(BGZF_EOF) or os.pread(fd, len(BGZF_EOF), size - len(BGZF_EOF)) != BGZF_EOF
    except OSError:
        return False
    finally:
        os.close(fd)
