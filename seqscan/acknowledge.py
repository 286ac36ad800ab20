"""Operators acknowledge missing data with a reason: a whole incomplete run, or one missing file.

An acknowledged run's verdict is "acknowledged" (CALM: off the needs-attention list; its files
raise no alert unless they change). Acknowledging the last unacknowledged missing file of a run
acknowledges the run. A scan that changes any of the run's files' states re-opens both
(seqscan.scanner.store.reopen): what was acknowledged is not what is there now.
"""

from __future__ import annotations

from sqlalchemy import func, select

from seqscan import scans
from seqscan.enums import MISSING_STATES, RunVerdict
from seqscan.extensions import db
from seqscan.models import OperatorAction, SequencingFile, SequencingRun

MAX_REASON = 500


class NotAcknowledged(ValueError):
    """The acknowledgement was refused; the message says why."""


def _reason(reason: str) -> str:
    reason = scans.one_line(reason)
    if not reason:
        raise NotAcknowledged("say why (the reason is kept with the acknowledgement)")
    if len(reason) > MAX_REASON:
        raise NotAcknowledged(f"the reason is {len(reason)} characters long; {MAX_REASON} at most")
    return reason


def acknowledge_run(run: SequencingRun, who: str, reason: str) -> OperatorAction:
    """Acknowledge that run is incomplete, with why; NotAcknowledged unless its verdict is incomplete."""
    reason = _reason(reason)
    if run.verdict != RunVerdict.INCOMPLETE:
        raise NotAcknowledged(f"{run.name} is {run.verdict_text.lower()}, not incomplete")
    done = scans.record_action(
        who, f"acknowledged {run.name} as incomplete ({run.missing_count} missing)", reason=reason, run_pk=run.id
    )
    run.acknowledgement = done
    db.session.commit()
    return done


def acknowledge_file(file: SequencingFile, who: str, reason: str) -> OperatorAction:
    """Acknowledge that file is missing, with why; its run too once none of its missing files is left
    unacknowledged. NotAcknowledged unless the file is missing (Non-existent or Deleted)."""
    reason = _reason(reason)
    if file.data_state not in MISSING_STATES or not file.expected:
        raise NotAcknowledged(f"{file.path} is {file.data_state}, not missing")
    if file.acknowledged_action_id is not None:
        raise NotAcknowledged(f"{file.path} is acknowledged already")
    run = file.run
    done = scans.record_action(
        who, f"acknowledged {run.name}: {file.path} as missing ({file.data_state})", reason=reason, run_pk=run.id
    )
    file.acknowledgement = done
    left = db.session.scalar(  # counted after the flush the query makes: this file is acknowledged
        select(func.count()).where(
            SequencingFile.run_pk == run.id,
            SequencingFile.expected,
            SequencingFile.data_state.in_(MISSING_STATES),
            SequencingFile.acknowledged_action_id.is_(None),
        )
    )
    if left == 0 and run.verdict == RunVerdict.INCOMPLETE:
        run.acknowledgement = done
    db.session.commit()
    return done


def actions_on(run: SequencingRun) -> list[OperatorAction]:
    """The operator actions on a run, newest first (its page's history)."""
    query = select(OperatorAction).where(OperatorAction.run_pk == run.id).order_by(OperatorAction.id.desc())
    return list(db.session.scalars(query))
