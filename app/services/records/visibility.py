"""Who may see a record: one SQL predicate, used by every read path (get, list, count, links, revisions,
contributions, matches, and the feeds to come), so no path can forget it."""

from sqlalchemy import ColumnElement, and_, exists, or_

from app.models import GroupMember, Record, RecordGrant

AGENCY_GRANT = "agency"  # named in the owner's distribution
GROUP_GRANT = "group"  # a group in the owner's distribution: its members see the record
CONSENT_GRANT = "consent"  # an agency the owner consented to (onward sharing, access request)

# A purged record is gone from every list, count, link and match; only a request for it by id is told so.
NOT_PURGED: ColumnElement[bool] = Record.purged_at.is_(None)


def audience_of(agency_id: str) -> ColumnElement[bool]:
    """True for the records `agency_id` is in the audience of, purged or not: its own, those for all
    members, and those granted to it directly or through a group it belongs to now (membership changes
    apply on the next query).

    Both grant checks are correlated to the record, so each costs an index probe on the page's rows
    instead of a scan of every group grant in the system.
    """
    direct = exists().where(
        RecordGrant.record_id == Record.id,
        RecordGrant.grantee_type.in_((AGENCY_GRANT, CONSENT_GRANT)),
        RecordGrant.grantee_id == agency_id,
    )
    via_group = exists().where(
        RecordGrant.record_id == Record.id,
        RecordGrant.grantee_type == GROUP_GRANT,
        RecordGrant.grantee_id == GroupMember.group_id,
        GroupMember.agency_id == agency_id,
    )
    return or_(Record.owner_id == agency_id, Record.distribution == "all_members", direct, via_group)


def visible_to(agency_id: str) -> ColumnElement[bool]:
    """The records `agency_id` may see now: in its audience and not purged."""
    return and_(NOT_PURGED, audience_of(agency_id))
