"""Alerts, each recorded once under a unique key, with how its delivery went.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:50:00

"""

import sqlalchemy as sa
from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("created", seqscan.models.UTCDateTime(), nullable=False),
        sa.Column("delivered", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_created"), ["created"], unique=False)


def downgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_created"))
    op.drop_table("alert")
