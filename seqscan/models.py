"""Database models: scans, sequencing runs, sample sheets, samples, files, warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import DDL, BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

from seqscan.enums import PHASES, PRESENT_STATES, DataState, Role, RunVerdict, ScanState, Trigger
from seqscan.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """UTC-aware datetimes. PostgreSQL: a timestamp column holding UTC. SQLite: fixed-width ISO text
    (sorts chronologically), formatted in C because bulk inserts bind tens of thousands of them."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(String(26) if dialect.name == "sqlite" else DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        value = value.replace(tzinfo=None)
        return value.isoformat(" ", "microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def str_enum(enum: type[StrEnum], length: int = 32) -> Enum:
    """A column holding an enum's values as plain strings (no database enum type): read back, it is the enum."""
    return Enum(enum, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class ScanRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Written only by seqscan.scans, the one owner of a scan record's life.
    state: Mapped[ScanState] = mapped_column(str_enum(ScanState), default=ScanState.CREATED, index=True)
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger), default=Trigger.COMMAND_LINE)
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    root: Mapped[str] = mapped_column(Text)
    layout: Mapped[str] = mapped_column(String(200), default="")
    reused_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    task_id: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scan_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    create_models_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scripts_and_jobs_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it ended in Error (one line, or a traceback whose last line says it); empty when Finished.
    error: Mapped[str] = mapped_column(Text, default="")
    runs_count: Mapped[int] = mapped_column(default=0)
    files_found: Mapped[int] = mapped_column(default=0)
    files_missing: Mapped[int] = mapped_column(default=0)
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
    def duration(self) -> timedelta | None:
        start = self.scan_start or self.create_models_start
        return self.finished - start if self.finished and start else None


def verdict_of(data_state: DataState, skipped: bool, error_count: int, missing_count: int) -> RunVerdict:
    """A run's verdict: deleted, skipped, error, incomplete or complete, the first that applies."""
    if data_state == DataState.DELETED:
        return RunVerdict.DELETED
    if skipped or data_state == DataState.SKIPPED:
        return RunVerdict.SKIPPED
    if data_state == DataState.ERROR or error_count:
        return RunVerdict.ERROR
    return RunVerdict.INCOMPLETE if missing_count else RunVerdict.COMPLETE


class ScanLock(db.Model):
    """The one row saying which scan may run now, and when it last proved it was alive."""

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # always "scan"
    scan_id: Mapped[int | None]
    holder: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the scanning process
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The row exists from the start, so taking the lock is a single conditional UPDATE.
event.listen(ScanLock.__table__, "after_create", DDL("INSERT INTO scan_lock (name, holder) VALUES ('scan', '')"))


class ScanWarning(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_run.id", ondelete="CASCADE"), index=True)
    run_name: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text)

    scan: Mapped[ScanRun] = relationship(back_populates="warnings")


class SequencingRun(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # A run is its root plus its path; the same name under two roots is two runs.
    name: Mapped[str] = mapped_column(String(255), index=True)
    root: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)  # relative to root
    kit: Mapped[str] = mapped_column(String(255), default="", index=True)
    run_id: Mapped[str] = mapped_column(String(255), default="")
    date: Mapped[date | None]
    instrument: Mapped[str] = mapped_column(String(64), default="")
    run_number: Mapped[int | None]
    flowcell: Mapped[str] = mapped_column(String(64), default="")
    experiment: Mapped[str] = mapped_column(String(255), default="")
    sequencer_model: Mapped[str] = mapped_column(String(64), default="")
    data_state: Mapped[DataState] = mapped_column(str_enum(DataState), default=DataState.COMPLETE)
    skipped: Mapped[bool] = mapped_column(default=False)
    skip_reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # which marker, and where
    warnings: Mapped[str] = mapped_column(Text, default="")  # from the last time it was parsed
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_seen_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    last_seen_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    expected_count: Mapped[int] = mapped_column(default=0)
    complete_count: Mapped[int] = mapped_column(default=0)
    missing_count: Mapped[int] = mapped_column(default=0)
    unexpected_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0, server_default="0")  # files in Error

    sheets: Mapped[list[SampleSheet]] = relationship(
        back_populates="run", order_by="SampleSheet.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("root", "path", name="uq_sequencing_run_root_path"),)

    @property
    def verdict(self) -> RunVerdict:
        return verdict_of(self.data_state, self.skipped, self.error_count, self.missing_count)

    @property
    def verdict_text(self) -> str:
        """The verdict as the pages say it: "Incomplete: 2 missing", "Skipped: marker … in the run folder"."""
        match self.verdict:
            case RunVerdict.INCOMPLETE:
                return f"Incomplete: {self.missing_count} missing"
            case RunVerdict.SKIPPED:
                return f"Skipped: {self.skip_reason}" if self.skip_reason else "Skipped"
            case RunVerdict.ERROR if self.error_count:
                return f"Error: {self.error_count} file{'s' if self.error_count > 1 else ''} in error"
            case verdict:
                return verdict.value.capitalize()

    @property
    def current_sheet(self) -> SampleSheet | None:
        return next((s for s in self.sheets if s.is_current), None)


class SampleSheet(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("sequencing_run.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    experiment: Mapped[str] = mapped_column(String(255), default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    # [BCLConvert_Settings] NoLaneSplitting,true: its FASTQ names have no lane part.
    no_lane_splitting: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_seen_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))

    run: Mapped[SequencingRun] = relationship(back_populates="sheets")
    samples: Mapped[list[Sample]] = relationship(
        back_populates="sheet", order_by="Sample.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("run_pk", "sha256"),)


class Sample(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_pk: Mapped[int] = mapped_column(ForeignKey("sample_sheet.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    project: Mapped[str] = mapped_column(String(255), default="")
    lane: Mapped[str] = mapped_column(String(16), default="")
    index: Mapped[str] = mapped_column(String(64), default="")
    index2: Mapped[str] = mapped_column(String(64), default="")
    number: Mapped[int] = mapped_column(default=0)

    sheet: Mapped[SampleSheet] = relationship(back_populates="samples")


class SequencingFile(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("sequencing_run.id", ondelete="CASCADE"))
    sample_pk: Mapped[int | None] = mapped_column(ForeignKey("sample.id", ondelete="SET NULL"))
    file_type: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # relative to the run folder
    data_state: Mapped[DataState] = mapped_column(str_enum(DataState))
    expected: Mapped[bool] = mapped_column(default=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")
    first_seen_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    # Only rewritten when the run folder changed: a present file of an unchanged run was
    # also seen in its run's last scan (see `seen_in_scan_id`).
    last_seen_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))
    state_changed_scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"))

    run: Mapped[SequencingRun] = relationship()
    sample: Mapped[Sample | None] = relationship()

    __table_args__ = (
        UniqueConstraint("run_pk", "path"),
        Index("ix_sequencing_file_state", "data_state", "run_pk"),
        # What changed in a scan (the scan page): files first found, and files whose state changed.
        Index("ix_sequencing_file_first_seen", "first_seen_scan_id"),
        Index("ix_sequencing_file_state_changed", "state_changed_scan_id"),
    )

    first_seen_scan: Mapped[ScanRun | None] = relationship(foreign_keys=[first_seen_scan_id])

    @property
    def seen_in_scan_id(self) -> int | None:
        """The last scan that saw this file on disk."""
        return seen_in_scan(self.data_state, self.last_seen_scan_id, self.run)


def seen_in_scan(data_state: DataState, last_seen_scan_id: int | None, run: SequencingRun) -> int | None:
    """The last scan that saw a file on disk. A present file of a run that is still there was seen in
    the run's last scan: files of unchanged runs are not rewritten on every scan."""
    if data_state in PRESENT_STATES and run.data_state != DataState.DELETED:
        return run.last_seen_scan_id
    return last_seen_scan_id


class FileEvent(db.Model):
    """One change of a file record's data_state, kept forever (append-only): a scan's "what changed"
    reads these, so it stays true after later scans. A file first found Complete or Unexpected has
    no event: its first_seen_scan_id, never rewritten, says when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("sequencing_run.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)  # relative to the run folder
    file_type: Mapped[str] = mapped_column(String(64))
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_run.id"), index=True)
    from_state: Mapped[DataState | None] = mapped_column(str_enum(DataState))  # None: a new record
    to_state: Mapped[DataState | None] = mapped_column(str_enum(DataState))  # None: no longer expected
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_file_event_run_path", "run_pk", "path"),)


class OperatorAction(db.Model):
    """Who did what, kept forever (append-only): scans requested, vanished runs accepted as Deleted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    who: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(Text)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scan_run.id"), index=True)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16), default=Role.VIEWER)
    # sha256 of the API token (scripts send the token itself); empty: no token.
    api_token_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the id kept in the session cookie: raising it (sign-out, a new password or role)
    # ends every session of the user, on every browser.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def end_sessions(self) -> None:
        self.session_version += 1


class Alert(db.Model):
    """An alert, recorded before it is sent: its key is unique, so each is sent once however many
    processes notice the same thing. delivered names the channels that took it; error says why
    the others did not (shown on the status page)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. "scan-error:12", "digest:12"
    subject: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    delivered: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
