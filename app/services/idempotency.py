"""Idempotency-Key: a retried POST gets the first answer and changes nothing, even when the retries race.

The key is claimed by inserting its row first in the request's transaction; the row is completed with
the response and commits with the work. A concurrent retry's insert waits on the unique key until the
first transaction ends, then finds the stored answer.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import KixError
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


def claim(session: Session, agency_id: str, key: str, digest: str, vault: Vault) -> StoredAnswer | None:
    """None when this is the first use of the key (now reserved); else the answer the first use got."""
    _, wrapped = vault.new_data_key(_owner(agency_id, key))
    session.add(
        IdempotencyKey(
            agency_id=agency_id, key=key, request_hash=digest, status_code=0, response="", data_key=wrapped
        )
    )
    try:
        session.flush()
        return None
    except IntegrityError:
        session.rollback()
    stored = session.get(IdempotencyKey, (agency_id, key))
    if stored is None:  # the first attempt rolled back meanwhile: let the caller retry afresh
        raise KixError("a concurrent request with this Idempotency-Key failed; retry", slug="conflict")
    if stored.request_hash != digest:
        raise KixError("this Idempotency-Key was used for another request", slug="idempotency-key-reused")
    # The stored answer holds the record as first returned (a victim's name, say): it is sealed.
    data_key = vault.data_key(stored.data_key, _owner(agency_id, key))
    plaintext = vault.open_text(
        data_key, stored.response, table="idempotency_keys", row=f"{agency_id}|{key}", field="response"
    )
    return StoredAnswer(stored.status_code, json.loads(plaintext))


def complete(
    session: Session, agency_id: str, key: str, status_code: int, response: dict[str, Any], vault: Vault
) -> None:
    row = session.get(IdempotencyKey, (agency_id, key))
    if row is not None:
        data_key = vault.data_key(row.data_key, _owner(agency_id, key))
        row.status_code = status_code
        row.response = vault.seal_text(
            data_key,
            json.dumps(response),
            table="idempotency_keys",
            row=f"{agency_id}|{key}",
            field="response",
        )
        session.flush()
