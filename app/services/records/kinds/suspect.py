"""Suspect records: who is wanted or known, under which names and documents."""

from datetime import timedelta

from app.schemas.common import Scope
from app.schemas.records import RecordKind
from app.schemas.suspects import SuspectCreate, SuspectPage, SuspectRead, SuspectStatus, SuspectUpdate
from app.services.matching import indexing, normalize
from app.services.records.kinds import Body, Columns, IndexTerms, KindSpec, lifecycle


def _columns(body: Body) -> Columns:
    nationalities = body.get("nationalities") or []
    return {
        "category": None,
        "urgency_rank": None,
        "country": nationalities[0] if nationalities else None,
        "occurred_at": None,
    }


def _names(body: Body) -> list[str]:
    """Names to score, a known family name first and marked ("FAMILY, Given", "FAMILY, Given, Patronymic"),
    so names are compared part with part (the graph's label uses the first)."""
    return [_structured(name) for name in body.get("names") or []]


def _structured(name: dict[str, str]) -> str:
    family, patronymic = name.get("family_name"), name.get("patronymic")
    if not family:
        return name["full_name"]
    rest = name["full_name"].replace(family, " ")
    if patronymic:
        given = " ".join(rest.replace(patronymic, " ", 1).split())
        return f"{family}, {given}, {patronymic}"
    given = " ".join(rest.split())
    return f"{family}, {given}" if given else family


def _index_terms(body: Body) -> IndexTerms:
    terms: IndexTerms = set()
    for name in _names(body):
        terms |= indexing.name_terms(name)
    if body.get("date_of_birth"):
        terms.add((indexing.DOB, normalize.birth_date(body["date_of_birth"])))
    for document in body.get("documents") or []:
        terms.add((indexing.DOCUMENT, normalize.document_number(document["number"])))
        terms.add((indexing.DOCUMENT_OCR, normalize.document_ocr(document["number"])))
    terms.update((indexing.PHONE, normalize.phone(number)) for number in body.get("phones") or [])
    return terms


SPEC = KindSpec(
    kind=RecordKind.SUSPECT,
    path="suspects",
    create=SuspectCreate,
    update=SuspectUpdate,
    read=SuspectRead,
    page=SuspectPage,
    read_scope=Scope.SUSPECTS_READ,
    write_scope=Scope.SUSPECTS_WRITE,
    statuses=SuspectStatus,
    initial_status=SuspectStatus.OPEN.value,
    transitions=lifecycle(open="closed", closed="open"),
    default_review=timedelta(days=3 * 365),
    longest_review=timedelta(days=10 * 365),
    columns=_columns,
    sensitive_fields=("names", "date_of_birth", "documents", "group_affiliation", "phones"),
    index_terms=_index_terms,
    names=_names,
    name_fields=("names",),
    follow_up_deadline=lambda _record: timedelta(hours=48),
    table_columns=(
        ("id", lambda r: r["id"]),
        ("owner", lambda r: r["owner"]),
        ("status", lambda r: r["status"]),
        ("name", lambda r: r["names"][0]["full_name"]),
        ("born", lambda r: r["date_of_birth"] or ""),
        ("nationalities", lambda r: ",".join(r["nationalities"])),
    ),
)
