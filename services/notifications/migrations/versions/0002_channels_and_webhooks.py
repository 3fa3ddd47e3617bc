"""Recipients gain channels, council and activity; webhook subscriptions; deliveries gain
status for email and webhooks (attempts, next attempt, last error, address, payload); the log
of delivery attempts. Existing inbox deliveries stay delivered.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recipients") as table:
        table.add_column(sa.Column("channels", postgresql.ARRAY(sa.String(20)), nullable=False,
                                   server_default=sa.text("'{inbox,email}'::varchar[]")))
        table.add_column(sa.Column("council_id", sa.String(64)))
        table.add_column(sa.Column("council_role", sa.String(20)))
        table.add_column(sa.Column("active", sa.Boolean, nullable=False,
                                   server_default=sa.text("true")))
    op.create_index("ix_recipients_council_id", "recipients", ["council_id"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("recipient_id", sa.String(120), sa.ForeignKey("recipients.id"),
                  nullable=False, index=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("event_types", postgresql.ARRAY(sa.String(255)), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("consecutive_failures", sa.Integer, nullable=False,
                  server_default=sa.text("0")),
        sa.Column("paused_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    with op.batch_alter_table("deliveries") as table:
        table.add_column(sa.Column("language", sa.String(8), nullable=False,
                                   server_default=sa.text("'vi'")))
        table.add_column(sa.Column("address", sa.String(2000)))
        table.add_column(sa.Column("subscription_id", postgresql.UUID(as_uuid=True),
                                   sa.ForeignKey("webhook_subscriptions.id")))
        table.add_column(sa.Column("payload", postgresql.JSONB))
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False,
                                   server_default=sa.text("0")))
        table.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
        table.add_column(sa.Column("last_error", sa.Text))
        table.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_deliveries_due", "deliveries", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", postgresql.UUID(as_uuid=True), sa.ForeignKey("deliveries.id"),
                  nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("duration_ms", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_index("ix_deliveries_due", "deliveries")
    op.execute("DELETE FROM deliveries WHERE channel <> 'inbox'")
    with op.batch_alter_table("deliveries") as table:
        for column in ("failed_at", "last_error", "next_attempt_at", "attempts", "payload",
                       "subscription_id", "address", "language"):
            table.drop_column(column)
    op.drop_table("webhook_subscriptions")
    op.drop_index("ix_recipients_council_id", "recipients")
    with op.batch_alter_table("recipients") as table:
        for column in ("active", "council_role", "council_id", "channels"):
            table.drop_column(column)
