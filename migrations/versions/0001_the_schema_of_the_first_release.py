"""The schema of the first release (the one before migrations): a database made by it is stamped
at this revision by `flask init-db`, then upgraded.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 06:43:36.362037

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scan_lock",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("heartbeat_at", seqscan.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # The lock's one row exists from the start: taking the lock is a single conditional UPDATE.
    op.execute("INSERT INTO scan_lock (name, holder) VALUES ('scan', '')")
    op.create_table(
        "scan_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "Created",
                "Scanning Files",
                "Create Models",
                "Scripts and Jobs",
                "Finished",
                "Error",
                name="scanstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "trigger",
            sa.Enum("manual", "scheduled", "command line", name="trigger", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("layout", sa.String(length=200), nullable=False),
        sa.Column("reused_scan_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("created", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("scan_start", seqscan.models.UTCDateTime(), nullable=True),
        sa.Column("create_models_start", seqscan.models.UTCDateTime(), nullable=True),
        sa.Column("scripts_and_jobs_start", seqscan.models.UTCDateTime(), nullable=True),
        sa.Column("finished", seqscan.models.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("runs_count", sa.Integer(), nullable=False),
        sa.Column("files_found", sa.Integer(), nullable=False),
        sa.Column("files_missing", sa.Integer(), nullable=False),
        sa.Column("files_new", sa.Integer(), nullable=False),
        sa.Column("files_deleted", sa.Integer(), nullable=False),
        sa.Column("warnings_count", sa.Integer(), nullable=False),
        sa.Column("dirs_walked", sa.Integer(), nullable=False),
        sa.Column("files_seen", sa.Integer(), nullable=False),
        sa.Column("runs_total", sa.Integer(), nullable=False),
        sa.Column("runs_done", sa.Integer(), nullable=False),
        sa.Column("runs_reparsed", sa.Integer(), nullable=False),
        sa.Column("log", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reused_scan_id"],
            ["scan_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_run_state"), ["state"], unique=False)

    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.Enum("viewer", "operator", name="role", native_enum=False, length=16), nullable=False),
        sa.Column("api_token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created", seqscan.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_api_token_sha256"), ["api_token_sha256"], unique=False)

    op.create_table(
        "scan_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("run_name", sa.String(length=255), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["scan_id"], ["scan_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("scan_warning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scan_warning_scan_id"), ["scan_id"], unique=False)

    op.create_table(
        "sequencing_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kit", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.String(length=255), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("instrument", sa.String(length=64), nullable=False),
        sa.Column("run_number", sa.Integer(), nullable=True),
        sa.Column("flowcell", sa.String(length=64), nullable=False),
        sa.Column("experiment", sa.String(length=255), nullable=False),
        sa.Column("sequencer_model", sa.String(length=64), nullable=False),
        sa.Column(
            "data_state",
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
            nullable=False,
        ),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("first_seen_scan_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_scan_id", sa.Integer(), nullable=True),
        sa.Column("expected_count", sa.Integer(), nullable=False),
        sa.Column("complete_count", sa.Integer(), nullable=False),
        sa.Column("missing_count", sa.Integer(), nullable=False),
        sa.Column("unexpected_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_seen_scan_id"],
            ["scan_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_scan_id"],
            ["scan_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sequencing_run_kit"), ["kit"], unique=False)

    op.create_table(
        "sample_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("experiment", sa.String(length=255), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("first_seen_scan_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_seen_scan_id"],
            ["scan_run.id"],
        ),
        sa.ForeignKeyConstraint(["run_pk"], ["sequencing_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_pk", "sha256"),
    )
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_sheet_run_pk"), ["run_pk"], unique=False)

    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_pk", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project", sa.String(length=255), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.Column("index", sa.String(length=64), nullable=False),
        sa.Column("index2", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sheet_pk"], ["sample_sheet.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_sheet_pk"), ["sheet_pk"], unique=False)

    op.create_table(
        "sequencing_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("sample_pk", sa.Integer(), nullable=True),
        sa.Column("file_type", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column(
            "data_state",
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
            nullable=False,
        ),
        sa.Column("expected", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("mtime", seqscan.models.UTCDateTime(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen_scan_id", sa.Integer(), nullable=True),
        sa.Column("last_seen_scan_id", sa.Integer(), nullable=True),
        sa.Column("state_changed_scan_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_seen_scan_id"],
            ["scan_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_scan_id"],
            ["scan_run.id"],
        ),
        sa.ForeignKeyConstraint(["run_pk"], ["sequencing_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sample_pk"], ["sample.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["state_changed_scan_id"],
            ["scan_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_pk", "path"),
    )
    with op.batch_alter_table("sequencing_file", schema=None) as batch_op:
        batch_op.create_index("ix_sequencing_file_first_seen", ["first_seen_scan_id"], unique=False)
        batch_op.create_index("ix_sequencing_file_state", ["data_state", "run_pk"], unique=False)
        batch_op.create_index("ix_sequencing_file_state_changed", ["state_changed_scan_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sequencing_file", schema=None) as batch_op:
        batch_op.drop_index("ix_sequencing_file_state_changed")
        batch_op.drop_index("ix_sequencing_file_state")
        batch_op.drop_index("ix_sequencing_file_first_seen")

    op.drop_table("sequencing_file")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_sheet_pk"))

    op.drop_table("sample")
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_sheet_run_pk"))

    op.drop_table("sample_sheet")
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sequencing_run_kit"))

    op.drop_table("sequencing_run")
    with op.batch_alter_table("scan_warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_warning_scan_id"))

    op.drop_table("scan_warning")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_api_token_sha256"))

    op.drop_table("user")
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scan_run_state"))

    op.drop_table("scan_run")
    op.drop_table("scan_lock")
