"""Budgets that refill continuously (token buckets), kept in the database so that every node and worker
spends from the same one: check-and-spend under the bucket's row lock, so concurrent requests can never
overspend. Hit/no-hit queries spend from one per agency; rate limits will too."""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.errors import RateLimited, ValidationFailed
from app.models import TokenBucket


@dataclass(frozen=True)
class Budget:
    capacity: float  # the most that can be spent at once, and what a fresh bucket holds
    per_second: float  # how fast it refills

    @classmethod
    def per_hour(cls, units: int) -> "Budget":
        return cls(capacity=float(units), per_second=units / 3600)


@dataclass(frozen=True)
class _Bucket:
    tokens: float
    updated_at: datetime


def _locked_bucket(session: Session, key: str, budget: Budget, now: datetime) -> _Bucket:
    """The bucket `key` (created full if new), locked until the transaction ends: one statement, an
    upsert whose conflict branch rewrites nothing but takes the row's lock and returns it."""
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    fresh = dialect_insert(TokenBucket).values(key=key, tokens=budget.capacity, updated_at=now)
    locking = fresh.on_conflict_do_update(index_elements=[TokenBucket.key], set_={"key": fresh.excluded.key})
    row = session.execute(locking.returning(TokenBucket.tokens, TokenBucket.updated_at)).one()
    return _Bucket(row.tokens, row.updated_at)


@dataclass(frozen=True)
class Draw:
    """`cost` units from the bucket `key`; `what` names the budget in a refusal."""

    key: str
    cost: int
    budget: Budget
    what: str


def spend(session: Session, key: str, cost: int, budget: Budget, now: datetime, *, what: str) -> int:
    """Take `cost` units from the bucket `key`, or refuse (429 with Retry-After) and take nothing.
    Returns the whole units left. `what` names the budget in the refusal."""
    return spend_all(session, [Draw(key, cost, budget, what)], now)[0]


def spend_all(session: Session, draws: list[Draw], now: datetime) -> list[int]:
    """Take every draw, or refuse (429, naming the first budget short) and take none: all are checked
    under their row locks before any is written, so the transaction may commit either way. Returns the
    whole units left in each."""
    for draw in draws:
        if draw.cost > draw.budget.capacity:
            raise ValidationFailed(
                f"this needs {draw.cost} units of the {draw.what}, more than it ever holds "
                f"({draw.budget.capacity:g})"
            )
    buckets = [_locked_bucket(session, draw.key, draw.budget, now) for draw in draws]
    available = []
    for draw, bucket in zip(draws, buckets, strict=True):
        elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
        tokens = min(draw.budget.capacity, bucket.tokens + elapsed * draw.budget.per_second)
        if tokens < draw.cost:
            wait = max(1, math.ceil((draw.cost - tokens) / draw.budget.per_second))
            raise RateLimited(
                f"the {draw.what} is spent: this needs {draw.cost} units, {math.floor(tokens)} are left",
                headers={"Retry-After": str(wait)},
                extra={"remaining_budget": math.floor(tokens), "cost": draw.cost, "retry_after": wait},
            )
        available.append(tokens)
    for draw, tokens in zip(draws, available, strict=True):
        session.execute(
            update(TokenBucket)
            .where(TokenBucket.key == draw.key)
            .values(tokens=tokens - draw.cost, updated_at=now)
        )
    return [math.floor(tokens - draw.cost) for draw, tokens in zip(draws, available, strict=True)]
