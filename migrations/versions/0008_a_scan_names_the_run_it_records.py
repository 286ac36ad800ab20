"""A scan names the run it is recording (live progress).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:03:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current_run", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.drop_column("current_run")
