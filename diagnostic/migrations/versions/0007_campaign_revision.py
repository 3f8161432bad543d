"""A revision number on campaigns, bumped when their running counts change (dashboard cache).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("revision")
