"""/v1/directory: competent authorities (each agency edits its own entry; administrators any) and
victim and family assistance services (administrators keep them; every member reads them)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.api.deps import AdminCaller, AnyCaller, DbSession, Now
from app.errors import Forbidden
from app.models import Agency, DirectoryEntry, VictimService
from app.schemas.agencies import AgencyKind
from app.schemas.common import CountryCode, Scope, Slug
from app.schemas.cooperation import RequestKind
from app.schemas.directory import (
    CentralAuthorityFor,
    DirectoryEntryRead,
    DirectoryEntryUpdate,
    DirectoryList,
    Language,
    ServiceKind,
    VictimServiceCreate,
    VictimServiceList,
    VictimServiceRead,
)
from app.schemas.records import RecordId
from app.services.directory import entries, victims

router = APIRouter(prefix="/v1/directory", tags=["directory"])


def _entry(agency: Agency, entry: DirectoryEntry | None) -> DirectoryEntryRead:
    return DirectoryEntryRead(
        agency=agency.id,
        name=agency.name,
        country=agency.country,
        kind=AgencyKind(agency.kind),
        accepts=[RequestKind(kind) for kind in entry.accepts] if entry else [],
        languages=entry.languages if entry else [],
        legal_bases=entry.legal_bases if entry else [],
        central_authority_for=[CentralAuthorityFor(kind) for kind in entry.central_authority_for]
        if entry
        else [],
        contact=entry.contact if entry else None,
        notes=entry.notes if entry else "",
        updated_at=entry.updated_at if entry else None,
    )


def _service(service: VictimService) -> VictimServiceRead:
    return VictimServiceRead.model_validate(service, from_attributes=True)


@router.get("", response_model=DirectoryList, summary="Find competent authorities")
def search(
    _caller: AnyCaller,
    session: DbSession,
    country: Annotated[CountryCode | None, Query()] = None,
    kind: Annotated[AgencyKind | None, Query(description="The agency's kind")] = None,
    accepts: Annotated[RequestKind | None, Query(description="Accepts this kind of request")] = None,
    central_authority_for: Annotated[CentralAuthorityFor | None, Query()] = None,
) -> DirectoryList:
    found = entries.search(
        session,
        country=country,
        agency_kind=kind.value if kind else None,
        accepts=accepts,
        central_authority_for=RequestKind(central_authority_for.value) if central_authority_for else None,
    )
    return DirectoryList(items=[_entry(agency, entry) for agency, entry in found])


@router.get(
    "/victim-services", response_model=VictimServiceList, summary="Help for victims and their families"
)
def services(
    _caller: AnyCaller,
    session: DbSession,
    country: Annotated[CountryCode | None, Query()] = None,
    kind: Annotated[ServiceKind | None, Query()] = None,
    language: Annotated[Language | None, Query()] = None,
) -> VictimServiceList:
    found = victims.find_services(session, country=country, kind=kind, language=language)
    return VictimServiceList(items=[_service(service) for service in found])


@router.post("/victim-services", status_code=201, response_model=VictimServiceRead, summary="Add a service")
def add_service(
    body: VictimServiceCreate, _caller: AdminCaller, session: DbSession, now: Now
) -> VictimServiceRead:
    return _service(victims.add_service(session, body, now=now))


@router.delete("/victim-services/{service_id}", response_model=VictimServiceRead, summary="Remove a service")
def remove_service(service_id: RecordId, _caller: AdminCaller, session: DbSession) -> VictimServiceRead:
    return _service(victims.remove_service(session, service_id))


@router.get("/{agency_id}", response_model=DirectoryEntryRead, summary="One agency's entry")
def get(agency_id: Slug, _caller: AnyCaller, session: DbSession) -> DirectoryEntryRead:
    return _entry(*entries.get_entry(session, agency_id))


@router.put(
    "/{agency_id}",
    response_model=DirectoryEntryRead,
    summary="Publish or change an entry (your agency's; administrators: any)",
)
def put(agency_id: Slug, body: DirectoryEntryUpdate, caller: AnyCaller, session: DbSession, now: Now) -> Any:
    if agency_id != caller.agency_id and Scope.ADMIN.value not in caller.scopes:
        raise Forbidden("an agency edits its own entry; administrators edit any")
    agency, entry = entries.put_entry(
        session, agency_id, body, by=f"{caller.agency_id}/{caller.actor}", now=now
    )
    return _entry(agency, entry)
