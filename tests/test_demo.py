"""`kix demo` fills a database with a realistic, linked, shareable set, and only once."""

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import Database
from app.demo import AGENCIES, fill
from app.demo_analysis import PRACTICES, fill_analysis
from app.demo_cooperation import PATHS, fill_cooperation
from app.models import (
    Agency,
    CaseRecord,
    CooperationRequest,
    CrisisRoom,
    DirectoryEntry,
    Group,
    LeadIntake,
    Record,
    RecordLink,
    TrendCount,
    VictimService,
)
from app.services.events.fanout import fan_out
from app.services.records.kinds import ALERTS
from app.services.records.queries import RecordFilters, count_records
from app.services.vault import Vault


def test_fill_makes_linked_records_across_many_agencies(db: Database, vault: Vault) -> None:
    summary = fill(db, vault, records_per_kind=40)
    assert (summary.agencies, summary.groups, summary.records) == (22, 4, 120)
    with db.sessions() as session:
        kinds = dict(session.execute(select(Record.kind, func.count()).group_by(Record.kind)).all())
        assert kinds == {"alert": 40, "suspect": 40, "lead": 40}
        assert session.scalar(select(func.count()).select_from(RecordLink)) == 40 + 2 * 40  # stored once each
        assert (session.scalar(select(func.count(func.distinct(Record.owner_id)))) or 0) > 10
        assert session.scalar(select(func.count()).select_from(Group)) == 4
        visible = count_records(session, ALERTS, "fr-ocrb", RecordFilters()).count
        assert 0 < visible < 40  # some alerts are shared with it, not all
    assert fill(db, vault, records_per_kind=40).records == 0  # a second run adds nothing


def test_fill_cooperation_makes_requests_in_every_state_rooms_directory_and_a_partner(
    db: Database, vault: Vault
) -> None:
    fill(db, vault, records_per_kind=40)
    assert fill_cooperation(db, vault) == len(PATHS) + 1
    with db.sessions() as session:
        states = set(session.scalars(select(CooperationRequest.state)))
        assert states == set(PATHS)  # draft ... withdrawn, and the freezing request executed
        rooms = sorted(session.scalars(select(CrisisRoom.status)))
        assert rooms == ["closed", "open"]
        assert session.scalar(select(func.count()).select_from(DirectoryEntry)) == 22
        countries = set(session.scalars(select(VictimService.country)))
        assert countries == {a[1] for a in AGENCIES if a[1] != "EU"}
        assert session.scalar(select(func.count()).select_from(LeadIntake)) == 1
        frozen = session.scalar(select(func.count()).select_from(Record).where(Record.status == "frozen"))
        assert (frozen or 0) >= 1
    assert fill_cooperation(db, vault) == 0


def test_kix_demo_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIX_DATABASE_URL", f"sqlite:///{tmp_path}/demo.db")
    monkeypatch.setenv("KIX_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("KIX_DEMO_DIR", str(tmp_path / "demo-keys"))
    result = CliRunner().invoke(cli, ["demo", "--records-per-kind", "20"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo-keys" / "de-bka.key.json").exists()
    database = Database(f"sqlite:///{tmp_path}/demo.db")
    with database.sessions() as session:
        # 60, a private partner's lead, and the 9 records of the demo's joint case
        assert session.scalar(select(func.count()).select_from(Record)) == 70
        assert (
            session.scalar(select(func.count()).select_from(Agency)) == 26
        )  # operator, 2 with keys, 22 more, a private partner
    database.dispose()


def test_fill_analysis_makes_outcomes_a_case_with_a_story_and_practices(db: Database, vault: Vault) -> None:
    fill(db, vault, records_per_kind=60)
    summary = fill_analysis(db, vault)
    assert (summary.cases, summary.practices) == (1, len(PRACTICES))
    assert summary.outcomes > 30
    with db.sessions() as session:
        statuses = set(session.scalars(select(Record.status).where(Record.kind == "alert")))
        assert {"released", "rescued"} <= statuses
        assert session.scalar(select(func.count()).select_from(CaseRecord).where(CaseRecord.shared)) == 9
        confidences = set(
            session.scalars(select(RecordLink.confidence).where(RecordLink.case_id.is_not(None)))
        )
        assert confidences == {"confirmed", "probable", "possible"}
    fan_out(db, vault, rounds=1000)  # the stream fills the rollup
    with db.sessions() as session:
        released = session.scalar(
            select(func.sum(TrendCount.count)).where(
                TrendCount.measure == "released", TrendCount.grain == "all"
            )
        )
        assert (released or 0) > 5
    assert fill_analysis(db, vault).cases == 0  # once only
