"""A page of records checks grants with an index probe per row it reads; a count may hash them. On
PostgreSQL the difference is OFFSET 0 in each grant check, which keeps the planner from hashing every
grant the agency holds for a page of 50 (services.records.visibility.audience_of; the plans and timings
at a million alerts are printed by `python -m bench records --postgres --scale 1000000`)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql

from app.db import Database
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordFilters, count_records, list_records
from app.services.records.store import visible_records

# LIMIT ALL OFFSET 0 closing a subquery, as each dialect renders it (bound or not).
BOUND = r"(\?|%\(param_\d+\)s(::INTEGER)?)"
FENCE = re.compile(rf"\s*LIMIT (ALL|-1|{BOUND}) OFFSET {BOUND}(?=\))")


def _sql(query: Any) -> str:
    return str(query.compile(dialect=postgresql.dialect()))


def test_a_page_fences_both_grant_checks_and_a_whole_table_query_does_not() -> None:
    page = _sql(visible_records(ALERTS, "de-bka", page=True))
    whole = _sql(visible_records(ALERTS, "de-bka"))
    assert page.count("EXISTS (SELECT 1") == whole.count("EXISTS (SELECT 1") == 2
    assert len(FENCE.findall(page)) == 2
    assert not FENCE.findall(whole)
    assert " ".join(FENCE.sub("", page).split()) == " ".join(whole.split()), "the fence is the only change"


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_a_list_reads_a_fenced_page_and_a_count_an_unfenced_whole(db: Database) -> None:
    filters = RecordFilters(status="active")
    with db.sessions() as session, _statements(db) as seen:
        list_records(session, ALERTS, "de-bka", filters, sort="recent", after=None, limit=50)
        count_records(session, ALERTS, "de-bka", filters)
    listed, counted = (s for s in seen if "FROM records" in s)
    assert len(FENCE.findall(listed)) == 2
    assert not FENCE.findall(counted)
