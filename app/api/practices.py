"""/v1/practices: the library of proven and promising practices."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from app.api.deps import CursorsDep, DbSession, Now, require
from app.api.records import IfMatch, expected_version
from app.models import Practice
from app.schemas.common import CountryCode, PageInfo, Scope
from app.schemas.practices import (
    CommentCreate,
    CommentRead,
    PracticeCreate,
    PracticePage,
    PracticeRead,
    PracticeUpdate,
    Theme,
)
from app.schemas.records import RecordId
from app.services.analysis import practices
from app.services.identity.authentication import Caller
from app.services.records.store import Actor

router = APIRouter(prefix="/v1/practices", tags=["analysis"])
Reader = Annotated[Caller, Depends(require(Scope.PRACTICES_READ))]
Writer = Annotated[Caller, Depends(require(Scope.PRACTICES_WRITE))]


def _practice(practice: Practice, comments: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": practice.id,
        "author": practice.author_id,
        "actor": practice.actor,
        "country": practice.country,
        "title": practice.title,
        "themes": practice.themes,
        "summary": practice.summary,
        "lessons": practice.lessons,
        "published_on": practice.published_on,
        "cases": practice.cases,
        "version": practice.version,
        "etag": practices.etag(practice),
        "created_at": practice.created_at,
        "updated_at": practice.updated_at,
        "comments": [_comment(made) for made in comments or []],
    }


def _comment(made: Any) -> dict[str, Any]:
    return {
        "id": made.id,
        "author": made.author_id,
        "actor": made.actor,
        "text": made.text,
        "created_at": made.created_at,
    }


def _full(session: Session, practice: Practice) -> dict[str, Any]:
    return _practice(practice, practices.comments_of(session, practice.id))


@router.post(
    "", status_code=201, response_model=PracticeRead, summary="Publish a practice note to every member"
)
def publish(body: PracticeCreate, caller: Writer, session: DbSession, now: Now) -> Any:
    return _practice(practices.publish(session, Actor.of(caller), body, now=now))


@router.get("", response_model=PracticePage, summary="Practices, newest first; q searches their full text")
def list_(
    caller: Reader,
    session: DbSession,
    cursors: CursorsDep,
    q: Annotated[str | None, Query(max_length=200, description="Words that must all occur (stemmed)")] = None,
    theme: Annotated[Theme | None, Query()] = None,
    country: Annotated[CountryCode | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Any:
    scope = f"practices:{q}:{theme}:{country}"
    after = cursors.decode(cursor, scope) if cursor else None
    found = practices.search(
        session, query=q, theme=theme.value if theme else None, country=country, after=after, limit=limit + 1
    )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        next_cursor = cursors.encode(scope, [page[-1].published_on.isoformat(), page[-1].id])
    return {"items": [_practice(practice) for practice in page], "page": PageInfo(next_cursor=next_cursor)}


@router.get("/{practice_id}", response_model=PracticeRead, summary="A practice with its comments")
def get(practice_id: RecordId, caller: Reader, session: DbSession) -> Any:
    return _full(session, practices.get(session, practice_id))


@router.patch("/{practice_id}", response_model=PracticeRead, summary="Its author: edit (If-Match)")
def edit(
    practice_id: RecordId,
    body: PracticeUpdate,
    caller: Writer,
    session: DbSession,
    now: Now,
    if_match: IfMatch = None,
) -> Any:
    version = expected_version(if_match)
    practice = practices.edit(session, Actor.of(caller), practice_id, version, body, now=now)
    return _full(session, practice)


@router.post(
    "/{practice_id}/comments", status_code=201, response_model=CommentRead, summary="Comment on a practice"
)
def comment(practice_id: RecordId, body: CommentCreate, caller: Writer, session: DbSession, now: Now) -> Any:
    return _comment(practices.comment(session, Actor.of(caller), practice_id, body.text, now=now))
