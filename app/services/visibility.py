"""Who may see a record: one SQL predicate, used by every read path (get, list, count, links, revisions,
contributions, feeds, statistics, matches), so no path can forget it."""

from sqlalchemy import ColumnElement, and_, exists, or_, select

from app.models import GroupMember, Record, RecordGrant

AGENCY_GRANT = "agency"  # named in the owner's distribution
GROUP_GRANT = "group"  # a group in the owner's distribution: its members see the record
CONSENT_GRANT = "consent"  # an agency the owner consented to (onward sharing, access request)


def visible_to(agency_id: str) -> ColumnElement[bool]:
    """True for the records `agency_id` may see: its own, those for all members, and those granted to it
    directly or through a group it belongs to now (membership changes apply on the next query)."""
    member_of = select(GroupMember.group_id).where(GroupMember.agency_id == agency_id)
    granted = exists().where(
        RecordGrant.record_id == Record.id,
        or_(
            and_(
                RecordGrant.grantee_type.in_((AGENCY_GRANT, CONSENT_GRANT)),
                RecordGrant.grantee_id == agency_id,
            ),
            and_(RecordGrant.grantee_type == GROUP_GRANT, RecordGrant.grantee_id.in_(member_of)),
        ),
    )
    return or_(Record.owner_id == agency_id, Record.distribution == "all_members", granted)
