"""bulk_rows: rows written without the ORM (COPY on PostgreSQL) read back as the ORM would have written
them: JSON encoded, JSON null kept, timestamps in UTC, the ORM's Python-side defaults filled in, and a
naive timestamp refused as the ORM refuses it."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import StatementError

from app.db import Database
from app.models import Change, RecordGrant
from app.services import bulk_rows
from app.services.bulk_rows import row_of, write_rows

CHANGES = cast(Table, Change.__table__)
WRITTEN = ["txid", "type", "record_id", "scope", "data", "recipients", "carries_record", "occurred_at"]


def _change(**values: Any) -> dict[str, Any]:
    row = {
        "txid": 7,
        "type": "record.created",
        "record_id": None,
        "scope": "alerts:read",
        "data": {"kind": "alert", "names": ["Zhāng Wěi", "张伟"], "nested": {"n": 1.5}},
        "recipients": None,
        "carries_record": True,
        "occurred_at": datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
    }
    return row | values


@pytest.fixture(params=["copy", "insert"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with every row count going by COPY (on PostgreSQL), then by executemany INSERT."""
    monkeypatch.setattr(bulk_rows, "COPY_FROM_ROWS", 1 if request.param == "copy" else 1_000_000)
    return str(request.param)


def test_rows_read_back_as_written(db: Database, way: str) -> None:
    plus_two = timezone(timedelta(hours=2))
    rows = [
        _change(),
        _change(recipients={"de-bka": "e1"}, occurred_at=datetime(2026, 11, 30, 14, 0, tzinfo=plus_two)),
        _change(type="record.updated", record_id="r-1", data={}, carries_record=False),
        # What COPY's text format must escape, in JSON and in plain text: tab, newline, backslash, \N.
        _change(scope="a\tb\nc\\N", data={"case_ref": 'DE\t2026\n\\N "quoted" ☃'}),
    ]
    with db.transaction() as session:
        write_rows(session.connection(), CHANGES, rows, WRITTEN)
    with db.sessions() as session:
        stored = list(session.scalars(select(Change).order_by(Change.id)))
        nulls = session.scalar(select(Change.id).where(Change.recipients.is_(None)))
    assert [change.data for change in stored] == [row["data"] for row in rows]
    assert [change.recipients for change in stored] == [row["recipients"] for row in rows]
    assert [change.type for change in stored] == [row["type"] for row in rows]
    assert [change.scope for change in stored] == [row["scope"] for row in rows]
    assert [change.carries_record for change in stored] == [row["carries_record"] for row in rows]
    # Stored in UTC whatever the offset given: 14:00 at +02:00 is 12:00 UTC.
    assert {change.occurred_at for change in stored} == {datetime(2026, 11, 30, 12, 0, tzinfo=UTC)}
    assert [change.record_id for change in stored] == [row["record_id"] for row in rows]
    assert len({change.id for change in stored}) == len(rows)  # the columns left out take their defaults
    assert nulls is None  # None in a JSON column is JSON null, as SQLAlchemy writes it, not SQL NULL


def test_a_naive_timestamp_is_refused_and_nothing_written(db: Database, way: str) -> None:
    naive = _change(occurred_at=datetime(2026, 11, 30, 12, 0))  # noqa: DTZ001 - the point
    with db.transaction() as session, pytest.raises((ValueError, StatementError), match="naive datetimes"):
        write_rows(session.connection(), CHANGES, [_change(), naive], WRITTEN)
    with db.sessions() as session:
        assert session.scalars(select(Change)).all() == []


def test_row_of_fills_the_defaults_the_orm_fills_at_flush() -> None:
    grant = RecordGrant(record_id="r-1", grantee_type="agency", grantee_id="de-bka")
    before = datetime.now(UTC)
    row = row_of(grant)
    assert set(row) == {"record_id", "grantee_type", "grantee_id", "granted_at"}
    assert before <= row["granted_at"] <= datetime.now(UTC)
    given = datetime(2026, 1, 1, tzinfo=UTC)
    assert (
        row_of(RecordGrant(record_id="r-1", grantee_type="group", grantee_id="g", granted_at=given))[
            "granted_at"
        ]
        == given
    )
