"""A scan records why it ended (end_reason), as a value; old scans get theirs from their error text.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:50:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

REASONS = (
    "finished", "failed", "refused", "root_unreadable", "too_many_vanished", "disk_full", "lost_lock",
    "interrupted", "never_started", "not_queued", "shut_down", "killed", "database_lost", "database_away",
)  # fmt: skip

# The one place the error text is read to learn why a scan ended: the scans recorded before the
# column existed, once. Patterns as the releases before this one wrote them, most specific first;
# an Error none matches (a traceback, a message not foreseen) was a failure.
BACKFILL = [
    ("database_lost", "stopped: the database connection was lost%"),
    ("database_away", "stopped: the database was unreachable for%"),
    ("shut_down", "stopped: the worker was shut down%"),
    ("killed", "stopped: %"),
    ("lost_lock", "scan % stopped: it lost the scan lock%"),
    ("refused", "refused: %"),
    ("refused", "% is running (%); only one scan runs at a time"),
    ("refused", "another scan is running; only one scan runs at a time"),
    ("refused", "no scan % to re-use"),
    ("refused", "scan % cannot be re-used: %"),
    ("refused", "scan % scanned %: its lists do not apply"),
    ("refused", "scan % has no complete found-file lists to re-use%"),
    ("interrupted", "interrupted during %"),
    ("never_started", "never started: %"),
    ("not_queued", "could not be queued: %"),
    ("disk_full", "the database's disk is full%"),
    ("root_unreadable", "%: root not mounted?"),
    ("root_unreadable", "the scan root went away during %"),
    ("root_unreadable", "scan root % cannot be read: %"),
    ("too_many_vanished", "% known runs are gone from % is the disk mounted?%"),
    ("too_many_vanished", "% are gone at once%is the disk mounted?%"),
]


def upgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("end_reason", sa.Enum(*REASONS, name="endreason", native_enum=False, length=32), nullable=True)
        )
    scan_run = sa.table("scan_run", sa.column("state", sa.String), sa.column("error", sa.Text),
                        sa.column("end_reason", sa.String))  # fmt: skip
    unset = scan_run.c.end_reason.is_(None)
    op.execute(scan_run.update().where(scan_run.c.state == "Finished").values(end_reason="finished"))
    in_error = [unset, scan_run.c.state == "Error"]
    for reason, pattern in BACKFILL:
        op.execute(scan_run.update().where(*in_error, scan_run.c.error.like(pattern)).values(end_reason=reason))
    op.execute(scan_run.update().where(*in_error).values(end_reason="failed"))


def downgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.drop_column("end_reason")
