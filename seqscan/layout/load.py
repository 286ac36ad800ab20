"""Reading layout profiles: the built-in ones by name, a lab's TOML file by path."""

from __future__ import annotations

import hashlib
import string
import tomllib
from importlib import resources
from pathlib import Path

from seqscan.layout.profile import RUN_PLACEHOLDERS, SAMPLE_PLACEHOLDERS, Profile, ProfileError

KEYS = {
    "description",
    "build",
    "callers",
    "output_dirs",
    "ignore",
    "metadata_dirs",
    "bgzf_suffixes",
    "joint_file_types",
    "sample_files",
    "run_files",
    "converter",
    "optional_files",
}


def _check_placeholders(name: str, section: dict[str, str | list[str]], allowed: set[str]) -> None:
    for file_type, patterns in section.items():
        if not isinstance(patterns, str | list) or not patterns or not all(isinstance(p, str) for p in patterns):
            raise ProfileError(f"layout {name}: {file_type}: a path, or a list of paths, is wanted")
        for pattern in [patterns] if isinstance(patterns, str) else patterns:
            _check_pattern(name, file_type, pattern, allowed)


def _check_pattern(name: str, file_type: str, pattern: str, allowed: set[str]) -> None:
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
    if unknown := set(data) - KEYS:
        raise ProfileError(
            f"layout {name}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(KEYS))}"
        )
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
        metadata_dirs=list(data.get("metadata_dirs", [""])),
        bgzf_suffixes=tuple(data.get("bgzf_suffixes", (".gz", ".bam"))),
        joint_file_types=list(data.get("joint_file_types", [])),
        converter=str(data.get("converter", "")),
        optional_files=list(data.get("optional_files", [])),
    )


def builtin_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files("seqscan.layout").joinpath("profiles").iterdir()
        if p.name.endswith(".toml")
    )


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a TOML file by path."""
    if name_or_path in builtin_names():
        text = resources.files("seqscan.layout").joinpath(f"profiles/{name_or_path}.toml").read_text()
        return parse_profile(name_or_path, text)
    path = Path(name_or_path)
    if not path.is_file():
        raise ProfileError(
            f"layout {name_or_path!r} is neither a built-in profile "
            f"({', '.join(builtin_names())}) nor a readable TOML file"
        )
    return parse_profile(path.stem, path.read_text())
