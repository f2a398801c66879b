"""Hit/no-hit matching over blind indexes. Records the caller may see, and holds the kind's read scope
for, come back as references; others come back, if their owner made them discoverable, as a bare hit
(owner, kind, strength); the rest not at all. Owners are told of every hit on their records, and each
agency spends one unit of its hourly budget per value it tests."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
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
from app.services.vault import Vault, secrets_for

_NEAR_NAME = 0.8  # a name this alike is a hit only with the same date of birth


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
_TOLERATED = {
    "document~": ("document", "allowing OCR confusions"),
    "date_of_birth~": ("date_of_birth", "near"),
}
_IDENTIFIERS = ("document", "account", "wallet", "phone")


@dataclass(frozen=True)
class MatchOutcome:
    query_id: str
    references: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    remaining_budget: int


def _exact_terms(request: MatchRequest) -> list[tuple[str, str, str]]:
    """(index term, normalised value, label shown to the caller)."""
    terms = [(indexing.NAME, normalize.name_key(name), "name") for name in request.names]
    terms += [(indexing.DOB, normalize.birth_date(day), "date_of_birth") for day in request.dates_of_birth]
    terms += [
        (indexing.DOB, day, "date_of_birth~")
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
    query = MatchQuery(id=uuid7(), agency_id=agency_id, actor=caller.actor, criteria=cost, asked_at=now)
    session.add(query)
    key = vault.keys.index
    labels: dict[tuple[str, str], str] = {}
    for term, value, label in _exact_terms(request):
        labels[(term, blind_index(key, term, value))] = label
    rows = exact_rows(session, labels) + name_candidates(session, key, request.names)
    records = candidate_records(session, {record_id for record_id, _term, _digest in rows}, agency_id)
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
        elif label == "name":
            continue  # found by the name's exact key, then graded as every name is (Hoa / Hòa share a key)
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
    found = {
        record_id: c for record_id, c in candidates.items() if c.matched_on - {"date_of_birth"} or c.exact
    }
    note_records(found)  # matched: a hit discloses that the record exists, to its owner's log
    # A reference needs both sight of the record and the kind's read scope; without the scope, a hit.
    readable = Record.kind.in_(_readable_kinds(caller.scopes))
    visible_query = select(Record.id).where(Record.id.in_(found), readable, visible_to(agency_id))
    visible = set(session.scalars(visible_query)) if found else set()
    references: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    hits_recorded: list[dict[str, Any]] = []
    for record_id, candidate in sorted(found.items(), key=lambda item: -item[1].score):
        record = candidate.record
        strength = _strength(candidate)
        can_see = record_id in visible
        if not can_see and (not record.discoverable or record.owner_id == agency_id):
            continue
        hit_id = uuid7()
        if record.owner_id != agency_id:
            hits_recorded.append(
                _hit(query, record, hit_id, strength, sorted(candidate.matched_on), can_see, now)
            )
        if can_see:
            references.append(
                {
                    "record_id": record_id,
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
    session.flush()
    return MatchOutcome(query.id, references, hits, remaining)


def _reasons(candidate: _Candidate) -> list[str]:
    """What matched how, in the caller's own terms (nothing of the record it did not send)."""
    return [f"{what}: {how}" for what, how in sorted(candidate.reasons.items())]


def _hit(
    query: MatchQuery,
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
        "query_id": query.id,
        "record_id": record.id,
        "owner_id": record.owner_id,
        "querier_id": query.agency_id,
        "strength": strength,
        "matched_on": ",".join(matched_on),
        "visible": can_see,
        "created_at": now,
    }


def _tell_owners(session: Session, hits: list[dict[str, Any]], now: datetime) -> None:
    """The owner is told of every hit on its record, whatever the querier could see: the hits and their
    events written in two statements, however many there are."""
    if hits:
        session.execute(insert(Hit), hits)  # flushes the query first: each hit names it
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
