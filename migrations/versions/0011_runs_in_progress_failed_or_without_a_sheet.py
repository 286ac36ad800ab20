"""Runs being sequenced, runs the instrument says failed, runs without a sample sheet; sheets
remember what decides which reads get a FASTQ.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequencing", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("completion_status", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("run_failed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("no_sheet", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_cycles", sa.String(length=255), server_default="", nullable=False))
        batch_op.add_column(sa.Column("index_fastqs", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("reads", sa.Integer(), server_default="0", nullable=False))
    # A run recorded as Error for "no SampleSheet.csv" is parsed again: it is a run without a sheet now.
    op.execute(
        "UPDATE sequencing_run SET fingerprint = '' WHERE data_state = 'Error' AND warnings LIKE '%no %: expected files cannot be worked out%'"
    )


def downgrade():
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.drop_column("reads")
        batch_op.drop_column("index_fastqs")
        batch_op.drop_column("override_cycles")
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.drop_column("no_sheet")
        batch_op.drop_column("run_failed")
        batch_op.drop_column("completion_status")
        batch_op.drop_column("sequencing")
