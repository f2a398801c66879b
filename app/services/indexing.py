"""The blind-index terms of a record, computed from its plaintext when it is written."""

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.crypto.blind_index import blind_index
from app.models import BlindIndex
from app.services import normalize

NAME = "name"  # the whole name, tokens sorted
NAME_TOKEN = "name_token"  # noqa: S105 - an index term, not a secret; the phonetic skeleton of one token: candidates only, then scored
DOB = "dob"
DOCUMENT = "document"  # number without issuing country: callers often do not know it
IBAN = "iban"
WALLET = "wallet"
PHONE = "phone"


def terms_of(kind: str, body: dict[str, Any]) -> set[tuple[str, str]]:
    """(term, normalised value) pairs a record can be found by."""
    terms: set[tuple[str, str]] = set()
    if kind == "suspect":
        for name in body.get("names") or []:
            terms.add((NAME, normalize.name_key(name["full_name"])))
            terms.update(
                (NAME_TOKEN, key) for key in normalize.name_skeletons(name["full_name"]) if len(key) >= 2
            )
        if body.get("date_of_birth"):
            terms.add((DOB, normalize.birth_date(body["date_of_birth"])))
        for document in body.get("documents") or []:
            terms.add((DOCUMENT, normalize.document_number(document["number"])))
        terms.update((PHONE, normalize.phone(number)) for number in body.get("phones") or [])
    elif kind == "lead":
        identifiers = body.get("identifiers") or {}
        if identifiers.get("iban"):
            terms.add((IBAN, normalize.iban(identifiers["iban"])))
        if identifiers.get("wallet"):
            terms.add(
                (WALLET, normalize.wallet(identifiers["wallet"]["address"], identifiers["wallet"]["chain"]))
            )
    return {(term, value) for term, value in terms if value}


def digests(index_key: bytes, terms: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(term, blind_index(index_key, term, value)) for term, value in terms}


def reindex(session: Session, index_key: bytes, record_id: str, kind: str, body: dict[str, Any]) -> None:
    session.execute(delete(BlindIndex).where(BlindIndex.record_id == record_id))
    session.add_all(
        BlindIndex(record_id=record_id, term=term, digest=digest)
        for term, digest in sorted(digests(index_key, terms_of(kind, body)))
    )


def unindex(session: Session, record_id: str) -> None:
    session.execute(delete(BlindIndex).where(BlindIndex.record_id == record_id))
