"""Every state name seqscan uses, in one place."""

from enum import StrEnum


class ScanState(StrEnum):
    CREATED = "Created"
    SCANNING_FILES = "Scanning Files"
    CREATE_MODELS = "Create Models"
    SCRIPTS_AND_JOBS = "Scripts and Jobs"
    FINISHED = "Finished"
    ERROR = "Error"

    @property
    def is_active(self) -> bool:
        return self not in (ScanState.FINISHED, ScanState.ERROR)


class DataState(StrEnum):
    COMPLETE = "Complete"
    NON_EXISTENT = "Non-existent"
    DELETED = "Deleted"
    SKIPPED = "Skipped"
    ERROR = "Error"
    UNEXPECTED = "Unexpected"


# States meaning "the file is on disk right now".
PRESENT_STATES = frozenset({DataState.COMPLETE, DataState.UNEXPECTED, DataState.ERROR})
# States shown on the missing-data views.
MISSING_STATES = frozenset({DataState.NON_EXISTENT, DataState.DELETED, DataState.ERROR})


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    COMMAND_LINE = "command line"


class Role(StrEnum):
    VIEWER = "viewer"  # sees every page
    OPERATOR = "operator"  # may also start scans
