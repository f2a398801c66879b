"""Administration: agencies, their keys, and sharing groups. Every route needs the admin scope."""

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.api.deps import AdminCaller, CursorsDep, DbSession
from app.models import Agency, Credential, Group
from app.schemas.agencies import (
    AgencyCreate,
    AgencyPage,
    AgencyRead,
    AgencyStatus,
    CredentialCreate,
    CredentialList,
    CredentialRead,
    CredentialScopesUpdate,
    GroupCreate,
    GroupList,
    GroupRead,
)
from app.schemas.common import PageInfo
from app.services.identity import agencies, credentials

router = APIRouter(prefix="/v1/admin", tags=["admin"])


def _agency(agency: Agency) -> AgencyRead:
    return AgencyRead.model_validate(agency, from_attributes=True)


def _credential(credential: Credential) -> CredentialRead:
    return CredentialRead(
        kid=credential.kid,
        agency_id=credential.agency_id,
        sign={
            "kty": "OKP",
            "crv": "Ed25519",
            "x": credential.sign_public,
            "kid": credential.kid,
            "use": "sig",
        },
        encrypt={
            "kty": "OKP",
            "crv": "X25519",
            "x": credential.encrypt_public,
            "kid": credential.kid,
            "use": "enc",
        },
        scopes=credential.scopes,
        not_before=credential.not_before,
        expires_at=credential.expires_at,
        revoked_at=credential.revoked_at,
        created_at=credential.created_at,
    )


def _groups(session: Session, groups: list[Group]) -> list[GroupRead]:
    members = agencies.group_members(session, [group.id for group in groups])
    return [
        GroupRead(
            id=group.id,
            name=group.name,
            description=group.description,
            members=members[group.id],
            created_at=group.created_at,
            updated_at=group.updated_at,
        )
        for group in groups
    ]


@router.post("/agencies", status_code=201, response_model=AgencyRead, summary="Register an agency")
def create_agency(body: AgencyCreate, _caller: AdminCaller, session: DbSession) -> AgencyRead:
    return _agency(agencies.create_agency(session, body))


@router.get("/agencies", response_model=AgencyPage, summary="List agencies in id order")
def list_agencies(
    _caller: AdminCaller,
    session: DbSession,
    cursors: CursorsDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AgencyPage:
    after = cursors.decode(cursor, "agencies")[0] if cursor else None
    rows = agencies.list_agencies(session, after=after, limit=limit + 1)
    items = [_agency(agency) for agency in rows[:limit]]
    next_cursor = cursors.encode("agencies", [items[-1].id]) if len(rows) > limit else None
    return AgencyPage(items=items, page=PageInfo(next_cursor=next_cursor))


@router.get("/agencies/{agency_id}", response_model=AgencyRead, summary="One agency")
def get_agency(agency_id: str, _caller: AdminCaller, session: DbSession) -> AgencyRead:
    return _agency(agencies.get_agency(session, agency_id))


@router.post(
    "/agencies/{agency_id}/suspend", response_model=AgencyRead, summary="Suspend: its keys stop working"
)
def suspend_agency(agency_id: str, _caller: AdminCaller, session: DbSession) -> AgencyRead:
    return _agency(agencies.set_agency_status(session, agency_id, AgencyStatus.SUSPENDED))


@router.post(
    "/agencies/{agency_id}/reactivate", response_model=AgencyRead, summary="Reactivate a suspended agency"
)
def reactivate_agency(agency_id: str, _caller: AdminCaller, session: DbSession) -> AgencyRead:
    return _agency(agencies.set_agency_status(session, agency_id, AgencyStatus.ACTIVE))


@router.post(
    "/agencies/{agency_id}/keys",
    status_code=201,
    response_model=CredentialRead,
    summary="Register an agency's public keys (made by the agency with `kix keys generate`)",
)
def register_key(
    agency_id: str, body: CredentialCreate, _caller: AdminCaller, session: DbSession
) -> CredentialRead:
    return _credential(credentials.register_credential(session, agency_id, body))


@router.get("/agencies/{agency_id}/keys", response_model=CredentialList, summary="An agency's keys")
def list_keys(agency_id: str, _caller: AdminCaller, session: DbSession) -> CredentialList:
    return CredentialList(items=[_credential(c) for c in credentials.list_credentials(session, agency_id)])


@router.get("/keys/{kid}", response_model=CredentialRead, summary="One key")
def get_key(kid: str, _caller: AdminCaller, session: DbSession) -> CredentialRead:
    return _credential(credentials.get_credential(session, kid))


@router.patch("/keys/{kid}", response_model=CredentialRead, summary="Narrow a key's scopes")
def narrow_key(
    kid: str, body: CredentialScopesUpdate, _caller: AdminCaller, session: DbSession
) -> CredentialRead:
    return _credential(credentials.narrow_scopes(session, kid, body))


@router.post(
    "/keys/{kid}/revoke", response_model=CredentialRead, summary="Revoke a key from the next request on"
)
def revoke_key(kid: str, _caller: AdminCaller, session: DbSession) -> CredentialRead:
    return _credential(credentials.revoke_credential(session, kid))


@router.post("/groups", status_code=201, response_model=GroupRead, summary="Create a sharing group")
def create_group(body: GroupCreate, _caller: AdminCaller, session: DbSession) -> GroupRead:
    return _groups(session, [agencies.create_group(session, body)])[0]


@router.get("/groups", response_model=GroupList, summary="List sharing groups with their members")
def list_groups(_caller: AdminCaller, session: DbSession) -> GroupList:
    return GroupList(items=_groups(session, list(agencies.list_groups(session))))


@router.get("/groups/{group_id}", response_model=GroupRead, summary="One sharing group")
def get_group(group_id: str, _caller: AdminCaller, session: DbSession) -> GroupRead:
    return _groups(session, [agencies.get_group(session, group_id)])[0]


@router.put("/groups/{group_id}/members/{agency_id}", response_model=GroupRead, summary="Add a member")
def add_member(group_id: str, agency_id: str, _caller: AdminCaller, session: DbSession) -> GroupRead:
    return _groups(session, [agencies.add_group_member(session, group_id, agency_id)])[0]


@router.delete("/groups/{group_id}/members/{agency_id}", response_model=GroupRead, summary="Remove a member")
def remove_member(group_id: str, agency_id: str, _caller: AdminCaller, session: DbSession) -> GroupRead:
    return _groups(session, [agencies.remove_group_member(session, group_id, agency_id)])[0]
