"""Hit/no-hit matching over blind indexes. Records the caller may see, and holds the kind's read scope
for, come back as references; others come back, if their owner made them discoverable, as a bare hit
(owner, kind, strength); the rest not at all. Owners are told of every hit on their records, and each
agency spends one unit of its hourly budget per value it tests."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, insert, select
from sqlalchemy.orm import Session

from app.crypto.blind_index import blind_index
from app.ids import uuid7
from app.models import Hit, MatchQuery, Record
from app.schemas.common import Scope
from app.schemas.events import EventType
from app.schemas.matching import MatchRequest
from app.services.audit.context import note_records
from app.services.budgets import Budget, spend
from app.services.events.outbox import Notice, emit_each
from app.services.matching import indexing, normalize
from app.services.matching.candidates import Found, candidate_records, exact_rows, name_candidates
from app.services.matching.names import EXACT, MATCH_THRESHOLD, Comparison, PreparedName, compare, strength_of
from app.services.records.kinds import KINDS, spec_of
from app.services.records.visibility import visible_to
from app.services.sequencing import is_postgres
from app.services.sql_lists import among
from app.services.vault import Vault, secrets_for

_NEAR_NAME = 0.8  # a name this alike is a hit only with the same date of birth
# References and hits one query answers, best first. A name a thousand records hold (Wang Wei, at a
# million suspects) would otherwise answer a thousand, tell a thousand owners, and take the server a
# second: past this, the response says it was cut, and the analyst narrows the query (a date of birth, a
# document), which ranks the right person first.
MAX_RESULTS = 100
_SIGHT_CHUNK = 128  # candidates whose visibility one statement checks
# Built once, Core not ORM (as the outbox's change row): a query writes its row and up to MAX_RESULTS hits,
# and the ORM's flush and bulk-insert machinery cost more than the statements. Inline: no id is read back.
_INSERT_QUERY = insert(cast(Table, MatchQuery.__table__)).inline()
_INSERT_HITS = insert(cast(Table, Hit.__table__))


class Matcher(Protocol):
    @property
    def agency_id(self) -> str: ...

    @property
    def actor(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...


@dataclass
class _Candidate:
    record: Found
    matched_on: set[str] = field(default_factory=set)
    score: float = 0.0
    exact: bool = False
    reasons: dict[str, str] = field(default_factory=dict)  # what matched, and how
    near_name: Comparison | None = None  # the best name below a hit, which a birth date may corroborate

    def reason(self, what: str, how: str) -> None:
        # The best evidence for each criterion is kept: an exact value over a tolerated one.
        if self.reasons.get(what) != "exact":
            self.reasons[what] = how


# Evidence that tolerates a mistake (labels ending in "~"): OCR confusions in a document number, a birth
# date with day and month swapped or the year one off.
_DATE, _NEAR_DATE = "date_of_birth", "date_of_birth~"
COMMON_DATE = 250  # a birth date more records hold brings no candidate of its own (worth_scoring)
_TOLERATED = {
    "document~": ("document", "allowing OCR confusions"),
    _NEAR_DATE: ("date_of_birth", "near"),
}
_IDENTIFIERS = ("document", "account", "wallet", "phone")


@dataclass(frozen=True)
class MatchOutcome:
    query_id: str
    references: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    remaining_budget: int
    truncated: bool  # more records matched than the MAX_RESULTS answered


def _exact_terms(request: MatchRequest) -> list[tuple[str, str, str]]:
    """(index term, normalised value, label shown to the caller)."""
    terms = [(indexing.DOB, normalize.birth_date(day), _DATE) for day in request.dates_of_birth]
    terms += [
        (indexing.DOB, day, _NEAR_DATE)
        for value in request.dates_of_birth
        for day in normalize.birth_date_near(value)
    ]
    terms += [
        (indexing.DOCUMENT, normalize.document_number(number), "document") for number in request.documents
    ]
    terms += [
        (indexing.DOCUMENT_OCR, normalize.document_ocr(number), "document~") for number in request.documents
    ]
    terms += [(indexing.IBAN, normalize.iban(account), "account") for account in request.accounts]
    terms += [
        (indexing.WALLET, normalize.wallet(w.address, w.chain.value), "wallet") for w in request.wallets
    ]
    terms += [(indexing.PHONE, normalize.phone(number), "phone") for number in request.phones]
    return terms


def worth_scoring(rows: list[tuple[str, str, str]], labels: dict[tuple[str, str], str]) -> set[str]:
    """The records of candidate `rows` (record, term, digest) worth loading and scoring: those a name or
    an identifier found, and those only a birth date found, if it is one few hold: there, a name one
    slip short of a hit may be corroborated by it (_corroborate). A date more than COMMON_DATE records
    hold brings no candidate of its own, as a common name token brings none alone; nor does a near date,
    which only corroborates. Either way, at a million suspects, hundreds of records would be decrypted and
    scored for nothing. Both still corroborate the records found otherwise."""
    found: set[str] = set()
    dated: dict[str, set[str]] = defaultdict(set)  # record: the exact dates it was found by
    for record_id, term, digest in rows:
        label = labels.get((term, digest))
        if label == _DATE:
            dated[record_id].add(digest)
        elif label != _NEAR_DATE:
            found.add(record_id)
    holders = Counter(digest for digests in dated.values() for digest in digests)
    return found | {
        record_id for record_id, digests in dated.items() if min(holders[d] for d in digests) <= COMMON_DATE
    }


def _strength(candidate: _Candidate) -> str:
    if candidate.exact:
        return "exact"
    return "strong" if candidate.score >= 0.95 else "possible"


def _readable_kinds(scopes: frozenset[str]) -> list[str]:
    return [spec.kind.value for spec in KINDS.values() if spec.read_scope.value in scopes]


def run_match(
    session: Session,
    vault: Vault,
    caller: Matcher,
    request: MatchRequest,
    budget: Budget,
    *,
    now: datetime,
) -> MatchOutcome:
    agency_id = caller.agency_id
    cost = request.criteria_count()
    remaining = spend(session, f"matches:{agency_id}", cost, budget, now, what="hourly match budget")
    query_id = uuid7()
    session.connection().execute(
        _INSERT_QUERY,
        {"id": query_id, "agency_id": agency_id, "actor": caller.actor, "criteria": cost, "asked_at": now},
    )
    key = vault.keys.index
    labels: dict[tuple[str, str], str] = {}
    for term, value, label in _exact_terms(request):
        labels[(term, blind_index(key, term, value))] = label
    rows = exact_rows(session, labels) + name_candidates(session, key, request.names)
    records = candidate_records(session, worth_scoring(rows, labels), agency_id)
    candidates: dict[str, _Candidate] = {}
    for record_id, term, digest in rows:
        if record_id not in records:
            continue
        candidate = candidates.setdefault(record_id, _Candidate(records[record_id]))
        label = labels.get((term, digest), "name?")
        if label in _TOLERATED:
            what, how = _TOLERATED[label]
            candidate.reason(what, how)
            if what == "document":  # a near document number is strong evidence; a near date only corroborates
                candidate.matched_on.add(what)
                candidate.score = max(candidate.score, 0.97)
        elif label != "name?":
            candidate.matched_on.add(label)
            candidate.reason(label, "exact")
            candidate.exact = candidate.exact or label in _IDENTIFIERS
            candidate.score = 1.0 if candidate.exact else candidate.score
    query_names = [(name, PreparedName.of(name)) for name in request.names]
    graded: dict[tuple[str, str], _Graded] = {}  # many candidates share a name: each pair graded once
    for candidate in candidates.values():
        if query_names and "name" not in candidate.matched_on:
            _score_names(vault, candidate, query_names, graded)
        _corroborate(candidate)
    found = [c for c in candidates.values() if c.matched_on - {_DATE} or c.exact]
    # Matched, answered or not: the owner's log shows every query that found its record.
    note_records(candidate.record.id for candidate in found)
    answered, truncated = _answerable(session, sorted(found, key=_rank), agency_id, caller.scopes)
    references: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    hits_recorded: list[dict[str, Any]] = []
    for candidate, can_see in answered:
        record = candidate.record
        strength = _strength(candidate)
        hit_id = uuid7()
        if record.owner_id != agency_id:
            hits_recorded.append(
                _hit(
                    query_id, agency_id, record, hit_id, strength, sorted(candidate.matched_on), can_see, now
                )
            )
        if can_see:
            references.append(
                {
                    "record_id": record.id,
                    "kind": record.kind,
                    "owner": record.owner_id,
                    "score": round(candidate.score, 3),
                    "strength": strength,
                    "matched_on": sorted(candidate.matched_on),
                    "reasons": _reasons(candidate),
                }
            )
        else:
            hits.append(
                {
                    "hit_id": hit_id,
                    "owner": record.owner_id,
                    "kind": record.kind,
                    "strength": strength,
                    "reasons": _reasons(candidate),
                }
            )
    _tell_owners(session, hits_recorded, now)
    return MatchOutcome(query_id, references, hits, remaining, truncated)


def _rank(candidate: _Candidate) -> tuple[int, int, bool, float, str]:
    """Best first: by the identifiers that matched (a document number names one person, a name many),
    then by how many criteria matched (the one of a thousand Wang Weis who also has the date of birth
    asked for), then exact, then by score; the record id keeps the order stable."""
    identifiers = len(candidate.matched_on.intersection(_IDENTIFIERS))
    criteria = len(candidate.matched_on)
    return (-identifiers, -criteria, not candidate.exact, -candidate.score, candidate.record.id)


def _answerable(
    session: Session, ranked: list[_Candidate], agency_id: str, scopes: frozenset[str]
) -> tuple[list[tuple[_Candidate, bool]], bool]:
    """The best MAX_RESULTS candidates the caller may be told of, each with whether it may see the
    record (a reference needs both sight of it and the kind's read scope; without, a hit if its owner
    made it discoverable; otherwise nothing); and whether more were left out. Sight is checked a chunk
    at a time, best first, so that a query a thousand records answer checks little more than it tells."""
    sight = _sight_check(is_postgres(session), agency_id, tuple(_readable_kinds(scopes)))
    answered: list[tuple[_Candidate, bool]] = []
    for start in range(0, len(ranked), _SIGHT_CHUNK):
        chunk = ranked[start : start + _SIGHT_CHUNK]
        ids = [candidate.record.id for candidate in chunk]
        visible = set(session.connection().execute(sight, {"ids": ids}).scalars())
        for candidate in chunk:
            record = candidate.record
            can_see = record.id in visible
            if not can_see and (not record.discoverable or record.owner_id == agency_id):
                continue
            if len(answered) == MAX_RESULTS:
                return answered, True
            answered.append((candidate, can_see))
    return answered, False


@lru_cache(maxsize=1024)
def _sight_check(postgres: bool, agency_id: str, kinds: tuple[str, ...]) -> Select[Any]:
    """Which of the ids given as the parameter `ids` the agency may see, of the kinds it may read: built
    once per agency and scopes, as visible_to's predicate is."""
    return select(Record.id).where(
        among(postgres, Record.id, "ids"), Record.kind.in_(kinds), visible_to(agency_id)
    )


def _reasons(candidate: _Candidate) -> list[str]:
    """What matched how, in the caller's own terms (nothing of the record it did not send)."""
    return [f"{what}: {how}" for what, how in sorted(candidate.reasons.items())]


def _hit(
    query_id: str,
    querier_id: str,
    record: Found,
    hit_id: str,
    strength: str,
    matched_on: list[str],
    can_see: bool,
    now: datetime,
) -> dict[str, Any]:
    """A hits row. Rows, not ORM objects: a common name brings hundreds, and building and flushing an
    object each cost more than the rest of the query."""
    return {
        "id": hit_id,
        "query_id": query_id,
        "record_id": record.id,
        "owner_id": record.owner_id,
        "querier_id": querier_id,
        "strength": strength,
        "matched_on": ",".join(matched_on),
        "visible": can_see,
        "created_at": now,
    }


def _tell_owners(session: Session, hits: list[dict[str, Any]], now: datetime) -> None:
    """The owner is told of every hit on its record, whatever the querier could see: the hits and their
    events written in two statements, however many there are."""
    if hits:
        session.connection().execute(_INSERT_HITS, hits)  # one executemany, pipelined by psycopg
    notices = [
        Notice(
            [hit["owner_id"]],
            {
                "hit_id": hit["id"],
                "querier": hit["querier_id"],
                "strength": hit["strength"],
                "matched_on": hit["matched_on"].split(",") if hit["matched_on"] else [],
                "querier_can_see": hit["visible"],
            },
            record_id=hit["record_id"],
            scope=Scope.REQUESTS_READ.value,
        )
        for hit in hits
    ]
    emit_each(session, EventType.HIT_RECORDED, notices, now=now)


# A query name against a stored one: their comparison, and whether it is exact.
_Graded = tuple[Comparison, bool]


def _score_names(
    vault: Vault,
    candidate: _Candidate,
    names: list[tuple[str, PreparedName]],
    graded: dict[tuple[str, str], _Graded],
) -> None:
    record = candidate.record
    spec = spec_of(record.kind)
    if not spec.name_fields:
        return
    secrets = secrets_for(vault, record.id, record.data_key)
    opened = secrets.open_body(spec.name_fields, record.sealed_names)
    pairs = [(text, query, stored) for text, query in names for stored in spec.names(opened)]
    for text, query, stored in pairs:
        if (text, stored) not in graded:
            name = PreparedName.of(stored)
            comparison = compare(query, name)
            graded[(text, stored)] = (comparison, strength_of(query, name, comparison) == EXACT)
    if not pairs:
        return
    best, exact = max((graded[(text, stored)] for text, _q, stored in pairs), key=lambda item: item[0].score)
    if exact:
        candidate.matched_on.add("name")
        candidate.exact, candidate.score = True, 1.0
        candidate.reason("name", "exact")
    elif best.score >= MATCH_THRESHOLD:
        candidate.matched_on.add("name")
        candidate.score = max(candidate.score, best.score)
        candidate.reason("name", f"family {best.family}, given {best.given}")
    elif best.score >= _NEAR_NAME:
        candidate.near_name = best


def _corroborate(candidate: _Candidate) -> None:
    """The same date of birth lifts a possible name to a strong hit, and a name one slip short of a hit
    (a keying error) to a possible one; a near date only says so."""
    if candidate.reasons.get("date_of_birth") != "exact":
        return
    if "name" in candidate.matched_on:
        candidate.score = max(candidate.score, 0.95)
    elif candidate.near_name is not None:
        near = candidate.near_name
        candidate.matched_on.add("name")
        candidate.score = max(candidate.score, MATCH_THRESHOLD)
        candidate.reason("name", f"near (family {near.family}, given {near.given}), with the date of birth")
