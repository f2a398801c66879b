"""Rate limits: each request spends one token from its key's bucket and one from its agency's, for its
class of route (reads, writes, matches, admin). The buckets are the database's (budgets.py), so every
worker and host draws on the same ones; a key over its limit gets 429 with Retry-After, and other keys
and agencies are unaffected. An agency's limit is its keys' times `rate_limit_agency_factor`, so one
agency's many systems cannot together exceed what it was granted."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Settings
from app.services.budgets import Budget, Draw, spend_all

READS, WRITES, MATCHES, ADMIN = "reads", "writes", "matches", "admin"


def route_class(method: str, path: str) -> str:
    if path.startswith("/v1/admin"):
        return ADMIN
    if path.startswith("/v1/matches"):
        return MATCHES
    return READS if method in ("GET", "HEAD") else WRITES


def per_minute(settings: Settings, kind: str) -> int:
    return {
        READS: settings.rate_limit_reads_per_minute,
        WRITES: settings.rate_limit_writes_per_minute,
        MATCHES: settings.rate_limit_matches_per_minute,
        ADMIN: settings.rate_limit_admin_per_minute,
    }[kind]


def draws(settings: Settings, agency_id: str, kid: str, kind: str) -> list[Draw]:
    """One request of `kind` from the key's bucket and from the agency's (none where `kind` is unlimited)."""
    limit = per_minute(settings, kind)
    if limit == 0:
        return []
    key_budget = Budget(capacity=float(limit), per_second=limit / 60)
    agency_limit = limit * settings.rate_limit_agency_factor
    agency_budget = Budget(capacity=float(agency_limit), per_second=agency_limit / 60)
    return [
        Draw(f"rate:key:{kid}:{kind}", 1, key_budget, f"key's {kind} rate limit"),
        Draw(f"rate:agency:{agency_id}:{kind}", 1, agency_budget, f"agency's {kind} rate limit"),
    ]


def take(session: Session, settings: Settings, agency_id: str, kid: str, kind: str, now: datetime) -> None:
    """Spend one request of `kind` from the key's bucket and the agency's, or refuse (429) and spend none."""
    spend_all(session, draws(settings, agency_id, kid, kind), now)
