"""Append-only history: every data_state change of a file, and every operator action.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 07:25:31.940696

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "operator_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scan_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_action_scan_id"), ["scan_id"], unique=False)

    op.create_table(
        "file_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("file_type", sa.String(length=64), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "Complete",
                "Non-existent",
                "Deleted",
                "Skipped",
                "Error",
                "Unexpected",
                name="datastate",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "Complete",
                "Non-existent",
                "Deleted",
                "Skipped",
                "Error",
                "Unexpected",
                name="datastate",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("at", seqscan.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_pk"], ["sequencing_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scan_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("file_event", schema=None) as batch_op:
        batch_op.create_index("ix_file_event_run_path", ["run_pk", "path"], unique=False)
        batch_op.create_index(batch_op.f("ix_file_event_scan_id"), ["scan_id"], unique=False)
    # The changes scans made before this history existed, as well as today's records tell them:
    # the last change of each file that is missing, deleted or in error, in the scan that made it.
    op.execute(
        "INSERT INTO file_event (run_pk, path, file_type, scan_id, from_state, to_state, at)"
        " SELECT f.run_pk, f.path, f.file_type, f.state_changed_scan_id, NULL, f.data_state,"
        " COALESCE(s.finished, s.created) FROM sequencing_file f JOIN scan_run s ON s.id = f.state_changed_scan_id"
        " WHERE f.data_state IN ('Non-existent', 'Deleted', 'Error')"
    )
    op.execute(
        "INSERT INTO operator_action (at, who, action, scan_id)"
        " SELECT created, requested_by, 'requested a scan of ' || root || ' (' || trigger || ')', id FROM scan_run"
    )


def downgrade():
    with op.batch_alter_table("file_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_event_scan_id"))
        batch_op.drop_index("ix_file_event_run_path")

    op.drop_table("file_event")
    with op.batch_alter_table("operator_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_action_scan_id"))

    op.drop_table("operator_action")
