"""follow-through: reminder subscriptions, key dates, reminders sent, call log; step marks by link

Revision ID: 0005_followup
Revises: 0004_api_keys
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_followup"
down_revision = "0004_api_keys"
branch_labels = None
depends_on = None


def _case_column(nullable: bool = False) -> sa.Column:
    return sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"),
                     nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reminder_subscriptions",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_column(nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=True),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reminder_subscriptions_case_id", "reminder_subscriptions", ["case_id"])
    op.create_index("ix_reminder_subscriptions_user_id", "reminder_subscriptions", ["user_id"])
    op.create_table(
        "case_dates",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_column(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "kind", name="uq_case_dates_case_kind"),
    )
    op.create_index("ix_case_dates_case_id", "case_dates", ["case_id"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subscription_id", sa.Integer(),
                  sa.ForeignKey("reminder_subscriptions.id", ondelete="CASCADE"), nullable=False),
        _case_column(),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.String(length=120), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reminders_key", "reminders", ["key"], unique=True)
    for column in ("subscription_id", "case_id", "due_at", "status"):
        op.create_index(f"ix_reminders_{column}", "reminders", [column])
    op.create_table(
        "call_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        _case_column(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("spoke_with", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("what_was_said", sa.Text(), nullable=False),
        sa.Column("next_step", sa.String(length=1000), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("use_in_letters", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_call_log_case_id", "call_log", ["case_id"])
    with op.batch_alter_table("step_progress") as batch:
        batch.add_column(sa.Column("via", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step_progress") as batch:
        batch.drop_column("via")
    op.drop_table("call_log")
    op.drop_table("reminders")
    op.drop_table("case_dates")
    op.drop_table("reminder_subscriptions")
