"""Kidnapping alerts: shared while a victim may still be held."""

from datetime import datetime, timedelta
from typing import Any

from app.models import Record
from app.schemas.alerts import (
    URGENCY_RANK,
    AlertCategory,
    AlertCreate,
    AlertPage,
    AlertRead,
    AlertStatus,
    AlertUpdate,
    Urgency,
)
from app.schemas.common import Scope
from app.schemas.records import RecordKind
from app.services.records.kinds import Body, Columns, KindSpec, RestrictedBlock, lifecycle, no_names

# A critical or high-urgency alert is answered within 12 hours, as SIRENE and Prum follow-ups are.
_URGENT_RANK = URGENCY_RANK[Urgency.HIGH]


def _columns(body: Body) -> Columns:
    return {
        "category": body["category"],
        "urgency_rank": URGENCY_RANK[Urgency(body["urgency"])],
        "country": body["place"]["country"],
        "occurred_at": datetime.fromisoformat(body["occurred_at"]),
    }


def _follow_up(record: Record) -> timedelta:
    urgent = (record.urgency_rank or 0) >= _URGENT_RANK
    return timedelta(hours=12) if urgent else timedelta(hours=48)


def _country(record: dict[str, Any]) -> str:
    return str(record["place"]["country"])


SPEC = KindSpec(
    kind=RecordKind.ALERT,
    path="alerts",
    create=AlertCreate,
    update=AlertUpdate,
    read=AlertRead,
    page=AlertPage,
    read_scope=Scope.ALERTS_READ,
    write_scope=Scope.ALERTS_WRITE,
    statuses=AlertStatus,
    initial_status=AlertStatus.ACTIVE.value,
    transitions=lifecycle(
        active="released rescued escaped deceased unresolved",
        unresolved="released rescued escaped deceased closed",
        released="closed",
        rescued="closed",
        escaped="closed",
        deceased="closed",
        closed="",
    ),
    default_review=timedelta(days=365),
    columns=_columns,
    sensitive_fields=("victim", "modus_operandi"),
    index_terms=lambda _body: set(),
    names=no_names,
    follow_up_deadline=_follow_up,
    table_columns=(
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("urgency", lambda r: r["urgency"]),
        ("category", lambda r: r["category"]),
        ("country", _country),
        ("occurred", lambda r: r["occurred_at"][:16]),
    ),
    categories=AlertCategory,
    urgency=True,
    restricted=RestrictedBlock(
        field="victim",
        recipients_field="victim_recipients",
        scope=Scope.VICTIMS_READ,
        withheld_flag="victim_withheld",
    ),
    sorts=("recent", "urgency"),
    label=lambda record: " ".join(
        part
        for part in (
            record.category,
            record.country,
            record.occurred_at.strftime("%Y-%m") if record.occurred_at else None,
            record.status,
        )
        if part
    ),
)
