"""changes announced by the database: on PostgreSQL a statement trigger on `changes` sends the
NOTIFY that wakes feed readers and deliverers on every node, so a writing transaction no longer spends a
round trip on `SELECT pg_notify(...)`. Like any NOTIFY it is delivered at commit, once per transaction
(PostgreSQL folds identical notifications). SQLite has no LISTEN: there the commit wakes readers in
process (app.main), as before.

Revision ID: 20261130_0014
Revises: 20261130_0013
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261130_0014"
down_revision: str | None = "20261130_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel is app.services.events.outbox.NOTIFY_CHANNEL; written out, as a migration must not change
# when the code does.
_FUNCTION = """
CREATE FUNCTION kix_announce_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kix_events', '');
    RETURN NULL;
END
$$
"""
_TRIGGER = """
CREATE TRIGGER changes_announced AFTER INSERT ON changes
FOR EACH STATEMENT EXECUTE FUNCTION kix_announce_changes()
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    op.execute(_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER changes_announced ON changes")
    op.execute("DROP FUNCTION kix_announce_changes()")
