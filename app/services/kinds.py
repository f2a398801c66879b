"""What differs between the three record kinds: schemas, scopes, lifecycle, and the columns lists use."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from app.schemas.alerts import URGENCY_RANK, AlertCreate, AlertPage, AlertRead, AlertUpdate, Urgency
from app.schemas.common import InputModel, Scope
from app.schemas.leads import LeadCreate, LeadPage, LeadRead, LeadUpdate
from app.schemas.records import RecordEnvelope, RecordKind
from app.schemas.suspects import SuspectCreate, SuspectPage, SuspectRead, SuspectUpdate

Columns = dict[str, Any]


@dataclass(frozen=True)
class KindSpec:
    kind: RecordKind
    path: str
    create: type[InputModel]
    update: type[InputModel]
    read: type[RecordEnvelope]
    page: type[BaseModel]
    read_scope: Scope
    write_scope: Scope
    transitions: Mapping[str, frozenset[str]]
    default_review: timedelta
    columns: Callable[[dict[str, Any]], Columns]
    sorts: tuple[str, ...] = ("recent",)


def _alert_columns(body: dict[str, Any]) -> Columns:
    return {
        "category": body["category"],
        "urgency_rank": URGENCY_RANK[Urgency(body["urgency"])],
        "country": body["place"]["country"],
        "occurred_at": datetime.fromisoformat(body["occurred_at"]),
    }


def _suspect_columns(body: dict[str, Any]) -> Columns:
    nationalities = body.get("nationalities") or []
    return {
        "category": None,
        "urgency_rank": None,
        "country": nationalities[0] if nationalities else None,
        "occurred_at": None,
    }


def _lead_columns(body: dict[str, Any]) -> Columns:
    return {
        "category": body["asset_kind"],
        "urgency_rank": None,
        "country": body["jurisdiction"],
        "occurred_at": None,
    }


def _lifecycle(**edges: str) -> dict[str, frozenset[str]]:
    return {state: frozenset(targets.split()) for state, targets in edges.items()}


ALERTS = KindSpec(
    kind=RecordKind.ALERT,
    path="alerts",
    create=AlertCreate,
    update=AlertUpdate,
    read=AlertRead,
    page=AlertPage,
    read_scope=Scope.ALERTS_READ,
    write_scope=Scope.ALERTS_WRITE,
    transitions=_lifecycle(
        active="released rescued deceased unresolved",
        unresolved="released rescued deceased closed",
        released="closed",
        rescued="closed",
        deceased="closed",
        closed="",
    ),
    default_review=timedelta(days=365),
    columns=_alert_columns,
    sorts=("recent", "urgency"),
)
SUSPECTS = KindSpec(
    kind=RecordKind.SUSPECT,
    path="suspects",
    create=SuspectCreate,
    update=SuspectUpdate,
    read=SuspectRead,
    page=SuspectPage,
    read_scope=Scope.SUSPECTS_READ,
    write_scope=Scope.SUSPECTS_WRITE,
    transitions=_lifecycle(open="closed", closed="open"),
    default_review=timedelta(days=3 * 365),
    columns=_suspect_columns,
)
LEADS = KindSpec(
    kind=RecordKind.LEAD,
    path="leads",
    create=LeadCreate,
    update=LeadUpdate,
    read=LeadRead,
    page=LeadPage,
    read_scope=Scope.LEADS_READ,
    write_scope=Scope.LEADS_WRITE,
    transitions=_lifecycle(
        traced="frozen released closed",
        frozen="confiscated released closed",
        confiscated="returned closed",
        returned="closed",
        released="closed",
        closed="",
    ),
    default_review=timedelta(days=3 * 365),
    columns=_lead_columns,
)
KINDS: dict[RecordKind, KindSpec] = {spec.kind: spec for spec in (ALERTS, SUSPECTS, LEADS)}
INITIAL_STATUS = {RecordKind.ALERT: "active", RecordKind.SUSPECT: "open", RecordKind.LEAD: "traced"}
