"""The owner's sharing rules on a record: distribution grants, handling, evaluation, review date."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models import Agency, Group, Record, RecordGrant
from app.schemas.records import Distribution, DistributionMode, SharingRules, SharingRulesUpdate
from app.services.records.visibility import AGENCY_GRANT, GROUP_GRANT, PRIVATE_PARTNER

if TYPE_CHECKING:
    from app.services.records.kinds import KindSpec


def check_agencies(session: Session, agency_ids: Sequence[str], field: str) -> None:
    """Agencies a record goes to: they exist, and none is a private partner (partners receive nothing)."""
    if not agency_ids:  # the usual case (all members, or groups): no query
        return
    found = dict(session.execute(select(Agency.id, Agency.kind).where(Agency.id.in_(agency_ids))).all())
    missing = sorted(set(agency_ids) - set(found))
    if missing:
        raise ValidationFailed(f"{field}: no agency {', '.join(missing)}")
    partners = sorted(agency for agency, kind in found.items() if kind == PRIVATE_PARTNER)
    if partners:
        raise ValidationFailed(f"{field}: {partners[0]} is a private partner, which receives no records")


def check_partner_distribution(
    session: Session, owner_id: str, distribution: Distribution, owner_kind: str = ""
) -> str | None:
    """A private partner's records go to its designated FIU and nowhere else (422 otherwise). Returns
    that FIU for a partner, None for any other agency. `owner_kind`, where the caller knows it (read with
    its key): an agency known not to be a partner costs no query."""
    if owner_kind and owner_kind != PRIVATE_PARTNER:
        return None
    owner = session.execute(
        select(Agency.kind, Agency.designated_fiu).where(Agency.id == owner_id)
    ).first()  # two columns, not the agency with its contact and jurisdictions
    if owner is None or owner.kind != PRIVATE_PARTNER:
        return None
    if distribution.mode is not DistributionMode.AGENCIES or distribution.agencies != [owner.designated_fiu]:
        only = f"agencies [{owner.designated_fiu}]"
        raise ValidationFailed(f"rules.distribution: a private partner submits to its FIU only: {only}")
    return owner.designated_fiu


def check_distribution(session: Session, distribution: Distribution) -> None:
    check_agencies(session, distribution.agencies, "rules.distribution.agencies")
    if not distribution.groups:
        return
    known = set(session.scalars(select(Group.id).where(Group.id.in_(distribution.groups))))
    missing = sorted(set(distribution.groups) - known)
    if missing:
        raise ValidationFailed(f"rules.distribution.groups: no group {', '.join(missing)}")


def distribution_grants(record_id: str, distribution: Distribution, now: datetime) -> list[RecordGrant]:
    grants = [(AGENCY_GRANT, agency) for agency in sorted(set(distribution.agencies))]
    grants += [(GROUP_GRANT, group) for group in sorted(set(distribution.groups))]
    return [RecordGrant(record_id=record_id, grantee_type=t, grantee_id=g, granted_at=now) for t, g in grants]


def set_distribution(session: Session, record: Record, distribution: Distribution, now: datetime) -> None:
    """Replace the owner's distribution grants; grants given by consent are the consents' business."""
    session.execute(
        delete(RecordGrant).where(
            RecordGrant.record_id == record.id, RecordGrant.grantee_type.in_((AGENCY_GRANT, GROUP_GRANT))
        )
    )
    session.add_all(distribution_grants(record.id, distribution, now))
    record.distribution = distribution.mode.value


def current_distribution(session: Session, record: Record) -> Distribution:
    grants = session.execute(
        select(RecordGrant.grantee_type, RecordGrant.grantee_id).where(RecordGrant.record_id == record.id)
    ).all()
    return Distribution(
        mode=DistributionMode(record.distribution),
        agencies=sorted(g for t, g in grants if t == AGENCY_GRANT),
        groups=sorted(g for t, g in grants if t == GROUP_GRANT),
    )


def rules_json(rules: SharingRules, review_by: date) -> dict[str, Any]:
    """The rules as stored on the record (distribution lives in its grants)."""
    data = rules.model_dump(mode="json", exclude={"distribution", "review_by"})
    return data | {"review_by": review_by.isoformat()}


def apply_rules(record: Record, rules: SharingRules, review_by: date) -> None:
    record.handling = rules.handling.value
    record.discoverable = rules.discoverable
    record.review_by = review_by
    record.rules = rules_json(rules, review_by)


def merged_rules(record: Record, update: SharingRulesUpdate, distribution: Distribution) -> SharingRules:
    """The record's rules with an owner's partial update applied; refused (422) if not valid."""
    current = {name: value for name, value in record.rules.items() if name != "review_by"}
    changes = update.model_dump(exclude_unset=True, exclude={"distribution"})
    merged = current | {name: value for name, value in changes.items() if value is not None}
    try:
        return SharingRules.model_validate(merged | {"distribution": distribution, "review_by": None})
    except ValueError as exc:
        raise ValidationFailed(f"the rules would not be valid after this change: {exc}") from exc


def check_review_by(kind: "KindSpec", created_at: datetime, review_by: date) -> None:
    """422 past the kind's retention cap, counted from the record's creation."""
    latest = (created_at + kind.longest_review).date()
    if review_by > latest:
        raise ValidationFailed(
            f"review_by: a {kind.kind.value} may be kept until {latest.isoformat()} at the latest "
            f"({kind.longest_review.days} days from its creation)"
        )
