"""Agencies and sharing groups: the directory the administrator keeps."""

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, ValidationFailed
from app.models import Agency, Group, GroupMember
from app.models.base import utcnow
from app.schemas.agencies import AgencyCreate, AgencyKind, AgencyStatus, GroupCreate
from app.schemas.events import EventType
from app.services.events.outbox import emit


def create_agency(session: Session, data: AgencyCreate) -> Agency:
    if session.get(Agency, data.id) is not None:
        raise Conflict(f"agency {data.id!r} already exists")
    if data.designated_fiu is not None:
        fiu = session.get(Agency, data.designated_fiu)
        if fiu is None or fiu.kind != AgencyKind.FIU.value:
            raise ValidationFailed(
                f"designated_fiu: {data.designated_fiu} is not a financial intelligence unit"
            )
    agency = Agency(
        id=data.id,
        country=data.country,
        name=data.name,
        kind=data.kind.value,
        status=AgencyStatus.ACTIVE.value,
        scopes=[scope.value for scope in data.scopes],
        contact=data.contact.model_dump(),
        jurisdictions=sorted(set(data.jurisdictions)),
        designated_fiu=data.designated_fiu,
    )
    session.add(agency)
    session.flush()
    return agency


def get_agency(session: Session, agency_id: str) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id!r}")
    return agency


def list_agencies(session: Session, *, after: str | None, limit: int) -> Sequence[Agency]:
    """One page in id order, starting after the id `after` (keyset pagination)."""
    query = select(Agency).order_by(Agency.id).limit(limit)
    if after is not None:
        query = query.where(Agency.id > after)
    return session.scalars(query).all()


def set_agency_status(session: Session, agency_id: str, status: AgencyStatus) -> Agency:
    agency = get_agency(session, agency_id)
    if status is AgencyStatus.SUSPENDED and agency.kind == AgencyKind.OPERATOR.value:
        raise Conflict("the operator agency can not be suspended: it would lock every administrator out")
    agency.status = status.value
    agency.updated_at = utcnow()
    data = {"agency": agency.id, "status": status.value}
    emit(session, [agency.id], EventType.AGENCY_STATUS_CHANGED, now=agency.updated_at, data=data)
    session.flush()
    return agency


def _require_agencies(session: Session, agency_ids: Sequence[str]) -> None:
    """Group members: existing agencies, never private partners (who receive nothing)."""
    found = dict(session.execute(select(Agency.id, Agency.kind).where(Agency.id.in_(agency_ids))).all())
    missing = sorted(set(agency_ids) - set(found))
    if missing:
        raise NotFound(f"no agency {', '.join(map(repr, missing))}")
    partners = sorted(agency for agency, kind in found.items() if kind == AgencyKind.PRIVATE_PARTNER.value)
    if partners:
        raise ValidationFailed(f"{partners[0]} is a private partner: it joins no group")


def create_group(session: Session, data: GroupCreate) -> Group:
    if session.get(Group, data.id) is not None:
        raise Conflict(f"group {data.id!r} already exists")
    _require_agencies(session, data.members)
    group = Group(id=data.id, name=data.name, description=data.description)
    session.add(group)
    session.flush()
    session.add_all(GroupMember(group_id=group.id, agency_id=member) for member in sorted(set(data.members)))
    session.flush()
    return group


def get_group(session: Session, group_id: str) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise NotFound(f"no group {group_id!r}")
    return group


def list_groups(session: Session) -> Sequence[Group]:
    return session.scalars(select(Group).order_by(Group.id)).all()


def group_members(session: Session, group_ids: Sequence[str]) -> dict[str, list[str]]:
    """Members of each group, in one query."""
    members: dict[str, list[str]] = {group_id: [] for group_id in group_ids}
    rows = session.execute(
        select(GroupMember.group_id, GroupMember.agency_id)
        .where(GroupMember.group_id.in_(group_ids))
        .order_by(GroupMember.agency_id)
    )
    for group_id, agency_id in rows:
        members[group_id].append(agency_id)
    return members


def add_group_member(session: Session, group_id: str, agency_id: str) -> Group:
    group = get_group(session, group_id)
    _require_agencies(session, [agency_id])
    if session.get(GroupMember, (group_id, agency_id)) is None:
        session.add(GroupMember(group_id=group_id, agency_id=agency_id))
        group.updated_at = utcnow()
        session.flush()
    return group


def remove_group_member(session: Session, group_id: str, agency_id: str) -> Group:
    group = get_group(session, group_id)
    result = session.execute(
        delete(GroupMember).where(GroupMember.group_id == group_id, GroupMember.agency_id == agency_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"agency {agency_id!r} is not a member of group {group_id!r}")
    group.updated_at = utcnow()
    session.flush()
    return group
