"""Live workshops, and the workshop a response was given in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "workshop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("territory", sa.String(length=40), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=64), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revealed", sa.Boolean(), nullable=False),
        sa.Column("step_mode", sa.Boolean(), nullable=False),
        sa.Column("current_question", sa.String(length=64), nullable=True),
        sa.Column("shared_devices", sa.Boolean(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_workshop_campaign_id_campaign")),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"],
                                name=op.f("fk_workshop_owner_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop")),
        sa.UniqueConstraint("code", name=op.f("uq_workshop_code")),
        sa.UniqueConstraint("public_id", name=op.f("uq_workshop_public_id")),
    )
    op.create_index(op.f("ix_workshop_owner_id"), "workshop", ["owner_id"])
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("workshop_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_response_workshop_id_workshop"), "workshop",
                                 ["workshop_id"], ["id"], ondelete="SET NULL")
        batch.create_index(op.f("ix_response_workshop_id"), ["workshop_id"])


def downgrade():
    with op.batch_alter_table("response") as batch:
        batch.drop_index(op.f("ix_response_workshop_id"))
        batch.drop_constraint(op.f("fk_response_workshop_id_workshop"), type_="foreignkey")
        batch.drop_column("workshop_id")
    op.drop_index(op.f("ix_workshop_owner_id"), table_name="workshop")
    op.drop_table("workshop")
