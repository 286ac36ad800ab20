"""Operators act from the pages: a scan may accept the runs a mass-deletion guard refused; missing
files and incomplete runs may be acknowledged (each pointing at the operator action that says who,
when and why); an operator action says why and may name a run.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("accept_vanished", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("operator_action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("run_pk", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_operator_action_run_pk"), ["run_pk"], unique=False)
        batch_op.create_foreign_key(
            "fk_operator_action_run_pk", "sequencing_run", ["run_pk"], ["id"], ondelete="SET NULL"
        )
    for table in ("sequencing_run", "sequencing_file"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("acknowledged_action_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                f"fk_{table}_acknowledged_action", "operator_action", ["acknowledged_action_id"], ["id"],
                ondelete="SET NULL",
            )  # fmt: skip


def downgrade():
    for table in ("sequencing_file", "sequencing_run"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_acknowledged_action", type_="foreignkey")
            batch_op.drop_column("acknowledged_action_id")
    with op.batch_alter_table("operator_action", schema=None) as batch_op:
        batch_op.drop_constraint("fk_operator_action_run_pk", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_operator_action_run_pk"))
        batch_op.drop_column("run_pk")
        batch_op.drop_column("reason")
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.drop_column("accept_vanished")
