"""What each record counts for in the trends, and the rollup kept current from it.

The event stream's fan-out calls `refresh_facts` for the records its changes name, in commit order and
one fan-out at a time: each record's facts are recomputed, and the rollup is corrected by the difference
from its stored facts. Trends are then answered from the rollup alone, never by scanning records.

A record counts only while its owner allows statistics (a sharing rule, default yes) and it is not
withdrawn (a withdrawn record was a mistake). A purged record keeps the counts it had: they hold nothing
of it, and trends over past years must not shrink as retention removes records.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from app.models import CrisisRoom, Record, RecordRevision, TrendCount, TrendFact
from app.schemas.records import RecordKind
from app.schemas.stats import Measure
from app.services.analysis.bands import NO_BAND, band_of
from app.services.bulk_rows import write_rows
from app.services.vault import Vault
from app.services.workflows.crises import concessions

UNSPECIFIED = "unspecified"
# The grains of the rollup: the dimensions each keeps (a region is kept with its country). Time and value
# band are kept in every grain: a question names a time range, and bands are few.
GRAINS: dict[str, frozenset[str]] = {
    "all": frozenset(),
    "country": frozenset({"country"}),
    "category": frozenset({"category"}),
    "country,category": frozenset({"country", "category"}),
    "region": frozenset({"country", "region"}),
    "region,category": frozenset({"country", "region", "category"}),
}

_OUTCOMES = {
    "released": Measure.RELEASED,
    "rescued": Measure.RESCUED,
    "escaped": Measure.ESCAPED,
    "deceased": Measure.DECEASED,
}
_PROSECUTIONS = {
    "charged": Measure.SUSPECTS_CHARGED,
    "convicted": Measure.SUSPECTS_CONVICTED,
    "extradited": Measure.SUSPECTS_EXTRADITED,
    "surrendered": Measure.SUSPECTS_EXTRADITED,  # surrender under a European arrest warrant
}
_ASSET_STATES = {
    "frozen": Measure.ASSETS_FROZEN,
    "confiscated": Measure.ASSETS_CONFISCATED,
    "returned": Measure.ASSETS_RETURNED,
}


@dataclass(frozen=True, order=True)
class Fact:
    measure: str
    month: str
    country: str
    region: str
    category: str
    band: str


@dataclass(frozen=True)
class Context:
    """What facts need beyond the record's plain columns and body, loaded once per batch."""

    statuses: dict[str, list[tuple[str, datetime]]]  # record -> (status, when), oldest first
    ransoms_paid: dict[str, list[dict[str, Any]]]  # alert -> concessions of its closed crisis rooms


def _month(moment: datetime | str) -> str:
    return moment.isoformat()[:7] if isinstance(moment, datetime) else moment[:7]


def _alert_facts(record: Record, context: Context) -> list[Fact]:
    if record.occurred_at is None or record.country is None:
        return []
    place = record.body.get("place") or {}

    def fact(measure: Measure, band: str = NO_BAND) -> Fact:
        return Fact(
            measure.value,
            _month(record.occurred_at or ""),
            record.country or "",
            place.get("region") or UNSPECIFIED,
            record.category or UNSPECIFIED,
            band,
        )

    facts = [fact(Measure.ALERTS)]
    outcomes = [status for status, _at in context.statuses.get(record.id, []) if status in _OUTCOMES]
    if outcomes:  # the latest: a released alert later found deceased counts as deceased
        facts.append(fact(_OUTCOMES[outcomes[-1]]))
    ransom = record.body.get("ransom")
    if ransom:
        facts.append(fact(Measure.RANSOM_DEMANDED, band_of(ransom.get("amount"), ransom.get("currency"))))
    for made in context.ransoms_paid.get(record.id, [])[:1]:
        facts.append(fact(Measure.RANSOM_PAID, band_of(made.get("amount"), made.get("currency"))))
    return facts


def _suspect_facts(record: Record, context: Context) -> list[Fact]:
    counted: dict[tuple[str, str], Fact] = {}
    for outcome in record.body.get("outcomes") or []:
        measure = _PROSECUTIONS.get(outcome.get("kind", ""))
        if measure is None:
            continue
        fact = Fact(
            measure.value, _month(outcome["on"]), outcome["jurisdiction"], UNSPECIFIED, UNSPECIFIED, NO_BAND
        )
        counted.setdefault((measure.value, fact.country), fact)  # one person, counted once per state
    return sorted(counted.values())


def _lead_facts(record: Record, context: Context) -> list[Fact]:
    band = band_of(record.body.get("amount"), record.body.get("currency"))
    reached: dict[Measure, datetime] = {}
    for status, at in context.statuses.get(record.id, []):
        if status in _ASSET_STATES:
            reached.setdefault(_ASSET_STATES[status], at)
    return [
        Fact(
            measure.value, _month(at), record.country or "", UNSPECIFIED, record.category or UNSPECIFIED, band
        )
        for measure, at in sorted(reached.items())
    ]


_FACTS_OF: dict[str, Callable[[Record, Context], list[Fact]]] = {
    RecordKind.ALERT.value: _alert_facts,
    RecordKind.SUSPECT.value: _suspect_facts,
    RecordKind.LEAD.value: _lead_facts,
}


def _counts(record: Record) -> bool:
    return record.withdrawn_at is None and bool(record.rules.get("statistics", True))


def _context(session: Session, vault: Vault, records: list[Record]) -> Context:
    ids = [record.id for record in records]
    statuses: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
    rows = session.execute(
        select(RecordRevision.record_id, RecordRevision.status, RecordRevision.changed_at)
        .where(RecordRevision.record_id.in_(ids))
        .order_by(RecordRevision.record_id, RecordRevision.version)
    )
    for record_id, status, at in rows:
        statuses[record_id].append((status, at))
    paid: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rooms = session.scalars(
        select(CrisisRoom).where(CrisisRoom.alert_id.in_(ids), CrisisRoom.ransom_paid.is_(True))
    )
    for room in rooms:
        paid[room.alert_id].append(concessions(vault, room) or {})
    return Context(statuses, paid)


def facts_of(record: Record, context: Context) -> list[Fact]:
    return _FACTS_OF[record.kind](record, context) if _counts(record) else []


def refresh_facts(session: Session, vault: Vault, record_ids: Iterable[str]) -> int:
    """Recompute the facts of these records and correct the rollup; how many records changed."""
    ids = sorted(set(record_ids))
    if not ids:
        return 0
    records = [r for r in session.scalars(select(Record).where(Record.id.in_(ids))) if r.purged_at is None]
    context = _context(session, vault, records)
    stored: dict[str, Counter[Fact]] = defaultdict(Counter)
    for row in session.scalars(select(TrendFact).where(TrendFact.record_id.in_([r.id for r in records]))):
        stored[row.record_id][
            Fact(row.measure, row.month, row.country, row.region, row.category, row.band)
        ] += 1
    deltas: Counter[Fact] = Counter()
    changed: list[str] = []
    rows: list[dict[str, str]] = []
    for record in records:
        new = Counter(facts_of(record, context))
        old = stored.get(record.id, Counter())
        if new == old:
            continue
        changed.append(record.id)
        deltas.update(new)
        deltas.subtract(old)
        rows.extend({"record_id": record.id, **vars(fact)} for fact in sorted(new.elements()))
    if changed:
        session.execute(delete(TrendFact).where(TrendFact.record_id.in_(changed)))
        # Written in bulk (a fan-out of a batch create adds thousands): no ORM flush, which had them
        # inserted with their new ids returned, in statements psycopg parsed afresh each time.
        write_rows(session.connection(), _FACTS, rows, _FACT_COLUMNS)
    add_to_rollup(session, deltas)
    return len(changed)


def _cells(fact: Fact) -> list[tuple[str, str, str, str, str, str, str]]:
    """The fact's cell in each grain: (measure, grain, month, country, region, category, band)."""
    return [
        (
            fact.measure,
            grain,
            fact.month,
            fact.country if "country" in kept else "",
            fact.region if "region" in kept else "",
            fact.category if "category" in kept else "",
            fact.band,
        )
        for grain, kept in GRAINS.items()
    ]


def add_to_rollup(session: Session, deltas: Counter[Fact]) -> None:
    """Add each fact's delta to its cell in every grain."""
    by_key: Counter[tuple[str, str, str, str, str, str, str]] = Counter()
    for fact, delta in deltas.items():
        if delta:
            for cell in _cells(fact):
                by_key[cell] += delta
    rows: list[dict[str, Any]] = [
        dict(zip(_KEY, key, strict=True)) | {"count": delta} for key, delta in sorted(by_key.items()) if delta
    ]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement for all the cells (a fan-out of 500 new alerts touches some thousands), where an
        # executemany sent one upsert per cell.
        columns = {name: [row[name] for row in rows] for name in (*_KEY, "count")}
        session.execute(_UPSERT_ARRAYS, columns)
    else:
        statement = sqlite.insert(TrendCount)
        statement = statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={"count": TrendCount.count + statement.excluded.count},
        )
        session.execute(statement, rows)
    for row in rows:
        if row["count"] < 0:  # a cell may have emptied
            keys = [getattr(TrendCount, name) == row[name] for name in _KEY]
            session.execute(delete(TrendCount).where(*keys, TrendCount.count <= 0))


_KEY = ("measure", "grain", "month", "country", "region", "category", "band")
_FACTS = cast(Table, TrendFact.__table__)
_FACT_COLUMNS = ["record_id", "measure", "month", "country", "region", "category", "band"]
# The cells' columns as arrays, unnested into rows; their keys are distinct (add_to_rollup sums by key),
# as ON CONFLICT DO UPDATE requires of one statement.
_UPSERT_ARRAYS = text(
    "INSERT INTO trend_counts (measure, grain, month, country, region, category, band, count) "
    "SELECT * FROM unnest(CAST(:measure AS varchar[]), CAST(:grain AS varchar[]), CAST(:month AS varchar[]), "
    "CAST(:country AS varchar[]), CAST(:region AS varchar[]), CAST(:category AS varchar[]), "
    "CAST(:band AS varchar[]), CAST(:count AS integer[])) "
    "ON CONFLICT (measure, grain, month, country, region, category, band) "
    "DO UPDATE SET count = trend_counts.count + excluded.count"
)
