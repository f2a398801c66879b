"""Proceeds-tracing leads: assets to trace, freeze, confiscate and return."""

from datetime import timedelta

from app.schemas.common import Scope
from app.schemas.leads import AssetKind, LeadCreate, LeadPage, LeadRead, LeadStatus, LeadUpdate
from app.schemas.records import RecordKind
from app.services.matching import indexing, normalize
from app.services.records.kinds import Body, Columns, IndexTerms, KindSpec, lifecycle, no_names


def _columns(body: Body) -> Columns:
    return {
        "category": body["asset_kind"],
        "urgency_rank": None,
        "country": body["jurisdiction"],
        "occurred_at": None,
    }


def _index_terms(body: Body) -> IndexTerms:
    identifiers = body.get("identifiers") or {}
    terms: IndexTerms = set()
    if identifiers.get("iban"):
        terms.add((indexing.IBAN, normalize.iban(identifiers["iban"])))
    if identifiers.get("wallet"):
        wallet = identifiers["wallet"]
        terms.add((indexing.WALLET, normalize.wallet(wallet["address"], wallet["chain"])))
    return terms


SPEC = KindSpec(
    kind=RecordKind.LEAD,
    path="leads",
    create=LeadCreate,
    update=LeadUpdate,
    read=LeadRead,
    page=LeadPage,
    read_scope=Scope.LEADS_READ,
    write_scope=Scope.LEADS_WRITE,
    statuses=LeadStatus,
    initial_status=LeadStatus.TRACED.value,
    transitions=lifecycle(
        traced="frozen released closed",
        frozen="confiscated released closed",
        confiscated="returned closed",
        returned="closed",
        released="closed",
        closed="",
    ),
    default_review=timedelta(days=3 * 365),
    longest_review=timedelta(days=10 * 365),
    columns=_columns,
    sensitive_fields=("identifiers",),
    index_terms=_index_terms,
    names=no_names,
    follow_up_deadline=lambda _record: timedelta(hours=48),
    table_columns=(
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("asset", lambda r: r["asset_kind"]),
        ("amount", lambda r: f"{r['amount']} {r['currency']}"),
        ("jurisdiction", lambda r: r["jurisdiction"]),
    ),
    categories=AssetKind,
)
