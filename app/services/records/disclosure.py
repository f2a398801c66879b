"""Who sees what of a record: the one function every output uses (the API's record and revision views
today; the change feed, webhooks and console next). Given records the viewer may see (the visibility
predicate decided that), it decrypts them and keeps what this viewer may read:

- the owner sees its distribution lists and consents; recipients see neither (nor learn of each other);
- a restricted block (an alert's victim) goes only to agencies the owner names for it now, holding the
  block's scope: the record's *current* rules decide for every version, so an agency the owner has since
  removed reads the block in no revision;
- links show only where the viewer sees the other end;
- a purged record is gone: nothing of it is disclosed.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import CompoundSelect, String, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.models import Record, RecordGrant, RecordLink, RecordRevision
from app.services.audit.context import note_records
from app.services.records.kinds import KindSpec, spec_of
from app.services.records.links import linked_ids_seen_by, touching_listed, visible_ids
from app.services.records.visibility import AGENCY_GRANT, CONSENT_GRANT, GROUP_GRANT, audiences
from app.services.sequencing import is_postgres
from app.services.sql_lists import among
from app.services.vault import RecordSecrets, Vault, secrets_for


class Viewer(Protocol):
    """Whoever a view is for: an authenticated caller, or the agency an event will be sent to."""

    @property
    def agency_id(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...


def etag(record: Record) -> str:
    return f'"v{record.version}"'


def _may_read_restricted(spec: KindSpec, record: Record, current: dict[str, Any], viewer: Viewer) -> bool:
    if spec.restricted is None:
        return True
    if viewer.agency_id == record.owner_id:
        return spec.restricted.scope.value in viewer.scopes
    named = current.get(spec.restricted.recipients_field) or []
    return spec.restricted.scope.value in viewer.scopes and viewer.agency_id in named


def _readable_body(
    spec: KindSpec, record: Record, body: dict[str, Any], allowed: bool, viewer: Viewer
) -> dict[str, Any]:
    """`body` (a version's, decrypted) as `viewer` may read it; `allowed` says whether the record's
    current rules let it read the restricted block."""
    block = spec.restricted
    if block is None:
        return dict(body)
    readable = dict(body)
    content = readable.pop(block.field, None)
    recipients = readable.pop(block.recipients_field, None) or []
    owner = viewer.agency_id == record.owner_id
    return readable | {
        block.field: content if allowed else None,
        block.withheld_flag: content is not None and not allowed,
        block.recipients_field: recipients if owner else None,
    }


@dataclass(frozen=True)
class Companions:
    """What the views of some records need besides their rows: each record's grants, as (type, grantee)
    in grantee order, and the other ends of its links (any type, by anyone, before any sight check)."""

    grants: dict[str, list[tuple[str, str]]]
    linked: dict[str, set[str]]


_GRANT_ROW, _LINK_ROW = "grant", "link"


@lru_cache(maxsize=2)
def _companions_of(postgres: bool) -> CompoundSelect:
    """The grants and the links of the records in the parameter `record_ids`, in one statement (one round
    trip where two statements took two): rows of (what, record or link source, grantee type or link
    target, grantee). Built once, as every read asks it."""
    grants = select(
        literal(_GRANT_ROW), RecordGrant.record_id, RecordGrant.grantee_type, RecordGrant.grantee_id
    ).where(among(postgres, RecordGrant.record_id, "record_ids"))
    links = select(
        literal(_LINK_ROW), RecordLink.source_id, RecordLink.target_id, cast(null(), String)
    ).where(touching_listed(postgres))
    return union_all(grants, links)


def companions(session: Session, record_ids: Sequence[str]) -> Companions:
    grants: dict[str, list[tuple[str, str]]] = {record_id: [] for record_id in record_ids}
    linked: dict[str, set[str]] = {record_id: set() for record_id in record_ids}
    if not grants:
        return Companions(grants, linked)
    for what, first, second, grantee in session.execute(
        _companions_of(is_postgres(session)), {"record_ids": list(grants)}
    ):
        if what == _GRANT_ROW:
            grants[first].append((second, grantee))
            continue
        if first in linked:
            linked[first].add(second)
        if second in linked:
            linked[second].add(first)
    return Companions({key: _in_grantee_order(pairs) for key, pairs in grants.items()}, linked)


def _in_grantee_order(grants: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(type, grantee) pairs ordered by grantee id, by code point: the same on every database, whatever
    its collation (a linguistic one would order "de-x" after "dea")."""
    return sorted(grants, key=lambda grant: (grant[1], grant[0]))


def _rules(record: Record, grants: list[tuple[str, str]], owner: bool) -> dict[str, Any]:
    rules = dict(record.rules)
    rules["distribution"] = {
        "mode": record.distribution,
        "agencies": [g for t, g in grants if t == AGENCY_GRANT] if owner else None,
        "groups": [g for t, g in grants if t == GROUP_GRANT] if owner else None,
        "consented": [g for t, g in grants if t == CONSENT_GRANT] if owner else None,
    }
    return rules


def _withdrawal_reason(record: Record, secrets: RecordSecrets) -> str | None:
    if record.withdrawal_reason is None:
        return None
    return secrets.open_text(record.withdrawal_reason, table="records", row="withdrawal", field="reason")


def _secrets(record: Record, vault: Vault) -> RecordSecrets:
    return secrets_for(vault, record.id, record.data_key)


def current_body(record: Record, vault: Vault) -> dict[str, Any]:
    """The record's live body, decrypted (for its owner's changes; never sent as is)."""
    return _secrets(record, vault).open_body(spec_of(record.kind).sensitive_fields, record.body)


def _view(
    spec: KindSpec,
    record: Record,
    body: dict[str, Any],
    withdrawal_reason: str | None,
    grants: list[tuple[str, str]],
    links: list[str],
    viewer: Viewer,
) -> dict[str, Any]:
    owner = record.owner_id == viewer.agency_id
    envelope = {
        "id": record.id,
        "kind": record.kind,
        "owner": record.owner_id,
        "version": record.version,
        "etag": etag(record),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "withdrawn_at": record.withdrawn_at,
        "withdrawal_reason": withdrawal_reason,
        "rules": _rules(record, grants, owner),
        "links": links,
        "status": record.status,
    }
    allowed = _may_read_restricted(spec, record, body, viewer)
    return _readable_body(spec, record, body, allowed, viewer) | envelope


def disclose(
    session: Session, vault: Vault, viewer: Viewer, records: Sequence[Record]
) -> list[dict[str, Any]]:
    """Each record (all visible to `viewer`) as `viewer` may read it, ready for its kind's read schema."""
    note_records(record.id for record in records)
    found = companions(session, [record.id for record in records])
    # Links show only where the viewer sees the other end: asked only of the other ends there are (most
    # records have no links, and the visibility rule costs several times more to run than the lookup).
    others = set().union(*found.linked.values())
    seen = visible_ids(session, viewer.agency_id, sorted(others)) if others else set()
    return [
        _disclosed(vault, viewer, record, found.grants[record.id], sorted(found.linked[record.id] & seen))
        for record in records
    ]


def disclose_new(
    vault: Vault, viewer: Viewer, record: Record, grants: Sequence[RecordGrant], linked: Sequence[str]
) -> dict[str, Any]:
    """A record just created by `viewer`, as disclose would give it, from the rows its creation wrote
    (its grants, and the records it links to, which its creator was checked to see): a new record has no
    other grants or links, so reading them back would cost two round trips for nothing."""
    granted = _in_grantee_order([(grant.grantee_type, grant.grantee_id) for grant in grants])
    return _disclosed(vault, viewer, record, granted, sorted(set(linked)))


def _disclosed(
    vault: Vault, viewer: Viewer, record: Record, grants: list[tuple[str, str]], linked: list[str]
) -> dict[str, Any]:
    spec = spec_of(record.kind)
    secrets = _secrets(record, vault)
    body = secrets.open_body(spec.sensitive_fields, record.body)
    return _view(spec, record, body, _withdrawal_reason(record, secrets), grants, linked, viewer)


@dataclass(frozen=True)
class AgencyViewer:
    """An agency as the reader of an event: it may read what any of its keys could."""

    agency_id: str
    scopes: frozenset[str]


def disclose_to_audience(
    session: Session, vault: Vault, record: Record, only: Collection[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The record as each agency in its audience (or those of it in `only`) may read it now (what an
    event about it carries)."""
    views = disclose_to_audiences(session, vault, [record])[record.id]
    return {agency_id: view for agency_id, view in views.items() if only is None or agency_id in only}


def disclose_to_audiences(
    session: Session, vault: Vault, records: Sequence[Record]
) -> dict[str, dict[str, dict[str, Any]]]:
    """disclose_to_audience of many records (by id), in a few statements whatever their number: their
    audiences, their grants and which of them have links each in one; who sees the links only for those
    that have any. A fan-out reports on up to 500 records at a time."""
    ids = [record.id for record in records]
    audiences_of = audiences(session, ids)
    found = companions(session, ids)
    disclosed: dict[str, dict[str, dict[str, Any]]] = {}
    for record in records:
        readers = [AgencyViewer(agency, frozenset(scopes)) for agency, scopes in audiences_of[record.id]]
        spec = spec_of(record.kind)
        secrets = _secrets(record, vault)
        body = secrets.open_body(spec.sensitive_fields, record.body)
        reason = _withdrawal_reason(record, secrets)
        agency_ids = [reader.agency_id for reader in readers]
        links = (
            linked_ids_seen_by(session, record.id, agency_ids)
            if found.linked[record.id]
            else dict.fromkeys(agency_ids, [])
        )
        granted = found.grants[record.id]
        disclosed[record.id] = {
            reader.agency_id: _view(spec, record, body, reason, granted, links[reader.agency_id], reader)
            for reader in readers
        }
    return disclosed


def narrow_to_key(view: dict[str, Any], kind: str, scopes: frozenset[str]) -> dict[str, Any]:
    """An agency's view of a record as one of its keys may read it: without the restricted block when
    the key lacks that block's scope."""
    block = spec_of(kind).restricted
    if block is None or block.scope.value in scopes or view.get(block.field) is None:
        return view
    return view | {block.field: None, block.withheld_flag: True}


def narrow_json_to_key(view_json: str, kind: str, scopes: frozenset[str]) -> str:
    """narrow_to_key for a view kept as JSON text (an event's): parsed only when the kind has a
    restricted block the key may not read."""
    block = spec_of(kind).restricted
    if block is None or block.scope.value in scopes:
        return view_json
    return json.dumps(narrow_to_key(json.loads(view_json), kind, scopes), separators=(",", ":"))


def disclose_revisions(
    session: Session, vault: Vault, viewer: Viewer, record: Record
) -> list[dict[str, Any]]:
    """Every version of a record visible to `viewer`, oldest first, each disclosed under the record's
    current rules."""
    note_records([record.id])
    spec = spec_of(record.kind)
    secrets = _secrets(record, vault)
    allowed = _may_read_restricted(
        spec, record, secrets.open_body(spec.sensitive_fields, record.body), viewer
    )
    revisions = session.scalars(
        select(RecordRevision).where(RecordRevision.record_id == record.id).order_by(RecordRevision.version)
    )
    return [
        {
            "version": revision.version,
            "changed_at": revision.changed_at,
            "changed_by": revision.changed_by,
            "status": revision.status,
            "body": _readable_body(
                spec,
                record,
                secrets.open_body(spec.sensitive_fields, revision.body, version=revision.version),
                allowed,
                viewer,
            ),
        }
        for revision in revisions
    ]
