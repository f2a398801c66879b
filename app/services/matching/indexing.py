"""Blind indexes: a record's searchable values as keyed hashes (HMAC-SHA256 under the index key), written
when the record is. What a kind is found by is declared by the kind (its `index_terms`)."""

from collections.abc import Iterable
from itertools import combinations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.crypto.blind_index import blind_index
from app.models import BlindIndex
from app.services.matching import normalize

NAME = "name"  # the whole name, tokens sorted
NAME_TOKEN = "name_token"  # noqa: S105 - an index term, not a secret; the phonetic skeleton of one token: candidates only, then scored
NAME_PAIR = "name_pair"  # two tokens' skeletons: found without the crowd holding one of them
DOB = "dob"
DOCUMENT = "document"  # number without issuing country: callers often do not know it
DOCUMENT_OCR = "document_ocr"  # the same with letters and digits read alike folded (0/O, 1/I, 5/S...)
IBAN = "iban"
WALLET = "wallet"
PHONE = "phone"


def name_terms(name: str) -> set[tuple[str, str]]:
    """The exact key of a name, the phonetic skeleton of each of its tokens, and each pair of those."""
    terms = {(NAME, normalize.name_key(name))}
    for reading in normalize.skeleton_readings(name):
        terms.update((NAME_TOKEN, key) for key in token_keys(reading))
        terms.update((NAME_PAIR, key) for key in pair_keys(reading))
    return terms


def token_keys(skeletons: Iterable[str]) -> set[str]:
    return {key for key in skeletons if len(key) >= 2}


def pair_keys(skeletons: Iterable[str]) -> set[str]:
    """Two tokens' skeletons in either order: Maria Garcia is held by a thousand records where Maria or
    Garcia alone is held by tens of thousands, and Garcia Maria is the same pair."""
    return {"|".join(pair) for pair in combinations(sorted(token_keys(skeletons)), 2)}


def digests(index_key: bytes, terms: set[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(term, blind_index(index_key, term, value)) for term, value in terms if value}


def index_rows(index_key: bytes, record_id: str, terms: set[tuple[str, str]]) -> list[BlindIndex]:
    return [
        BlindIndex(record_id=record_id, term=term, digest=digest)
        for term, digest in sorted(digests(index_key, terms))
    ]


def reindex(session: Session, index_key: bytes, record_id: str, terms: set[tuple[str, str]]) -> None:
    unindex(session, record_id)
    session.add_all(index_rows(index_key, record_id, terms))


def unindex(session: Session, record_id: str) -> None:
    session.execute(delete(BlindIndex).where(BlindIndex.record_id == record_id))
