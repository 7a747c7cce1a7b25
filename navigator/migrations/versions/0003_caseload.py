"""caseload: organisations, users, client cases' progress, notes, history, audit log

Revision ID: 0003_caseload
Revises: 0001_cases
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_caseload"
down_revision = "0001_cases"
branch_labels = None
depends_on = None


def _case_child(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"),
                  nullable=True),
        *columns,
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"])


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), sa.ForeignKey("organisations.id"),
                  nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("login_id", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("invite_token_hash", sa.String(length=64), nullable=True),
        sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("feed_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_users_organisation_id", "users", ["organisation_id"])
    for column in ("email", "login_id", "invite_token_hash", "feed_token_hash"):
        op.create_index(f"ix_users_{column}", "users", [column], unique=True)

    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("client_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False,
                                   server_default="active"))
        batch.add_column(sa.Column("plan_snapshot", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("last_plan_version", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("plan_key", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("next_deadline", sa.Date(), nullable=True))
        batch.add_column(sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("plan_changes", sa.JSON(), nullable=True))
        batch.create_foreign_key("fk_cases_organisation_id", "organisations",
                                 ["organisation_id"], ["id"])
        batch.create_foreign_key("fk_cases_owner_user_id", "users", ["owner_user_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_cases_organisation_id", ["organisation_id"])
        batch.create_index("ix_cases_owner_user_id", ["owner_user_id"])
        batch.create_index("ix_cases_next_deadline", ["next_deadline"])

    _case_child(
        "step_progress",
        sa.Column("step_id", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "step_id", name="uq_step_progress_case_step"),
    )
    _case_child(
        "case_notes",
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _case_child(
        "case_events",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("case_public_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("organisation_id", "user_id", "case_public_id", "created_at"):
        op.create_index(f"ix_audit_log_{column}", "audit_log", [column])
    op.create_table(
        "app_state",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("value", sa.String(length=255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("app_state")
    op.drop_table("audit_log")
    for name in ("case_events", "case_notes", "step_progress"):
        op.drop_table(name)
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_next_deadline")
        batch.drop_index("ix_cases_owner_user_id")
        batch.drop_index("ix_cases_organisation_id")
        batch.drop_constraint("fk_cases_owner_user_id", type_="foreignkey")
        batch.drop_constraint("fk_cases_organisation_id", type_="foreignkey")
        for column in ("plan_changes", "flagged_at", "next_deadline", "plan_key", "last_plan_version",
                       "plan_snapshot", "status", "client_name", "owner_user_id",
                       "organisation_id"):
            batch.drop_column(column)
    op.drop_table("users")
    op.drop_table("organisations")
