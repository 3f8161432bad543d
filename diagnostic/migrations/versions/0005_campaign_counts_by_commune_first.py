"""Key the running counts of campaigns by commune first: the whole campaign's counts, then a
commune's, are each one range of the primary key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

KEYS = {
    "campaign_stat": ["actor", "commune_code", "metric"],
    "campaign_score": ["actor", "commune_code", "axis", "score_key"],
}


def _key(table: str, columns: list[str]) -> None:
    with op.batch_alter_table(table, recreate="auto") as batch:
        batch.drop_constraint(f"pk_{table}", type_="primary")
        batch.create_primary_key(f"pk_{table}", ["campaign_id", *columns])


def upgrade():
    for table, columns in KEYS.items():
        commune_first = ["commune_code", *[c for c in columns if c != "commune_code"]]
        _key(table, commune_first)


def downgrade():
    for table, columns in KEYS.items():
        _key(table, columns)
