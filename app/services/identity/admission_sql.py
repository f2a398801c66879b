"""The statements of a request's admission (app.services.identity.authentication): the key with its
agency, the nonce claim, and on PostgreSQL all of it with the rate-limit draws in one statement."""

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Select, String, and_, bindparam, exists, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert

from app.models import Agency, ClaimedNonce, Credential
from app.services.budgets import Draw, draw_values, taking_after
from app.services.identity.known_keys import KnownKey

KEY_WITH_AGENCY = (
    select(
        Credential.kid,
        Credential.sign_public,
        Credential.encrypt_public,
        Credential.scopes.label("key_scopes"),
        Credential.not_before,
        Credential.expires_at,
        Credential.revoked_at,
        Agency.id.label("agency_id"),
        Agency.status.label("agency_status"),
        Agency.scopes.label("agency_scopes"),
        Agency.kind.label("agency_kind"),
    )
    .join(Agency, Agency.id == Credential.agency_id)
    .where(Credential.kid == bindparam("kid"))
)
CLAIM = insert(ClaimedNonce)


_NOW = bindparam("now", type_=Credential.not_before.type)
_FORGET = ClaimedNonce.forget_after.type
_KEY_ROW = KEY_WITH_AGENCY.cte("key_row")


def _may_sign_now(key: Any) -> ColumnElement[bool]:
    """authentication._check_key_status's test as SQL over `key`'s columns: the key may sign at `now`."""
    return and_(
        or_(key.c.revoked_at.is_(None), key.c.revoked_at > _NOW),
        key.c.not_before <= _NOW,
        or_(key.c.expires_at.is_(None), key.c.expires_at > _NOW),
        key.c.agency_status == "active",
    )


@cache
def one_statement(draw_count: int) -> Select[Any]:
    """The key's row as KEY_WITH_AGENCY reads it, with `claimed` (the nonce was claimed: the key is
    the one the signature verified under, may sign now, the request passed every other check, and the
    nonce is new) and `drawN_left` for each draw (taken only once the nonce is claimed)."""
    claimable = select(
        _KEY_ROW.c.kid, bindparam("nonce", type_=String), bindparam("forget_after", type_=_FORGET)
    )
    claimable = claimable.where(
        bindparam("claim", type_=Boolean),
        _KEY_ROW.c.sign_public == bindparam("sign_public", type_=String),
        _KEY_ROW.c.agency_id == bindparam("known_agency", type_=String),
        _may_sign_now(_KEY_ROW),
    )
    claimed = (
        postgresql_insert(ClaimedNonce)
        .from_select(["kid", "nonce", "forget_after"], claimable)
        .on_conflict_do_nothing()
        .returning(ClaimedNonce.kid)
        .cte("claimed")
    )
    taken = [taking_after(claimed, f"draw{number}_") for number in range(draw_count)]
    lefts = [select(cte.c.tokens).scalar_subquery().label(f"draw{n}_left") for n, cte in enumerate(taken)]
    return select(_KEY_ROW, exists(claimed.select()).label("claimed"), *lefts)


def one_statement_values(
    kid: str,
    known: KnownKey,
    nonce: str,
    forget_after: datetime,
    now: datetime,
    *,
    claim: bool,
    draws: list[Draw],
) -> dict[str, object]:
    values: dict[str, object] = {"kid": kid, "nonce": nonce, "forget_after": forget_after, "now": now}
    values |= {"claim": claim, "sign_public": known.sign_public, "known_agency": known.agency_id}
    for number, draw in enumerate(draws):
        values |= draw_values(draw, f"draw{number}_", now)
    return values
