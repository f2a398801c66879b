"""workflow engine, typed links, complete purges, token buckets and scheduler leases

- share and access requests become workflow items: a `state`, deadlines, and their reasons and decisions
  moved into `workflow_transitions` (the ciphertexts move as they are: their associated data names the
  item's table, row and the same field names, so they still open);
- links are typed, stored once, and name their author (existing ones: "related", by the source's owner);
- idempotent answers expire and name the record they hold; existing ones are dropped, since they could
  hold records purged before this revision;
- records purged before this revision are purged completely (body, rules, revisions, contributions and
  notice texts go, as purging now does);
- token buckets (match budgets) and job leases (the scheduler).

Revision ID: 20261129_0006
Revises: 20261126_0005
Create Date: 2026-11-29 05:53:33.580698
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261129_0006"
down_revision: str | None = "20261126_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_UP = timedelta(hours=48)


def _aware(moment: Any) -> datetime | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _transitions_table() -> sa.TableClause:
    return sa.table(
        "workflow_transitions",
        *(sa.column(name) for name in ("id", "workflow", "item_id", "seq", "name", "from_state", "to_state")),
        *(sa.column(name) for name in ("party", "agency_id", "actor", "note")),
        sa.column("at", UTCDateTime()),
    )


def _create_new_tables() -> None:
    op.create_table(
        "job_leases",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "token_buckets",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_token_buckets")),
    )
    op.create_table(
        "workflow_transitions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("workflow", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_transitions")),
        sa.UniqueConstraint("workflow", "item_id", "seq", name="workflow_item_seq"),
    )
    with op.batch_alter_table("workflow_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_workflow_transitions_item", ["workflow", "item_id"], unique=False)


def _requests_to_workflow(table: str, *, owner_from_records: bool) -> None:
    """Give the requests a state, deadline and update time, and move their texts into transitions."""
    connection = op.get_bind()
    with op.batch_alter_table(table, schema=None) as batch_op:
        if owner_from_records:
            batch_op.add_column(sa.Column("owner_id", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("due_at", UTCDateTime(timezone=True), nullable=True))
        else:
            batch_op.alter_column("due_at", existing_type=UTCDateTime(timezone=True), nullable=True)
        batch_op.add_column(sa.Column("state", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True))
    items = sa.table(
        table,
        *(sa.column(name) for name in ("id", "record_id", "requester_id", "owner_id", "status", "state")),
        *(sa.column(name) for name in ("reason", "decision_reason")),
        *(sa.column(name, UTCDateTime()) for name in ("created_at", "decided_at", "due_at", "updated_at")),
    )
    records = sa.table("records", sa.column("id"), sa.column("owner_id"))
    owners = dict(connection.execute(sa.select(records.c.id, records.c.owner_id)).all())
    transitions = _transitions_table()
    for row in connection.execute(sa.select(items)).mappings().all():
        owner = owners.get(row["record_id"]) if owner_from_records else row["owner_id"]
        created, decided = _aware(row["created_at"]), _aware(row["decided_at"])
        assert created is not None  # noqa: S101 - created_at is NOT NULL
        values: dict[str, Any] = {"state": row["status"], "updated_at": decided or created}
        if owner_from_records:
            values |= {
                "owner_id": owner,
                "due_at": created + FOLLOW_UP if row["status"] == "pending" else None,
            }
        elif row["status"] != "pending":
            values["due_at"] = None
        connection.execute(sa.update(items).where(items.c.id == row["id"]).values(**values))
        steps: list[tuple[str, str | None, str, str, Any, Any, datetime]] = [
            ("open", None, "pending", "requester", row["requester_id"], row["reason"], created)
        ]
        if row["status"] != "pending":
            name = "grant" if row["status"] == "granted" else "refuse"
            steps.append(
                (name, "pending", row["status"], "owner", owner, row["decision_reason"], decided or created)
            )
        for seq, (name, source, target, party, agency, note, at) in enumerate(steps, start=1):
            connection.execute(
                sa.insert(transitions).values(
                    id=str(uuid.uuid4()),
                    workflow=table,
                    item_id=row["id"],
                    seq=seq,
                    name=name,
                    from_state=source,
                    to_state=target,
                    party=party,
                    agency_id=agency,
                    actor="before-workflows",
                    note=note,
                    at=at,
                )
            )
    with op.batch_alter_table(table, schema=None) as batch_op:
        if owner_from_records:
            batch_op.alter_column("owner_id", existing_type=sa.String(length=64), nullable=False)
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_owner_id_agencies"), "agencies", ["owner_id"], ["id"]
            )
        else:
            batch_op.drop_index("ix_access_requests_owner")
        batch_op.alter_column("state", existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column("updated_at", existing_type=UTCDateTime(timezone=True), nullable=False)
        for column in ("decided_at", "decision_reason", "reason", "status"):
            batch_op.drop_column(column)
    if not owner_from_records:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index("ix_access_requests_owner", ["owner_id", "state"], unique=False)


def _typed_links() -> None:
    connection = op.get_bind()
    old = sa.table("record_links", sa.column("record_id"), sa.column("linked_id"))
    pairs = {
        tuple(sorted(pair)) for pair in connection.execute(sa.select(old.c.record_id, old.c.linked_id)).all()
    }
    records = sa.table(
        "records", sa.column("id"), sa.column("owner_id"), sa.column("created_at", UTCDateTime())
    )
    facts = {row.id: row for row in connection.execute(sa.select(records)).all()}
    op.drop_table("record_links")
    links = op.create_table(
        "record_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agencies.id"], name=op.f("fk_record_links_author_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["records.id"], name=op.f("fk_record_links_source_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["records.id"], name=op.f("fk_record_links_target_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_links")),
        sa.UniqueConstraint("source_id", "target_id", "type", name="source_target_type"),
    )
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.create_index("ix_record_links_target_id", ["target_id"], unique=False)
    rows = []
    for first, second in sorted(pairs):
        # The newer record was the one created or updated with the link: its owner made it.
        source, target = sorted((first, second), key=lambda rid: (facts[rid].created_at, rid), reverse=True)
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "source_id": source,
                "target_id": target,
                "type": "related",
                "author_id": facts[source].owner_id,
                "actor": "before-typed-links",
                "created_at": _aware(facts[source].created_at),
            }
        )
    if rows:
        op.bulk_insert(links, rows)


def _complete_old_purges() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", UTCDateTime(timezone=True), nullable=True))
    purged = "SELECT id FROM records WHERE data_key IS NULL"
    op.execute(
        "UPDATE records SET purged_at = updated_at, body = '{}', rules = '{}', withdrawal_reason = NULL, "
        "category = NULL, country = NULL, urgency_rank = NULL, occurred_at = NULL WHERE data_key IS NULL"
    )
    op.execute(f"DELETE FROM record_revisions WHERE record_id IN ({purged})")  # noqa: S608 - constant SQL
    op.execute(f"DELETE FROM contributions WHERE record_id IN ({purged})")  # noqa: S608 - constant SQL
    op.execute(f"UPDATE notices SET message = NULL WHERE record_id IN ({purged})")  # noqa: S608 - constant SQL


def upgrade() -> None:
    _create_new_tables()
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column("message", existing_type=sa.Text(), nullable=True)
    _complete_old_purges()
    _requests_to_workflow("share_requests", owner_from_records=True)
    _requests_to_workflow("access_requests", owner_from_records=False)
    _typed_links()
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resource_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False))
        batch_op.create_index("ix_idempotency_keys_expires_at", ["expires_at"], unique=False)
        batch_op.create_index("ix_idempotency_keys_resource_id", ["resource_id"], unique=False)


def _requests_from_workflow(table: str, *, drop_owner: bool) -> None:
    connection = op.get_bind()
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True))
    items = sa.table(
        table,
        *(sa.column(name) for name in ("id", "state", "status", "reason", "decision_reason")),
        sa.column("decided_at", UTCDateTime()),
    )
    transitions = _transitions_table()
    for item_id, state in connection.execute(sa.select(items.c.id, items.c.state)).all():
        steps = connection.execute(
            sa.select(transitions.c.seq, transitions.c.note, transitions.c.at).where(
                transitions.c.workflow == table, transitions.c.item_id == item_id
            )
        ).all()
        notes = {seq: (note, at) for seq, note, at in steps}
        status = state if state in ("pending", "granted", "refused") else "refused"
        connection.execute(
            sa.update(items)
            .where(items.c.id == item_id)
            .values(
                status=status,
                reason=notes.get(1, ("", None))[0] or "",
                decision_reason=notes.get(2, (None, None))[0],
                decided_at=_aware(notes.get(2, (None, None))[1]),
            )
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("reason", existing_type=sa.Text(), nullable=False)
        if drop_owner:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_owner_id_agencies"), type_="foreignkey")
            batch_op.drop_column("owner_id")
            batch_op.drop_column("due_at")
        else:
            batch_op.drop_index("ix_access_requests_owner")
        batch_op.drop_column("state")
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("updated_at")
    if not drop_owner:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f("ix_access_requests_owner"), ["owner_id", "status"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_keys_resource_id")
        batch_op.drop_index("ix_idempotency_keys_expires_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("resource_id")
    connection = op.get_bind()
    links = sa.table("record_links", sa.column("source_id"), sa.column("target_id"))
    pairs = {
        tuple(pair) for pair in connection.execute(sa.select(links.c.source_id, links.c.target_id)).all()
    }
    op.drop_table("record_links")
    old = op.create_table(
        "record_links",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("linked_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_id"], ["records.id"], name=op.f("fk_record_links_linked_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_links_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "linked_id", name=op.f("pk_record_links")),
    )
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_links_linked_id"), ["linked_id"], unique=False)
    both_ways = {(a, b) for a, b in pairs} | {(b, a) for a, b in pairs}
    if both_ways:
        op.bulk_insert(old, [{"record_id": a, "linked_id": b} for a, b in sorted(both_ways)])
    _requests_from_workflow("share_requests", drop_owner=True)
    _requests_from_workflow("access_requests", drop_owner=False)
    op.execute("UPDATE notices SET message = '' WHERE message IS NULL")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column("message", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    with op.batch_alter_table("workflow_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_transitions_item")
    op.drop_table("workflow_transitions")
    op.drop_table("token_buckets")
    op.drop_table("job_leases")
