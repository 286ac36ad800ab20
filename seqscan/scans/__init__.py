"""The one owner of a scan record: its life (life.py), the questions asked of scans (queries.py),
its folder of lists and log (files.py).

`from seqscan import scans; scans.fail(...)` is how the rest of seqscan calls it: every public
name of the package's modules is re-exported here. A new module of the package (what the scanner
reports: report.py) adds its names below; nothing imports the
modules themselves but this package.
"""

from seqscan.scans.files import folder, log_tail
from seqscan.scans.life import (
    ScanRefused,
    advance,
    cancel,
    create,
    fail,
    fail_dead,
    finish,
    keep_log,
    one_line,
    record_action,
    record_task,
)
from seqscan.scans.queries import (
    LIST_LIMIT,
    actions,
    all_running,
    all_waiting,
    changes,
    last_success,
    new_runs,
    newest_after,
    previous_finished,
    queued_again,
    running,
    stopped_before_recording,
    time_left,
    waiting,
    warnings,
)
from seqscan.scans.report import (
    accept_deletions,
    add_warning,
    record_current_run,
    record_deleted_runs,
    record_run_reparsed,
    record_runs_found,
    record_totals,
    record_unchanged_runs,
    record_walk,
)

__all__ = [
    "accept_deletions",
    "add_warning",
    "record_current_run",
    "record_deleted_runs",
    "record_run_reparsed",
    "record_runs_found",
    "record_totals",
    "record_unchanged_runs",
    "record_walk",
    "LIST_LIMIT",
    "actions",
    "ScanRefused",
    "advance",
    "all_waiting",
    "cancel",
    "changes",
    "create",
    "fail",
    "fail_dead",
    "finish",
    "folder",
    "keep_log",
    "last_success",
    "log_tail",
    "one_line",
    "new_runs",
    "newest_after",
    "previous_finished",
    "queued_again",
    "stopped_before_recording",
    "record_action",
    "record_task",
    "all_running",
    "running",
    "time_left",
    "waiting",
    "warnings",
]
