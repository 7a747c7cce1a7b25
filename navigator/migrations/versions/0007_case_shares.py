"""case shares (member vs admin access) and each worker's time zone

Revision ID: 0007_case_shares
Revises: 0006_account_security
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_case_shares"
down_revision = "0006_account_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_shares",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "user_id", name="uq_case_shares_case_user"),
    )
    op.create_index("ix_case_shares_case_id", "case_shares", ["case_id"])
    op.create_index("ix_case_shares_user_id", "case_shares", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
    op.drop_table("case_shares")
