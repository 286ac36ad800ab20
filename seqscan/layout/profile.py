"""A layout profile: which paths a run folder should hold, and the facts of its disk layout."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

RUN_PLACEHOLDERS = {"run", "build", "caller", "lane", "read", "analysis"}
SAMPLE_PLACEHOLDERS = {"sample", "sample_id", "sample_number", "lane", "read", "project", "sample_folder"}
# The placeholders a folder part of a path may hold: the converters put FASTQs in a folder per
# project (and bcl2fastq in one per sample), onboard analysis in a numbered folder per analysis.
# {project} and {sample_folder} may be empty: then that folder is not there.
FOLDER_PLACEHOLDERS = {"project", "sample_id", "sample_folder", "analysis"}
MAY_BE_EMPTY = {"project", "sample_folder"}
UNKNOWN_TYPE = "unknown"
DEFAULT_SHEET = "SampleSheet.csv"
DEFAULT_READS = ("R1", "R2")
# The lane part of a FASTQ name ("_L001"); BCL Convert leaves it out under NoLaneSplitting.
LANE_PART = re.compile(r"_L0*\{lane\}")
CONVERTERS = ("", "bcl2fastq", "bclconvert")


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


class Pattern(NamedTuple):
    """One way a file type is written: its key in the profile, the path pattern, and its regex."""

    key: str
    text: str
    regex: re.Pattern  # the whole path relative to the run folder
    is_run_file: bool
    name_regex: re.Pattern | None = None  # the file name alone, where the folder is fixed

    def file_type(self, match: re.Match) -> str:
        """The file type of a path it matched: a pattern with {read} is one type per read (fastq →
        fastq_r1, fastq_r2, fastq_i1)."""
        return f"{self.key}_{match['read'].lower()}" if "{read}" in self.text else self.key


@dataclass
class Profile:
    name: str
    description: str
    build: str
    callers: list[str]
    output_dirs: list[str]
    ignore: list[str]
    # Each file type's path, or a list of paths it may be written at: expected at the one where most
    # of its files are on disk (e.g. Data/BCLConvert/fastq/ of newer onboard analysis, Data/fastq/ of older).
    sample_files: dict[str, str | list[str]]
    run_files: dict[str, str | list[str]]
    fingerprint: str
    # Where completion markers and the run's XML files may sit: "" is the run folder itself.
    metadata_dirs: list[str] = field(default_factory=lambda: [""])
    # Files whose names end so are read for their BGZF end-of-file block (CHECK_BGZF_EOF).
    bgzf_suffixes: tuple[str, ...] = (".gz", ".bam")
    # Run-level file types the run page shows as the run's joint files (e.g. a joint VCF per caller).
    joint_file_types: list[str] = field(default_factory=list)
    # The converter that wrote the FASTQs: decides which reads get a FASTQ ({read}); "" none.
    converter: str = ""
    # Run files expected only once one of their type has been on disk (Undetermined FASTQs: the
    # converter writes them, labs often delete them, their absence loses no sample's data).
    optional_files: list[str] = field(default_factory=list)
    _patterns: list[Pattern] = field(default_factory=list, repr=False)  # run files' first
    # Of the patterns whose folder is fixed, by folder (a lookup, not a scan of every pattern); the
    # others, whose folder holds a placeholder, are tried in turn.
    _by_dir: dict[str, list[Pattern]] = field(default_factory=dict, repr=False)
    _placed: list[Pattern] = field(default_factory=list, repr=False)
    _analysis_prefixes: tuple[str, ...] = field(default=(), repr=False)  # what comes before {analysis}
    _placed_run: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.converter not in CONVERTERS:
            raise ProfileError(f"layout {self.name}: converter {self.converter!r}: known: bcl2fastq, bclconvert")
        # Run files first: Undetermined_S0_L001_R1_001.fastq.gz is a run's, though a sample's pattern fits it.
        for is_run, section in ((True, self.run_files), (False, self.sample_files)):
            for key, patterns in section.items():
                for text in _alternatives(patterns):
                    self._add(key, text, is_run)
        for text in self.sample_sheets:
            if _fields(text) - {"analysis"}:
                raise ProfileError(f"layout {self.name}: sample_sheet: {text!r} must be one fixed path")
        if unknown := set(self.joint_file_types) - set(self.run_files):
            raise ProfileError(f"layout {self.name}: joint_file_types names no run file: {', '.join(sorted(unknown))}")
        if unknown := set(self.optional_files) - set(self.run_files):
            raise ProfileError(f"layout {self.name}: optional_files names no run file: {', '.join(sorted(unknown))}")
        self._analysis_prefixes = tuple(
            sorted({p.text.partition("{analysis}")[0] for p in self._patterns if "{analysis}" in p.text})
        )
        # A run file in a folder with a placeholder could fit a path a fixed folder's sample file fits:
        # then every run file must be tried first (classify's slow path). No built-in profile has one.
        self._placed_run = any(p.is_run_file for p in self._placed)
        for directory in self.metadata_dirs:
            if directory and not _plain(f"{directory}/x", directory):
                raise ProfileError(
                    f"layout {self.name}: metadata_dirs: {directory!r} is not a folder in the run folder"
                )

    def _add(self, key: str, text: str, is_run: bool) -> None:
        directory, _, base = text.rpartition("/")
        if bad := _fields(directory) - FOLDER_PLACEHOLDERS:
            raise ProfileError(
                f"layout {self.name}: {key}: {{{min(bad)}}} is only allowed in file names"
                f" (folders may hold {', '.join(f'{{{p}}}' for p in sorted(FOLDER_PLACEHOLDERS))})"
            )
        if not _plain(text, directory):
            raise ProfileError(f"layout {self.name}: {key}: {text!r} is not a path inside the run folder")
        names = [base, LANE_PART.sub("", base)] if LANE_PART.search(base) else [base]  # and without its lane
        for name in names:
            full = f"{directory}/{name}" if directory else name
            fixed_name = None if "{" in directory else self._regex(name)
            pattern = Pattern(key, text, self._regex(full), is_run, fixed_name)
            self._patterns.append(pattern)
            if "{" in directory:
                self._placed.append(pattern)
            else:
                self._by_dir.setdefault(directory, []).append(pattern)

    @property
    def sample_sheets(self) -> list[str]:
        """Where the sample sheet may be, in order (run file sample_sheet): the first one there is read."""
        return _alternatives(self.run_files.get("sample_sheet", DEFAULT_SHEET))

    @property
    def sample_sheet(self) -> str:
        """The sample sheet's usual path in the run folder."""
        return self.sample_sheets[0]

    @property
    def file_types(self) -> list[str]:
        return [*self.sample_files, *self.run_files]

    def is_sample_type(self, file_type: str) -> bool:
        """True for a file type of a sample's files (fastq_r1 of a fastq pattern with {read} too)."""
        return any(file_type == key or file_type.startswith(f"{key}_") for key in self.sample_files)

    def _regex(self, pattern: str, literals: dict[str, str] | None = None) -> re.Pattern:
        """A regex for a path pattern; placeholders named in literals must equal their value. A folder
        that is one placeholder that may be empty may be missing from the path altogether."""
        literals = {"build": self.build, **(literals or {})}
        parts = []
        for i, part in enumerate(pattern.split("/")):
            is_folder = i < pattern.count("/")
            fields = list(string.Formatter().parse(part))
            if is_folder and len(fields) == 1 and not fields[0][0] and fields[0][1] in MAY_BE_EMPTY:
                parts.append(r"(?:[^/]+/)?")
                continue
            for literal, name, _, _ in fields:
                parts.append(re.escape(literal))
                if name in literals:
                    parts.append(re.escape(literals[name]))
                elif name in ("sample_number", "lane"):
                    parts.append(r"\d+")
                elif name == "read":
                    parts.append(r"(?P<read>[RI]\d+)")
                elif name is not None:
                    parts.append(r"[^/]+?")
            parts.append("/" if is_folder else "")
        return re.compile("".join(parts) + r"\Z")

    def classify(self, relpath: str) -> str | None:
        """The file type of a path relative to the run folder; None if ignored."""
        directory, _, name = relpath.rpartition("/")
        fixed = self._by_dir.get(directory, ())
        if self._placed_run:  # every run file first, wherever its folder
            for pattern in sorted((*fixed, *self._placed), key=lambda p: not p.is_run_file):
                if m := pattern.regex.match(relpath):
                    return pattern.file_type(m)
        else:  # the fixed folder's patterns (run files first), then the others: samples' only
            for pattern in fixed:
                if m := pattern.name_regex.match(name):
                    return pattern.file_type(m)
            for pattern in self._placed:
                if m := pattern.regex.match(relpath):
                    return pattern.file_type(m)
        if any(fnmatch.fnmatchcase(relpath, pattern) for pattern in self.ignore):
            return None
        return UNKNOWN_TYPE

    def run_file_type(self, run: str, relpath: str) -> str | None:
        """The run-level type of a file named for this run (e.g. another caller's joint VCF), if any."""
        for pattern in self._patterns:
            if pattern.is_run_file and "{run}" in pattern.text:
                if m := self._regex(pattern.text, {"run": run}).match(relpath):
                    return pattern.file_type(m)
        return None

    def newest_analysis(self, paths: Iterable[str]) -> str:
        """The newest (highest-numbered) analysis folder the paths lie in, for {analysis}; "1" if none."""
        prefixes = self._analysis_prefixes
        numbers = {
            int(folder)
            for path in paths
            for prefix in prefixes
            if path.startswith(prefix) and (folder := path[len(prefix) :].partition("/")[0]).isdigit()
        }
        return str(max(numbers)) if numbers else "1"

    def in_older_analysis(self, path: str, analysis: str) -> bool:
        """True if path lies in an analysis folder other than the one judged: an earlier analysis
        of the run, which onboard software keeps and which is neither expected nor unexpected."""
        for prefix in self._analysis_prefixes:
            if path.startswith(prefix):
                folder, sep, _ = path[len(prefix) :].partition("/")
                return bool(sep) and folder != analysis
        return False

    def wants_folder(self, relpath: str) -> bool:
        """True if some pattern's folder is relpath or lies below it: a folder the walk must enter
        even if its name is one it never descends into elsewhere (Data/ of onboard analysis)."""
        return any(_folder_prefix(p.text.rpartition("/")[0] + "/", relpath + "/") for p in self._patterns)

    def expected(
        self,
        run: str,
        samples: Iterable[SampleLike],
        lanes: Iterable[int] = (),
        no_lane_splitting: bool = False,
        on_disk: Iterable[str] = (),
        warnings: list[str] | None = None,
        reads: Sequence[str] | None = None,
        analysis: str = "1",
        seen_before: Iterable[str] = (),
    ) -> dict[str, Expected]:
        """Every expected file of a run keyed by relative path (first sample wins).

        A {lane} is the sample's Lane from the sheet; without one, each of `lanes` (RunInfo.xml's
        LaneCount); without those, each lane found on disk for that file (lane 1 if none). Never
        lane 0. no_lane_splitting: the names carry no lane part at all. {read}: each of `reads`
        (R1, R2 … I1, I2: which FASTQs the converter writes). {analysis}: the analysis folder judged.
        A file type given as several paths is expected at the one where most of its files are on
        disk (the first, if none is). A sample whose values would make a path leave its folder (the
        sheet parser refuses those; older sheet versions were not checked) is skipped, with a warning
        added to `warnings`. An optional run file is expected once a file of its type is on disk or
        was (seen_before).
        """
        on_disk = list(on_disk)
        reads = list(reads or DEFAULT_READS)
        seen = set(on_disk) | set(seen_before)
        ctx = _Run(run, list(samples), list(lanes), no_lane_splitting, on_disk, reads, analysis, seen)
        found: dict[str, Expected] = {}
        sample_files = {
            key: self._best(_alternatives(patterns), ctx, lambda t, key=key: self._sample_paths(ctx, {key: t}))
            for key, patterns in self.sample_files.items()
        }
        for sample in ctx.samples:
            paths = self._sample_paths(ctx, sample_files, [sample])
            if bad := next(((p, d) for p, _, d, _ in paths if not _plain(p, d)), None):
                if warnings is not None:
                    where = f"{bad[1]}/ in the run folder" if bad[1] else "the run folder"
                    warnings.append(f"sample {sample.sample_id!r}: {bad[0]!r} is not a file of {where}; sample skipped")
                continue
            for path, file_type, _, _ in paths:
                found.setdefault(path, Expected(path, file_type, sample.sample_id))
        for file_type, patterns in self.run_files.items():
            alternatives = _alternatives(patterns)
            if file_type in self.optional_files and not self._fits_any(alternatives, ctx.seen):
                continue
            text = self._best(alternatives, ctx, lambda t, file_type=file_type: self._run_paths(ctx, file_type, t))
            for path, kind, directory, _ in self._run_paths(ctx, file_type, text):
                if _plain(path, directory):  # a run name is a folder's: it holds no "/"
                    found.setdefault(path, Expected(path, kind, None))
        return found

    @staticmethod
    def _best(alternatives: list[str], ctx: _Run, paths_of) -> str:
        """Of a file type's paths, the one with most of its files on disk; the first on a tie."""
        if len(alternatives) == 1:
            return alternatives[0]
        disk = set(ctx.on_disk)
        hits = [sum(1 for p in paths_of(text) if p[0] in disk) for text in alternatives]
        return alternatives[hits.index(max(hits))]

    def _sample_paths(
        self, ctx: _Run, files: dict[str, str], samples: list[SampleLike] | None = None
    ) -> list[tuple[str, str, str, str]]:
        """(path, file type, the folder it must be directly in, sample id) of each file of the samples."""
        out = []
        for sample in ctx.samples if samples is None else samples:
            values = {
                "run": ctx.run,
                "build": self.build,
                "sample": sample.name,
                "sample_id": sample.sample_id,
                "sample_number": sample.number,
                "project": getattr(sample, "project", "") or "",
                # bcl2fastq's folder per sample: there when the sample's name is not its id.
                "sample_folder": sample.sample_id if sample.name != sample.sample_id else "",
                "analysis": ctx.analysis,
            }
            for file_type, text in files.items():
                if "{lane}" not in text or ctx.no_lane_splitting:
                    sample_lanes = [""]
                elif sample.lane.strip("0"):
                    sample_lanes = [sample.lane]
                else:  # every file of the sample in the same lanes: R2 is missing where R1 is found
                    on_disk_lanes = {
                        lane
                        for other in files.values()
                        if "{lane}" in other
                        for lane in _lanes_on_disk(other, values, ctx.on_disk)
                    }
                    sample_lanes = [str(n) for n in ctx.lanes] or sorted(on_disk_lanes, key=int) or ["1"]
                out += self._paths(
                    file_type, text, values, sample_lanes, ctx.reads, ctx.no_lane_splitting, sample.sample_id
                )
        return out

    def _run_paths(self, ctx: _Run, file_type: str, text: str) -> list[tuple[str, str, str, str]]:
        """(path, file type, folder, "") of each file of a run-level file type: per caller, lane and read."""
        out = []
        for caller in self.callers if "{caller}" in text else [""]:
            values = {"run": ctx.run, "build": self.build, "caller": caller, "analysis": ctx.analysis}
            run_lanes = [""]
            if "{lane}" in text and not ctx.no_lane_splitting:
                # The sheet's lanes and those on disk; without either, RunInfo's, else lane 1.
                on_disk_lanes = {int(n) for n in _lanes_on_disk(text, values, ctx.seen)}
                run_lanes = [str(n) for n in sorted(set(ctx.sheet_lanes) | on_disk_lanes) or ctx.lanes] or ["1"]
            out += self._paths(file_type, text, values, run_lanes, ctx.reads, ctx.no_lane_splitting, "")
        return out

    def _paths(
        self,
        file_type: str,
        text: str,
        values: dict,
        lanes: list[str],
        reads: list[str],
        no_lane_splitting: bool,
        sample_id: str,
    ) -> list[tuple[str, str, str, str]]:
        """(path, file type, the folder it must be directly in, sample_id) of each lane and read of a
        file type (a first scan works out tens of thousands: the fixed parts are worked out once)."""
        if no_lane_splitting:
            text = LANE_PART.sub("", text)
        folder, _, name = text.rpartition("/")
        directory = _format(folder, values) if "{" in folder else folder
        prefix = f"{directory}/" if directory else ""
        if "{read}" not in text and "{lane}" not in text:
            return [(prefix + name.format(**values), file_type, directory, sample_id)]
        out = []
        for lane in lanes:
            for read in reads if "{read}" in text else [""]:
                kind = f"{file_type}_{read.lower()}" if read else file_type
                out.append((prefix + name.format(**values, lane=lane, read=read), kind, directory, sample_id))
        return out

    def _fits_any(self, texts: list[str], paths: Iterable[str]) -> bool:
        patterns = [p for p in self._patterns if p.text in texts]
        return any(p.regex.match(path) for path in paths for p in patterns)


@dataclass
class _Run:
    """What one run's expected files are worked out from (Profile.expected's arguments)."""

    run: str
    samples: list
    lanes: list[int]
    no_lane_splitting: bool
    on_disk: list[str]
    reads: list[str]
    analysis: str = "1"
    seen: set[str] = field(default_factory=set)

    @property
    def sheet_lanes(self) -> list[int]:
        return sorted({int(s.lane) for s in self.samples if s.lane.isdigit() and int(s.lane)})


def _alternatives(patterns: str | list[str]) -> list[str]:
    return [patterns] if isinstance(patterns, str) else list(patterns)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _format(directory: str, values: dict) -> str:
    """A folder pattern filled in; a folder part left empty by its value is not there."""
    return "/".join(part for part in directory.format(**values).split("/") if part) if directory else ""


def _folder_prefix(directory: str, prefix: str) -> bool:
    """True if the folder pattern (ending in /) starts with the literal folder prefix, a placeholder
    part standing for any one folder (or none, if it may be empty)."""
    want = prefix.strip("/").split("/")
    have = directory.strip("/").split("/")

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return True
        if j == len(have):
            return False
        part = have[j]
        fields = _fields(part)
        if fields & MAY_BE_EMPTY and part.startswith("{") and part.endswith("}") and match(i, j + 1):
            return True
        if fields:
            return match(i + 1, j + 1)
        return part == want[i] and match(i + 1, j + 1)

    return match(0, 0)


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


def _lanes_on_disk(pattern: str, values: dict, paths: Iterable[str]) -> list[str]:
    """The lanes of the files on disk that match pattern for these values (never lane 0)."""
    directory, _, name = pattern.rpartition("/")
    folder = _format(directory, values)
    rx = [re.escape(folder + "/") if folder else ""]
    for literal, field_name, _, _ in string.Formatter().parse(name):
        rx.append(re.escape(literal))
        if field_name == "lane":
            rx.append(r"(\d+)")
        elif field_name == "read":
            rx.append(r"[RI]\d+")
        elif field_name is not None:
            rx.append(re.escape(str(values[field_name])) if field_name in values else r"[^/]+?")
    regex = re.compile("".join(rx) + r"\Z")
    return [m.group(1) for p in paths if (m := regex.match(p)) and m.group(1).strip("0")]
