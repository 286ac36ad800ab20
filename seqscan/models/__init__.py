"""Database models: scans, sequencing runs, sample sheets, samples, files, warnings, users, alerts.

One module per kind of record; every name is re-exported here, so `from seqscan.models import X`
is the one way to import them."""

from seqscan.models.alert import Alert
from seqscan.models.columns import UTCDateTime, str_enum, utcnow
from seqscan.models.run import (
    FileEvent,
    RunMove,
    Sample,
    SampleSheet,
    SequencingFile,
    SequencingRun,
    missing_files,
    runs_matching,
    seen_in_scan,
)
from seqscan.models.scan import OperatorAction, ScanLock, ScanRun, ScanWarning
from seqscan.models.user import User
from seqscan.models.verdict import verdict_of, verdict_sql

__all__ = [
    "Alert",
    "FileEvent",
    "OperatorAction",
    "RunMove",
    "Sample",
    "SampleSheet",
    "ScanLock",
    "ScanRun",
    "ScanWarning",
    "SequencingFile",
    "SequencingRun",
    "UTCDateTime",
    "User",
    "missing_files",
    "runs_matching",
    "seen_in_scan",
    "str_enum",
    "utcnow",
    "verdict_of",
    "verdict_sql",
]
