"""cases: a person's saved answers

Revision ID: 0001_cases
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001_cases"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("resume_token_hash", sa.String(length=64), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("rules_version", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_public_id", "cases", ["public_id"], unique=True)
    op.create_index("ix_cases_resume_token_hash", "cases", ["resume_token_hash"], unique=True)
    op.create_index("ix_cases_created_at", "cases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_created_at", table_name="cases")
    op.drop_index("ix_cases_resume_token_hash", table_name="cases")
    op.drop_index("ix_cases_public_id", table_name="cases")
    op.drop_table("cases")
