"""Budgets that refill continuously (token buckets), kept in the database so that every node and worker
spends from the same one: check-and-spend under the bucket's row lock, so concurrent requests can never
overspend. Hit/no-hit queries spend from one per agency; rate limits will too."""

import functools
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    Update,
    bindparam,
    extract,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

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
    """Take every draw, or refuse (429, naming the first budget short) and take none. Returns the whole
    units left in each.

    Each draw is one statement that refills the bucket to `now` and takes from it only if it holds enough
    (an upsert whose update is conditional), so a bucket's row is locked for one statement and the commit,
    never while Python runs: many requests of one key contend for that row. A later draw refused gives
    back what the earlier ones took."""
    for draw in draws:
        if draw.cost > draw.budget.capacity:
            raise ValidationFailed(
                f"this needs {draw.cost} units of the {draw.what}, more than it ever holds "
                f"({draw.budget.capacity:g})"
            )
    left: list[int] = []
    for number, draw in enumerate(draws):
        tokens = _take(session, draw, now)
        if tokens is None:
            for taken in draws[:number]:
                _give_back(session, taken)
            raise _refusal(session, draw, now)
        left.append(math.floor(tokens))
    return left


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _refilled(dialect: str, now: ColumnElement[datetime]) -> ColumnElement[float]:
    """The bucket's tokens refilled from its updated_at to `now`, in SQL, capped at its capacity."""
    if dialect == "postgresql":
        elapsed = func.greatest(0.0, extract("epoch", now - TokenBucket.updated_at))
        return func.least(_CAPACITY, TokenBucket.tokens + elapsed * _PER_SECOND)
    days = func.julianday(now) - func.julianday(TokenBucket.updated_at)
    return func.min(_CAPACITY, TokenBucket.tokens + func.max(0.0, days * 86400.0) * _PER_SECOND)


# The statements are built once per dialect, with every value bound: building SQLAlchemy expressions
# costs more CPU than running them, and each request takes two buckets.
_KEY = bindparam("bucket_key", type_=String)
_COST = bindparam("draw_cost", type_=Float)
_CAPACITY = bindparam("bucket_capacity", type_=Float)
_PER_SECOND = bindparam("refill_rate", type_=Float)


@functools.cache
def _taking(dialect: str) -> ReturningInsert[tuple[float]]:
    """Insert a fresh bucket less the cost, or refill the bucket and take the cost if it holds enough."""
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    fresh = dialect_insert(TokenBucket).values(
        key=_KEY,
        tokens=_CAPACITY - _COST,
        updated_at=bindparam("refill_to", type_=TokenBucket.updated_at.type),
    )
    refilled = _refilled(dialect, fresh.excluded.updated_at)
    taking = fresh.on_conflict_do_update(
        index_elements=[TokenBucket.key],
        set_={"tokens": refilled - _COST, "updated_at": fresh.excluded.updated_at},
        where=refilled >= _COST,
    )
    return taking.returning(TokenBucket.tokens)


@functools.cache
def _giving_back(dialect: str) -> Update:
    capped = func.least if dialect == "postgresql" else func.min  # never above the capacity
    return (
        update(TokenBucket)
        .where(TokenBucket.key == _KEY)
        .values(tokens=capped(_CAPACITY, TokenBucket.tokens + _COST))
    )


def _parameters(draw: Draw) -> dict[str, object]:
    return {
        "bucket_key": draw.key,
        "draw_cost": float(draw.cost),
        "bucket_capacity": draw.budget.capacity,
        "refill_rate": draw.budget.per_second,
    }


def _take(session: Session, draw: Draw, now: datetime) -> float | None:
    """Take the draw if the bucket holds enough: the tokens left, or None (nothing taken)."""
    statement = _taking(_dialect(session))
    row = session.connection().execute(statement, _parameters(draw) | {"refill_to": now}).first()
    return None if row is None else float(row.tokens)


def _give_back(session: Session, draw: Draw) -> None:
    session.connection().execute(_giving_back(_dialect(session)), _parameters(draw))


def _refusal(session: Session, draw: Draw, now: datetime) -> RateLimited:
    """429 with when to come back, from the bucket as it stands (read without a lock: an estimate)."""
    bucket = session.execute(
        select(TokenBucket.tokens, TokenBucket.updated_at).where(TokenBucket.key == draw.key)
    ).one()
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    tokens = min(draw.budget.capacity, bucket.tokens + elapsed * draw.budget.per_second)
    wait = max(1, math.ceil((draw.cost - tokens) / draw.budget.per_second))
    return RateLimited(
        f"the {draw.what} is spent: this needs {draw.cost} units, {math.floor(tokens)} are left",
        headers={"Retry-After": str(wait)},
        extra={"remaining_budget": math.floor(tokens), "cost": draw.cost, "retry_after": wait},
    )
