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
from app.services.name_match import MATCH_THRESHOLD, PreparedName, prepared_similarity
from app.services.vault import Vault, secrets_for
from app.services.visibility import visible_to

_CANDIDATE_LIMIT = 500  # name candidates scored per query, best-sharing first
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
    rows = _exact_rows(session, labels) + _name_candidates(session, key, request.names)
    records = {
        record.id: record
        for record in session.scalars(
            select(Record).where(
                Record.id.in_({record_id for record_id, _term, _digest in rows}),
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
        label = labels.get((term, digest), "name?")
        if label != "name?":
            candidate.matched_on.add(label)
            candidate.exact = candidate.exact or label in ("document", "account", "wallet", "phone", "name")
            candidate.score = 1.0 if candidate.exact else candidate.score
    query_names = [PreparedName.of(name) for name in request.names]
    for candidate in candidates.values():
        if query_names and candidate.record.kind == "suspect" and "name" not in candidate.matched_on:
            _score_names(vault, candidate, query_names)
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


def _score_names(vault: Vault, candidate: _Candidate, names: list[PreparedName]) -> None:
    record = candidate.record
    secrets = secrets_for(vault, record.id, record.data_key)
    stored = secrets.open_body(record.kind, record.body, only=("names",)).get("names") or []
    best = max(
        (
            prepared_similarity(query, PreparedName.of(entry["full_name"]))
            for query in names
            for entry in stored
        ),
        default=0.0,
    )
    if best >= MATCH_THRESHOLD:
        candidate.matched_on.add("name")
        candidate.score = max(candidate.score, best)


def _exact_rows(session: Session, labels: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """Every record holding one of the exact values: these are selective, so never capped."""
    by_term: dict[str, list[str]] = defaultdict(list)
    for term, digest in labels:
        by_term[term].append(digest)
    if not by_term:
        return []
    query = select(BlindIndex.record_id, BlindIndex.term, BlindIndex.digest).where(
        or_(
            *(
                and_(BlindIndex.term == term, BlindIndex.digest.in_(digests))
                for term, digests in by_term.items()
            )
        )
    )
    return [(row.record_id, row.term, row.digest) for row in session.execute(query)]


def _name_candidates(session: Session, key: bytes, names: list[str]) -> list[tuple[str, str, str]]:
    """Records sharing phonetic tokens with the queried names, those sharing the most first, capped.

    Skeletons shorter than three letters ("RS" for Rajesh, Rossi, Reyes...) find thousands of records and
    tell little; they are used only for names that have no longer one.
    """
    digests: set[str] = set()
    for name in names:
        skeletons = normalize.name_skeletons(name)
        useful = [s for s in skeletons if len(s) >= 3] or [s for s in skeletons if len(s) >= 2]
        digests.update(blind_index(key, indexing.NAME_TOKEN, s) for s in useful)
    if not digests:
        return []
    shared = func.count(BlindIndex.digest)
    ranked = (
        select(BlindIndex.record_id)
        .where(BlindIndex.term == indexing.NAME_TOKEN, BlindIndex.digest.in_(digests))
        .group_by(BlindIndex.record_id)
        .order_by(shared.desc(), BlindIndex.record_id)
        .limit(_CANDIDATE_LIMIT)
    )
    return [(record_id, indexing.NAME_TOKEN, "") for record_id in session.scalars(ranked)]
