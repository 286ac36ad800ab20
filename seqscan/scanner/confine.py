"""Whether a path lies below one of the configured roots (the scan root, SEQSCAN_SYMLINK_ROOTS)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def below(path: str, folders: Iterable[str]) -> bool:
    """True if path (already normalised or resolved, like folders) is in one of folders, at any depth."""
    return any(path.startswith(folder.rstrip("/") + "/") for folder in folders)


def inside(path: str, roots: Iterable[str]) -> bool:
    """True if path is below one of roots both resolved (no symlink leads out) and normalised (no
    ".." climbs out, whatever the folders it climbs through are or will be)."""
    roots = list(roots)
    return below(os.path.normpath(os.path.abspath(path)), map(os.path.normpath, roots)) and below(
        os.path.realpath(path), map(os.path.realpath, roots)
    )
