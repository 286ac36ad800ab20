"""Every state name seqscan uses, in one place; the database stores their values."""

from enum import StrEnum
from typing import NamedTuple


class ScanState(StrEnum):
    CREATED = "Created"
    SCANNING_FILES = "Scanning Files"
    CREATE_MODELS = "Create Models"
    SCRIPTS_AND_JOBS = "Scripts and Jobs"
    FINISHED = "Finished"
    ERROR = "Error"

    @property
    def is_active(self) -> bool:
        """Waiting or working: not ended."""
        return self not in ENDED

    @property
    def is_working(self) -> bool:
        """In one of the PHASES: a live scan holds the scan lock."""
        return self in WORKING


class Phase(NamedTuple):
    state: ScanState
    start_column: str  # the ScanRun column holding when the phase started


# The working phases of a scan, in order. They drive ScanRun's phase columns (ScanRun.phases),
# the order scans.advance allows, and the columns of the scans page.
PHASES = (
    Phase(ScanState.SCANNING_FILES, "scan_start"),
    Phase(ScanState.CREATE_MODELS, "create_models_start"),
    Phase(ScanState.SCRIPTS_AND_JOBS, "scripts_and_jobs_start"),
)
WORKING = frozenset(p.state for p in PHASES)
ENDED = frozenset({ScanState.FINISHED, ScanState.ERROR})


class EndReason(StrEnum):
    """Why a scan ended, one value for each place a scan ends (its error says the details)."""

    FINISHED = "finished"
    FAILED = "failed"  # an exception nothing foresaw: the error is its traceback
    REFUSED = "refused"  # could not start: another scan runs, scanning is off, a re-use does not apply
    ROOT_UNREADABLE = "root_unreadable"  # the root cannot be listed, its sentinel is missing, it went away
    TOO_MANY_VANISHED = "too_many_vanished"  # the mass-deletion guard: more likely a lost mount
    DISK_FULL = "disk_full"  # the database's disk is full
    LOST_LOCK = "lost_lock"  # another scan took the scan lock of this silent one
    INTERRUPTED = "interrupted"  # its process died (the dead-scan check found no live lock)
    NEVER_STARTED = "never_started"  # its queue job is gone, failed, or held by a stopped worker
    NOT_QUEUED = "not_queued"  # the queue (Redis) could not take its job
    CANCELLED = "cancelled"  # an operator cancelled it while it waited (the error says who and why)
    # Stopped rather than failed: the worker queues these again (see is_stop).
    SHUT_DOWN = "shut_down"  # the worker was asked to shut down
    KILLED = "killed"  # stopped at once: a second SIGTERM, Ctrl-C
    DATABASE_LOST = "database_lost"  # its database connection was cut
    DATABASE_AWAY = "database_away"  # the database was unreachable for a while

    @property
    def is_stop(self) -> bool:
        """Stopped, not failed: queued again by the worker, and no alert."""
        return self in STOPS

    @property
    def lost_database(self) -> bool:
        return self in (EndReason.DATABASE_LOST, EndReason.DATABASE_AWAY)

    def says(self, detail: str) -> str:
        """The scan's error as the pages, the CLI and the alerts show it: how this end begins, then detail."""
        return SAYS.get(self, "") + detail


STOPS = frozenset({EndReason.SHUT_DOWN, EndReason.KILLED, EndReason.DATABASE_LOST, EndReason.DATABASE_AWAY})
# How each end's error begins; the others' detail says it all (a traceback, the guard's message).
SAYS = {
    EndReason.REFUSED: "refused: ",
    EndReason.INTERRUPTED: "interrupted ",
    EndReason.NEVER_STARTED: "never started: ",
    EndReason.NOT_QUEUED: "could not be queued: ",
    EndReason.DISK_FULL: "the database's disk is full: ",
    EndReason.CANCELLED: "cancelled ",
} | dict.fromkeys(STOPS, "stopped: ")


class DataState(StrEnum):
    COMPLETE = "Complete"
    NON_EXISTENT = "Non-existent"
    DELETED = "Deleted"
    SKIPPED = "Skipped"
    ERROR = "Error"
    UNEXPECTED = "Unexpected"


# States meaning "the file is on disk right now".
PRESENT_STATES = frozenset({DataState.COMPLETE, DataState.UNEXPECTED, DataState.ERROR})
# An expected file counts as missing in these states: in a run's missing_count, the scan's
# root_files_missing, the metrics and the home page.
MISSING_STATES = frozenset({DataState.NON_EXISTENT, DataState.DELETED})
# A file needs attention when it is missing or on disk in Error: the Missing data page, `flask runs
# files --missing` and the digest alert list these.
ATTENTION_STATES = MISSING_STATES | {DataState.ERROR}


class RunVerdict(StrEnum):
    """What a run's files say, in order of precedence (SequencingRun.verdict)."""

    MOVED = "moved"  # its folder is gone from here and was found elsewhere (the run that links to it)
    DELETED = "deleted"  # its folder is gone
    SKIPPED = "skipped"  # a skip marker in its folder or its kit folder
    SEQUENCING = "sequencing"  # RunInfo.xml but no completion marker yet: not judged
    RUN_FAILED = "run failed"  # RunCompletionStatus.xml says the run failed or was stopped
    ERROR = "error"  # its sheet cannot be read, or a file is Error
    NO_SHEET = "no sample sheet"  # no sheet, ever: only the run's own files can be expected
    ACKNOWLEDGED = "acknowledged"  # incomplete, and an operator said why (until its files change)
    INCOMPLETE = "incomplete"  # expected files missing or deleted
    COMPLETE = "complete"  # every expected file present


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    COMMAND_LINE = "command line"


class Role(StrEnum):
    VIEWER = "viewer"  # sees every page
    OPERATOR = "operator"  # may also start and cancel scans, accept vanished runs, acknowledge missing data
