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


class DataState(StrEnum):
    COMPLETE = "Complete"
    NON_EXISTENT = "Non-existent"
    DELETED = "Deleted"
    SKIPPED = "Skipped"
    ERROR = "Error"
    UNEXPECTED = "Unexpected"


# States meaning "the file is on disk right now".
PRESENT_STATES = frozenset({DataState.COMPLETE, DataState.UNEXPECTED, DataState.ERROR})
# An expected file in one of these states is counted missing: not on disk, never found or gone
# since. A run's missing_count (and the scan's files_missing, their sum) count these.
COUNTED_AS_MISSING = frozenset({DataState.NON_EXISTENT, DataState.DELETED})
# States shown on the missing-data views: wider, Error files too.
MISSING_STATES = frozenset({DataState.NON_EXISTENT, DataState.DELETED, DataState.ERROR})


class RunVerdict(StrEnum):
    """What a run's files say, in order of precedence (SequencingRun.verdict)."""

    DELETED = "deleted"  # its folder is gone
    SKIPPED = "skipped"  # a skip marker in its folder or its kit folder
    ERROR = "error"  # its sheet cannot be read, or a file is Error
    INCOMPLETE = "incomplete"  # expected files missing or deleted
    COMPLETE = "complete"  # every expected file present


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    COMMAND_LINE = "command line"


class Role(StrEnum):
    VIEWER = "viewer"  # sees every page
    OPERATOR = "operator"  # may also start scans
