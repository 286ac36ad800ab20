"""Several roots, each scanned on its queue: the scan lock is a row per queue, made when the queue is
first scanned. A run folder that moved is one run (or a link from the new record to the old).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:10:00

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_lock", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=16), type_=sa.String(length=200))
    # The one row of the releases before: the default queue's row is made again when it is first scanned
    # (the upgrade is done with the worker stopped: README, Running in production).
    op.execute("DELETE FROM scan_lock WHERE name = 'scan'")
    op.create_table(
        "run_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("from_root", sa.Text(), nullable=False),
        sa.Column("from_path", sa.Text(), nullable=False),
        sa.Column("to_root", sa.Text(), nullable=False),
        sa.Column("to_path", sa.Text(), nullable=False),
        sa.Column("at", seqscan.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_pk"], ["sequencing_run.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scan_id"], ["scan_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_move_run_pk"), ["run_pk"], unique=False)
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("moved_from_pk", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moved_away", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(
            "fk_sequencing_run_moved_from_pk", "sequencing_run", ["moved_from_pk"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sequencing_run_moved_from_pk", type_="foreignkey")
        batch_op.drop_column("moved_away")
        batch_op.drop_column("moved_from_pk")
    with op.batch_alter_table("run_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_move_run_pk"))
    op.drop_table("run_move")
    op.execute("DELETE FROM scan_lock")  # one row per queue, named by it: the release before had one, 'scan'
    with op.batch_alter_table("scan_lock", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=200), type_=sa.String(length=16))
    op.execute("INSERT INTO scan_lock (name, holder) VALUES ('scan', '')")
