"""A scan's record, its warnings, the scan lock, and the operators' actions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from seqscan.enums import PHASES, EndReason, ScanState, Trigger
from seqscan.extensions import db
from seqscan.models.columns import UTCDateTime, str_enum, utcnow


class ScanRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Written only by seqscan.scans, the one owner of a scan record's life.
    state: Mapped[ScanState] = mapped_column(str_enum(ScanState), default=ScanState.CREATED, index=True)
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger), default=Trigger.COMMAND_LINE)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    root: Mapped[str] = mapped_column(Text)
    layout: Mapped[str] = mapped_column(String(200), default="")
    reused_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    # An operator said the runs a mass-deletion guard refused to mark Deleted really were removed
    # (`flask scan --accept-vanished`, or the button on the refused scan's page).
    accept_vanished: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    task_id: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scan_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    create_models_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scripts_and_jobs_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended (None while it has not): what decides what follows (a retry, an alert).
    end_reason: Mapped[EndReason | None] = mapped_column(str_enum(EndReason))
    # What it says of an end in Error (one line, or a traceback whose last line says it); empty when Finished.
    error: Mapped[str] = mapped_column(Text, default="")
    runs_count: Mapped[int] = mapped_column(default=0)
    files_found: Mapped[int] = mapped_column(default=0)
    # Expected files missing under the whole root when it ended (models.missing_files), not a change
    # this scan made, unlike files_new and files_deleted beside it.
    root_files_missing: Mapped[int] = mapped_column(default=0)
    files_new: Mapped[int] = mapped_column(default=0)
    files_deleted: Mapped[int] = mapped_column(default=0)
    warnings_count: Mapped[int] = mapped_column(default=0)
    # Live progress, updated while the scan runs.
    dirs_walked: Mapped[int] = mapped_column(default=0)
    files_seen: Mapped[int] = mapped_column(default=0)
    runs_total: Mapped[int] = mapped_column(default=0)
    runs_done: Mapped[int] = mapped_column(default=0)
    current_run: Mapped[str] = mapped_column(Text, default="", server_default="")  # the run being recorded
    runs_reparsed: Mapped[int] = mapped_column(default=0)
    # The scan's own log (scan.log), kept here once the scan ends; the scan folder is pruned.
    log: Mapped[str] = mapped_column(Text, default="")

    warnings: Mapped[list[ScanWarning]] = relationship(
        back_populates="scan", order_by="ScanWarning.id", cascade="all, delete-orphan"
    )

    def phases(self) -> list[tuple[ScanState, datetime | None, timedelta | None]]:
        """(phase, start, duration) for each working phase; duration None while it runs or if skipped."""
        starts = [(p.state, getattr(self, p.start_column)) for p in PHASES]
        out = []
        for i, (phase, start) in enumerate(starts):
            later = [s for _, s in starts[i + 1 :] if s] + ([self.finished] if self.finished else [])
            out.append((phase, start, later[0] - start if start and later else None))
        return out

    @property
    def is_active(self) -> bool:
        """Waiting or working: its page keeps polling."""
        return self.state.is_active

    @property
    def error_line(self) -> str:
        """The one line shown of how an Error ended: the message, or a traceback's last line."""
        lines = self.error.strip().splitlines()
        return lines[-1] if lines else ""

    @property
    def duration(self) -> timedelta | None:
        start = self.scan_start or self.create_models_start
        return self.finished - start if self.finished and start else None


class ScanLock(db.Model):
    """A queue's row saying which scan may run on it now, and when it last proved it was alive
    (made the first time the queue is scanned: seqscan.jobs.lock)."""

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # the queue's name
    scan_id: Mapped[int | None]
    holder: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the scanning process
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScanWarning(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_run.id", ondelete="CASCADE"), index=True)
    run_name: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text)

    scan: Mapped[ScanRun] = relationship(back_populates="warnings")


class OperatorAction(db.Model):
    """Who did what, kept forever (append-only): scans requested and cancelled, vanished runs
    accepted as Deleted, missing data acknowledged; why, when the operator said."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"), index=True)
    run_pk: Mapped[int | None] = mapped_column(ForeignKey("sequencing_run.id", ondelete="SET NULL"), index=True)

    @property
    def said(self) -> str:
        """ "olga: re-sequenced elsewhere", as the verdict and the history show who and why."""
        return f"{self.who or 'someone'}: {self.reason}" if self.reason else self.who or "someone"
