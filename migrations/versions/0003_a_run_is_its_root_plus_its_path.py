"""A run is its root plus its path: the same run name under two roots is two runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 07:19:26.094162

"""

from alembic import op

import seqscan.models  # noqa: F401 (autogenerate spells seqscan.models.UTCDateTime)

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # The first release's UNIQUE (name) goes. SQLite keeps it unnamed: batch mode copies the table,
    # and a naming convention gives the reflected constraint a name to drop it by.
    if op.get_bind().dialect.name == "sqlite":
        convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
        with op.batch_alter_table("sequencing_run", naming_convention=convention, recreate="always") as batch_op:
            batch_op.drop_constraint("uq_sequencing_run_name", type_="unique")
    else:
        op.drop_constraint("sequencing_run_name_key", "sequencing_run", type_="unique")
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sequencing_run_name"), ["name"], unique=False)
        batch_op.create_unique_constraint("uq_sequencing_run_root_path", ["root", "path"])


def downgrade():
    with op.batch_alter_table("sequencing_run", schema=None) as batch_op:
        batch_op.drop_constraint("uq_sequencing_run_root_path", type_="unique")
        batch_op.drop_index(batch_op.f("ix_sequencing_run_name"))
        batch_op.create_unique_constraint("sequencing_run_name_key", ["name"])
