"""The library of proven and promising practices: short structured notes every member reads, its author
edits (versioned, If-Match), and others comment on; searched in full text (SQLite FTS5 or PostgreSQL's
text search, both with English stemming; the migration builds the index each needs)."""

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select, text
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from app.ids import uuid7
from app.models import CaseParticipant, JointCase, Practice, PracticeComment
from app.schemas.cases import CaseStatus, ParticipantStatus
from app.schemas.practices import PracticeCreate, PracticeUpdate
from app.services.records.store import Actor

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def etag(practice: Practice) -> str:
    return f'"v{practice.version}"'


def _check_cases(session: Session, agency_id: str, case_ids: Sequence[str]) -> list[str]:
    """Cases a practice draws on: closed, and the author's own or one it took part in (422 otherwise)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return []
    took_part = select(CaseParticipant.case_id).where(
        CaseParticipant.agency_id == agency_id,
        CaseParticipant.status.in_((ParticipantStatus.ACCEPTED.value, ParticipantStatus.LEFT.value)),
    )
    found = set(
        session.scalars(
            select(JointCase.id).where(
                JointCase.id.in_(wanted),
                JointCase.status == CaseStatus.CLOSED.value,
                or_(JointCase.owner_id == agency_id, JointCase.id.in_(took_part)),
            )
        )
    )
    missing = [case_id for case_id in wanted if case_id not in found]
    if missing:
        raise ValidationFailed(f"cases: no closed case {missing[0]} of yours")
    return wanted


def publish(session: Session, actor: Actor, data: PracticeCreate, *, now: datetime) -> Practice:
    practice = Practice(
        id=uuid7(),
        author_id=actor.agency_id,
        actor=actor.name,
        country=data.country,
        title=data.title,
        themes=[theme.value for theme in data.themes],
        summary=data.summary,
        lessons=data.lessons,
        published_on=data.published_on or now.date(),
        cases=_check_cases(session, actor.agency_id, data.cases),
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(practice)
    session.flush()
    return practice


def get(session: Session, practice_id: str) -> Practice:
    practice = session.get(Practice, practice_id)
    if practice is None:
        raise NotFound(f"no practice {practice_id}")
    return practice


def edit(
    session: Session,
    actor: Actor,
    practice_id: str,
    expected_version: int,
    data: PracticeUpdate,
    *,
    now: datetime,
) -> Practice:
    practice = get(session, practice_id)
    if practice.author_id != actor.agency_id:
        raise Forbidden("only the practice's author edits it; others comment")
    if practice.version != expected_version:
        raise PreconditionFailed(f"the practice is at version {practice.version}")
    changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "cases" in changes:
        changes["cases"] = _check_cases(session, actor.agency_id, changes["cases"])
    for name, value in changes.items():
        setattr(practice, name, value)
    practice.version += 1
    practice.actor, practice.updated_at = actor.name, now
    session.flush()
    return practice


def comment(
    session: Session, actor: Actor, practice_id: str, text_: str, *, now: datetime
) -> PracticeComment:
    practice = get(session, practice_id)
    made = PracticeComment(
        id=uuid7(),
        practice_id=practice.id,
        author_id=actor.agency_id,
        actor=actor.name,
        text=text_,
        created_at=now,
    )
    session.add(made)
    session.flush()
    return made


def comments_of(session: Session, practice_id: str) -> list[PracticeComment]:
    query = select(PracticeComment).where(PracticeComment.practice_id == practice_id)
    return list(session.scalars(query.order_by(PracticeComment.created_at, PracticeComment.id)))


def _terms(query: str) -> list[str]:
    """The words of a search: the rest (quotes, operators) is dropped, so no input is a syntax error."""
    return _WORD.findall(query.lower())[:MAX_TERMS]


def _matching(session: Session, terms: list[str]) -> Any:
    """Practices containing every term (stemmed), as a predicate on Practice."""
    if session.get_bind().dialect.name == "sqlite":
        expression = " ".join(f'"{term}"' for term in terms)
        ids = text("SELECT practice_id FROM practices_fts WHERE practices_fts MATCH :fts").bindparams(
            fts=expression
        )
        return Practice.id.in_(ids.columns(practice_id=String))
    document = func.to_tsvector(
        text("'english'"), Practice.title + " " + Practice.summary + " " + Practice.lessons
    )
    return document.op("@@")(func.plainto_tsquery(text("'english'"), " ".join(terms)))


def search(
    session: Session,
    *,
    query: str | None,
    theme: str | None,
    country: str | None,
    after: list[Any] | None,
    limit: int,
) -> list[Practice]:
    """Newest first; with `query`, only the practices containing all its words."""
    statement = select(Practice)
    terms = _terms(query or "")
    if query is not None and not terms:
        raise ValidationFailed("q: no word to search for")
    if terms:
        statement = statement.where(_matching(session, terms))
    if theme is not None:  # themes are a controlled vocabulary: its quoted form is exact in the JSON text
        statement = statement.where(cast(Practice.themes, String).like(f'%"{theme}"%'))
    if country is not None:
        statement = statement.where(Practice.country == country)
    if after is not None:
        published, last_id = date.fromisoformat(after[0]), after[1]
        statement = statement.where(
            or_(
                Practice.published_on < published,
                and_(Practice.published_on == published, Practice.id < last_id),
            )
        )
    ordered = statement.order_by(Practice.published_on.desc(), Practice.id.desc()).limit(limit)
    return list(session.scalars(ordered))
