"""A per-response window and count of submissions (rate limit per respondent token).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("rate_window", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rate_count", sa.Integer(), server_default="0",
                                   nullable=False))


def downgrade():
    with op.batch_alter_table("response") as batch:
        batch.drop_column("rate_count")
        batch.drop_column("rate_window")
