"""`flask demo-tree`: a generated run tree to try seqscan on."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from seqscan.demo import make_demo_tree


@click.command("demo-tree")
@with_appcontext
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--runs", default=12, show_default=True)
@click.option("--samples", default=8, show_default=True)
@click.option("--bcl-cycles", default=20, show_default=True, help="Cycles in each run's BCL-like Data/ tree.")
@click.option("--bcl-tiles", default=2, show_default=True, help="Tiles per lane and cycle (4 lanes).")
def demo_tree_command(path: str, runs: int, samples: int, bcl_cycles: int, bcl_tiles: int) -> None:
    """Write a demo run tree (tau layout, some files missing, one skipped run)."""
    made = make_demo_tree(Path(path), runs=runs, samples=samples, bcl_cycles=bcl_cycles, bcl_tiles=bcl_tiles)
    click.echo(f"wrote {len(made)} runs under {path}")


COMMANDS = (demo_tree_command,)
