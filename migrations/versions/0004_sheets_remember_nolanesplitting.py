"""Sheets remember NoLaneSplitting: BCL Convert then names FASTQs without a lane.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 07:23:17.816288

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.add_column(sa.Column("no_lane_splitting", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("sample_sheet", schema=None) as batch_op:
        batch_op.drop_column("no_lane_splitting")
