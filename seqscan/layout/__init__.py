"""Layout profiles: which paths a run folder should hold, as data a lab can edit."""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple, Protocol

RUN_PLACEHOLDERS = {"run", "build", "caller"}
SAMPLE_PLACEHOLDERS = {"sample", "sample_id", "sample_number", "lane"}
UNKNOWN_TYPE = "unknown"
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
    _by_dir: dict[str, list[tuple[str, re.Pattern]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for file_type, pattern in {**self.sample_files, **self.run_files}.items():
            directory, _, base = pattern.rpartition("/")
            if "{" in directory:
                raise ProfileError(f"layout {self.name}: {file_type}: placeholders are only allowed in file names")
            if not _plain(pattern, directory):
                raise ProfileError(f"layout {self.name}: {file_type}: {pattern!r} is not a path inside the run folder")
            self._by_dir.setdefault(directory, []).append((file_type, self._regex(base)))
            if LANE_PART.search(base):  # the same file written without its lane part
                self._by_dir[directory].append((file_type, self._regex(LANE_PART.sub("", base))))

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


def _check_placeholders(name: str, section: dict[str, str], allowed: set[str]) -> None:
    for file_type, pattern in section.items():
        try:
            used = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
        except ValueError as e:
            raise ProfileError(f"layout {name}: {file_type}: {e}") from None
        if unknown := used - allowed:
            raise ProfileError(
                f"layout {name}: {file_type} uses unknown placeholder(s) "
                f"{', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}"
            )


def parse_profile(name: str, text: str) -> Profile:
    """Build a profile from TOML text, or raise ProfileError saying what is wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"layout {name}: not valid TOML: {e}") from None
    sample_files = data.get("sample_files", {})
    run_files = data.get("run_files", {})
    if not sample_files and not run_files:
        raise ProfileError(f"layout {name}: defines no [sample_files] and no [run_files]")
    _check_placeholders(name, sample_files, RUN_PLACEHOLDERS - {"caller"} | SAMPLE_PLACEHOLDERS)
    _check_placeholders(name, run_files, RUN_PLACEHOLDERS)
    return Profile(
        name=name,
        description=data.get("description", ""),
        build=str(data.get("build", "")),
        callers=list(data.get("callers", [])),
        output_dirs=list(data.get("output_dirs", [])),
        ignore=list(data.get("ignore", [])),
        sample_files=dict(sample_files),
        run_files=dict(run_files),
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


def builtin_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files(__package__).joinpath("profiles").iterdir()
        if p.name.endswith(".toml")
    )


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a TOML file by path."""
    if name_or_path in builtin_names():
        text = resources.files(__package__).joinpath(f"profiles/{name_or_path}.toml").read_text()
        return parse_profile(name_or_path, text)
    path = Path(name_or_path)
    if not path.is_file():
        raise ProfileError(
            f"layout {name_or_path!r} is neither a built-in profile "
            f"({', '.join(builtin_names())}) nor a readable TOML file"
        )
    return parse_profile(path.stem, path.read_text())
