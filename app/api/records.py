"""/v1/alerts, /v1/suspects, /v1/leads: one router per record kind, built from its spec."""

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.api.answers import respond
from app.api.deps import (
    CursorsDep,
    DbSession,
    Now,
    SettingsDep,
    VaultDep,
    in_request_transaction,
    require,
)
from app.api.pagination import filter_scope
from app.api.records_batch import IdempotencyKeyHeader, add_batch_route
from app.errors import PreconditionFailed, PreconditionRequired
from app.models import Record
from app.schemas.alerts import URGENCY_RANK, Urgency
from app.schemas.audit import AccessLogRead
from app.schemas.common import CountryCode, PageInfo, Slug
from app.schemas.records import (
    COUNT_CAP,
    CountRead,
    LinkCreate,
    LinkRead,
    LinkRemoved,
    PurgeRead,
    RecordId,
    RecordLinkList,
    RevisionList,
    WithdrawRequest,
)
from app.schemas.retention import RetentionExtend, RetentionRead
from app.services import idempotency
from app.services.audit import queries as audit_queries
from app.services.audit.context import note_seen
from app.services.identity.authentication import Caller
from app.services.records import creation, links, queries, retention
from app.services.records import store as service
from app.services.records.disclosure import disclose, disclose_new, disclose_revisions, etag
from app.services.records.kinds import KINDS, KindSpec
from app.services.records.visibility import sees_only_its_own
from app.services.vault import Vault
from app.services.workflows.purge import purge_record

IfMatch = Annotated[
    str | None, Header(alias="If-Match", max_length=64, description="The ETag of the version being changed")
]
# ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
_ETAG = re.compile(r'"v([0-9]{1,9})"', re.ASCII)


def expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise PreconditionRequired("send If-Match with the record's ETag")
    matched = _ETAG.fullmatch(if_match.strip())
    if matched is None:
        raise PreconditionFailed("If-Match does not name a version of this record")
    return int(matched.group(1))


def _views(session: Session, vault: Vault, caller: Caller, records: list[Record]) -> list[dict[str, Any]]:
    """Records as the caller may read them; its agency is noted as having seen them (for withdrawals and
    corrections) with the request's audit entry.

    The routes that create a record, read one or a page of them, the most called of all, are `async` and
    do their work in the request's transaction through deps.in_request_transaction (with the entry of a
    read too, on PostgreSQL), answering with answers.respond: on PostgreSQL no worker thread at all,
    where the session dependency would open and close it in worker threads of their own, FastAPI would
    validate the answer in another, and the channel write the entry in another (about 80 us a hop)."""
    note_seen(records)
    return disclose(session, vault, caller, records)


def _retention(session: Session, vault: Vault, record: Record) -> dict[str, Any]:
    return {
        "record_id": record.id,
        "review_by": record.review_by,
        "hidden_at": record.retention_hidden_at,
        "extensions": retention.extensions(session, record, vault),
    }


def build_router(kind: KindSpec) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{kind.path}", tags=[kind.path])
    Reader = Annotated[Caller, Depends(require(kind.read_scope))]
    Writer = Annotated[Caller, Depends(require(kind.write_scope))]
    Create: Any = kind.create
    Update: Any = kind.update
    Status: Any = kind.statuses
    Category: Any = kind.categories or str
    name = kind.kind.value

    @router.post("", status_code=201, response_model=kind.read, summary=f"Create a {name}")
    async def create(
        body: Create,
        request: Request,
        caller: Writer,
        vault: VaultDep,
        settings: SettingsDep,
        now: Now,
        key: IdempotencyKeyHeader = None,
    ) -> Any:
        def answer(session: Session) -> JSONResponse:
            if key is not None:
                digest = idempotency.request_digest("POST", request.url.path, body.model_dump(mode="json"))
                ttl = settings.idempotency_ttl
                stored = idempotency.claim(session, caller.agency_id, key, digest, vault, now=now, ttl=ttl)
                if stored is not None:
                    headers = {"ETag": stored.response.get("etag", ""), "Idempotent-Replayed": "true"}
                    return JSONResponse(stored.response, status_code=stored.status_code, headers=headers)
            written = creation.create_written(session, kind, service.Actor.of(caller), body, vault, now=now)
            record = written.new.record
            view = disclose_new(vault, caller, record, written.new.grants, written.links)
            content = kind.read.model_validate(view).model_dump(mode="json")
            if key is not None:
                agency = caller.agency_id
                idempotency.complete(session, agency, key, 201, content, vault, resource_id=record.id)
            headers = {"ETag": etag(record), "Location": f"/v1/{kind.path}/{record.id}"}
            return JSONResponse(content, status_code=201, headers=headers)

        return await in_request_transaction(request, answer)  # see _views

    add_batch_route(router, kind)

    @router.get("", response_model=kind.page, summary=f"List {kind.path} the caller may see")
    async def list_(
        request: Request,
        caller: Reader,
        vault: VaultDep,
        cursors: CursorsDep,
        category_: Annotated[
            Category | None, Query(alias="category", include_in_schema=kind.categories is not None)
        ] = None,
        status_: Annotated[Status | None, Query(alias="status")] = None,
        urgency_: Annotated[Urgency | None, Query(alias="urgency", include_in_schema=kind.urgency)] = None,
        country: Annotated[CountryCode | None, Query()] = None,
        occurred_from: Annotated[datetime | None, Query(include_in_schema=kind.urgency)] = None,
        occurred_to: Annotated[datetime | None, Query(include_in_schema=kind.urgency)] = None,
        updated_from: datetime | None = None,
        updated_to: datetime | None = None,
        owner: Annotated[Slug | None, Query()] = None,
        linked: Annotated[RecordId | None, Query(description="Only records linked to this one")] = None,
        sort: Annotated[str, Query(pattern="^(" + "|".join(kind.sorts) + ")$")] = "recent",
        cursor: Annotated[str | None, Query(max_length=500)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Any:
        filters = queries.RecordFilters(
            category=category_.value if kind.categories is not None and category_ is not None else None,
            status=status_.value if status_ is not None else None,
            urgency_rank=URGENCY_RANK[urgency_] if kind.urgency and urgency_ is not None else None,
            country=country,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            updated_from=updated_from,
            updated_to=updated_to,
            owner=owner,
            linked=linked,
        )
        scope = filter_scope(kind.path, sort=sort, **vars(filters))
        after = cursors.decode(cursor, scope) if cursor else None
        own = sees_only_its_own(caller.agency_kind)

        def answer(session: Session) -> Response:
            rows = queries.list_records(
                session,
                kind,
                caller.agency_id,
                filters,
                sort=sort,
                after=after,
                limit=limit + 1,
                own_only=own,
            )
            page = list(rows[:limit])
            next_cursor = (
                cursors.encode(scope, queries.cursor_position(page[-1], sort)) if len(rows) > limit else None
            )
            items = _views(session, vault, caller, page)
            return respond(kind.page, {"items": items, "page": PageInfo(next_cursor=next_cursor)})

        return await in_request_transaction(request, answer, read_entry=True)  # see _views

    @router.get(
        "/count",
        response_model=CountRead,
        summary=f"Count {kind.path} the caller may see: exact up to {COUNT_CAP:,}, then `capped`",
    )
    def count(
        caller: Reader,
        session: DbSession,
        status_: Annotated[Status | None, Query(alias="status")] = None,
        country: Annotated[CountryCode | None, Query()] = None,
        owner: Annotated[Slug | None, Query()] = None,
    ) -> CountRead:
        filters = queries.RecordFilters(
            status=status_.value if status_ is not None else None, country=country, owner=owner
        )
        own_only = sees_only_its_own(caller.agency_kind)
        found = queries.count_records(session, kind, caller.agency_id, filters, own_only=own_only)
        return CountRead(count=found.count, capped=found.capped)

    @router.get(
        "/{record_id}",
        response_model=kind.read,
        summary=f"One {name} (410 once purged, to the agencies that could see it)",
        responses={410: {"description": "Purged: its content is destroyed"}},
    )
    async def get(record_id: RecordId, request: Request, caller: Reader, vault: VaultDep) -> Any:
        def answer(session: Session) -> Response:
            record = service.get_at_address(session, kind, caller.agency_id, record_id)
            view = _views(session, vault, caller, [record])[0]
            return respond(kind.read, view, headers={"ETag": etag(record)})

        return await in_request_transaction(request, answer, read_entry=True)  # see _views

    @router.patch(
        "/{record_id}",
        response_model=kind.read,
        summary=f"Change a {name} (owner only, If-Match)",
        description="A new distribution revokes the consents it no longer covers (`revoked_consents`).",
    )
    def update(
        record_id: RecordId,
        body: Update,
        caller: Writer,
        session: DbSession,
        vault: VaultDep,
        now: Now,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        version = expected_version(if_match)
        outcome = service.update_record(
            session, kind, service.Actor.of(caller), record_id, version, body, vault, now=now
        )
        response.headers["ETag"] = etag(outcome.record)
        return disclose(session, vault, caller, [outcome.record])[0] | {
            "revoked_consents": outcome.revoked_consents
        }

    @router.post("/{record_id}/withdraw", response_model=kind.read, summary=f"Withdraw a {name} (owner only)")
    def withdraw(
        record_id: RecordId,
        body: WithdrawRequest,
        caller: Writer,
        session: DbSession,
        vault: VaultDep,
        now: Now,
        response: Response,
    ) -> Any:
        record = service.withdraw_record(
            session, kind, service.Actor.of(caller), record_id, body.reason, vault, now=now
        )
        response.headers["ETag"] = etag(record)
        return disclose(session, vault, caller, [record])[0]

    @router.post(
        "/{record_id}/purge",
        response_model=PurgeRead,
        summary=f"Purge a {name} (owner only): its data key and every copy of its content are destroyed",
    )
    def purge(record_id: RecordId, caller: Writer, session: DbSession, now: Now) -> PurgeRead:
        record = purge_record(session, kind, service.Actor.of(caller), record_id, now=now)
        return PurgeRead(id=record.id, status="purged", purged_at=now)

    @router.get(
        "/{record_id}/access-log",
        response_model=AccessLogRead,
        summary="Who read, matched, changed or was sent this record, when, through which route (owner)",
    )
    def access_log(record_id: RecordId, caller: Reader, session: DbSession) -> Any:
        record = service.get_owned(session, kind, caller.agency_id, record_id)
        return {"record_id": record.id, "items": audit_queries.access_log(session, record.id)}

    @router.get(
        "/{record_id}/retention",
        response_model=RetentionRead,
        summary="The record's review date, whether it is hidden, and its extensions (owner only)",
    )
    def retention_of(record_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
        record = service.get_owned(session, kind, caller.agency_id, record_id)
        return _retention(session, vault, record)

    @router.post(
        "/{record_id}/retention",
        response_model=RetentionRead,
        summary="Keep the record past its review date, with a reason (owner only; capped by kind)",
        description="A record past its review date and the grace period is hidden from every other agency, "
        "then purged; an extension, recorded with its reason, shows it again.",
    )
    def extend_retention(
        record_id: RecordId,
        body: RetentionExtend,
        caller: Writer,
        session: DbSession,
        vault: VaultDep,
        now: Now,
    ) -> Any:
        actor = service.Actor.of(caller)
        retention.extend(session, kind, actor, record_id, body.review_by, body.reason, vault, now=now)
        return _retention(session, vault, service.get_owned(session, kind, caller.agency_id, record_id))

    @router.get("/{record_id}/revisions", response_model=RevisionList, summary="Every version, oldest first")
    def revisions(record_id: RecordId, caller: Reader, session: DbSession, vault: VaultDep) -> Any:
        record = service.get_visible(session, kind, caller.agency_id, record_id)
        return {"items": disclose_revisions(session, vault, caller, record)}

    def _link(record_id: str, other: str, link: Any) -> LinkRead:
        return LinkRead(
            id=link.id,
            record_id=record_id,
            other=other,
            type=link.type,
            author=link.author_id,
            actor=link.actor,
            created_at=link.created_at,
            confidence=link.confidence,
            case=link.case_id,
        )

    @router.get("/{record_id}/links", response_model=RecordLinkList, summary="Typed links to records you see")
    def list_links(record_id: RecordId, caller: Reader, session: DbSession) -> RecordLinkList:
        record = service.get_visible(session, kind, caller.agency_id, record_id)
        found = links.visible_links(session, caller.agency_id, [record.id])[record.id]
        return RecordLinkList(items=[_link(record.id, other, link) for other, link in found])

    @router.post(
        "/{record_id}/links",
        status_code=201,
        response_model=LinkRead,
        summary="Link this record to another you see (the link names you as its author)",
    )
    def add_link(
        record_id: RecordId, body: LinkCreate, caller: Writer, session: DbSession, now: Now
    ) -> LinkRead:
        record = service.get_visible(session, kind, caller.agency_id, record_id)
        author = service.Actor.of(caller).link_author
        confidence = body.confidence.value if body.confidence else None
        link = links.add_link(session, author, record, body.target, body.type, now=now, confidence=confidence)
        return _link(record.id, body.target, link)

    @router.delete(
        "/{record_id}/links/{link_id}",
        response_model=LinkRemoved,
        summary="Remove a link (its author, or the owner of both records)",
    )
    def remove_link(
        record_id: RecordId, link_id: RecordId, caller: Writer, session: DbSession
    ) -> LinkRemoved:
        record = service.get_visible(session, kind, caller.agency_id, record_id)
        links.remove_link(session, caller.agency_id, record.id, link_id)
        return LinkRemoved(id=link_id)

    return router


routers = [build_router(spec) for spec in KINDS.values()]
