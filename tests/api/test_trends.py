"""Trends through the real app: counts from the rollup the event stream keeps, the statistics rule, the
ICCS classification alerts carry, suppression that an attacker with the published totals can not undo,
and the questions refused."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from app.client import KixClient, KixProblem
from app.db import Database
from app.models import TrendCount
from app.services.analysis.rollup import rebuild_rollup
from app.services.analysis.suppression import ProtectedTable, Shown
from app.services.vault import Vault
from tests.conftest import Member
from tests.records_data import alert, lead, rules, suspect
from tests.services.test_suppression import attack


def _place(country: str, region: str = "Capital") -> dict[str, Any]:
    return {"country": country, "region": region}


def _table(trends: dict[str, Any], measure: str = "alerts") -> dict[str, Any]:
    return next(table for table in trends["tables"] if table["measure"] == measure)


def _shown(table: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(cell["row"], cell["column"]): cell["shown"] for cell in table["cells"]}


def _as_protected(table: dict[str, Any]) -> ProtectedTable:
    def shown(entry: dict[str, Any]) -> Shown:
        return Shown(entry["count"], entry["shown"])

    return ProtectedTable(
        cells={(cell["row"], cell["column"]): shown(cell) for cell in table["cells"]},
        row_totals={entry["key"]: shown(entry) for entry in table["row_totals"]},
        column_totals={entry["key"]: shown(entry) for entry in table["column_totals"]},
        total=shown(table["total"]),
    )


def _attack_fails(table: dict[str, Any]) -> None:
    """Every small count keeps at least two possible values, whatever the attacker solves."""
    margins = table["columns_by"] is not None
    ranges = attack(_as_protected(table), table["rows"], table["columns"], 5, margins=margins)
    small = [key for key, entry in _published_small(table).items() if entry]
    assert small, "the table under attack has small cells"
    for key in small:
        low, high = ranges[key]
        assert high - low >= 1, f"{key} can be worked out: {low}..{high}"


def _published_small(table: dict[str, Any]) -> dict[tuple[str, ...], bool]:
    found: dict[tuple[str, ...], bool] = {
        ("cell", cell["row"], cell["column"]): cell["shown"] == "<5" for cell in table["cells"]
    }
    found.update({("row", entry["key"]): entry["shown"] == "<5" for entry in table["row_totals"]})
    found.update({("column", entry["key"]): entry["shown"] == "<5" for entry in table["column_totals"]})
    found[("total",)] = table["total"]["shown"] == "<5"
    return found


@pytest.fixture
def owners(enrol: Any) -> tuple[Member, Member]:
    return enrol("it-dcsa"), enrol("de-bka")


def _alerts(client: KixClient, count: int, **changes: Any) -> list[str]:
    return [client.create_record("alerts", alert(**changes))["id"] for _ in range(count)]


def test_counts_by_country_are_suppressed_so_no_small_cell_can_be_worked_out(
    owners: tuple[Member, Member],
) -> None:
    italy, germany = owners[0].client, owners[1].client
    _alerts(italy, 7, place=_place("IT"))
    _alerts(germany, 6, place=_place("DE"))
    _alerts(germany, 2, place=_place("FR"))
    withdrawn = _alerts(germany, 1, place=_place("FR"))[0]
    germany.withdraw_record("alerts", withdrawn, "entered by mistake")
    _alerts(italy, 3, place=_place("ES"), rules=rules() | {"statistics": False})
    found = italy.trends(by="country")
    table = _table(found)
    assert table["rows"] == ["DE", "FR", "IT"]  # ES allowed no statistics; the withdrawn alert is gone
    shown = _shown(table)
    assert shown[("FR", "total")] == "<5"
    assert table["total"]["count"] == 15
    # Without complementary suppression FR = 15 - 7 - 6 = 2 would be read off the total.
    assert "x" in shown.values()
    _attack_fails(table)


def test_a_two_dimensional_table_resists_the_attack(owners: tuple[Member, Member]) -> None:
    italy, germany = owners[0].client, owners[1].client
    for category, country, count in (
        ("ransom_extortion", "IT", 6),
        ("express", "IT", 2),
        ("ransom_extortion", "DE", 5),
        ("express", "DE", 7),
        ("virtual", "DE", 1),
    ):
        client = italy if country == "IT" else germany
        _alerts(client, count, category=category, place=_place(country))
    table = _table(italy.trends(by="country,category"))
    assert table["columns"] == ["express", "ransom_extortion", "virtual"]
    assert _shown(table)[("IT", "express")] == "<5"
    _attack_fails(table)


def test_the_rollup_follows_the_event_stream(owners: tuple[Member, Member], db: Database) -> None:
    italy = owners[0].client
    ids = _alerts(italy, 6, place=_place("IT", "Calabria"))
    assert _table(italy.trends(by="country", measure="alerts,released"), "released")["rows"] == []
    for record_id in ids:
        italy.update_record("alerts", record_id, {"status": "released"}, etag='"v1"')
    released = _table(italy.trends(by="region", measure="released"), "released")
    assert [(cell["row"], cell["count"]) for cell in released["cells"]] == [("IT/Calabria", 6)]
    # The owner withdraws its consent to statistics: its alerts leave the counts.
    italy.update_record("alerts", ids[0], {"rules": {"statistics": False}}, etag='"v2"')
    assert _table(italy.trends(by="country"))["total"]["count"] == 5
    with db.engine.connect() as connection:  # answers come from the rollup: it holds the counts
        stored = connection.execute(
            select(func.sum(TrendCount.count)).where(
                TrendCount.measure == "alerts", TrendCount.grain == "all"
            )
        ).scalar()
    assert stored == 5


def test_outcomes_ransoms_prosecutions_and_assets(owners: tuple[Member, Member]) -> None:
    italy, germany = owners[0].client, owners[1].client
    rooms = []
    for _ in range(5):
        record = italy.create_record(
            "alerts", alert(ransom={"amount": "50000", "currency": "EUR", "channel": "cash"})
        )
        rooms.append(italy.open_crisis(record["id"], []))
    for room in rooms:
        italy.close_crisis(
            room["id"], "rescued", {"ransom_paid": True, "amount": "20000.00", "currency": "USD"}
        )
    found = italy.trends(by="band", measure="ransom_demanded,ransom_paid")
    assert _shown(_table(found, "ransom_demanded")) == {("10k-100k", "total"): "5"}
    assert _shown(_table(found, "ransom_paid")) == {("10k-100k", "total"): "5"}
    assert _table(italy.trends(by="country", measure="rescued"), "rescued")["total"]["count"] == 5
    charged = {"kind": "charged", "on": "2026-03-02", "jurisdiction": "IT"}
    for _ in range(5):
        germany.create_record("suspects", suspect(outcomes=[charged]))
    prosecutions = germany.trends(
        by="country,month", measure="suspects_charged", since="2026-01", until="2026-06"
    )
    table = _table(prosecutions, "suspects_charged")
    assert table["columns"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert _shown(table)[("IT", "2026-03")] == "5"
    by_quarter = germany.trends(
        by="quarter,country", measure="suspects_charged", since="2025-11", until="2026-06"
    )
    table = _table(by_quarter, "suspects_charged")
    assert table["rows"] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert _shown(table)[("2026-Q1", "IT")] == "5"
    by_year = germany.trends(by="year", measure="suspects_charged", since="2025-11", until="2026-06")
    assert _shown(_table(by_year, "suspects_charged")) == {("2025", "total"): "<5", ("2026", "total"): "x"}
    for _ in range(5):
        record = germany.create_record("leads", lead(amount="2500000.00"))
        germany.update_record("leads", record["id"], {"status": "frozen"}, etag='"v1"')
    assets = _table(germany.trends(by="category,band", measure="assets_frozen"), "assets_frozen")
    assert _shown(assets)[("bank_account", "1m+")] == "5"


def test_alerts_carry_their_iccs_class_and_the_owner_s_national_code(owners: tuple[Member, Member]) -> None:
    italy = owners[0].client
    record = italy.create_record("alerts", alert(category="virtual", national_offence_code="c.p. art. 629"))
    assert record["classification"]["kix_category"] == "virtual"
    assert record["classification"]["iccs_code"] == "0205"
    assert record["national_offence_code"] == "c.p. art. 629"
    kidnapping = italy.create_record("alerts", alert())["classification"]
    assert (kidnapping["iccs_code"], kidnapping["iccs_label"]) == ("020221", "Kidnapping")
    mapping = {entry["category"]: entry["iccs"]["code"] for entry in italy.classification()}
    assert mapping["ransom_extortion"] == "020221"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"by": "country,planet"}, "no dimension 'planet'"),
        ({"by": "country,month,year"}, "one or two"),
        ({"by": "month,year"}, "at most one of month, quarter and year"),
        ({"by": "band", "measure": "alerts"}, "not an amount"),
        ({"measure": "alerts,rumours"}, "no measure 'rumours'"),
        ({"since": "2010-01", "until": "2026-11"}, "at most 10 years"),
        ({"since": "2026-13"}, "YYYY-MM"),
        ({"since": "2026-06", "until": "2026-01"}, "after until"),
    ],
)
def test_questions_that_can_not_be_answered_are_refused(
    owners: tuple[Member, Member], params: dict[str, str], detail: str
) -> None:
    with pytest.raises(KixProblem) as refused:
        owners[0].client.request("GET", "/v1/stats/trends", params=params)
    assert refused.value.status == 422
    assert detail in str(refused.value.detail)


def test_default_range_is_five_years_to_this_month(owners: tuple[Member, Member]) -> None:
    found = owners[0].client.trends(by="year")
    now = datetime.now(UTC)
    assert found["until"] == now.strftime("%Y-%m")
    first = now.year * 12 + now.month - 1 - (5 * 12 - 1)  # sixty months, this one the last
    assert found["since"] == f"{first // 12:04d}-{first % 12 + 1:02d}"


def test_a_rebuild_gives_back_the_rollup_the_stream_kept(
    owners: tuple[Member, Member], db: Database, vault: Vault
) -> None:
    italy, germany = owners[0].client, owners[1].client
    _alerts(italy, 6, place=_place("IT"))
    _alerts(germany, 2, place=_place("DE"))
    record = germany.create_record("leads", lead())
    germany.update_record("leads", record["id"], {"status": "frozen"}, etag='"v1"')
    before = [italy.trends(by="country,month", measure=m) for m in ("alerts", "assets_frozen")]
    with db.transaction() as session:
        session.execute(delete(TrendCount))  # lost, or a database from before the rollup
    assert _table(italy.trends(by="country"))["rows"] == []
    assert rebuild_rollup(db, vault) == 9  # 8 alerts and a lead
    assert [italy.trends(by="country,month", measure=m) for m in ("alerts", "assets_frozen")] == before
