"""Candidates of a hit/no-hit query: the records holding one of its exact values (blind indexes), and
those that may hold one of its names, found without reading the crowd that shares a common token; loaded
with only what scoring and answering need."""

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Subquery,
    bindparam,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.crypto.blind_index import blind_index
from app.models import BlindIndex, Record
from app.services.matching import indexing, normalize
from app.services.records.kinds import KINDS
from app.services.records.store import WITHDRAWN
from app.services.records.visibility import NOT_HIDDEN, NOT_PURGED
from app.services.sequencing import is_postgres
from app.services.sql_lists import among

CANDIDATE_LIMIT = 250  # name candidates scored per query, best first (an answer carries at most 100)
RARE_TOKEN = 300  # a token held by more records finds candidates only in pairs with another
PAIR_ROWS = 2000  # name_pair rows read per query (a pair of common names: Wang Wei)


@dataclass(frozen=True)
class Found:
    """What scoring and answering need of a candidate record: its columns and its sealed name fields, not
    the whole body (a name query may load hundreds of candidates)."""

    id: str
    kind: str
    owner_id: str
    discoverable: bool
    data_key: str | None
    sealed_names: dict[str, Any]


# The body fields names are read from, over every kind (only they are loaded and decrypted to score).
_NAME_FIELDS = sorted({field for spec in KINDS.values() for field in spec.name_fields})


def candidate_records(session: Session, record_ids: set[str], agency_id: str) -> dict[str, Found]:
    if not record_ids:
        return {}
    statement = _candidate_fetch(is_postgres(session))
    rows = session.connection().execute(statement, {"ids": list(record_ids), "agency": agency_id})
    names = len(_NAME_FIELDS)
    return {
        row.id: Found(
            row.id,
            row.kind,
            row.owner_id,
            row.discoverable,
            row.data_key,
            {
                field: value
                for field, value in zip(_NAME_FIELDS, row[-names:], strict=True)
                if value is not None
            },
        )
        for row in rows
    }


@lru_cache(maxsize=2)
def _candidate_fetch(postgres: bool) -> Select[Any]:
    """The candidates' columns and sealed names: built once per database kind, the ids a parameter."""
    return select(
        Record.id,
        Record.kind,
        Record.owner_id,
        Record.discoverable,
        Record.data_key,
        *(Record.body[field].label(field) for field in _NAME_FIELDS),
    ).where(
        among(postgres, Record.id, "ids"),
        Record.status != WITHDRAWN,
        NOT_PURGED,
        or_(NOT_HIDDEN, Record.owner_id == bindparam("agency")),  # past retention: its owner's alone
    )


def exact_rows(session: Session, labels: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """Every record holding one of the exact values: these are selective, so never capped."""
    by_term: dict[str, list[str]] = defaultdict(list)
    for term, digest in labels:
        by_term[term].append(digest)
    if not by_term:
        return []
    terms = tuple(sorted(by_term))
    statement = _exact_lookups(is_postgres(session), terms)
    parameters = {f"digests_{index}": by_term[term] for index, term in enumerate(terms)}
    return [tuple(row) for row in session.connection().execute(statement, parameters)]


@lru_cache(maxsize=64)
def _exact_lookups(postgres: bool, terms: tuple[str, ...]) -> CompoundSelect:
    """One lookup per term, each its digests as the parameter digests_<i>, in one statement built once per
    set of terms. A lookup per term, not one OR of them all, so that each reads the (term, digest,
    record_id) index alone: under an OR PostgreSQL combined bitmaps and then read a table page for almost
    every row (867 pages for the 865 holders of a birth date at a million suspects)."""
    return union_all(
        *(
            select(BlindIndex.record_id, BlindIndex.term, BlindIndex.digest).where(
                BlindIndex.term == term, among(postgres, BlindIndex.digest, f"digests_{index}")
            )
            for index, term in enumerate(terms)
        )
    )


def name_candidates(session: Session, key: bytes, names: list[str]) -> list[tuple[str, str, str]]:
    """Records that may hold one of `names`, best first, at most CANDIDATE_LIMIT, without reading every
    record that shares a common token (at a million suspects, Maria is held by tens of thousands).

    A record is a candidate if it holds one of the names exactly (its normalised key), or shares a pair
    of tokens with one (name_pair: Maria Garcia, in either order), or one token that few records hold (a
    rare surname: also found with a typo in the given name). A token held by more than RARE_TOKEN records
    finds candidates only in pairs, except in a name of one token, which has no pair. Records holding a
    name exactly come first, then those sharing more.
    """
    exact = sorted({blind_index(key, indexing.NAME, normalize.name_key(name)) for name in names})
    pairs: set[str] = set()
    tokens: dict[str, bool] = {}  # digest: whether its name has no pair to find it by
    for name in names:
        for reading in normalize.skeleton_readings(name):
            keys = indexing.token_keys(reading)
            # Skeletons of two letters (RS: Rajesh, Rossi, Reyes...) tell little alone: not looked up alone
            # where the name has a longer one.
            alone = {k for k in keys if len(k) >= 3} or keys
            pairs.update(blind_index(key, indexing.NAME_PAIR, pair) for pair in indexing.pair_keys(reading))
            for token in alone:
                digest = blind_index(key, indexing.NAME_TOKEN, token)
                tokens[digest] = tokens.get(digest, False) or len(keys) == 1
    if not names:
        return []
    token_digests = sorted(tokens)
    parameters: dict[str, Any] = {f"token_{index}": digest for index, digest in enumerate(token_digests)}
    parameters |= {"exact": exact, "pairs": sorted(pairs)}
    parameters |= {"token_rows": RARE_TOKEN + 1, "exact_rows": CANDIDATE_LIMIT, "pair_rows": PAIR_ROWS}
    statement = _lookups(is_postgres(session), len(token_digests), bool(pairs))
    rows = session.connection().execute(statement, parameters).all()
    holders: dict[str, list[str]] = defaultdict(list)
    for record_id, token in rows:
        holders[token].append(record_id)
    shared: dict[str, int] = defaultdict(int)
    for token, record_ids in holders.items():
        if token in tokens and len(record_ids) > RARE_TOKEN and not tokens[token]:
            continue  # common: its holders come in by pairs
        for record_id in record_ids:
            shared[record_id] += _SHARES.get(token, 1)
    ranked = sorted(shared, key=lambda record_id: (-shared[record_id], record_id))[:CANDIDATE_LIMIT]
    return [(record_id, indexing.NAME_TOKEN, "") for record_id in ranked]


_EXACT, _PAIR = "=", ""  # what the exact-name and pair lookups are labelled with, beside token digests
# What holding each shares with the query: a pair is two tokens; a name held exactly outranks any sharing.
_SHARES = {_PAIR: 2, _EXACT: 1000}


@lru_cache(maxsize=128)
def _lookups(postgres: bool, tokens: int, with_pairs: bool) -> CompoundSelect:
    """The candidate lookups of a query with `tokens` token digests, in one statement: one bounded lookup
    per token (its first RARE_TOKEN + 1 holders tell whether it is rare), one for the exact names and one
    for the pairs. Built once per shape with named parameters, not per query: building a dozen subqueries
    cost SQLAlchemy more than the database spends running them."""
    lookups = []
    for index in range(tokens):
        digest = bindparam(f"token_{index}", type_=String())
        lookups.append(_lookup(indexing.NAME_TOKEN, BlindIndex.digest == digest, "token_rows", digest))
    exact = among(postgres, BlindIndex.digest, "exact")
    lookups.append(_lookup(indexing.NAME, exact, "exact_rows", literal(_EXACT)))
    if with_pairs:
        pairs = among(postgres, BlindIndex.digest, "pairs")
        lookups.append(_lookup(indexing.NAME_PAIR, pairs, "pair_rows", literal(_PAIR)))
    return union_all(*(select(lookup.c.record_id, lookup.c.token) for lookup in lookups))


def _lookup(term: str, condition: ColumnElement[bool], limit: str, label: ColumnElement[str]) -> Subquery:
    """Records holding a digest of `term` that meets `condition`, at most the parameter `limit` (read at
    each call, not built in), each row labelled with the token's digest (the parameter it was looked up
    by) or with what the lookup was."""
    return (
        select(BlindIndex.record_id, label.label("token"))
        .where(BlindIndex.term == term, condition)
        .limit(bindparam(limit, type_=Integer()))
        .subquery()
    )
