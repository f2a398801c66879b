"""A case's link graph as its reader may see it: the case's records it sees (and holds the scope to read),
the typed links between them, the requests and crisis rooms of the case it is a party to (joined to the
records they concern), and the identifiers the records share, found by comparing blind indexes, so no
clear value is read or shown."""

from collections import defaultdict
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import BlindIndex, Record, RecordLink
from app.services.analysis.case_records import visible_records_of_case
from app.services.analysis.case_references import Referenced, visible_references
from app.services.analysis.cases import find_case, title_and_summary
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


def _names(session: Session, vault: Vault, records: list[Record]) -> dict[str, str]:
    """The first name of each record of a kind with names, decrypting only the name fields."""
    named = [record for record in records if spec_of(record.kind).name_fields]
    if not named:
        return {}
    query = select(Record.id, Record.body).where(Record.id.in_([record.id for record in named]))
    bodies: dict[str, Any] = {record_id: body for record_id, body in session.execute(query)}
    found = {}
    for record in named:
        spec = spec_of(record.kind)
        body = secrets_for(vault, record.id, record.data_key).open_body(spec.name_fields, bodies[record.id])
        names = spec.names(body)
        if names:
            found[record.id] = names[0]
    return found


def _node(record: Record, names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "kind": record.kind,
        "label": names.get(record.id) or spec_of(record.kind).label(record),
        "owner": record.owner_id,
        "status": record.status,
        "category": record.category,
        "country": record.country,
    }


_LINK_COLUMNS = (
    RecordLink.id,
    RecordLink.source_id,
    RecordLink.target_id,
    RecordLink.type,
    RecordLink.author_id,
    RecordLink.actor,
    RecordLink.created_at,
    RecordLink.confidence,
)


def _edges(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """The links between the records: found from their sources (one index range each), the targets
    checked here (two IN lists would have the database try every pair)."""
    shown = set(ids)
    rows = session.execute(select(*_LINK_COLUMNS).where(RecordLink.source_id.in_(ids)))
    edges = [
        {
            "id": link_id,
            "source": source,
            "target": target,
            "type": link_type,
            "author": author,
            "actor": actor,
            "created_at": created_at,
            "confidence": confidence,
        }
        for link_id, source, target, link_type, author, actor, created_at, confidence in rows
        if target in shown
    ]
    return sorted(edges, key=lambda edge: (edge["created_at"], edge["id"]))


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
        for record in visible_records_of_case(session, reader.agency_id, case_id)
        if spec_of(record.kind).read_scope.value in reader.scopes
    ]
    ids = [record.id for record in records]
    references = visible_references(session, reader.agency_id, case_id)
    names = _names(session, vault, records)
    return {
        "case": access.case.id,
        "title": title,
        "nodes": [_node(record, names) for record in records] + [_reference_node(ref) for ref in references],
        "edges": (_edges(session, ids) if ids else []) + _concerns(references, set(ids)),
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
