"""The corpus (tests/corpus/): real run folders' RunInfo.xml, RunParameters.xml and sample sheets
from other projects' test suites, with FASTQs written where and as each converter writes them
(tests/corpus/build.py). A scan must get every run right: every FASTQ Complete, nothing Unexpected,
nothing missing but the sheet of a run that has none, and the verdict, sequencer model and run date
that tests/corpus/expected.toml gives by hand. Every FASTQ is written, so a file reported missing
(but the sheet of a run without one) is a false missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from seqscan.enums import MISSING_STATES, DataState
from seqscan.extensions import db
from seqscan.models import SequencingFile, SequencingRun
from tests.corpus.build import CONVERTERS, EXPECTED, build_run

ARTIFACTS = Path(__file__).parent / "artifacts"


def score(app, built) -> tuple[dict, list[str]]:
    """Totals of a scan of the built runs, and what was wrong with each run that was not right."""
    with app.app_context():
        runs = {r.name: r for r in db.session.scalars(select(SequencingRun))}
        states: dict[str, dict[str, str]] = {}
        for run_name, path, state in db.session.execute(
            select(SequencingRun.name, SequencingFile.path, SequencingFile.data_state).join(SequencingRun)
        ):
            states.setdefault(run_name, {})[path] = state
        wrong = []
        totals = dict(runs=len(built), right=0, fastqs=0, complete=0, false_missing=0, unexpected=0, missing=0)
        for b in built:
            run, files = runs.get(b.name), states.get(b.name, {})
            complete = [p for p in b.fastqs if files.get(p) == DataState.COMPLETE]
            missing = [p for p, s in files.items() if s in MISSING_STATES]
            # The converter wrote every FASTQ of the run: each missing file but a sheet the run never had
            # is data that is there, reported missing.
            allowed = {"SampleSheet.csv"} if b.expected["verdict"] == "no sample sheet" else set()
            false_missing = [p for p in missing if p not in allowed]
            unexpected = [p for p, s in files.items() if s == DataState.UNEXPECTED]
            problems = []
            if run is None:
                problems.append("not found as a run")
            else:
                if run.verdict != b.expected["verdict"]:
                    problems.append(f"verdict {run.verdict_text!r}, not {b.expected['verdict']!r}")
                if run.sequencer_model != b.expected["model"]:
                    problems.append(f"model {run.sequencer_model!r}, not {b.expected['model']!r}")
                if run.date != b.expected["date"]:
                    problems.append(f"date {run.date}, not {b.expected['date']}")
                if run.sample_count != b.samples:  # samples, not sheet rows
                    problems.append(f"{run.sample_count} samples, not {b.samples}")
            if len(complete) < len(b.fastqs):
                problems.append(f"{len(b.fastqs) - len(complete)} of {len(b.fastqs)} FASTQs not Complete")
            if false_missing:
                problems.append(f"{len(false_missing)} reported missing, e.g. {false_missing[0]}")
            if unexpected:
                problems.append(f"{len(unexpected)} Unexpected, e.g. {unexpected[0]}")
            totals["fastqs"] += len(b.fastqs)
            totals["complete"] += len(complete)
            totals["false_missing"] += len(false_missing)
            totals["missing"] += len(missing) - len(false_missing)
            totals["unexpected"] += len(unexpected)
            totals["right"] += not problems
            wrong += [f"{b.name}: {'; '.join(problems)}"] if problems else []
    return totals, wrong


@pytest.mark.parametrize("converter", CONVERTERS)
def test_every_corpus_run_is_right(app, root, scan, converter):
    app.config["LAYOUT"] = converter
    built = [b for i, name in enumerate(sorted(EXPECTED)) if (b := build_run(name, root / "runs", converter, i))]
    done = scan()
    assert done.state == "Finished"
    totals, wrong = score(app, built)
    line = (
        f"{converter}: runs fully right {totals['right']}/{totals['runs']}, FASTQs complete "
        f"{totals['complete']}/{totals['fastqs']}, false missing {totals['false_missing']}, "
        f"Unexpected {totals['unexpected']} (and {totals['missing']} sheets missing from runs without one)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"corpus-{converter}.txt").write_text(line + "\n" + "".join(f"{w}\n" for w in wrong))
    print(line)
    assert not wrong, "\n".join([line, *wrong])


def test_a_real_novaseq_x_run_without_its_copycomplete_is_still_sequencing(app, root, scan, get_run):
    """RTAComplete.txt is there, CopyComplete.txt and the FASTQs not yet: the run is being copied."""
    app.config["LAYOUT"] = "bclconvert"
    name = "20231108_LH00188_0028_B22F52TLT3"
    built = build_run(name, root / "runs", "bclconvert", 0)
    run_dir = root / "runs" / name
    (run_dir / "CopyComplete.txt").unlink()
    shutil.rmtree(run_dir / "Fastq")
    scan()
    run = get_run(name)
    assert run.verdict == "sequencing" and run.sequencer_model == "NovaSeq X" and not run.needs_attention
    (run_dir / "CopyComplete.txt").write_bytes(b"")
    scan()
    run = get_run(name)
    samples_fastqs = [p for p in built.fastqs if "/Undetermined_" not in p]  # those are expected once seen
    assert run.verdict == "incomplete" and run.missing_count == len(samples_fastqs) > 0
