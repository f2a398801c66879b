"""/v1/alerts, /v1/suspects, /v1/leads: one router per record kind, built from its KindSpec."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from app.api.deps import DbSession, require
from app.api.pagination import CursorCodec, filter_scope
from app.api.presenters import etag, present, present_revision
from app.db import Database
from app.errors import KixError
from app.models import Record
from app.schemas.alerts import URGENCY_RANK, AlertCategory, AlertStatus, Urgency
from app.schemas.common import CountryCode, PageInfo, Slug
from app.schemas.leads import AssetKind, LeadStatus
from app.schemas.records import CountRead, PurgeRead, RecordId, RevisionList, WithdrawRequest
from app.schemas.suspects import SuspectStatus
from app.services import idempotency
from app.services import record_queries as queries
from app.services import records as service
from app.services.authentication import Caller
from app.services.kinds import ALERTS, LEADS, SUSPECTS, KindSpec
from app.services.notices import note_views
from app.services.vault import Vault, secrets_for

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key", max_length=255, description="Retries with the same key get the first answer"
    ),
]
IfMatch = Annotated[
    str | None, Header(alias="If-Match", max_length=64, description="The ETag of the version being changed")
]


def expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise KixError("send If-Match with the record's ETag", slug="precondition-required")
    text = if_match.strip()
    if not (text.startswith('"v') and text.endswith('"') and text[2:-1].isdigit()):
        raise KixError("If-Match does not name a version of this record", slug="precondition-failed")
    return int(text[2:-1])


def present_many(
    session: Session, kind: KindSpec, caller: Caller, records: list[Record], vault: Vault
) -> list[Any]:
    ids = [record.id for record in records]
    links = queries.visible_links(session, caller.agency_id, ids)
    grants = queries.grants(session, ids)
    return [
        present(
            kind,
            record,
            caller,
            links[record.id],
            grants[record.id],
            service.readable_body(record, vault),
            service.withdrawal_reason(record, vault),
        )
        for record in records
    ]


def present_one(session: Session, kind: KindSpec, caller: Caller, record: Record, vault: Vault) -> Any:
    return present_many(session, kind, caller, [record], vault)[0]


def vault_of(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def _note_views(request: Request, caller: Caller, records: list[Record]) -> None:
    database: Database = request.app.state.db
    with database.autocommit.connect() as connection:
        note_views(connection, caller.agency_id, records)


def _actor(caller: Caller) -> service.Actor:
    return service.Actor(agency_id=caller.agency_id, name=caller.actor)


def build_router(kind: KindSpec, *, category: type | None, status: type, urgency: bool) -> APIRouter:
    """`category`, `status`: the kind's vocabularies for list filters; `urgency`: whether it has urgency."""
    router = APIRouter(prefix=f"/v1/{kind.path}", tags=[kind.path])
    Reader = Annotated[Caller, Depends(require(kind.read_scope))]
    Writer = Annotated[Caller, Depends(require(kind.write_scope))]
    Create: Any = kind.create
    Update: Any = kind.update
    Status: Any = status
    name = kind.kind.value

    @router.post("", status_code=201, response_model=kind.read, summary=f"Create a {name}")
    def create(
        body: Create, request: Request, caller: Writer, session: DbSession, key: IdempotencyKeyHeader = None
    ) -> Any:
        if key is not None:
            digest = idempotency.request_digest("POST", request.url.path, body.model_dump(mode="json"))
            stored = idempotency.claim(session, caller.agency_id, key, digest, vault_of(request))
            if stored is not None:
                headers = {"ETag": stored.response.get("etag", ""), "Idempotent-Replayed": "true"}
                return JSONResponse(stored.response, status_code=stored.status_code, headers=headers)
        vault = vault_of(request)
        record = service.create_record(session, kind, _actor(caller), body, vault)
        result = present_one(session, kind, caller, record, vault)
        if key is not None:
            idempotency.complete(session, caller.agency_id, key, 201, result.model_dump(mode="json"), vault)
        return JSONResponse(
            result.model_dump(mode="json"),
            status_code=201,
            headers={"ETag": etag(record), "Location": f"/v1/{kind.path}/{record.id}"},
        )

    Category: Any = category or str

    @router.get("", response_model=kind.page, summary=f"List {kind.path} the caller may see")
    def list_(
        request: Request,
        caller: Reader,
        session: DbSession,
        category_: Annotated[
            Category | None, Query(alias="category", include_in_schema=category is not None)
        ] = None,
        status_: Annotated[Status | None, Query(alias="status")] = None,
        urgency_: Annotated[Urgency | None, Query(alias="urgency", include_in_schema=urgency)] = None,
        country: Annotated[CountryCode | None, Query()] = None,
        occurred_from: Annotated[datetime | None, Query(include_in_schema=urgency)] = None,
        occurred_to: Annotated[datetime | None, Query(include_in_schema=urgency)] = None,
        updated_from: datetime | None = None,
        updated_to: datetime | None = None,
        owner: Annotated[Slug | None, Query()] = None,
        linked: Annotated[RecordId | None, Query(description="Only records linked to this one")] = None,
        sort: Annotated[str, Query(pattern="^(" + "|".join(kind.sorts) + ")$")] = "recent",
        cursor: Annotated[str | None, Query(max_length=500)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> Any:
        filters = queries.RecordFilters(
            category=category_.value if category is not None and category_ is not None else None,
            status=status_.value if status_ is not None else None,
            urgency_rank=URGENCY_RANK[urgency_] if urgency_ is not None else None,
            country=country,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            updated_from=updated_from,
            updated_to=updated_to,
            owner=owner,
            linked=linked,
        )
        cursors: CursorCodec = request.app.state.cursors
        scope = filter_scope(kind.path, sort=sort, **vars(filters))
        after = cursors.decode(cursor, scope) if cursor else None
        rows = list(
            queries.list_records(
                session, kind, caller.agency_id, filters, sort=sort, after=after, limit=limit + 1
            )
        )
        page = rows[:limit]
        _note_views(request, caller, page)
        next_cursor = (
            cursors.encode(scope, queries.cursor_position(page[-1], sort)) if len(rows) > limit else None
        )
        items = present_many(session, kind, caller, page, vault_of(request))
        return {"items": items, "page": PageInfo(next_cursor=next_cursor)}

    @router.get("/count", response_model=CountRead, summary=f"Count {kind.path} the caller may see")
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
        return CountRead(count=queries.count_records(session, kind, caller.agency_id, filters))

    @router.get("/{record_id}", response_model=kind.read, summary=f"One {name}")
    def get(
        record_id: RecordId, request: Request, caller: Reader, session: DbSession, response: Response
    ) -> Any:
        record = service.get_visible(session, kind, caller.agency_id, record_id)
        _note_views(request, caller, [record])
        response.headers["ETag"] = etag(record)
        return present_one(session, kind, caller, record, vault_of(request))

    @router.patch("/{record_id}", response_model=kind.read, summary=f"Change a {name} (owner only, If-Match)")
    def update(
        record_id: RecordId,
        body: Update,
        request: Request,
        caller: Writer,
        session: DbSession,
        response: Response,
        if_match: IfMatch = None,
    ) -> Any:
        version = expected_version(if_match)
        vault = vault_of(request)
        record = service.update_record(session, kind, _actor(caller), record_id, version, body, vault)
        response.headers["ETag"] = etag(record)
        return present_one(session, kind, caller, record, vault)

    @router.post("/{record_id}/withdraw", response_model=kind.read, summary=f"Withdraw a {name} (owner only)")
    def withdraw(
        record_id: RecordId,
        body: WithdrawRequest,
        request: Request,
        caller: Writer,
        session: DbSession,
        response: Response,
    ) -> Any:
        vault = vault_of(request)
        record = service.withdraw_record(session, kind, _actor(caller), record_id, body.reason, vault)
        response.headers["ETag"] = etag(record)
        return present_one(session, kind, caller, record, vault)

    @router.post(
        "/{record_id}/purge",
        response_model=PurgeRead,
        summary=f"Purge a {name} (owner only): its data key is destroyed, its content unreadable for good",
    )
    def purge(record_id: RecordId, caller: Writer, session: DbSession) -> PurgeRead:
        record = service.purge_record(session, kind, _actor(caller), record_id)
        return PurgeRead(id=record.id, status="purged", purged_at=record.updated_at)

    @router.get("/{record_id}/revisions", response_model=RevisionList, summary="Every version, oldest first")
    def revisions(record_id: RecordId, request: Request, caller: Reader, session: DbSession) -> Any:
        record, items = service.revisions(session, kind, caller.agency_id, record_id)
        secrets = secrets_for(vault_of(request), record.id, record.data_key)
        return {
            "items": [
                present_revision(
                    record,
                    revision,
                    caller,
                    secrets.open_body(record.kind, revision.body, version=revision.version),
                )
                for revision in items
            ]
        }

    return router


alerts_router = build_router(ALERTS, category=AlertCategory, status=AlertStatus, urgency=True)
suspects_router = build_router(SUSPECTS, category=None, status=SuspectStatus, urgency=False)
leads_router = build_router(LEADS, category=AssetKind, status=LeadStatus, urgency=False)
