"""A case's link graph as its reader may see it: the case's records it sees (and holds the scope to read),
the typed links between them, the requests and crisis rooms of the case it is a party to (joined to the
records they concern), and the identifiers the records share, found by comparing blind indexes, so no
clear value is read or shown."""

from collections import defaultdict
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import BlindIndex, Record, RecordLink
from app.services.analysis.case_references import Referenced, visible_references
from app.services.analysis.cases import find_case, title_and_summary, visible_case_records
from app.services.matching import indexing
from app.services.records.kinds import spec_of
from app.services.vault import Vault, secrets_for

# Exact identifiers only: a shared phonetic skeleton or birth date says too little to draw an edge.
SHARED_TERMS = {
    indexing.NAME: "name",
    indexing.DOCUMENT: "document",
    indexing.PHONE: "phone",
    indexing.IBAN: "iban",
    indexing.WALLET: "wallet",
}


class Reader(Protocol):
    @property
    def agency_id(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...


def _label(vault: Vault, record: Record) -> str:
    spec = spec_of(record.kind)
    if spec.name_fields:  # decrypt the names only
        body = secrets_for(vault, record.id, record.data_key).open_body(spec.name_fields, record.body)
        names = spec.names(body)
        if names:
            return names[0]
    return spec.label(record)


def _node(vault: Vault, record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "label": _label(vault, record),
        "owner": record.owner_id,
        "status": record.status,
        "category": record.category,
        "country": record.country,
    }


def _edge(link: RecordLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "source": link.source_id,
        "target": link.target_id,
        "type": link.type,
        "author": link.author_id,
        "actor": link.actor,
        "created_at": link.created_at,
        "confidence": link.confidence,
    }


def _shared_identifiers(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(BlindIndex.term, BlindIndex.digest, BlindIndex.record_id).where(
            BlindIndex.record_id.in_(ids), BlindIndex.term.in_(SHARED_TERMS)
        )
    )
    holders: dict[tuple[str, str], set[str]] = defaultdict(set)
    for term, digest, record_id in rows:
        holders[(term, digest)].add(record_id)
    shared = [
        {"kind": SHARED_TERMS[term], "records": sorted(records)}
        for (term, _digest), records in holders.items()
        if len(records) > 1
    ]
    return sorted(shared, key=lambda item: (item["kind"], item["records"]))


def case_graph(session: Session, vault: Vault, reader: Reader, case_id: str) -> dict[str, Any]:
    access = find_case(session, case_id, reader.agency_id)
    title, _summary = title_and_summary(vault, access.case)
    records = [
        record
        for _linked, record in visible_case_records(session, reader.agency_id, case_id)
        if spec_of(record.kind).read_scope.value in reader.scopes
    ]
    ids = [record.id for record in records]
    links: list[RecordLink] = []
    if ids:
        query = select(RecordLink).where(RecordLink.source_id.in_(ids), RecordLink.target_id.in_(ids))
        links = list(session.scalars(query.order_by(RecordLink.created_at, RecordLink.id)))
    references = visible_references(session, reader.agency_id, case_id)
    return {
        "case": access.case.id,
        "title": title,
        "nodes": [_node(vault, record) for record in records] + [_reference_node(ref) for ref in references],
        "edges": [_edge(link) for link in links] + _concerns(references, set(ids)),
        "shared_identifiers": _shared_identifiers(session, ids) if ids else [],
    }


def _reference_node(found: Referenced) -> dict[str, Any]:
    return {
        "id": found.reference.ref_id,
        "kind": found.reference.kind,
        "label": found.label,
        "owner": found.owner,
        "status": found.status,
        "category": None,
        "country": None,
    }


def _concerns(references: list[Referenced], shown: set[str]) -> list[dict[str, Any]]:
    """A request or room joined to each record of the case it names that the reader sees."""
    return [
        {
            "id": f"{found.reference.ref_id}>{record_id}",
            "source": found.reference.ref_id,
            "target": record_id,
            "type": "concerns",
            "author": found.owner,
            "actor": found.reference.actor,
            "created_at": found.created_at,
            "confidence": None,
        }
        for found in references
        for record_id in found.concerns
        if record_id in shown
    ]
