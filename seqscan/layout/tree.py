"""Run folders written as a layout profile says they should be: the demo tree and the tests' runs.

Built from the profile, so that a new file type is one line in a profile, not an edit here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from seqscan.layout.profile import Expected, Profile


class TreeSample(NamedTuple):
    """A sample as a sheet row gives it to the layout (the same shape as a recorded Sample)."""

    sample_id: str
    name: str
    number: int
    lane: str = ""


def expected_paths(
    profile: Profile, run_name: str, samples: Iterable[str], lanes: Iterable[int] = ()
) -> dict[str, Expected]:
    """Every file a run with these samples (ids, in sheet order) should hold under the profile, by path."""
    rows = [TreeSample(s, s, n) for n, s in enumerate(samples, 1)]
    return profile.expected(run_name, rows, lanes=list(lanes))


def write_files(run_dir: Path, files: Mapping[str, str | bytes]) -> None:
    """Write each file (path relative to run_dir: content), making its folders."""
    for rel, content in files.items():
        path = run_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def marker_path(profile: Profile, marker: str = "RTAComplete.txt") -> str:
    """Where the instrument's completion marker goes: the profile's last metadata folder."""
    folder = profile.metadata_dirs[-1] if profile.metadata_dirs else ""
    return f"{folder}/{marker}" if folder else marker
