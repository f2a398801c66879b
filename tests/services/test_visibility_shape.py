"""A page of records, and any query bounded to the records it reads, checks grants with an index probe per
row; only a query over the whole table (an exact count) may hash them. On PostgreSQL the difference is
OFFSET 0 in each grant check, which keeps the planner from hashing every grant the agency holds for a
page of 50 (services.records.visibility.audience_of; the plans and timings
at a million alerts are printed by `python -m bench records --postgres --scale 1000000`)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql

from app.db import Database
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordFilters, count_records, list_records
from app.services.records.store import visible_records


def grant_checks(sql: str) -> list[bool]:
    """For each grant check (EXISTS over record_grants) in `sql`: whether it is fenced (has an OFFSET)."""
    found = []
    for start in (match.start() for match in re.finditer(r"EXISTS \(SELECT 1", sql)):
        depth, end = 0, start
        for end in range(sql.index("(", start), len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                break
        check = sql[start:end]
        if "record_grants" in check:
            found.append("OFFSET" in check)
    return found


def _sql(query: Any) -> str:
    return str(query.compile(dialect=postgresql.dialect()))


def test_a_page_fences_both_grant_checks_and_a_whole_table_query_does_not() -> None:
    page = _sql(visible_records(ALERTS, "de-bka"))
    whole = _sql(visible_records(ALERTS, "de-bka", whole_table=True))
    assert grant_checks(page) == [True, True]
    assert grant_checks(whole) == [False, False]
    fence = r"\s*LIMIT ALL OFFSET %\(param_\d+\)s::INTEGER"
    assert " ".join(re.sub(fence, "", page).split()) == " ".join(whole.split()), (
        "the fence is the only change"
    )


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The statements sent to `db`'s database inside the block, by any of its engines: those of the
    event loops (app.db_loop) are made as they are needed, so every engine's are heard and kept by URL."""
    seen: list[str] = []

    def note(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if conn.engine.url == db.engine.url:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def test_a_page_and_a_capped_count_probe_and_a_whole_count_may_hash(db: Database) -> None:
    filters = RecordFilters(status="active")
    with db.sessions() as session, statements(db) as seen:
        list_records(session, ALERTS, "de-bka", filters, sort="recent", after=None, limit=50)
        count_records(session, ALERTS, "de-bka", filters)  # stops at its cap: reads about a page's worth
        count_records(session, ALERTS, "de-bka", filters, cap=None)
    page, capped, whole = (s for s in seen if "FROM records" in s)
    assert grant_checks(page) == grant_checks(capped) == [True, True]
    assert grant_checks(whole) == [False, False]
