"""Retention, enforced through the real app: the owner is warned 30 and 7 days ahead of a record's
review date, the record disappears from every other agency past the date and the grace period, and is
purged past a further period, unless its owner extends it with a recorded reason, up to the kind's cap.
The job is idempotent, and a dry run changes nothing."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.client import KixProblem
from app.clock import ShiftedClock
from app.config import Settings
from app.db import Database
from app.models import AuditEntryRecord, Record, RetentionExtension
from app.services.records.retention import run_job
from tests.conftest import Member
from tests.records_data import alert, rules


def _status(call: Any, *args: Any, **kwargs: Any) -> int:
    with pytest.raises(KixProblem) as caught:
        call(*args, **kwargs)
    return caught.value.status


@pytest.fixture
def pair(enrol: Any) -> tuple[Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka")


def _kept_until(clock: ShiftedClock, days: int, **changes: Any) -> dict[str, Any]:
    review_by = (clock.now() + timedelta(days=days)).date().isoformat()
    return alert(rules=rules() | {"review_by": review_by}, **changes)


def _warnings(member: Member) -> list[dict[str, Any]]:
    return list(member.client.feed.iter(follow=False, types=["deadline.warning"]))


def test_owners_are_warned_then_records_hide_then_purge_unless_extended(
    pair: tuple[Member, Member], db: Database, settings: Settings, clock: ShiftedClock
) -> None:
    it, de = pair
    created = it.client.create_record("alerts", _kept_until(clock, 20))
    record_id = created["id"]

    assert run_job(db, settings, clock.now()).warned == [record_id]  # 30 days ahead
    assert run_job(db, settings, clock.now()).actions == 0  # idempotent
    clock.advance(timedelta(days=14))
    assert run_job(db, settings, clock.now()).warned == [record_id]  # 7 days ahead
    assert [(w["record_id"], w["data"]["days_left"]) for w in _warnings(it)] == [
        (record_id, 20),
        (record_id, 6),
    ]
    assert _warnings(de) == []  # the owner's warnings only

    clock.advance(timedelta(days=6 + settings.retention_grace_days + 1))
    assert run_job(db, settings, clock.now()).hidden == [record_id]
    assert _status(de.client.get_record, "alerts", record_id) == 404
    assert record_id not in {item["id"] for item in de.client.list_records("alerts")["items"]}
    assert it.client.get_record("alerts", record_id)["id"] == record_id  # the owner still sees it

    path = f"/v1/alerts/{record_id}/retention"
    later = (clock.now() + timedelta(days=60)).date().isoformat()
    too_late = (clock.now() + timedelta(days=6 * 365)).date().isoformat()
    assert _status(it.client.request, "POST", path, json={"review_by": later}) == 422  # no reason
    assert _status(it.client.request, "POST", path, json={"review_by": later, "reason": "short"}) == 422
    reason = "Trial set for March: the evidence must stay available"
    assert _status(it.client.request, "POST", path, json={"review_by": too_late, "reason": reason}) == 422
    assert _status(de.client.request, "POST", path, json={"review_by": later, "reason": reason}) == 404
    kept = it.client.request("POST", path, json={"review_by": later, "reason": reason})
    assert (kept["review_by"], kept["hidden_at"]) == (later, None)
    assert [(e["reason"], e["agency"]) for e in kept["extensions"]] == [(reason, "it-dcsa")]
    assert de.client.get_record("alerts", record_id)["id"] == record_id  # shown again

    # Moving the date later by an update is refused: only an extension, with its reason, does that.
    current = it.client.get_record("alerts", record_id)
    patch = {"rules": {"review_by": (clock.now() + timedelta(days=90)).date().isoformat()}}
    assert _status(it.client.update_record, "alerts", record_id, patch, etag=current["etag"]) == 422

    clock.advance(
        timedelta(days=60 + settings.retention_grace_days + settings.retention_purge_after_days + 1)
    )
    report = run_job(db, settings, clock.now())
    assert (report.hidden, report.purged) == ([record_id], [record_id])
    assert _status(it.client.get_record, "alerts", record_id) == 410
    with db.sessions() as session:
        assert session.scalars(select(RetentionExtension.reason)).all() == [None]  # the reason is gone
        touched = session.scalars(
            select(AuditEntryRecord.entry_id).where(AuditEntryRecord.record_id == record_id)
        )
        assert len(touched.all()) >= 5  # its audit metadata stays
    assert run_job(db, settings, clock.now()).actions == 0


def test_a_review_date_past_the_kinds_cap_is_refused(
    pair: tuple[Member, Member], clock: ShiftedClock
) -> None:
    it, _de = pair
    assert _status(it.client.create_record, "alerts", _kept_until(clock, 6 * 365)) == 422
    assert it.client.create_record("alerts", _kept_until(clock, 4 * 365))["id"]


def test_a_dry_run_changes_nothing(
    pair: tuple[Member, Member],
    db: Database,
    settings: Settings,
    clock: ShiftedClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    it, de = pair
    record_id = it.client.create_record("alerts", _kept_until(clock, 5))["id"]
    clock.advance(timedelta(days=400))
    report = run_job(db, settings, clock.now(), dry_run=True)
    assert (report.warned, report.hidden, report.purged) == ([record_id], [record_id], [record_id])
    assert de.client.get_record("alerts", record_id)["id"] == record_id
    with db.sessions() as session:
        record = session.get(Record, record_id)
        assert record is not None
        assert (record.retention_warned, record.retention_hidden_at, record.purged_at) == (None, None, None)
    monkeypatch.setenv("KIX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KIX_KEYS_DIR", str(settings.keys_dir))
    result = CliRunner().invoke(cli, ["admin", "retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    # The CLI's clock is today's: the warning is due, not the rest.
    assert f"would be warned: 1 ({record_id})\nwould be hidden: 0\nwould be purged: 0" in result.output
    assert it.client.get_record("alerts", record_id)["id"] == record_id
