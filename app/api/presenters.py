"""Turn stored records into what a given caller may read: the owner sees its distribution lists and the
victim's recipients; others see neither (recipients do not learn of each other); the victim block goes
only to agencies the owner named for it, and only with victims:read."""

from typing import Any

from pydantic import BaseModel

from app.models import Record, RecordRevision
from app.schemas.common import Scope
from app.services.authentication import Caller
from app.services.kinds import KindSpec
from app.services.visibility import AGENCY_GRANT, CONSENT_GRANT, GROUP_GRANT


def etag(record: Record) -> str:
    return f'"v{record.version}"'


def _readable_body(record: Record, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
    body = dict(body)
    if "victim_recipients" not in body:
        return body
    owner = record.owner_id == caller.agency_id
    recipients: list[str] = body.pop("victim_recipients") or []
    victim = body.pop("victim", None)
    allowed = Scope.VICTIMS_READ.value in caller.scopes and (owner or caller.agency_id in recipients)
    return body | {
        "victim": victim if allowed else None,
        "victim_withheld": victim is not None and not allowed,
        "victim_recipients": recipients if owner else None,
    }


def present(
    kind: KindSpec,
    record: Record,
    caller: Caller,
    links: list[str],
    grants: list[tuple[str, str]],
    body: dict[str, Any],
    withdrawal_reason: str | None,
) -> BaseModel:
    """`body` and `withdrawal_reason` are the record's, already decrypted."""
    owner = record.owner_id == caller.agency_id
    rules = {name: value for name, value in record.rules.items()}
    rules["distribution"] = {
        "mode": record.distribution,
        "agencies": [g for t, g in grants if t == AGENCY_GRANT] if owner else None,
        "groups": [g for t, g in grants if t == GROUP_GRANT] if owner else None,
        "consented": [g for t, g in grants if t == CONSENT_GRANT] if owner else None,
    }
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
        "rules": rules,
        "links": links,
        "status": record.status,
    }
    return kind.read.model_validate(_readable_body(record, body, caller) | envelope)


def present_revision(
    record: Record, revision: RecordRevision, caller: Caller, body: dict[str, Any]
) -> dict[str, Any]:
    return {
        "version": revision.version,
        "changed_at": revision.changed_at,
        "changed_by": revision.changed_by,
        "status": revision.status,
        "body": _readable_body(record, body, caller),
    }
