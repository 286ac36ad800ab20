"""The corpus (tests/corpus/): real run folders' RunInfo.xml, RunParameters.xml and sample sheets
from other projects' test suites, with FASTQs written where and as each converter writes them
(tests/corpus/build.py). A scan must get every run right: every FASTQ Complete, nothing missing,
nothing Unexpected, and the verdict, sequencer model and run date that tests/corpus/expected.toml
gives by hand."""

from __future__ import annotations

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
        totals = dict(runs=len(built), right=0, fastqs=0, complete=0, false_missing=0, unexpected=0)
        for b in built:
            run, files = runs.get(b.name), states.get(b.name, {})
            complete = [p for p in b.fastqs if files.get(p) == DataState.COMPLETE]
            missing = [p for p, s in files.items() if s in MISSING_STATES]
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
            if len(complete) < len(b.fastqs):
                problems.append(f"{len(b.fastqs) - len(complete)} of {len(b.fastqs)} FASTQs not Complete")
            if missing:
                problems.append(f"{len(missing)} missing, e.g. {missing[0]}")
            if unexpected:
                problems.append(f"{len(unexpected)} Unexpected, e.g. {unexpected[0]}")
            totals["fastqs"] += len(b.fastqs)
            totals["complete"] += len(complete)
            totals["false_missing"] += len(missing)
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
        f"Unexpected {totals['unexpected']}"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"corpus-{converter}.txt").write_text(line + "\n" + "".join(f"{w}\n" for w in wrong))
    print(line)
    assert not wrong, "\n".join([line, *wrong])
