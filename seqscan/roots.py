"""The scan roots: each a folder where runs land, the layout profile its runs are read with, an
optional sentinel file, a short name for pages and the command line, and the RQ queue its scans
run on. Made from the settings here and only here: nothing else reads ROOTS, SCAN_ROOT, LAYOUT or
ROOT_SENTINEL.

The layout is a property of the root, not of the process: a configured root is always read with
its own layout, however its path is spelt, and a folder that is not configured needs its layout
named (`flask scan --root PATH --layout NAME`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from flask import current_app, g

from seqscan.layout import Profile, load_profile

# The one-root shorthand's settings: refused beside [[roots]], where each root has its own.
SHORTHAND = ("SCAN_ROOT", "ROOT_SENTINEL")


class UnknownRoot(ValueError):
    """A folder that is not a configured root, scanned without a layout; the message says what to do."""


@dataclass(frozen=True)
class Root:
    path: str  # absolute, as recorded on its scans and runs
    layout: str  # a built-in profile's name or a TOML file's path
    sentinel: str | None = None  # a file that must exist in the root, or it is not mounted
    name: str = ""  # short, for pages
    queue: str = ""  # the RQ queue its scans run on, one worker each (its scans never overlap)

    @cached_property
    def profile(self) -> Profile:
        return load_profile(self.layout)

    def holds(self, path: str) -> bool:
        """Whether path names this root, spelt as it may be (a symlink, a trailing slash, "..")."""
        return os.path.realpath(path) == os.path.realpath(self.path)


def configured(config: Mapping | None = None) -> list[Root]:
    """The roots the settings configure: the [[roots]] tables, else SCAN_ROOT read with LAYOUT."""
    config = _config(config)
    queue = config["SCAN_QUEUE"]
    if config["ROOTS"]:
        return [
            Root(r["path"], r.get("layout", config["LAYOUT"]), r.get("sentinel"), r["name"], r.get("queue", queue))
            for r in config["ROOTS"]
        ]
    if not config["SCAN_ROOT"]:
        return []
    path = os.path.abspath(os.path.expanduser(config["SCAN_ROOT"]))
    return [Root(path, config["LAYOUT"], config["ROOT_SENTINEL"] or None, _short(path), queue)]


def tables_given(config: Mapping | None = None) -> bool:
    """Whether the roots are [[roots]] tables (not the SCAN_ROOT shorthand)."""
    return bool(_config(config)["ROOTS"])


def conflict(config: Mapping) -> str | None:
    """Why the root settings cannot be read as one list of roots, or None."""
    if config["ROOTS"] and config["SCAN_ROOT"]:
        return (
            "both [[roots]] (ROOTS) and SCAN_ROOT are set: SCAN_ROOT is the one-root shorthand; "
            "list that root among the [[roots]] instead"
        )
    if config["ROOTS"] and config["ROOT_SENTINEL"]:
        return "ROOT_SENTINEL is set beside [[roots]] (ROOTS): give each root its own sentinel instead"
    return None


def named(name: str, config: Mapping | None = None) -> Root | None:
    """The configured root of that name."""
    return next((root for root in configured(config) if root.name == name), None)


def queues(config: Mapping | None = None) -> list[str]:
    """The queues the roots' scans run on, each once, in the roots' order (the default queue when no
    root is configured); each needs its worker."""
    found = [root.queue for root in configured(config)] or [_config(config)["SCAN_QUEUE"]]
    return list(dict.fromkeys(found))


def _short(path: str) -> str:
    return os.path.basename(path) or path


def find(path: str, layout: str | None = None, fallback: str | None = None, config: Mapping | None = None) -> Root:
    """The root for a name or folder given on the command line: a configured root (with its own
    layout), or the folder read with the layout named (else with fallback: the layout of the scan
    re-used). UnknownRoot when neither applies."""
    roots = configured(config)
    for root in roots:
        if root.name == path or root.holds(path):
            if layout and load_profile(layout).name != root.profile.name:
                raise UnknownRoot(
                    f"{root.path} is a configured root read with layout {root.layout}; "
                    f"--layout {layout} would judge its runs by another layout"
                )
            return root
    path, layout = os.path.abspath(path), layout or fallback
    if not layout:
        known = ", ".join(f"{r.name} ({r.path})" for r in roots) or "none"
        raise UnknownRoot(
            f"{path} is not a configured root (configured: {known}): pass --layout NAME to say how its runs are laid out"
        )
    load_profile(layout)  # a ProfileError names the layouts there are
    return Root(path, layout, None, _short(path), _config(config)["SCAN_QUEUE"])


def of_scan(root_path: str, layout: str, config: Mapping | None = None) -> Root:
    """The root a recorded scan reads: the configured one at its path, else the layout it was started
    with (a `flask scan --root PATH --layout NAME` scan)."""
    for root in configured(config):
        if root.path == root_path:
            return root
    return Root(root_path, layout, None, _short(root_path), _config(config)["SCAN_QUEUE"])


def name_of(root_path: str) -> str:
    """The short name pages show for a recorded root path (its folder's name if no longer configured).
    Asked once per row of an export: the names are worked out once per request or command (flask.g)."""
    names = g.get("root_names")
    if names is None:
        names = g.root_names = {root.path: root.name for root in configured()}
    return names.get(root_path) or _short(root_path)


def _config(config: Mapping | None) -> Mapping:
    return current_app.config if config is None else config
