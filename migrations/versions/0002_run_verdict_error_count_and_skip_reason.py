"""Run verdict: each run counts its files in Error, and says why it is skipped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:53:40.676612

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skip_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("error_count", sa.Integer(), server_default="0", nullable=False))
    # Runs recorded before: count their Error files now, so that their verdict is right at once.
    op.execute(
        "UPDATE sequencing_run SET error_count = (SELECT count(*) FROM sequencing_file"
        " WHERE sequencing_file.run_pk = sequencing_run.id AND sequencing_file.data_state = 'Error')"
    )


def downgrade():
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.drop_column("error_count")
        batch_op.drop_column("skip_reason")
