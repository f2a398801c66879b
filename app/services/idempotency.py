"""Idempotency-Key: a retried POST gets the first answer and changes nothing, even when the retries race.

The key is claimed by inserting its row first in the request's transaction; the row is completed with
the response and commits with the work. A concurrent retry's insert waits on the unique key until the
first transaction ends, then finds the stored answer. Answers expire (24 hours by default) and are swept;
an answer holding a record goes when that record is purged.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, IdempotencyKeyReused
from app.models import IdempotencyKey
from app.services.vault import Vault


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    response: dict[str, Any]


def request_digest(method: str, path: str, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _owner(agency_id: str, key: str) -> str:
    return f"idempotency_keys|{agency_id}|{key}"


def _insert(
    session: Session, agency_id: str, key: str, digest: str, vault: Vault, now: datetime, ttl: timedelta
) -> bool:
    """Reserve the key in a savepoint; False when another request holds it (this one then waited for
    that request's transaction to end)."""
    _, wrapped = vault.new_data_key(_owner(agency_id, key))
    row = IdempotencyKey(
        agency_id=agency_id,
        key=key,
        request_hash=digest,
        status_code=0,
        response="",
        data_key=wrapped,
        created_at=now,
        expires_at=now + ttl,
    )
    try:
        with session.begin_nested():
            session.add(row)
        return True
    except IntegrityError:
        return False


def claim(
    session: Session, agency_id: str, key: str, digest: str, vault: Vault, *, now: datetime, ttl: timedelta
) -> StoredAnswer | None:
    """None when this is the first use of the key (now reserved); else the answer the first use got."""
    if _insert(session, agency_id, key, digest, vault, now, ttl):
        return None
    stored = session.get(IdempotencyKey, (agency_id, key), populate_existing=True)
    if stored is None:  # the first attempt rolled back meanwhile: let the caller retry afresh
        raise Conflict("a concurrent request with this Idempotency-Key failed; retry")
    if stored.expires_at <= now:  # an expired answer, not swept yet: the key is free again
        session.delete(stored)
        session.flush()
        if _insert(session, agency_id, key, digest, vault, now, ttl):
            return None
        raise Conflict("a concurrent request with this Idempotency-Key is under way; retry")
    if stored.request_hash != digest:
        raise IdempotencyKeyReused("this Idempotency-Key was used for another request")
    # The stored answer holds the record as first returned (a victim's name, say): it is sealed.
    data_key = vault.data_key(stored.data_key, _owner(agency_id, key))
    plaintext = vault.open_text(
        data_key, stored.response, table="idempotency_keys", row=f"{agency_id}|{key}", field="response"
    )
    return StoredAnswer(stored.status_code, json.loads(plaintext))


def complete(
    session: Session,
    agency_id: str,
    key: str,
    status_code: int,
    response: dict[str, Any],
    vault: Vault,
    *,
    resource_id: str | None,
) -> None:
    row = session.get(IdempotencyKey, (agency_id, key))
    if row is not None:
        data_key = vault.data_key(row.data_key, _owner(agency_id, key))
        row.status_code = status_code
        row.resource_id = resource_id
        row.response = vault.seal_text(
            data_key,
            json.dumps(response),
            table="idempotency_keys",
            row=f"{agency_id}|{key}",
            field="response",
        )
        session.flush()


def sweep(session: Session, now: datetime) -> int:
    """Delete expired answers (a scheduled job)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now))
    return int(result.rowcount)  # type: ignore[attr-defined]


def forget_resource(session: Session, resource_id: str) -> None:
    """Delete every stored answer that returned this record (it is being purged)."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.resource_id == resource_id))
