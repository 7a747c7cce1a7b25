"""users: must_change_password (admin-set passwords), deactivated_at (account retention)

Revision ID: 0006_account_security
Revises: 0005_followup
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_account_security"
down_revision = "0005_followup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("deactivated_at")
        batch.drop_column("must_change_password")
