"""A layout profile: which paths a run folder should hold, and the facts of its disk layout."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

RUN_PLACEHOLDERS = {"run", "build", "caller"}
SAMPLE_PLACEHOLDERS = {"sample", "sample_id", "sample_number", "lane"}
UNKNOWN_TYPE = "unknown"
DEFAULT_SHEET = "SampleSheet.csv"
# The lane part of a FASTQ name ("_L001"); BCL Convert leaves it out under NoLaneSplitting.
LANE_PART = re.compile(r"_L0*\{lane\}")


class ProfileError(ValueError):
    """A layout profile that cannot be used, with the reason."""


class SampleLike(Protocol):
    sample_id: str
    name: str
    number: int
    lane: str


class Expected(NamedTuple):
    """One file a run should hold."""

    path: str  # relative to the run folder
    file_type: str
    sample_id: str | None  # None for run-level files


@dataclass
class Profile:
    name: str
    description: str
    build: str
    callers: list[str]
    output_dirs: list[str]
    ignore: list[str]
    sample_files: dict[str, str]
    run_files: dict[str, str]
    fingerprint: str
    # Where completion markers and the run's XML files may sit: "" is the run folder itself.
    metadata_dirs: list[str] = field(default_factory=lambda: [""])
    # Files whose names end so are read for their BGZF end-of-file block (CHECK_BGZF_EOF).
    bgzf_suffixes: tuple[str, ...] = (".gz", ".bam")
    # Run-level file types the run page shows as the run's joint files (e.g. a joint VCF per caller).
    joint_file_types: list[str] = field(default_factory=list)
    _by_dir: dict[str, list[tuple[str, re.Pattern]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for file_type, pattern in {**self.sample_files, **self.run_files}.items():
            directory, _, base = pattern.rpartition("/")
            if "{" in directory:
                raise ProfileError(f"layout {self.name}: {file_type}: placeholders are only allowed in file names")
            if not _plain(pattern, directory):
                raise ProfileError(f"layout {self.name}: {file_type}: {pattern!r} is not a path inside the run folder")
            self._by_dir.setdefault(directory, []).append((file_type, self._regex(base)))
        if "{" in self.sample_sheet:
            raise ProfileError(f"layout {self.name}: sample_sheet: {self.sample_sheet!r} must be one fixed path")
        if unknown := set(self.joint_file_types) - set(self.run_files):
            raise ProfileError(f"layout {self.name}: joint_file_types names no run file: {', '.join(sorted(unknown))}")
        for directory in self.metadata_dirs:
            if directory and not _plain(f"{directory}/x", directory):
                raise ProfileError(
                    f"layout {self.name}: metadata_dirs: {directory!r} is not a folder in the run folder"
                )
            if LANE_PART.search(base):  # the same file written without its lane part
                self._by_dir[directory].append((file_type, self._regex(LANE_PART.sub("", base))))

    @property
    def sample_sheet(self) -> str:
        """The sample sheet's path in the run folder: the run file of type sample_sheet."""
        return self.run_files.get("sample_sheet", DEFAULT_SHEET)

    @property
    def file_types(self) -> list[str]:
        return [*self.sample_files, *self.run_files]

    def _regex(self, pattern: str, literals: dict[str, str] | None = None) -> re.Pattern:
        """A regex for a path pattern; placeholders named in literals must equal their value."""
        literals = {"build": self.build, **(literals or {})}
        parts = []
        for literal, name, _, _ in string.Formatter().parse(pattern):
            parts.append(re.escape(literal))
            if name in literals:
                parts.append(re.escape(literals[name]))
            elif name in ("sample_number", "lane"):
                parts.append(r"\d+")
            elif name is not None:
                parts.append(r"[^/]+?")
        return re.compile("".join(parts) + r"\Z")

    def classify(self, relpath: str) -> str | None:
        """The file type of a path relative to the run folder; None if ignored."""
        directory, _, base = relpath.rpartition("/")
        for file_type, regex in self._by_dir.get(directory, ()):
            if regex.match(base):
                return file_type
        if any(fnmatch.fnmatchcase(relpath, pattern) for pattern in self.ignore):
            return None
        return UNKNOWN_TYPE

    def run_file_type(self, run: str, relpath: str) -> str | None:
        """The run-level type of a file named for this run (e.g. another caller's joint VCF), if any."""
        for file_type, pattern in self.run_files.items():
            if self._regex(pattern, {"run": run}).match(relpath):
                return file_type
        return None

    def expected(
        self,
        run: str,
        samples: Iterable[SampleLike],
        lanes: Iterable[int] = (),
        no_lane_splitting: bool = False,
        on_disk: Iterable[str] = (),
        warnings: list[str] | None = None,
    ) -> dict[str, Expected]:
        """Every expected file of a run keyed by relative path (first sample wins).

        A {lane} is the sample's Lane from the sheet; without one, each of `lanes` (RunInfo.xml's
        LaneCount); without those, each lane found on disk for that file (lane 1 if none). Never
        lane 0. no_lane_splitting: the names carry no lane part at all. A sample whose values would
        make a path leave its folder (the sheet parser refuses those; older sheet versions were not
        checked) is skipped, with a warning added to `warnings`.
        """
        found: dict[str, Expected] = {}
        on_disk = list(on_disk)
        for sample in samples:
            values = {
                "run": run,
                "build": self.build,
                "sample": sample.name,
                "sample_id": sample.sample_id,
                "sample_number": sample.number,
            }
            paths: list[tuple[str, str, str]] = []  # (path, file type, the folder the profile puts it in)
            for file_type, pattern in self.sample_files.items():
                if "{lane}" not in pattern:
                    sample_lanes = [""]
                elif no_lane_splitting:
                    pattern, sample_lanes = LANE_PART.sub("", pattern), [""]
                elif sample.lane.strip("0"):
                    sample_lanes = [sample.lane]
                else:  # every file of the sample in the same lanes: R2 is missing where R1 is found
                    on_disk_lanes = {
                        lane
                        for other in self.sample_files.values()
                        if "{lane}" in other
                        for lane in _lanes_on_disk(other, values, on_disk)
                    }
                    sample_lanes = [str(n) for n in lanes] or sorted(on_disk_lanes, key=int) or ["1"]
                directory = pattern.rpartition("/")[0]
                paths += [(pattern.format(**values, lane=lane), file_type, directory) for lane in sample_lanes]
            if bad := next(((p, d) for p, _, d in paths if not _plain(p, d)), None):
                if warnings is not None:
                    where = f"{bad[1]}/ in the run folder" if bad[1] else "the run folder"
                    warnings.append(f"sample {sample.sample_id!r}: {bad[0]!r} is not a file of {where}; sample skipped")
                continue
            for path, file_type, _ in paths:
                found.setdefault(path, Expected(path, file_type, sample.sample_id))
        for file_type, pattern in self.run_files.items():
            callers = self.callers if "{caller}" in pattern else [""]
            for caller in callers:
                path = pattern.format(run=run, build=self.build, caller=caller)
                if _plain(path, pattern.rpartition("/")[0]):  # a run name is a folder's: it holds no "/"
                    found.setdefault(path, Expected(path, file_type, None))
        return found


def _plain(path: str, directory: str) -> bool:
    """True if path is a file directly in directory, and both stay inside the run folder once
    normalised: no "..", no absolute path, no "." or empty part, no folder a value added."""
    name = path[len(directory) + 1 :] if directory else path
    return (
        path.startswith(f"{directory}/" if directory else "")
        and "/" not in name
        and name not in ("", ".", "..")
        and posixpath.normpath(path) == path
        and not path.startswith(("/", "../"))
    )


def _lanes_on_disk(pattern: str, values: dict, paths: list[str]) -> list[str]:
    """The lanes of the files on disk that match pattern for these values (never lane 0)."""
    token = "\x00lane\x00"  # survives format() and re.escape() unchanged, then becomes the group
    literal = re.escape(pattern.replace("{lane}", token).format(**values)).replace(re.escape(token), r"(\d+)")
    regex = re.compile(literal + r"\Z")
    return [m.group(1) for p in paths if (m := regex.match(p)) and m.group(1).strip("0")]
