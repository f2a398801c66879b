"""Hit/no-hit matching over blind indexes. Visible records come back as references; records the caller
may not see come back, if their owner made them discoverable, as a bare hit (owner, kind, strength);
others not at all. Owners are told of every hit on their records, and each agency has a query budget."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.crypto.blind_index import blind_index
from app.errors import KixError
from app.ids import uuid7
from app.models import BlindIndex, Hit, MatchQuery, Record
from app.models.base import utcnow
from app.schemas.matching import MatchRequest
from app.services import indexing, normalize
from app.services.name_match import MATCH_THRESHOLD, name_similarity
from app.services.vault import Vault, secrets_for
from app.services.visibility import visible_to

_CANDIDATE_LIMIT = 1000
_WINDOW = timedelta(hours=1)


@dataclass
class _Candidate:
    record: Record
    matched_on: set[str] = field(default_factory=set)
    score: float = 0.0
    exact: bool = False


@dataclass(frozen=True)
class MatchOutcome:
    query_id: str
    references: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    remaining_budget: int


def _spend_budget(session: Session, agency_id: str, budget: int) -> int:
    """Refuse (429) past the hourly budget; return how many queries are left after this one."""
    since = utcnow() - _WINDOW
    used, oldest = session.execute(
        select(func.count(), func.min(MatchQuery.asked_at)).where(
            MatchQuery.agency_id == agency_id, MatchQuery.asked_at >= since
        )
    ).one()
    if used >= budget:
        retry_after = max(1, int((oldest + _WINDOW - utcnow()).total_seconds()) + 1)
        raise KixError(
            f"the hourly budget of {budget} match queries is spent",
            slug="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )
    return int(budget - used - 1)


def _exact_terms(request: MatchRequest) -> list[tuple[str, str, str]]:
    """(index term, normalised value, label shown to the caller)."""
    terms = [(indexing.NAME, normalize.name_key(name), "name") for name in request.names]
    terms += [(indexing.DOB, normalize.birth_date(day), "date_of_birth") for day in request.dates_of_birth]
    terms += [
        (indexing.DOCUMENT, normalize.document_number(number), "document") for number in request.documents
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


def run_match(
    session: Session, vault: Vault, agency_id: str, actor: str, request: MatchRequest, budget: int
) -> MatchOutcome:
    remaining = _spend_budget(session, agency_id, budget)
    query = MatchQuery(id=uuid7(), agency_id=agency_id, actor=actor, criteria=request.criteria_count())
    session.add(query)
    key = vault.keys.index
    labels: dict[tuple[str, str], str] = {}
    for term, value, label in _exact_terms(request):
        labels[(term, blind_index(key, term, value))] = label
    for name in request.names:
        for skeleton in normalize.name_skeletons(name):
            labels.setdefault((indexing.NAME_TOKEN, blind_index(key, indexing.NAME_TOKEN, skeleton)), "name?")
    by_term: dict[str, list[str]] = defaultdict(list)
    for term, digest in labels:
        by_term[term].append(digest)
    rows = session.execute(
        select(BlindIndex.record_id, BlindIndex.term, BlindIndex.digest)
        .where(or_(*(and_(BlindIndex.term == term, BlindIndex.digest.in_(d)) for term, d in by_term.items())))
        .limit(_CANDIDATE_LIMIT)
    ).all()
    records = {
        record.id: record
        for record in session.scalars(
            select(Record).where(
                Record.id.in_({row.record_id for row in rows}),
                Record.status.not_in(("withdrawn", "purged")),
                Record.data_key.is_not(None),
            )
        )
    }
    candidates: dict[str, _Candidate] = {}
    for record_id, term, digest in rows:
        if record_id not in records:
            continue
        candidate = candidates.setdefault(record_id, _Candidate(records[record_id]))
        label = labels[(term, digest)]
        if label != "name?":
            candidate.matched_on.add(label)
            candidate.exact = candidate.exact or label in ("document", "account", "wallet", "phone", "name")
            candidate.score = 1.0 if candidate.exact else candidate.score
    for candidate in candidates.values():
        if request.names and candidate.record.kind == "suspect" and "name" not in candidate.matched_on:
            _score_names(vault, candidate, request.names)
    found = {
        record_id: c for record_id, c in candidates.items() if c.matched_on - {"date_of_birth"} or c.exact
    }
    visible = set(session.scalars(select(Record.id).where(Record.id.in_(found), visible_to(agency_id))))
    references: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    for record_id, candidate in sorted(found.items(), key=lambda item: -item[1].score):
        record = candidate.record
        strength = _strength(candidate)
        can_see = record_id in visible
        if not can_see and not record.discoverable:
            continue
        hit_id = uuid7()
        if record.owner_id != agency_id:
            matched_on = ",".join(sorted(candidate.matched_on))
            session.add(
                Hit(
                    id=hit_id,
                    query_id=query.id,
                    record_id=record_id,
                    owner_id=record.owner_id,
                    querier_id=agency_id,
                    strength=strength,
                    matched_on=matched_on,
                    visible=can_see,
                )
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
                }
            )
        else:
            hits.append(
                {"hit_id": hit_id, "owner": record.owner_id, "kind": record.kind, "strength": strength}
            )
    session.flush()
    return MatchOutcome(query.id, references, hits, remaining)


def _score_names(vault: Vault, candidate: _Candidate, names: list[str]) -> None:
    record = candidate.record
    body = secrets_for(vault, record.id, record.data_key).open_body(record.kind, record.body)
    best = max(
        (
            name_similarity(query, stored["full_name"])
            for query in names
            for stored in body.get("names") or []
        ),
        default=0.0,
    )
    if best >= MATCH_THRESHOLD:
        candidate.matched_on.add("name")
        candidate.score = max(candidate.score, best)
