"""A scan's files_missing is root_files_missing: the files missing under its whole root when it
ended, not a change it made (unlike files_new and files_deleted).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.alter_column("files_missing", new_column_name="root_files_missing")


def downgrade():
    with op.batch_alter_table("scan_run", schema=None) as batch_op:
        batch_op.alter_column("root_files_missing", new_column_name="files_missing")
