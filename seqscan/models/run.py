"""A sequencing run: its sample sheets, samples and files, and the history of its files' states."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, distinct, func, or_, select
from sqlalchemy import false as sa_false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from seqscan.enums import PRESENT_STATES, DataState, RunVerdict
from seqscan.extensions import db
from seqscan.models.columns import UTCDateTime, str_enum, utcnow
from seqscan.models.scan import OperatorAction, ScanRun
from seqscan.models.verdict import verdict_of, verdict_sql

# Verdicts that need nobody: the data is all there, the run is still being written, it moved, the
# lab marked it to be skipped, or an operator acknowledged what is missing (the home page counts
# those, it does not list them).
CALM = (RunVerdict.COMPLETE, RunVerdict.SEQUENCING, RunVerdict.MOVED, RunVerdict.SKIPPED, RunVerdict.ACKNOWLEDGED)
# Verdicts of runs whose files are not counted as missing: gone, moved, skipped, or not written yet.
NOT_JUDGED = (RunVerdict.MOVED, RunVerdict.DELETED, RunVerdict.SKIPPED, RunVerdict.SEQUENCING)


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
    # Being sequenced: RunInfo.xml is there, its instrument's completion marker is not (yet).
    sequencing: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # RunCompletionStatus.xml's status ("CompletedAsPlanned" …), and whether it says the run failed.
    completion_status: Mapped[str] = mapped_column(String(64), default="", server_default="")
    run_failed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    no_sheet: Mapped[bool] = mapped_column(default=False, server_default=sa_false())  # no sample sheet, ever
    # Moved (seqscan/scanner/moves.py): this run's folder reappeared as another run record, under
    # another root or after its Deleted scan; that record links back here with moved_from_pk.
    moved_from_pk: Mapped[int | None] = mapped_column(ForeignKey("sequencing_run.id", ondelete="SET NULL"))
    moved_away: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
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
    # An operator acknowledged that it is incomplete (who, when, why); cleared when a file changes state.
    acknowledged_action_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "operator_action.id", ondelete="SET NULL", use_alter=True, name="fk_sequencing_run_acknowledged_action"
        )
    )

    acknowledgement: Mapped[OperatorAction | None] = relationship(foreign_keys=[acknowledged_action_id])
    sheets: Mapped[list[SampleSheet]] = relationship(
        back_populates="run", order_by="SampleSheet.id", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("root", "path", name="uq_sequencing_run_root_path"),)

    @hybrid_property
    def verdict(self) -> RunVerdict:
        return verdict_of(self)

    @verdict.inplace.expression
    @classmethod
    def _verdict_sql(cls):
        return verdict_sql(cls)

    @hybrid_property
    def acknowledged(self) -> bool:
        return self.acknowledged_action_id is not None

    @acknowledged.inplace.expression
    @classmethod
    def _acknowledged_sql(cls):
        return cls.acknowledged_action_id.is_not(None)

    @hybrid_property
    def needs_attention(self) -> bool:
        """Its verdict is not CALM: listed on the home page."""
        return self.verdict not in CALM

    @needs_attention.inplace.expression
    @classmethod
    def _needs_attention_sql(cls):
        return verdict_sql(cls).notin_([v.value for v in CALM])

    @property
    def verdict_text(self) -> str:
        """The verdict as the pages say it: "Incomplete: 2 missing", "Skipped: marker … in the run folder"."""
        match self.verdict:
            case RunVerdict.INCOMPLETE:
                return f"Incomplete: {self.missing_count} missing"
            case RunVerdict.ACKNOWLEDGED:
                return f"Incomplete: {self.missing_count} missing — acknowledged by {self.acknowledgement.said}"
            case RunVerdict.SKIPPED:
                return f"Skipped: {self.skip_reason}" if self.skip_reason else "Skipped"
            case RunVerdict.ERROR if self.error_count:
                return f"Error: {self.error_count} file{'s' if self.error_count > 1 else ''} in error"
            case RunVerdict.SEQUENCING:
                return f"Sequencing since {self.date}" if self.date else "Sequencing"
            case RunVerdict.RUN_FAILED:
                return f"Run failed: {self.completion_status}"
            case verdict:
                return verdict.value.capitalize()

    @property
    def current_sheet(self) -> SampleSheet | None:
        return next((s for s in self.sheets if s.is_current), None)


def missing_files(root: str | None = None) -> int:
    """Expected files missing (MISSING_STATES, counted per run as missing_count) in runs that are
    judged: deleted, skipped and still sequencing runs' files are not counted. Under root, or under every root."""
    where = [SequencingRun.verdict.notin_([v.value for v in NOT_JUDGED])]
    where += [SequencingRun.root == root] if root is not None else []
    return db.session.scalar(select(func.coalesce(func.sum(SequencingRun.missing_count), 0)).where(*where))


def runs_matching(query: str, root: str | None = None, verdict: str = ""):
    """Runs whose name, kit or instrument contains the query (any case), under root (a path) and of
    that verdict if given, newest run date first."""
    runs = select(SequencingRun).order_by(SequencingRun.date.desc().nulls_last(), SequencingRun.name)
    if root is not None:
        runs = runs.where(SequencingRun.root == root)
    if verdict:
        runs = runs.where(SequencingRun.verdict == verdict)
    if query:
        # autoescape: a typed % or _ is that character, not a LIKE wildcard.
        columns = (SequencingRun.name, SequencingRun.kit, SequencingRun.instrument)
        runs = runs.where(or_(*(column.icontains(query, autoescape=True) for column in columns)))
    return runs


class SampleSheet(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("sequencing_run.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(16))
    experiment: Mapped[str] = mapped_column(String(255), default="")
    is_current: Mapped[bool] = mapped_column(default=True)
    # [BCLConvert_Settings] NoLaneSplitting,true: its FASTQ names have no lane part.
    no_lane_splitting: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # What decides which reads get a FASTQ (seqscan/scanner/reads.py): OverrideCycles,
    # CreateFastqForIndexReads, and the non-index reads its [Reads] lists (0: it does not say).
    override_cycles: Mapped[str] = mapped_column(String(255), default="", server_default="")
    index_fastqs: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    reads: Mapped[int] = mapped_column(default=0, server_default="0")
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


# Samples in a run's current sheet: a sample on two lanes (or with two index rows) is one sample,
# not two rows. Read with the run in the same query (the runs list, the API, the CLI).
SequencingRun.sample_count = column_property(
    select(func.count(distinct(Sample.sample_id)))
    .join(SampleSheet, Sample.sheet_pk == SampleSheet.id)
    .where(SampleSheet.run_pk == SequencingRun.id, SampleSheet.is_current)
    .correlate_except(Sample, SampleSheet)
    .scalar_subquery()
)


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
    # An operator acknowledged that it is missing (who, when, why); cleared when its state changes.
    acknowledged_action_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "operator_action.id", ondelete="SET NULL", use_alter=True, name="fk_sequencing_file_acknowledged_action"
        )
    )

    run: Mapped[SequencingRun] = relationship()
    acknowledgement: Mapped[OperatorAction | None] = relationship(foreign_keys=[acknowledged_action_id])
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


class RunMove(db.Model):
    """A run folder that moved, kept forever (append-only): within a root in one scan, the run's own
    record follows it (from and to are one run); to another root or in a later scan, the new record
    (run_pk) links to the Deleted one (SequencingRun.moved_from_pk)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("sequencing_run.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scan_run.id"))
    from_root: Mapped[str] = mapped_column(Text)
    from_path: Mapped[str] = mapped_column(Text)
    to_root: Mapped[str] = mapped_column(Text)
    to_path: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
