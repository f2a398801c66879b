"""Lists and counts of records: every query goes through the one visibility predicate (which also leaves
purged records out), and the `linked` filter through the one link rule."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal, select, tuple_
from sqlalchemy.orm import Session

from app.models import Record
from app.schemas.records import COUNT_CAP
from app.services.records.kinds import KindSpec
from app.services.records.links import linked_to
from app.services.records.store import visible_records


@dataclass(frozen=True)
class RecordFilters:
    category: str | None = None
    status: str | None = None
    urgency_rank: int | None = None
    country: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    owner: str | None = None
    linked: str | None = None


def _apply_filters(query: Select[Record], filters: RecordFilters) -> Select[Record]:
    conditions = []
    for column, value in (
        (Record.category, filters.category),
        (Record.status, filters.status),
        (Record.urgency_rank, filters.urgency_rank),
        (Record.country, filters.country),
        (Record.owner_id, filters.owner),
    ):
        if value is not None:
            conditions.append(column == value)
    for moment, low, high in (
        (Record.occurred_at, filters.occurred_from, filters.occurred_to),
        (Record.updated_at, filters.updated_from, filters.updated_to),
    ):
        if low is not None:
            conditions.append(moment >= low)
        if high is not None:
            conditions.append(moment < high)
    return query.where(and_(*conditions)) if conditions else query


def _visible_filtered(
    kind: KindSpec, agency_id: str, filters: RecordFilters, *, own_only: bool, whole_table: bool = False
) -> Select[Record]:
    query = _apply_filters(visible_records(kind, agency_id, whole_table=whole_table), filters)
    if own_only:
        # An agency that sees only what it owns (a private partner: nothing can be sent to it) says so
        # outright, so the owner index finds its rows instead of the rule testing every row of the kind
        # (a partner owning none of a million alerts: 4.2 s before, 0.8 ms). The rule still applies.
        query = query.where(Record.owner_id == agency_id)
    if filters.linked is not None:
        query = query.where(linked_to(agency_id, filters.linked))
    return query


def list_records(
    session: Session,
    kind: KindSpec,
    agency_id: str,
    filters: RecordFilters,
    *,
    sort: str,
    after: list[Any] | None,
    limit: int,
    own_only: bool = False,
) -> Sequence[Record]:
    """One page. Keyset order: newest first, or (alerts) most urgent first, then newest. A page reads a
    few rows, so each one's grants are probed (visibility.audience_of). `own_only` for an agency that
    sees only the records it owns."""
    query = _visible_filtered(kind, agency_id, filters, own_only=own_only)
    if sort == "urgency":
        query = query.order_by(Record.urgency_rank.desc(), Record.created_at.desc(), Record.id.desc())
        if after is not None:
            query = query.where(
                _before((Record.urgency_rank, after[0]), datetime.fromisoformat(after[1]), after[2])
            )
    else:
        query = query.order_by(Record.created_at.desc(), Record.id.desc())
        if after is not None:
            query = query.where(_before(None, datetime.fromisoformat(after[0]), after[1]))
    return session.scalars(query.limit(limit)).all()


def _before(rank: tuple[Any, int] | None, created: datetime, last_id: str) -> Any:
    """Rows after the cursor in a descending order: one row-value comparison, which PostgreSQL applies
    inside the index scan (an OR of the parts it would apply as a filter, re-reading every earlier page).
    `rank` is (the rank column, the cursor's rank) when the order starts with urgency."""
    columns: list[Any] = [Record.created_at, Record.id]
    values: list[Any] = [
        literal(created, type_=Record.created_at.type),
        literal(last_id, type_=Record.id.type),
    ]
    if rank is not None:
        columns.insert(0, rank[0])
        values.insert(0, literal(rank[1], type_=Record.urgency_rank.type))
    return tuple_(*columns) < tuple_(*values)


def cursor_position(record: Record, sort: str) -> list[Any]:
    created = record.created_at.astimezone(UTC).isoformat()
    return [record.urgency_rank, created, record.id] if sort == "urgency" else [created, record.id]


@dataclass(frozen=True)
class RecordCount:
    count: int
    capped: bool  # there are more than `count`


def count_records(
    session: Session,
    kind: KindSpec,
    agency_id: str,
    filters: RecordFilters,
    *,
    cap: int | None = COUNT_CAP,
    own_only: bool = False,
) -> RecordCount:
    """How many records the agency may see, exact up to `cap` (None: no cap, for operators' tools).
    A capped count reads at most cap + 1 visible rows, so, like a page, it probes each row's grants
    (visibility.audience_of); an uncapped one reads all and may hash them. `own_only` as for a list."""
    query = _visible_filtered(kind, agency_id, filters, own_only=own_only, whole_table=cap is None)
    rows = query.with_only_columns(Record.id)
    if cap is not None:
        rows = rows.limit(cap + 1)
    found = session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    if cap is not None and found > cap:
        return RecordCount(cap, capped=True)
    return RecordCount(found, capped=False)
