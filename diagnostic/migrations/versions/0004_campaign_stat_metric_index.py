"""Index the running counts of campaigns by metric (responses by commune for filters).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_campaign_stat_metric", "campaign_stat", ["campaign_id", "metric"])


def downgrade():
    op.drop_index("ix_campaign_stat_metric", table_name="campaign_stat")
